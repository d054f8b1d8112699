import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, DatePicker, Descriptions, Drawer, Form, Input, InputNumber, Popconfirm, Progress, Radio, Select, Space, Table, Tag, TimePicker, message } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { campaignDraftSchema } from '../../campaigns/definition.js';
import { weekDays } from '../../triggers/recurring.js';
import { api, ApiFailure, unwrap } from './api.js';
import type { components } from './api-schema.js';
import { showIssues } from './Channels.js';

type Campaign = components['schemas']['Campaign'];
type Detail = components['schemas']['CampaignDetail'];
type Param = { name: string; displayName: string; type: string };

function CampaignForm({ onDone }: { onDone: (id: string) => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const client = useQueryClient();
  const [refusal, setRefusal] = useState<string | null>(null);
  const segments = useQuery({ queryKey: ['segments'], queryFn: () => unwrap(api.GET('/api/segments')) });
  const channels = useQuery({ queryKey: ['channels'], queryFn: () => unwrap(api.GET('/api/channels')) });
  const channelId = Form.useWatch('channelId', form) as string | undefined;
  const triggerType = Form.useWatch(['trigger', 'type'], form) as string | undefined;
  const every = (Form.useWatch(['trigger', 'schedule', 'every'], form) as string | undefined) ?? 'day';
  const chosen = (channels.data?.items ?? []).find((c) => c.id === channelId);
  const params = (chosen?.templateParams ?? []) as Param[];
  // The attributes this channel reads from each user ($-prefixed ones are ids, not profile attributes).
  const attributes = [...new Set(((chosen?.userAttributeParams ?? []) as { attribute: string }[]).map((a) => a.attribute).filter((a) => !a.startsWith('$')))];
  function insertPlaceholder(param: string, attribute: string) {
    const current = (form.getFieldValue(['templateValues', param]) as string | undefined) ?? '';
    form.setFieldValue(['templateValues', param], `${current}{{ user.${attribute} }}`);
  }

  function body() {
    type Time = { format(f: string): string } | undefined;
    type TriggerFields = { type: string; sendAt?: { toISOString(): string }; timeZone?: string; schedule?: { every?: string; on?: unknown[]; at?: Time; cron?: string }; event?: string; times?: number; within?: string; delay?: string };
    const v = form.getFieldsValue(true) as Record<string, unknown> & { trigger: TriggerFields };
    const given = v.trigger;
    const blank = (x: string | undefined) => (x === undefined || x.trim() === '' ? undefined : x.trim());
    let trigger: Record<string, unknown>;
    if (given.type === 'recurring') {
      const s = given.schedule ?? {};
      const every = s.every ?? 'day';
      const at = s.at?.format('HH:mm') ?? '09:00';
      const schedule = every === 'cron' ? { cron: s.cron ?? '' } : every === 'day' ? { every, at } : { every, on: s.on ?? [], at };
      trigger = { type: 'recurring', schedule, timeZone: blank(given.timeZone) ?? 'Asia/Shanghai' };
    } else if (given.type === 'event') {
      trigger = { type: 'event', event: given.event ?? '', times: given.times ?? 1, within: blank(given.within), delay: blank(given.delay) };
    } else {
      trigger = { type: 'once', sendAt: given.sendAt ? given.sendAt.toISOString() : 'now' };
    }
    const values = Object.fromEntries(Object.entries((v.templateValues ?? {}) as Record<string, unknown>).map(([k, x]) => [k, x && typeof x === 'object' && 'format' in x ? (x as { format(f: string): string }).format('YYYY-MM-DD') : x]));
    return { name: v.name, segmentId: v.segmentId, channelId: v.channelId, templateValues: values, trigger };
  }
  const submit = useMutation({
    mutationFn: async (launch: boolean) => {
      const draft = body();
      const parsed = campaignDraftSchema.safeParse(draft);
      if (!parsed.success) throw new ApiFailure(400, { error: 'validation_failed', message: t('fixFields'), issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
      const saved = await unwrap(api.POST('/api/campaigns', { body: draft as never }));
      if (launch) {
        try {
          await unwrap(api.POST('/api/campaigns/{id}/launch', { params: { path: { id: saved.id } } }));
        } catch (error) {
          await api.DELETE('/api/campaigns/{id}', { params: { path: { id: saved.id } } });
          throw error;
        }
      }
      return saved;
    },
    onSuccess: (saved) => { void client.invalidateQueries({ queryKey: ['campaigns'] }); void message.success(t('saved')); onDone(saved.id); },
    onError: (error) => {
      if (!(error instanceof ApiFailure)) return;
      setRefusal(error.body.message);
      showIssues(form, error.body.issues ?? []);
    },
  });
  return (
    <Form form={form} layout="vertical" initialValues={{ trigger: { type: 'once' }, templateValues: {} }}>
      <Form.Item name="name" label={t('name')}><Input /></Form.Item>
      <Form.Item name="segmentId" label={t('segment')}><Select options={(segments.data?.items ?? []).map((s) => ({ value: s.id, label: s.name }))} /></Form.Item>
      <Form.Item name="channelId" label={t('channel')}><Select options={(channels.data?.items ?? []).map((c) => ({ value: c.id, label: c.name }))} /></Form.Item>
      <Form.Item name={['trigger', 'type']} label={t('trigger')}><Radio.Group options={[{ value: 'once', label: t('once') }, { value: 'recurring', label: t('recurring') }, { value: 'event', label: t('eventTriggered') }]} /></Form.Item>
      {triggerType === 'recurring' && (
        <Space wrap align="start">
          <Form.Item name={['trigger', 'schedule', 'every']} label={t('repeat')} initialValue="day">
            <Radio.Group options={(['day', 'week', 'month', 'cron'] as const).map((e) => ({ value: e, label: t(`every_${e}`) }))} />
          </Form.Item>
          {every === 'week' && <Form.Item name={['trigger', 'schedule', 'on']} label={t('onDays')}><Select mode="multiple" style={{ minWidth: 220 }} data-testid="week-days" options={weekDays.map((d) => ({ value: d, label: t(`day_${d}`) }))} /></Form.Item>}
          {every === 'month' && <Form.Item name={['trigger', 'schedule', 'on']} label={t('onDays')}><Select mode="multiple" style={{ minWidth: 220 }} data-testid="month-days" options={Array.from({ length: 31 }, (_, i) => ({ value: i + 1, label: String(i + 1) }))} /></Form.Item>}
          {every === 'cron' ? (
            <Form.Item name={['trigger', 'schedule', 'cron']} label="cron"><Input placeholder="0 9 * * 1-5" data-testid="cron" /></Form.Item>
          ) : (
            <Form.Item name={['trigger', 'schedule', 'at']} label={t('atTime')}><TimePicker format="HH:mm" placeholder="09:00" /></Form.Item>
          )}
          <Form.Item name={['trigger', 'timeZone']} label={t('timeZone')} initialValue="Asia/Shanghai"><Input style={{ width: 160 }} /></Form.Item>
        </Space>
      )}
      {triggerType === 'event' && (
        <Space wrap align="start">
          <Form.Item name={['trigger', 'event']} label={t('eventName')}><Input placeholder="add_to_cart" data-testid="trigger-event" /></Form.Item>
          <Form.Item name={['trigger', 'times']} label={t('atLeastTimes')} initialValue={1}><InputNumber min={1} data-testid="trigger-times" /></Form.Item>
          <Form.Item name={['trigger', 'within']} label={t('withinWindow')}><Input placeholder="PT24H" data-testid="trigger-within" /></Form.Item>
          <Form.Item name={['trigger', 'delay']} label={t('delayBy')}><Input placeholder="PT30M" data-testid="trigger-delay" /></Form.Item>
        </Space>
      )}
      <Card size="small" title={t('templateValues')}>
        {params.map((p) => (
          <div key={p.name}>
          <Form.Item name={['templateValues', p.name]} label={`${p.displayName} (${p.name})`}>
            {p.type === 'integer' || p.type === 'number' ? <InputNumber data-testid={`value-${p.name}`} /> : p.type === 'date' ? <DatePicker /> : <Input.TextArea rows={2} data-testid={`value-${p.name}`} />}
          </Form.Item>
          {p.type === 'text' && attributes.length > 0 && (
            <Select key={`${p.name}-picker`} value={null} placeholder={t('insertAttribute')} style={{ width: 220, marginBottom: 16 }} data-testid={`insert-${p.name}`}
              options={attributes.map((a) => ({ value: a, label: `{{ user.${a} }}` }))} onChange={(a: string) => insertPlaceholder(p.name, a)} />
          )}
          </div>
        ))}
      </Card>
      {triggerType === 'once' && <Form.Item name={['trigger', 'sendAt']} label={`${t('sendAt')} (${t('now')} if empty)`}><DatePicker showTime /></Form.Item>}
      {refusal && <Alert type="error" message={refusal} style={{ marginBottom: 8 }} />}
      <Space>
        <Button type="primary" loading={submit.isPending} onClick={() => submit.mutate(true)}>{t('launch')}</Button>
        <Button loading={submit.isPending} onClick={() => submit.mutate(false)}>{t('saveDraft')}</Button>
      </Space>
    </Form>
  );
}

/** A request body as sent is JSON text; shown indented so the rendered values read easily. */
function pretty(body: unknown): string {
  if (typeof body !== 'string') return JSON.stringify(body, null, 2);
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

function percent(d: Detail['deliveries']) {
  if (!d || d.total === 0) return 0;
  return Math.round(((d.total - d.pending) / d.total) * 100);
}

function CampaignDetail({ id }: { id: string }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [who, setWho] = useState('');
  const [sample, setSample] = useState('');
  const preview = useMutation({ mutationFn: () => unwrap(api.POST('/api/campaigns/{id}/test', { params: { path: { id } }, body: { user: sample } })) });
  const trigger = useMutation({
    mutationFn: () => unwrap(api.POST('/api/campaigns/{id}/trigger', { params: { path: { id } } })),
    onSuccess: () => void message.success(t('triggered')),
    onSettled: () => client.invalidateQueries({ queryKey: ['runs', id] }),
    onError: (error) => void message.error(error.message),
  });
  const detail = useQuery({ queryKey: ['campaign', id], refetchInterval: 1000, queryFn: () => unwrap(api.GET('/api/campaigns/{id}', { params: { path: { id }, query: {} } })) });
  const runs = useQuery({ queryKey: ['runs', id], refetchInterval: 3000, queryFn: () => unwrap(api.GET('/api/campaigns/{id}/runs', { params: { path: { id }, query: {} } })) });
  const lookup = useMutation({ mutationFn: () => unwrap(api.GET('/api/campaigns/{id}/deliveries/{user}', { params: { path: { id, user: who }, query: {} } })) });
  const control = useMutation({
    mutationFn: (action: 'pause' | 'resume' | 'cancel') => unwrap(api.POST(`/api/campaigns/{id}/${action}`, { params: { path: { id } } })),
    onSettled: () => client.invalidateQueries({ queryKey: ['campaign', id] }),
    onError: (error) => void message.error(error.message),
  });
  const d = detail.data;
  if (!d) return null;
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Descriptions column={2} size="small" bordered>
        <Descriptions.Item label={t('status')}><Tag data-testid="campaign-status">{d.status}</Tag></Descriptions.Item>
        <Descriptions.Item label={t('progress')}><Progress percent={percent(d.deliveries)} /></Descriptions.Item>
        <Descriptions.Item label={t('deliveries')} span={2}><span data-testid="delivery-counts">{JSON.stringify(d.deliveries)}</span></Descriptions.Item>
        {d.temporal && <Descriptions.Item label="Temporal" span={2}><a href={d.temporal.url} target="_blank" rel="noreferrer">{d.temporal.workflowId}</a></Descriptions.Item>}
      </Descriptions>
      <Space>
        {(['pause', 'resume', 'cancel'] as const).map((action) => (
          <Popconfirm key={action} title={t('confirm')} onConfirm={() => control.mutate(action)}>
            <Button danger={action === 'cancel'} data-testid={`control-${action}`}>{t(action === 'cancel' ? 'cancelCampaign' : action)}</Button>
          </Popconfirm>
        ))}
        {(d.trigger as { type?: string } | undefined)?.type === 'recurring' && <Button type="primary" loading={trigger.isPending} onClick={() => trigger.mutate()} data-testid="send-once">{t('sendOnceNow')}</Button>}
      </Space>
      <Card size="small" title={t('renderPreview')}>
        <Space>
          <Input placeholder={t('lookupUser')} value={sample} onChange={(e) => setSample(e.target.value)} data-testid="preview-user" />
          <Button onClick={() => preview.mutate()} loading={preview.isPending} data-testid="preview-button">{t('renderPreview')}</Button>
        </Space>
        {preview.data && <pre data-testid="preview-body">{pretty((preview.data.request as { body?: unknown } | undefined)?.body ?? preview.data.request)}</pre>}
        {preview.error && <Alert type="error" message={preview.error.message} />}
      </Card>
      <Card size="small" title={t('runs')}>
        <Table size="small" rowKey="id" pagination={false} dataSource={runs.data?.items ?? []} columns={[{ title: 'id', dataIndex: 'id' }, { title: t('trigger'), dataIndex: 'trigger' }, { title: t('status'), dataIndex: 'status' }]} data-testid="runs" />
      </Card>
      <Card size="small" title={t('lookup')}>
        <Space>
          <Input placeholder={t('lookupUser')} value={who} onChange={(e) => setWho(e.target.value)} data-testid="lookup-input" />
          <Button onClick={() => lookup.mutate()} data-testid="lookup-button">{t('lookup')}</Button>
        </Space>
        {lookup.data !== undefined && <pre data-testid="lookup-result">{JSON.stringify(lookup.data, null, 2)}</pre>}
        {lookup.error && <Alert type="error" message={lookup.error.message} />}
      </Card>
    </Space>
  );
}

export function Campaigns() {
  const { t } = useTranslation();
  const [creating, setCreating] = useState(false);
  const [open, setOpen] = useState<string | null>(null);
  const list = useQuery({ queryKey: ['campaigns'], refetchInterval: 3000, queryFn: () => unwrap(api.GET('/api/campaigns', { params: { query: {} } })) });
  return (
    <>
      <Button type="primary" onClick={() => setCreating(true)} style={{ marginBottom: 16 }}>{t('newCampaign')}</Button>
      <Table rowKey="id" loading={list.isLoading} dataSource={list.data?.items ?? []} pagination={false}
        columns={[
          { title: t('name'), dataIndex: 'name' },
          { title: t('status'), dataIndex: 'status', render: (s: string) => <Tag>{s}</Tag> },
          { title: t('actions'), render: (_: unknown, row: Campaign) => <Button onClick={() => setOpen(row.id)}>{t('detail')}</Button> },
        ]} />
      <Drawer open={creating} width={800} destroyOnHidden onClose={() => setCreating(false)} title={t('newCampaign')}>
        {creating && <CampaignForm onDone={(id) => { setCreating(false); setOpen(id); }} />}
      </Drawer>
      <Drawer open={open !== null} width={900} destroyOnHidden onClose={() => setOpen(null)} title={t('detail')}>
        {open && <CampaignDetail id={open} />}
      </Drawer>
    </>
  );
}
