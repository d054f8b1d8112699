import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Drawer, Form, Input, Space, Statistic, Table, message } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { segmentRuleSchema } from '../../contracts/segment-rule.js';
import { api, ApiFailure, unwrap } from './api.js';
import { DeleteButton } from './DeleteButton.js';
import { TimeZoneSelect, zoneLabel } from './inputs.js';
import { SegmentRuleBuilder, useCatalog } from './SegmentRuleBuilder.js';
import { buildRule, catalogTypes, emptyBuilder, type BuilderState } from './segment-rule-rows.js';
import { issueText, showIssues } from './issues.js';

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
  // The zone "today", "yesterday" and dates are read in.
  const [zone, setZone] = useState('Asia/Shanghai');
  const [builder, setBuilder] = useState<BuilderState>(emptyBuilder);
  const catalog = useCatalog();
  // Values typed as the catalog knows their attribute (a number attribute compares numbers).
  const rule = buildRule(builder, catalogTypes(catalog.data));
  const ruleText = useDebounced(JSON.stringify(rule), 400);
  const valid = segmentRuleSchema.safeParse(JSON.parse(ruleText) as unknown).success;
  const preview = useQuery({
    queryKey: ['preview', ruleText, zone],
    enabled: valid,
    queryFn: () => unwrap(api.POST('/api/segments/preview', { body: { rule: JSON.parse(ruleText) as never, timeZone: zone } })),
  });
  const save = useMutation({
    mutationFn: () => unwrap(api.POST('/api/segments', { body: { name: form.getFieldValue('name') as string, rule: rule as never, timeZone: zone } })),
    onSuccess: () => { void client.invalidateQueries({ queryKey: ['segments'] }); void message.success(t('saved')); onDone(); },
    onError: (error) => error instanceof ApiFailure && showIssues(form, t, error.body.issues ?? []),
  });
  const p = preview.data as { count?: number; sample?: unknown[]; missingLoginId?: number; missingVisitorId?: number } | undefined;
  return (
    <Form form={form} layout="vertical">
      <Form.Item name="name" label={t('name')}><Input /></Form.Item>
      <Form.Item label={t('timeZone')}><TimeZoneSelect value={zone} onChange={setZone} testId="segment-time-zone" /></Form.Item>
      <SegmentRuleBuilder value={builder} onChange={setBuilder} zoneName={zoneLabel(t, zone)} />
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
