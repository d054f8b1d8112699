import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Descriptions, Drawer, Form, Input, Space, Statistic, Table, Tooltip, Typography, message } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Outlet, Route, Routes, useNavigate, useParams } from 'react-router';
import { segmentRuleSchema, type RuleNode } from '../../contracts/segment-rule.js';
import { api, ApiFailure, unwrap } from './api.js';
import type { components } from './api-schema.js';
import { DeleteButton } from './DeleteButton.js';
import { TimeZoneSelect, zoneLabel } from './inputs.js';
import { failureText, issueText, showIssues } from './issues.js';
import { NotFound, useListState, useOverList } from './routes.js';
import { SegmentRuleBuilder, useCatalog } from './SegmentRuleBuilder.js';
import { buildRule, catalogTypes, editableBuilder, emptyBuilder, type BuilderState } from './segment-rule-rows.js';
import { ruleWords } from './rule-words.js';
import { useDebounced } from './use-debounced.js';

type Segment = components['schemas']['Segment'];
type Preview = components['schemas']['SegmentPreview'];

function SegmentForm({ segment, onDone }: { segment?: Segment; onDone: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const client = useQueryClient();
  // undefined on an edit whose rule the builder cannot show: the rule is then kept as saved.
  const [saved] = useState(() => (segment ? editableBuilder(segment.rule) : undefined));
  const keepsRule = segment !== undefined && saved === undefined;
  // The zone "today", "yesterday" and dates are read in.
  const [zone, setZone] = useState(segment?.timeZone ?? 'Asia/Shanghai');
  const [builder, setBuilder] = useState<BuilderState>(saved ?? emptyBuilder);
  const catalog = useCatalog();
  // Values typed as the catalog knows their attribute (a number attribute compares numbers).
  const rule = keepsRule ? segment.rule : buildRule(builder, catalogTypes(catalog.data));
  const ruleText = useDebounced(JSON.stringify(rule), 400);
  const valid = segmentRuleSchema.safeParse(JSON.parse(ruleText) as unknown).success;
  const preview = useQuery({
    queryKey: ['preview', ruleText, zone],
    enabled: valid,
    queryFn: () => unwrap(api.POST('/api/segments/preview', { body: { rule: JSON.parse(ruleText), timeZone: zone } })),
  });
  const save = useMutation({
    mutationFn: () => {
      const name = form.getFieldValue('name') as string;
      if (!segment) return unwrap(api.POST('/api/segments', { body: { name, rule, timeZone: zone } }));
      return unwrap(api.PATCH('/api/segments/{id}', { params: { path: { id: segment.id } }, body: { name, timeZone: zone, ...(keepsRule ? {} : { rule }) } }));
    },
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['segments'] });
      void client.invalidateQueries({ queryKey: ['segment-preview'] });
      void message.success(t('saved'));
      onDone();
    },
    onError: (error) => error instanceof ApiFailure && showIssues(form, t, error.body.issues ?? []),
  });
  const p = preview.data as { count?: number; sample?: unknown[]; missingLoginId?: number; missingVisitorId?: number } | undefined;
  return (
    <Form form={form} layout="vertical" initialValues={{ name: segment?.name }}>
      <Form.Item name="name" label={t('name')}><Input /></Form.Item>
      <Form.Item label={t('timeZone')}><TimeZoneSelect value={zone} onChange={setZone} testId="segment-time-zone" /></Form.Item>
      {keepsRule && <Alert type="info" showIcon message={t('builderCannotShow')} description={ruleWords(t, segment.rule as RuleNode)} data-testid="rule-kept" />}
      {!keepsRule && <SegmentRuleBuilder value={builder} onChange={setBuilder} zoneName={zoneLabel(t, zone)} />}
      <Card size="small" title={t('preview')} style={{ marginTop: 16 }} data-testid="segment-preview">
        <Space size="large">
          <Statistic title={t('members')} value={p?.count ?? '—'} loading={preview.isFetching} />
          <Statistic title={t('missingLogin')} value={p?.missingLoginId ?? '—'} />
          <Statistic title={t('missingVisitor')} value={p?.missingVisitorId ?? '—'} />
        </Space>
        {preview.error instanceof ApiFailure && (
          <ul data-testid="segment-preview-issues">{(preview.error.body.issues ?? []).map((i) => <li key={i.path}>{i.path}: {issueText(t, i)}</li>)}</ul>
        )}
        {/* Members as people (ids and a few attributes), not raw JSON. */}
        {p?.sample && p.sample.length > 0 && (
          <div data-testid="segment-sample" style={{ marginTop: 12 }}>
            <Typography.Text type="secondary">{t('sample')}</Typography.Text>
            <SampleTable sample={p.sample as Preview['sample']} rule={JSON.parse(ruleText) as unknown} />
          </div>
        )}
      </Card>
      <Button type="primary" style={{ marginTop: 16 }} loading={save.isPending} onClick={() => save.mutate()}>{t('save')}</Button>
    </Form>
  );
}

