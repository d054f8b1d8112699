import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Card, DatePicker, Drawer, Form, Input, InputNumber, Radio, Select, Space, Statistic, Table, message, type DatePickerProps } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { segmentRuleSchema } from '../../segments/rule.js';
import { api, ApiFailure, unwrap } from './api.js';
import { DeleteButton } from './DeleteButton.js';
import { TimeZoneSelect } from './inputs.js';
import { issueText, showIssues } from './issues.js';

/** Which window a behaviour condition counts events in; `ever` means no window (all time). */
export type WindowKind = 'today' | 'yesterday' | 'lastDays' | 'since' | 'between' | 'ever';

/** A day as antd's date picker hands it over (a dayjs object, never imported here: antd owns that dependency). */
type Day = Exclude<Parameters<NonNullable<DatePickerProps['onChange']>>[0], unknown[]>;
type EventRow = { kind: 'event'; did: boolean; event: string; atLeast: number; window: WindowKind; days: number; since?: Day | null; range?: [Day | null, Day | null] | null };
const isoDay = (d: Day | null | undefined) => d?.format('YYYY-MM-DD') ?? '';
type Row =
  | { kind: 'attribute'; attribute: string; op: string; value: string }
  | EventRow
  | { kind: 'identity'; identity: 'hasLoginId' | 'visitorOnly' };

function eventWindow(row: EventRow): Record<string, unknown> | undefined {
  switch (row.window) {
    case 'today':
    case 'yesterday':
      return { type: row.window };
    case 'lastDays':
      return { type: 'lastDays', days: row.days };
    case 'since':
      return { type: 'since', date: isoDay(row.since) };
    case 'between':
      return { type: 'between', from: isoDay(row.range?.[0]), to: isoDay(row.range?.[1]) };
    case 'ever':
      return undefined;
  }
}

/**
 * One builder row as a rule condition. "Did E at least N times" counts with
 * `atLeast N`; "did not do E at least N times" is at most N − 1 times, which for
 * N = 1 is the cheaper `noEvent` (no such event at all).
 */
function condition(row: Row): unknown {
  if (row.kind === 'identity') return { identity: row.identity };
  if (row.kind === 'attribute') {
    const n = Number(row.value);
    return row.op === 'anniversaryToday' ? { attribute: row.attribute, op: row.op } : { attribute: row.attribute, op: row.op, value: ['gt', 'gte', 'lt', 'lte'].includes(row.op) ? n : row.value };
  }
  const window = eventWindow(row);
  const within = window ? { window } : {};
  if (row.did) return { event: row.event, count: { op: 'atLeast', value: row.atLeast }, ...within };
  if (row.atLeast <= 1) return { noEvent: row.event, ...within };
  return { event: row.event, count: { op: 'atMost', value: row.atLeast - 1 }, ...within };
}

/** The builder's rows as a rule: one AND or OR group. */
export function buildRule(join: 'all' | 'any', rows: Row[]) {
  return { [join]: rows.map(condition) };
}

/** Waits until the value has stopped changing for `ms`. */
function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