/** A saved segment's preview (count, missing ids, sample), shared by the list, the detail and a campaign's summary. */
function useSegmentPreview(id: string) {
  return useQuery({
    queryKey: ['segment-preview', id],
    // Counting runs the rule over every user: a list shown again within 30 s reuses the counts.
    staleTime: 30_000,
    queryFn: () => unwrap(api.GET('/api/segments/{id}/preview', { params: { path: { id }, query: {} } })),
  });
}

/** The list's member count: each row counts its own segment when shown, so a long list does not wait for all. */
function MemberCount({ id }: { id: string }) {
  const preview = useSegmentPreview(id);
  if (preview.isError) return <Typography.Text type="secondary">—</Typography.Text>;
  return <span data-testid={`member-count-${id}`}>{preview.data ? preview.data.count.toLocaleString() : '…'}</span>;
}

const SAMPLE_SHOWN = 5;
const ATTRIBUTES_SHOWN = 3;

/** An attribute value as text: lists joined, nested objects not spelled out. */
function attributeText(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' && v !== null ? '…' : String(v))).join(', ');
  return typeof value === 'object' ? '…' : String(value);
}

/** The attribute names a rule reads, in the order it reads them. */
function ruleAttributes(node: unknown): string[] {
  if (!node || typeof node !== 'object') return [];
  const n = node as Record<string, unknown>;
  const children = (n.all ?? n.any) as unknown[] | undefined;
  if (Array.isArray(children)) return children.flatMap(ruleAttributes);
  return typeof n.attribute === 'string' ? [n.attribute] : [];
}

/**
 * A few members as people: login id, visitor id and a few attributes (those
 * the rule reads first, then the most common), read one user at a time from
 * `GET /api/users/:id`; never raw JSON or internal ids.
 */
function SampleTable({ sample, rule }: { sample: Preview['sample']; rule: unknown }) {
  const { t } = useTranslation();
  const shown = sample.slice(0, SAMPLE_SHOWN);
  const users = useQueries({
    queries: shown.map((u) => ({ queryKey: ['user', u.id], staleTime: 30_000, queryFn: () => unwrap(api.GET('/api/users/{id}', { params: { path: { id: u.id } } })) })),
  });
  const attributesOf = (i: number) => ((users[i]?.data as { attributes?: Record<string, unknown> } | undefined)?.attributes ?? {});
  const frequency = new Map<string, number>();
  shown.forEach((_, i) => Object.keys(attributesOf(i)).forEach((k) => frequency.set(k, (frequency.get(k) ?? 0) + 1)));
  const common = [...frequency].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k);
  const keys = [...new Set([...ruleAttributes(rule).filter((k) => frequency.has(k)), ...common])].slice(0, ATTRIBUTES_SHOWN);
  if (shown.length === 0) return <Typography.Text type="secondary" data-testid="segment-sample-table">{t('noMembers')}</Typography.Text>;
  return (
    <Table size="small" pagination={false} rowKey="id" data-testid="segment-sample-table" loading={users.some((u) => u.isLoading)}
      dataSource={shown.map((u, i) => ({ ...u, attributes: attributesOf(i) }))}
      columns={[
        { title: t('src_login'), dataIndex: 'loginId', render: (v: string | null) => v ?? '—' },
        { title: t('src_visitor'), dataIndex: 'visitorId', render: (v: string | null) => v ?? '—' },
        ...keys.map((k) => ({ title: k, key: k, render: (_: unknown, row: { attributes: Record<string, unknown> }) => attributeText(row.attributes[k]) })),
      ]} />
  );
}

/** A segment opened: its rule in words, its members now and a few of them. */
function SegmentDetail({ segment, onEdit }: { segment: Segment; onEdit: () => void }) {
  const { t } = useTranslation();
  const preview = useSegmentPreview(segment.id);
  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid="segment-detail">
      <Descriptions column={1} size="small" bordered>
        <Descriptions.Item label={t('name')}>{segment.name}</Descriptions.Item>
        <Descriptions.Item label={t('timeZone')}>{zoneLabel(t, segment.timeZone)}</Descriptions.Item>
        <Descriptions.Item label={t('rule')}><span data-testid="segment-rule-words">{ruleWords(t, segment.rule as RuleNode)}</span></Descriptions.Item>
      </Descriptions>
      <Space size="large">
        <Statistic title={t('memberCount')} value={preview.data?.count ?? '—'} loading={preview.isLoading} valueRender={(node) => <span data-testid="segment-count">{node}</span>} />
        <Statistic title={t('missingLogin')} value={preview.data?.missingLoginId ?? '—'} />
        <Statistic title={t('missingVisitor')} value={preview.data?.missingVisitorId ?? '—'} />
      </Space>
      <Typography.Title level={5}>{t('sampleTitle', { n: Math.min(SAMPLE_SHOWN, preview.data?.sample.length ?? SAMPLE_SHOWN) })}</Typography.Title>
      {preview.data && <SampleTable sample={preview.data.sample} rule={segment.rule} />}
      <Button type="primary" onClick={onEdit} data-testid="segment-edit">{t('edit')}</Button>
    </Space>
  );
}

/** The segment screens: the list (`/segments`), a new segment (`/segments/new`), a segment (`/segments/<id>`) and its edit (`/segments/<id>/edit`) in a drawer over it. */
export function Segments() {
  return (
    <Routes>
      <Route element={<SegmentList />}>
        <Route index element={null} />
        <Route path="new" element={<NewSegment />} />
        <Route path=":id" element={<SegmentScreen />} />
        <Route path=":id/edit" element={<SegmentScreen edit />} />
      </Route>
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}

function SegmentList() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const here = useListState();
  const list = useQuery({ queryKey: ['segments'], queryFn: () => unwrap(api.GET('/api/segments')) });
  return (
    <>
      <Button type="primary" onClick={() => navigate('/segments/new', { state: here })} style={{ marginBottom: 16 }}>{t('newSegment')}</Button>
      <Table rowKey="id" loading={list.isLoading} dataSource={list.data?.items ?? []} pagination={false}
        columns={[
          { title: t('name'), render: (_: unknown, row: Segment) => <Link to={`/segments/${row.id}`} state={here} data-testid="segment-link">{row.name}</Link> },
          { title: t('timeZone'), dataIndex: 'timeZone', render: (z: string) => zoneLabel(t, z) },
          { title: <Tooltip title={t('memberCountHint')}>{t('memberCount')}</Tooltip>, key: 'count', render: (_: unknown, row: Segment) => <MemberCount id={row.id} /> },
          {
            title: t('actions'),
            render: (_: unknown, row: Segment) => (
              <Space>
                <Button onClick={() => navigate(`/segments/${row.id}`, { state: here })}>{t('detail')}</Button>
                <Button onClick={() => navigate(`/segments/${row.id}/edit`, { state: here })}>{t('edit')}</Button>
                <DeleteButton kind="segment" id={row.id} name={row.name} />
              </Space>
            ),
          },
        ]} />
      <Outlet />
    </>
  );
}

function NewSegment() {
  const { t } = useTranslation();
  const over = useOverList('/segments');
  return (
    <Drawer open width={900} onClose={over.close} title={t('newSegment')}>
      <SegmentForm onDone={over.close} />
    </Drawer>
  );
}

/**
 * A segment by the id in its address, opened or (`edit`) in the builder. The
 * form starts from what it reads at mount, so it waits for a fresh read, not
 * the cache from before the last save.
 */
function SegmentScreen({ edit = false }: { edit?: boolean }) {
  const { t } = useTranslation();
  const id = useParams().id!;
  const over = useOverList('/segments');
  const segment = useQuery({ queryKey: ['segment', id], queryFn: () => unwrap(api.GET('/api/segments/{id}', { params: { path: { id } } })) });
  return (
    <Drawer open width={900} onClose={over.close} title={edit ? t('editSegment') : t('segmentDetail')}>
      {segment.error && <Alert type="error" showIcon message={failureText(t, segment.error)} data-testid="segment-missing" />}
      {segment.data && segment.isFetchedAfterMount && (edit
        ? <SegmentForm key={id} segment={segment.data} onDone={over.close} />
        : <SegmentDetail segment={segment.data} onEdit={() => over.go(`/segments/${id}/edit`)} />)}
    </Drawer>
  );
}