function SegmentForm({ onDone }: { onDone: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const client = useQueryClient();
  const [join, setJoin] = useState<'all' | 'any'>('all');
  // The zone "today", "yesterday" and dates are read in.
  const [zone, setZone] = useState('Asia/Shanghai');
  const [rows, setRows] = useState<Row[]>([{ kind: 'attribute', attribute: 'vip_level', op: 'equals', value: 'gold' }]);
  const rule = buildRule(join, rows);
  const ruleText = useDebounced(JSON.stringify(rule), 400);
  const valid = segmentRuleSchema.safeParse(JSON.parse(ruleText) as unknown).success;
  const preview = useQuery({
    queryKey: ['preview', ruleText, zone],
    enabled: valid,
    queryFn: () => unwrap(api.POST('/api/segments/preview', { body: { rule: JSON.parse(ruleText), timeZone: zone } })),
  });
  const save = useMutation({
    mutationFn: () => unwrap(api.POST('/api/segments', { body: { name: form.getFieldValue('name') as string, rule, timeZone: zone } })),
    onSuccess: () => { void client.invalidateQueries({ queryKey: ['segments'] }); void message.success(t('saved')); onDone(); },
    onError: (error) => error instanceof ApiFailure && showIssues(form, t, error.body.issues ?? []),
  });
  const set = (i: number, row: Row) => setRows(rows.map((r, j) => (j === i ? row : r)));
  const p = preview.data as { count?: number; sample?: unknown[]; missingLoginId?: number; missingVisitorId?: number } | undefined;
  return (
    <Form form={form} layout="vertical">
      <Form.Item name="name" label={t('name')}><Input /></Form.Item>
      <Form.Item label={t('timeZone')}><TimeZoneSelect value={zone} onChange={setZone} testId="segment-time-zone" /></Form.Item>
      <Radio.Group value={join} onChange={(e) => setJoin(e.target.value as 'all' | 'any')} options={[{ value: 'all', label: t('all') }, { value: 'any', label: t('any') }]} />
      {rows.map((row, i) => (
        <Card size="small" key={i} style={{ marginTop: 8 }} data-testid={`rule-row-${i}`}>
          <Space wrap>
            <Select value={row.kind} style={{ width: 120 }} onChange={(kind: Row['kind']) => set(i, kind === 'attribute' ? { kind, attribute: '', op: 'equals', value: '' } : kind === 'event' ? { kind, did: true, event: '', atLeast: 1, window: 'yesterday', days: 7 } : { kind, identity: 'hasLoginId' })}
              options={(['attribute', 'event', 'identity'] as const).map((v) => ({ value: v, label: t(`opt_${v}`) }))} />
            {row.kind === 'attribute' && (
              <>
                <Input placeholder="vip_level" value={row.attribute} onChange={(e) => set(i, { ...row, attribute: e.target.value })} data-testid="attribute-name" />
                <Select value={row.op} style={{ width: 150 }} onChange={(op: string) => set(i, { ...row, op })} options={(['equals', 'notEquals', 'gt', 'gte', 'lt', 'lte', 'contains', 'anniversaryToday'] as const).map((v) => ({ value: v, label: t(`op_${v}`) }))} />
                <Input value={row.value} onChange={(e) => set(i, { ...row, value: e.target.value })} data-testid="attribute-value" />
              </>
            )}
            {row.kind === 'event' && (
              <>
                <Select value={row.did ? 'did' : 'didNot'} style={{ width: 100 }} onChange={(v: string) => set(i, { ...row, did: v === 'did' })} options={[{ value: 'did', label: t('did') }, { value: 'didNot', label: t('didNot') }]} data-testid="event-did" />
                <Input placeholder="add_to_cart" value={row.event} onChange={(e) => set(i, { ...row, event: e.target.value })} style={{ width: 150 }} />
                <InputNumber min={1} max={10000} value={row.atLeast} onChange={(v) => set(i, { ...row, atLeast: v ?? 1 })} prefix={t('atLeast')} suffix={t('times')} style={{ width: 150 }} data-testid="event-times" />
                <Select value={row.window} style={{ width: 130 }} onChange={(w: WindowKind) => set(i, { ...row, window: w })} data-testid="event-window"
                  options={(['today', 'yesterday', 'lastDays', 'since', 'between', 'ever'] as const).map((w) => ({ value: w, label: t(`win_${w}`) }))} />
                {row.window === 'lastDays' && <InputNumber min={1} max={36600} value={row.days} onChange={(v) => set(i, { ...row, days: v ?? 1 })} suffix={t('days')} style={{ width: 120 }} data-testid="event-days" />}
                {row.window === 'since' && <DatePicker value={row.since ?? null} onChange={(d: Day | null) => set(i, { ...row, since: d })} data-testid="event-since" />}
                {row.window === 'between' && (
                  <DatePicker.RangePicker value={row.range ?? null} data-testid="event-between" onChange={(r) => set(i, { ...row, range: r })} />
                )}
              </>
            )}
            {row.kind === 'identity' && (
              <Select value={row.identity} style={{ width: 150 }} onChange={(identity: 'hasLoginId' | 'visitorOnly') => set(i, { kind: 'identity', identity })} options={(['hasLoginId', 'visitorOnly'] as const).map((v) => ({ value: v, label: t(`opt_${v}`) }))} />
            )}
            <Button onClick={() => setRows(rows.filter((_, j) => j !== i))}>{t('remove')}</Button>
          </Space>
        </Card>
      ))}
      <Button style={{ marginTop: 8 }} onClick={() => setRows([...rows, { kind: 'attribute', attribute: '', op: 'equals', value: '' }])}>{t('add')}</Button>
      <Card size="small" title={t('preview')} style={{ marginTop: 16 }} data-testid="segment-preview">
        <Space size="large">
          <Statistic title={t('members')} value={p?.count ?? '—'} loading={preview.isFetching} />
          <Statistic title={t('missingLogin')} value={p?.missingLoginId ?? '—'} />
          <Statistic title={t('missingVisitor')} value={p?.missingVisitorId ?? '—'} />
        </Space>
        {preview.error instanceof ApiFailure && (
          <ul data-testid="segment-preview-issues">{(preview.error.body.issues ?? []).map((i) => <li key={i.path}>{i.path}: {issueText(t, i)}</li>)}</ul>
        )}
        {/* Members by their ids, not raw JSON: login id, else visitor id. */}
        {p?.sample && p.sample.length > 0 && (
          <div data-testid="segment-sample">{t('sample')}：{(p.sample as { loginId: string | null; visitorId: string | null }[]).slice(0, 10).map((u) => u.loginId ?? `${t('src_visitor')} ${u.visitorId ?? ''}`).join('、')}</div>
        )}
      </Card>
      <Button type="primary" style={{ marginTop: 16 }} loading={save.isPending} onClick={() => save.mutate()}>{t('save')}</Button>
    </Form>
  );
}

export function Segments() {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const list = useQuery({ queryKey: ['segments'], queryFn: () => unwrap(api.GET('/api/segments')) });
  return (
    <>
      <Button type="primary" onClick={() => setOpen(true)} style={{ marginBottom: 16 }}>{t('newSegment')}</Button>
      <Table rowKey="id" loading={list.isLoading} dataSource={list.data?.items ?? []} pagination={false}
        columns={[
          { title: t('name'), dataIndex: 'name' }, { title: t('timeZone'), dataIndex: 'timeZone' },
          { title: t('actions'), render: (_: unknown, row: { id: string; name: string }) => <DeleteButton kind="segment" id={row.id} name={row.name} /> },
        ]} />
      <Drawer open={open} width={900} destroyOnHidden onClose={() => setOpen(false)} title={t('newSegment')}>
        {open && <SegmentForm onDone={() => setOpen(false)} />}
      </Drawer>
    </>
  );
}
