import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Checkbox, DatePicker, Descriptions, Drawer, Form, Input, InputNumber, Popconfirm, Progress, Radio, Select, Space, Statistic, Table, Tag, TimePicker, Typography, message } from 'antd';
import dayjs from 'dayjs';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, Outlet, Route, Routes, useLocation, useMatch, useNavigate, useParams, useSearchParams } from 'react-router';
import i18n from './i18n.js';
import { campaignDraftSchema } from '../../contracts/campaign.js';
import { weekDays } from '../../contracts/trigger.js';
import { api, ApiFailure, unwrap } from './api.js';
import type { components } from './api-schema.js';
import { DurationInput, TimeZoneSelect } from './inputs.js';
import { checkedBody, createFormIssues, failureDetail, failureText, issueText, zodIssues, type Issue } from './issues.js';
import { SendConfirmation, type Sending } from './confirm.js';
import { CampaignSummary } from './summary.js';
import { RunChart } from './RunChart.js';
import { EffectCard, GoalFields, goalBody } from './Effect.js';
import { buildFilters, filterOps, type FilterRow } from './filters.js';
import { campaignZone, When } from './time.js';
import { applyListQuery, campaignStatuses, readListQuery, triggerTypeOf, triggerTypes, writeListQuery, type ListQuery, type SortKey } from './campaign-list.js';
import { NotFound, useListState, useOverList } from './routes.js';

type Campaign = components['schemas']['CampaignListItem'];
type CampaignDetailData = components['schemas']['CampaignDetail'];
type Param = { name: string; displayName: string; type: string };
type Delivery = components['schemas']['DeliveryWithAttempts'];
type Attempt = Delivery['attemptLog'][number];
type Run = components['schemas']['Run'];
type FailureGroup = components['schemas']['FailureReasons']['items'][number];

/**
 * A new campaign, a draft edited (`draft`, saved with PATCH) or a campaign
 * copied into a new draft (`copyOf`): the same form, filled from the campaign.
 */
function CampaignForm({ onDone, draft, copyOf }: { onDone: (id: string) => void; draft?: CampaignDetailData; copyOf?: CampaignDetailData }) {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const source = draft ?? copyOf;
  const editing = draft;
  const [confirming, setConfirming] = useState<Sending | null>(null);
  const client = useQueryClient();
  const [refusal, setRefusal] = useState<string | null>(null);
  const [previewAs, setPreviewAs] = useState('');
  const segments = useQuery({ queryKey: ['segments'], queryFn: () => unwrap(api.GET('/api/segments')) });
  const channels = useQuery({ queryKey: ['channels'], queryFn: () => unwrap(api.GET('/api/channels')) });
  const channelId = Form.useWatch('channelId', form) as string | undefined;
  const segmentId = Form.useWatch('segmentId', form) as string | undefined;
  const identity = Form.useWatch('identity', form) as string | undefined;
  const triggerType = Form.useWatch(['trigger', 'type'], form) as string | undefined;
  const every = (Form.useWatch(['trigger', 'schedule', 'every'], form) as string | undefined) ?? 'day';
  const frequency = Form.useWatch(['trigger', 'frequency'], form) as string | undefined;
  const sendAt = Form.useWatch(['trigger', 'sendAt'], form) as { toISOString(): string } | null | undefined;
  const zoneField = Form.useWatch('timeZone', form) as string | undefined;
  const chosen = (channels.data?.items ?? []).find((c) => c.id === channelId);
  const params: Param[] = chosen?.templateParams ?? [];
  // The attributes this channel reads from each user ($-prefixed ones are ids, not profile attributes).
  const attributes = [...new Set(((chosen?.userAttributeParams ?? []) as { attribute: string }[]).map((a) => a.attribute).filter((a) => !a.startsWith('$')))];
  function insertPlaceholder(param: string, attribute: string) {
    const current = (form.getFieldValue(['templateValues', param]) as string | undefined) ?? '';
    form.setFieldValue(['templateValues', param], `${current}{{ user.${attribute} }}`);
  }

  function body() {
    type Time = { format(f: string): string } | undefined;
    type TriggerFields = { type: string; sendAt?: { toISOString(): string }; timeZone?: string; schedule?: { every?: string; on?: unknown[]; at?: Time; cron?: string }; event?: string; times?: number; within?: string; delay?: string; where?: FilterRow[]; frequency?: string; atMostEvery?: string };
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
      const where = buildFilters(given.where);
      trigger = {
        type: 'event', event: given.event ?? '', times: given.times ?? 1, within: blank(given.within), delay: blank(given.delay),
        ...(where.length > 0 ? { where } : {}),
        frequency: given.frequency === 'atMostEvery' ? { atMostEvery: blank(given.atMostEvery) ?? '' } : 'once',
      };
    } else {
      trigger = { type: 'once', sendAt: given.sendAt ? given.sendAt.toISOString() : 'now' };
    }
    const values = Object.fromEntries(Object.entries((v.templateValues ?? {}) as Record<string, unknown>).map(([k, x]) => [k, x && typeof x === 'object' && 'format' in x ? (x as { format(f: string): string }).format('YYYY-MM-DD') : x]));
    const timeZone = given.type === 'recurring' ? undefined : blank(v.timeZone as string | undefined);
    const quiet = v.quietHours as { on?: boolean; from?: Time; to?: Time; mode?: string } | undefined;
    const quietHours = quiet?.on ? { from: quiet.from?.format('HH:mm') ?? '', to: quiet.to?.format('HH:mm') ?? '', mode: quiet.mode ?? 'wait' } : null;
    return {
      name: v.name, segmentId: v.segmentId, channelId: v.channelId, identity: (v.identity as string | undefined) ?? 'login', templateValues: values, trigger,
      ...(timeZone ? { timeZone } : {}), quietHours, ...goalBody(v as Parameters<typeof goalBody>[0]),
    };
  }
  /** What the form would save, checked as the API checks it. */
  function check(): Issue[] {
    const parsed = campaignDraftSchema.safeParse(body());
    return parsed.success ? [] : zodIssues(parsed.error);
  }
  // The form keeps the interval beside the frequency choice, not inside it.
  const place = (i: Issue): Issue => ({ ...i, path: i.path.replace(/^trigger\.frequency\.atMostEvery$/, 'trigger.atMostEvery') });
  // check and place read everything from the form itself, so the first render's functions stay right.
  const issues = useMemo(() => createFormIssues(form, t, check, place), [form, t]);
  // Render-only: the request a delivery would send to a sample member, before anything is saved.
  const render = useMutation({
    mutationFn: () => {
      const draft = body();
      const user = previewAs.trim() === '' ? undefined : previewAs.trim();
      return unwrap(api.POST('/api/campaigns/preview', { body: { channelId: draft.channelId as string, segmentId: draft.segmentId as string | undefined, templateValues: draft.templateValues, user } }));
    },
    onError: (error) => error instanceof ApiFailure && issues.show(error.body.issues ?? [], true),
  });
  /*
   * A create is not idempotent: a second click before React has re-rendered the
   * button as loading would save (and launch) a second campaign that sends every
   * user again. The ref closes that gap synchronously; isPending then disables both buttons.
   */
  const inFlight = useRef(false);
  function send(launch: boolean) {
    if (inFlight.current) return;
    if (launch) {
      // Nothing goes out before the operator has seen who gets what, through which channel: check, then ask once.
      const found = check();
      if (found.length > 0) {
        issues.show(found, false);
        setRefusal(t('fixFields'));
        return;
      }
      const b = body();
      if (b.segmentId && b.channelId) {
        setConfirming({ segmentId: b.segmentId as string, channelId: b.channelId as string, templateValues: b.templateValues, identity: b.identity as 'login' | 'visitor', trigger: b.trigger, timeZone: (b as { timeZone?: string }).timeZone });
        return;
      }
    }
    go(launch);
  }
  function go(launch: boolean) {
    if (inFlight.current) return;
    inFlight.current = true;
    submit.mutate(launch, { onSettled: () => { inFlight.current = false; } });
  }
  /** The new channel's parameters only: values typed for another channel would be sent unseen, and refused. */
  function keepValuesOf(channel: string | undefined) {
    const next = (channels.data?.items ?? []).find((c) => c.id === channel);
    const names = new Set((next?.templateParams ?? []).map((p) => p.name));
    const current = (form.getFieldValue('templateValues') ?? {}) as Record<string, unknown>;
    form.setFieldValue('templateValues', Object.fromEntries(Object.entries(current).filter(([k]) => names.has(k))));
  }
  const submit = useMutation({
    mutationFn: async (launch: boolean) => {
      const draft = checkedBody(campaignDraftSchema, body(), t('fixFields'));
      const saved = editing
        ? await unwrap(api.PATCH('/api/campaigns/{id}', { params: { path: { id: editing.id } }, body: draft }))
        : await unwrap(api.POST('/api/campaigns', { body: draft }));
      if (launch) {
        try {
          await unwrap(api.POST('/api/campaigns/{id}/launch', { params: { path: { id: saved.id } } }));
        } catch (error) {
          // A new campaign that cannot launch is not left behind as a surprise draft; an edited draft stays.
          if (!editing) await api.DELETE('/api/campaigns/{id}', { params: { path: { id: saved.id } } });
          throw error;
        }
      }
      return saved;
    },
    onSuccess: (saved) => { void client.invalidateQueries({ queryKey: ['campaigns'] }); void message.success(t('saved')); onDone(saved.id); },
    onError: (error) => {
      if (!(error instanceof ApiFailure)) return;
      setRefusal(error.body.error === 'validation_failed' ? t('fixFields') : failureDetail(t, error));
      issues.show(error.body.issues ?? [], true);
    },
  });
  return (
    <Form form={form} layout="vertical" initialValues={source ? formValuesOf(source, copyOf ? t('copyName', { name: source.name }) : source.name) : { trigger: { type: 'once' }, templateValues: {}, identity: 'login' }}
      onValuesChange={(changed: Record<string, unknown>) => { if ('channelId' in changed) keepValuesOf(changed.channelId as string | undefined); issues.recheck(changed); }}>
      <SendConfirmation sending={confirming} onCancel={() => setConfirming(null)} onConfirm={() => { setConfirming(null); go(true); }} />
      <Form.Item name="name" label={t('name')}><Input /></Form.Item>
      <Form.Item name="segmentId" label={t('segment')}><Select options={(segments.data?.items ?? []).map((s) => ({ value: s.id, label: s.name }))} /></Form.Item>
      <Form.Item name="channelId" label={t('channel')}><Select options={(channels.data?.items ?? []).map((c) => ({ value: c.id, label: c.name }))} /></Form.Item>
      <Form.Item name="identity" label={t('campaignIdentity')} extra={<IdentityGap segmentId={segmentId} identity={identity} />}>
        <Radio.Group data-testid="campaign-identity" options={[{ value: 'login', label: t('src_login') }, { value: 'visitor', label: t('src_visitor') }]} />
      </Form.Item>
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
          <Form.Item name={['trigger', 'timeZone']} label={t('timeZone')} initialValue="Asia/Shanghai"><TimeZoneSelect testId="trigger-time-zone" /></Form.Item>
        </Space>
      )}
      {triggerType === 'event' && (
        <Space wrap align="start">
          <Form.Item name={['trigger', 'event']} label={t('eventName')}><Input placeholder="add_to_cart" data-testid="trigger-event" /></Form.Item>
          <Form.Item name={['trigger', 'times']} label={t('atLeastTimes')} initialValue={1}><InputNumber min={1} data-testid="trigger-times" /></Form.Item>
          <Form.Item name={['trigger', 'within']} label={t('withinWindow')}><DurationInput defaultUnit="hour" testId="trigger-within" /></Form.Item>
          <Form.Item name={['trigger', 'delay']} label={t('delayBy')}><DurationInput defaultUnit="minute" testId="trigger-delay" /></Form.Item>
          <Form.Item name={['trigger', 'frequency']} label={t('frequency')} initialValue="once">
            <Radio.Group data-testid="trigger-frequency" options={[{ value: 'once', label: t('freqOnce') }, { value: 'atMostEvery', label: t('freqAtMostEvery') }]} />
          </Form.Item>
          {frequency === 'atMostEvery' && <Form.Item name={['trigger', 'atMostEvery']} label={t('atMostEvery')}><DurationInput defaultUnit="day" testId="trigger-at-most-every" /></Form.Item>}
        </Space>
      )}
      {triggerType === 'event' && (
        <Card size="small" title={t('eventFilters')} style={{ marginBottom: 16 }} data-testid="trigger-where">
          <Form.List name={['trigger', 'where']}>
            {(fields, { add, remove }) => (
              <>
                {fields.map((field) => (
                  <Space key={field.key} align="start" wrap>
                    <Form.Item name={[field.name, 'property']}><Input placeholder="price" data-testid={`where-property-${field.name}`} /></Form.Item>
                    <Form.Item name={[field.name, 'op']} initialValue="equals"><Select style={{ width: 130 }} data-testid={`where-op-${field.name}`} options={filterOps.map((o) => ({ value: o }))} /></Form.Item>
                    <Form.Item name={[field.name, 'value']}><Input placeholder={t('filterValueHint')} data-testid={`where-value-${field.name}`} /></Form.Item>
                    <Button onClick={() => remove(field.name)}>{t('remove')}</Button>
                  </Space>
                ))}
                <div><Button onClick={() => add({ op: 'equals' })} disabled={fields.length >= 10} data-testid="add-where">{t('add')}</Button></div>
              </>
            )}
          </Form.List>
        </Card>
      )}
      {triggerType !== 'recurring' && (
        <Form.Item name="timeZone" label={t('campaignTimeZone')} initialValue="Asia/Shanghai"><TimeZoneSelect testId="campaign-time-zone" /></Form.Item>
      )}
      <QuietHoursFields />
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
        <Space direction="vertical" style={{ width: '100%' }}>
          <Space>
            <Button onClick={() => render.mutate()} loading={render.isPending} disabled={!channelId} data-testid="render-preview-button">{t('renderOnly')}</Button>
            <Input placeholder={t('previewAs')} value={previewAs} onChange={(e) => setPreviewAs(e.target.value)} style={{ width: 260 }} data-testid="render-preview-as" />
          </Space>
          {render.data && (
            <div data-testid="render-preview">
              <Typography.Text type="secondary" data-testid="render-preview-user">
                {t(`renderFor_${render.data.source}`, { user: render.data.user.loginId ?? render.data.user.visitorId ?? render.data.user.id })}
              </Typography.Text>
              <pre data-testid="render-preview-body">{pretty(render.data.request.body)}</pre>
            </div>
          )}
          {render.error && <Alert type="error" message={failureDetail(t, render.error)} data-testid="render-preview-error" />}
        </Space>
      </Card>
      <GoalFields />
      {triggerType === 'once' && (
        <Form.Item name={['trigger', 'sendAt']} label={t('sendAtHint')} extra={sendAt && <span data-testid="send-at-zones"><When at={sendAt.toISOString()} zone={zoneField} /></span>}>
          <DatePicker showTime data-testid="send-at-picker" />
        </Form.Item>
      )}
      {refusal && <Alert type="error" message={refusal} style={{ marginBottom: 8 }} data-testid="form-refusal" />}
      <Space>
        <Button type="primary" loading={submit.isPending && submit.variables} disabled={(submit.isPending && !submit.variables) || confirming !== null} onClick={() => send(true)} data-testid="create-launch">{t('launch')}</Button>
        <Button loading={submit.isPending && !submit.variables} disabled={submit.isPending && submit.variables} onClick={() => send(false)} data-testid="create-draft">{t('saveDraft')}</Button>
      </Space>
    </Form>
  );
}

/** How many of the chosen segment's members lack the identity the campaign addresses (they are skipped). */
function IdentityGap({ segmentId, identity }: { segmentId?: string; identity?: string }) {
  const { t } = useTranslation();
  const preview = useQuery({ queryKey: ['segment-preview', segmentId], enabled: Boolean(segmentId), queryFn: () => unwrap(api.GET('/api/segments/{id}/preview', { params: { path: { id: segmentId! }, query: {} } })) });
  if (!segmentId || !preview.data) return null;
  const missing = identity === 'visitor' ? preview.data.missingVisitorId : preview.data.missingLoginId;
  return <span data-testid="identity-gap" data-missing={missing}>{t(identity === 'visitor' ? 'identityGapVisitor' : 'identityGapLogin', { count: preview.data.count, missing })}</span>;
}

/** Quiet hours in the campaign's zone: nothing is sent from `from` to `to`; sends wait until the end, or are skipped. */
function QuietHoursFields() {
  const { t } = useTranslation();
  const on = Form.useWatch(['quietHours', 'on']) as boolean | undefined;
  return (
    <Card size="small" title={t('quietHours')} style={{ marginBottom: 16 }} data-testid="quiet-hours">
      <Space wrap align="start">
        <Form.Item name={['quietHours', 'on']} valuePropName="checked" initialValue={false}><Checkbox data-testid="quiet-hours-on">{t('quietHoursOn')}</Checkbox></Form.Item>
        {on && (
          <>
            <Form.Item name={['quietHours', 'from']} label={t('quietFrom')}><TimePicker format="HH:mm" placeholder="22:00" data-testid="quiet-from" /></Form.Item>
            <Form.Item name={['quietHours', 'to']} label={t('quietTo')}><TimePicker format="HH:mm" placeholder="08:00" data-testid="quiet-to" /></Form.Item>
            <Form.Item name={['quietHours', 'mode']} label={t('quietMode')} initialValue="wait">
              <Radio.Group data-testid="quiet-mode" options={[{ value: 'wait', label: t('quietMode_wait') }, { value: 'skip', label: t('quietMode_skip') }]} />
            </Form.Item>
          </>
        )}
      </Space>
    </Card>
  );
}

const clockOf = (hhmm: string | undefined) => (hhmm ? dayjs(`2000-01-01T${hhmm}:00`) : undefined);

/** A saved campaign as the form's values (to edit a draft, or copy any campaign into a new one). */
function formValuesOf(c: CampaignDetailData, name: string): Record<string, unknown> {
  type Tr = { type: string; sendAt?: string; schedule?: { every?: string; on?: unknown[]; at?: string; cron?: string }; timeZone?: string; event?: string; times?: number; within?: string; delay?: string; where?: { property: string; op: string; value?: unknown }[]; frequency?: 'once' | { atMostEvery: string } };
  const tr = (c.trigger ?? { type: 'once', sendAt: 'now' }) as Tr;
  const rows = (where?: { property: string; op: string; value?: unknown }[]) => (where ?? []).map((w) => ({ property: w.property, op: w.op, value: Array.isArray(w.value) ? w.value.join(',') : w.value === undefined ? undefined : String(w.value) }));
  let trigger: Record<string, unknown>;
  if (tr.type === 'recurring') {
    const sch = tr.schedule ?? {};
    trigger = { type: 'recurring', timeZone: tr.timeZone, schedule: { every: sch.cron ? 'cron' : (sch.every ?? 'day'), on: sch.on, at: clockOf(sch.at), cron: sch.cron } };
  } else if (tr.type === 'event') {
    const every = typeof tr.frequency === 'object' ? tr.frequency.atMostEvery : undefined;
    trigger = { type: 'event', event: tr.event, times: tr.times, within: tr.within, delay: tr.delay, where: rows(tr.where), frequency: every ? 'atMostEvery' : 'once', atMostEvery: every };
  } else {
    // A past send time would be refused: a copy of a sent campaign starts as "now" for the operator to set.
    const at = tr.sendAt && tr.sendAt !== 'now' && Date.parse(tr.sendAt) > Date.now() ? dayjs(tr.sendAt) : undefined;
    trigger = { type: 'once', sendAt: at };
  }
  const quiet = c.quietHours as { from: string; to: string; mode: string } | null | undefined;
  const goal = c.goal as { event: string; within: string; value?: string; where?: { property: string; op: string; value?: unknown }[] } | null;
  const templateValues = Object.fromEntries(Object.entries(c.templateValues ?? {}).map(([k, v]) => [k, typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? dayjs(v) : v]));
  return {
    name, segmentId: c.segmentId ?? undefined, channelId: c.channelId ?? undefined, identity: (c as { identity?: string }).identity ?? 'login', templateValues, trigger, timeZone: c.timeZone,
    quietHours: quiet ? { on: true, from: clockOf(quiet.from), to: clockOf(quiet.to), mode: quiet.mode } : { on: false },
    goal: goal ? { event: goal.event, within: goal.within, value: goal.value, where: rows(goal.where) } : undefined,
    holdout: c.holdout ? { percent: c.holdout.percent } : undefined,
  };
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

type Counts = components['schemas']['DeliveryCounts'];

/** Done = users in a terminal status (all but pending) out of the run's total. */
function percent(d: Counts | null | undefined) {
  if (!d || d.total === 0) return 0;
  // Floored: 100 % (and antd's done mark) only once no user is pending.
  return Math.floor(((d.total - d.pending) / d.total) * 100);
}

const STATUS_COLORS: Record<string, string> = { succeeded: 'green', failed: 'red', pending: 'blue', skipped: 'default', cancelled: 'orange', held_out: 'purple' };

/**
 * How a run's bar reads once nobody is pending: success (green, ✓) only when
 * every user succeeded or was held out (the control group, never sent by
 * design); a run with failed or cancelled users is an exception,
 * so a cancelled 448 of 3,000 does not pass for a full success. Explicit
 * 'normal' keeps antd from turning any full bar into a success.
 */
function barState(d: Counts | null | undefined): 'success' | 'exception' | 'normal' {
  if (!d || d.total === 0 || d.pending > 0) return 'normal';
  if (d.succeeded + d.held_out === d.total) return 'success';
  return d.failed + d.cancelled > 0 ? 'exception' : 'normal';
}

const SUCCEEDED_GREEN = '#52c41a';

/**
 * An event-triggered campaign that is live has no end to measure against: its
 * users are counted as their events come in, so "100 %" would be a lie.
 */
function openEnded(c: { status: string; trigger?: unknown }): boolean {
  return (c.trigger as { type?: string } | undefined)?.type === 'event' && ['running', 'paused', 'scheduled'].includes(c.status);
}

/** A run's bar: users done out of the total, the succeeded share in green within it. */
function RunProgress({ counts, size, testId, openEnded: endless }: { counts: Counts | null | undefined; size?: 'small'; testId: string; openEnded?: boolean }) {
  const { t } = useTranslation();
  if (endless) return <span data-testid={testId} data-state="open">{t('openEnded')}</span>;
  const state = barState(counts);
  const succeeded = counts && counts.total > 0 ? Math.floor((counts.succeeded / counts.total) * 100) : 0;
  return (
    <div data-testid={testId} data-state={state}>
      {/* The succeeded share's colour is set inline: antd paints every track of an exception bar red, this one included. */}
      <Progress size={size} percent={percent(counts)} status={state} success={succeeded > 0 ? { percent: succeeded, strokeColor: SUCCEEDED_GREEN } : undefined} />
    </div>
  );
}

/** A list row's bar: users done (in a terminal status) out of the current run's total, the figures on hover. */
function ListProgress({ counts, openEnded: endless }: { counts: Counts; openEnded?: boolean }) {
  const { t } = useTranslation();
  const done = counts.total - counts.pending;
  return (
    <div data-testid="list-progress" data-percent={endless ? '' : percent(counts)} title={t('usersDone', { done, total: counts.total })}>
      <RunProgress counts={counts} size="small" testId="list-bar" openEnded={endless} />
    </div>
  );
}

/** What an operator can do in each status: a draft goes live, a live campaign pauses or resumes and cancels, an ended one nothing. */
const CONTROLS: Record<string, readonly ('launch' | 'pause' | 'resume' | 'cancel')[]> = {
  draft: ['launch'], scheduled: ['pause', 'cancel'], running: ['pause', 'cancel'], paused: ['resume', 'cancel'],
};

/** A list row's current-run counts; cancelled only when some were, so the usual four stay short. */
function ListCounts({ counts }: { counts: Counts }) {
  const { t } = useTranslation();
  const shown = (['succeeded', 'failed', 'skipped', 'pending', 'cancelled', 'held_out'] as const).filter((k) => (k !== 'cancelled' && k !== 'held_out') || counts[k] > 0);
  return (
    <Space size={4} wrap data-testid="list-counts" data-counts={JSON.stringify(counts)}>
      {shown.map((k) => <Tag key={k} color={STATUS_COLORS[k]}>{t(k)} {counts[k]}</Tag>)}
    </Space>
  );
}

/** A failure group's reason in words: "endpoint answered 400", "member has no login id"… */
/**
 * Why a campaign paused itself, in the operator's language. The circuit
 * breaker writes "circuit breaker: endpoint failed 104 of the last 200 attempts
 * (http_503 ×80, timeout ×24)" (delivery/breaker.ts); the English stays on hover.
 */
function pauseReasonText(t: TFunction, reason: string): string {
  const breaker = /^circuit breaker: endpoint failed (\d+) of the last (\d+) attempts \((.*)\)$/.exec(reason);
  if (!breaker) return reason;
  const classes = breaker[3]!.split(', ').map((part) => {
    const [errorClass, n] = part.split(' ×');
    const http = /^http_(\d{3})$/.exec(errorClass ?? '');
    const words = http ? t('verdictNon2xx', { status: http[1] }) : i18n.exists(`reason_${errorClass}`) ? t(`reason_${errorClass}`) : (errorClass ?? '');
    return `${words} ×${n}`;
  });
  return t('pauseBreaker', { failed: Number(breaker[1]), of: Number(breaker[2]), classes: classes.join(t('listSep')) });
}

/** An error class the console has words for (skip and failure reasons other than an endpoint's HTTP status). */
function knownReason(errorClass: string): boolean {
  return i18n.exists(`reason_${errorClass}`);
}

function useReasonText() {
  const { t, i18n } = useTranslation();
  return (g: FailureGroup) => {
    const http = /^http_(\d{3})$/.exec(g.errorClass);
    if (http) return t('verdictNon2xx', { status: http[1] });
    const key = `reason_${g.errorClass}`;
    return i18n.exists(key) ? t(key) : g.errorClass;
  };
}

function Attempts({ delivery, zone }: { delivery: Delivery; zone?: string }) {
  const { t } = useTranslation();
  // Why a user was skipped, failed or cancelled, in words (the last attempt's reason).
  const last = delivery.lastError ?? [...delivery.attemptLog].reverse().find((a) => a.error)?.error;
  const lastReason = last && ['skipped', 'failed', 'cancelled'].includes(delivery.status) ? (knownReason(last.class) ? t(`reason_${last.class}`) : `${last.class}: ${last.message ?? ''}`) : null;
  return (
    <div data-testid="lookup-result">
      <Descriptions size="small" column={2} bordered>
        <Descriptions.Item label={t('user')}>{delivery.user.loginId ?? delivery.user.visitorId ?? delivery.user.id}</Descriptions.Item>
        <Descriptions.Item label={t('status')}><Tag color={STATUS_COLORS[delivery.status]} data-testid="lookup-status" data-status={delivery.status}>{t(`st_${delivery.status}`, { defaultValue: delivery.status })}</Tag></Descriptions.Item>
        {lastReason && <Descriptions.Item label={t('reason')} span={2}><span data-testid="lookup-reason">{lastReason}</span></Descriptions.Item>}
        <Descriptions.Item label={t('lastAttemptAt')} span={2}><When at={delivery.lastAttemptAt} zone={zone} /></Descriptions.Item>
        {delivery.heldOutAt && <Descriptions.Item label={t('heldOutAt')} span={2}><span data-testid="lookup-held-out-at"><When at={delivery.heldOutAt} zone={zone} /></span></Descriptions.Item>}
        {delivery.nextAttemptAt && <Descriptions.Item label={t('nextAttemptAt')} span={2}><When at={delivery.nextAttemptAt} zone={zone} /></Descriptions.Item>}
      </Descriptions>
      <Table<Attempt> size="small" rowKey="attempt" pagination={false} dataSource={delivery.attemptLog} data-testid="attempts" style={{ marginTop: 8 }}
        columns={[
          { title: '#', dataIndex: 'attempt', width: 40 },
          { title: t('time'), dataIndex: 'at', render: (at: string | null) => <When at={at} zone={zone} /> },
          { title: t('status'), dataIndex: 'outcome', render: (o: string) => <Tag color={STATUS_COLORS[o] ?? 'gold'} data-status={o}>{t(`st_${o}`, { defaultValue: o })}</Tag> },
          { title: 'HTTP', dataIndex: 'httpStatus' },
          { title: t('latency'), dataIndex: 'latencyMs', render: (ms: number | null) => (ms === null ? '—' : `${ms} ms`) },
          { title: t('error'), dataIndex: 'error', render: (e: Attempt['error']) => <span data-testid="attempt-error">{e ? (knownReason(e.class) ? t(`reason_${e.class}`) : `${e.class}: ${e.message ?? ''}`) : '—'}</span> },
        ]} />
      {delivery.responseBody && (
        <>
          <Typography.Text type="secondary">{t('responseExcerpt')}</Typography.Text>
          <pre style={{ maxHeight: 160, overflow: 'auto' }}>{delivery.responseBody.slice(0, 2000)}</pre>
        </>
      )}
    </div>
  );
}

/** Which run the figures below are of, when one was picked, and the way back to the current one. */
function RunShown({ run, runs, zone, onRun }: { run?: string; runs?: Run[]; zone?: string; onRun: (run: string | undefined) => void }) {
  const { t } = useTranslation();
  if (!run || !runs) return null;
  const shown = runs.find((r) => r.id === run);
  return (
    <Alert type={shown ? 'info' : 'warning'} showIcon data-testid="run-shown" data-run={run}
      message={shown ? <>{t('runShownFor')} <When at={shown.scheduledAt ?? shown.sendAt} zone={zone} /></> : t('runNotFound')}
      action={<Button size="small" onClick={() => onRun(undefined)} data-testid="run-current">{t('currentRun')}</Button>} />
  );
}

/** A campaign; `run` (from the URL) picks the run its chart, failure reasons, effect and lookups show, the current one when absent. */
function CampaignDetail({ id, run, onRun, onEdit, onCopy, onDeleted }: { id: string; run?: string; onRun: (run: string | undefined) => void; onEdit: () => void; onCopy: () => void; onDeleted: () => void }) {
  const { t } = useTranslation();
  const [confirming, setConfirming] = useState<Sending | null>(null);
  // "Send once now" and "go live" are not idempotent: a second click before React re-renders must not send again.
  const inFlight = useRef(false);
  const client = useQueryClient();
  const reasonText = useReasonText();
  const location = useLocation();
  const [who, setWho] = useState('');
  const [sample, setSample] = useState('');
  const preview = useMutation({ mutationFn: () => unwrap(api.POST('/api/campaigns/{id}/test', { params: { path: { id } }, body: { user: sample } })) });
  const trigger = useMutation({
    mutationFn: () => unwrap(api.POST('/api/campaigns/{id}/trigger', { params: { path: { id } } })),
    onSuccess: () => void message.success(t('triggered')),
    onSettled: () => { inFlight.current = false; setConfirming(null); return client.invalidateQueries({ queryKey: ['runs', id] }); },
    onError: (error) => void message.error(failureText(t, error)),
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/campaigns/{id}', { params: { path: { id } } })),
    onSuccess: () => { void client.invalidateQueries({ queryKey: ['campaigns'] }); void message.success(t('deleted')); onDeleted(); },
    onError: (error) => void message.error(failureDetail(t, error)),
  });
  const detail = useQuery({ queryKey: ['campaign', id], refetchInterval: 1000, queryFn: () => unwrap(api.GET('/api/campaigns/{id}', { params: { path: { id }, query: {} } })) });
  const live = detail.data && ['running', 'paused', 'scheduled'].includes(detail.data.status);
  // The chart and failure groups scan the run, so they refresh less often, and stop once the campaign is done.
  const ofRun = run ? { run } : {};
  const timeline = useQuery({ queryKey: ['timeline', id, run], refetchInterval: live ? 2000 : false, queryFn: () => unwrap(api.GET('/api/campaigns/{id}/timeline', { params: { path: { id }, query: ofRun } })) });
  const failures = useQuery({ queryKey: ['failures', id, run], refetchInterval: live ? 3000 : false, queryFn: () => unwrap(api.GET('/api/campaigns/{id}/failures', { params: { path: { id }, query: ofRun } })) });
  const runs = useQuery({ queryKey: ['runs', id], refetchInterval: 3000, queryFn: () => unwrap(api.GET('/api/campaigns/{id}/runs', { params: { path: { id }, query: {} } })) });
  const lookup = useMutation({ mutationFn: () => unwrap(api.GET('/api/campaigns/{id}/deliveries/{user}', { params: { path: { id, user: who }, query: ofRun } })) });
  // Erasing a user (docs/privacy.md): the confirmation names what goes; the lookup is reset afterwards.
  const erase = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/users/{id}', { params: { path: { id: who } } })),
    onSuccess: (answer) => {
      lookup.reset();
      if (answer.erased) void message.success(t('eraseOk', { events: answer.counts.events, deliveries: answer.counts.deliveries, unsent: answer.counts.unsent }));
      else void message.info(t('eraseNone'));
    },
    onSettled: () => Promise.all([client.invalidateQueries({ queryKey: ['campaign', id] }), client.invalidateQueries({ queryKey: ['failures', id] })]),
    onError: (error) => void message.error(error.message),
  });
  const control = useMutation({
    mutationFn: (action: 'launch' | 'pause' | 'resume' | 'cancel') => unwrap(api.POST(`/api/campaigns/{id}/${action}`, { params: { path: { id } } })),
    onSettled: () => { inFlight.current = false; setConfirming(null); return Promise.all([client.invalidateQueries({ queryKey: ['campaign', id] }), client.invalidateQueries({ queryKey: ['campaigns'] })]); },
    // A refused launch is shown in full below the buttons (every reason, each naming its field); a toast would hide all but the first line.
    onError: (error, action) => void (action === 'launch' && error instanceof ApiFailure ? undefined : message.error(failureDetail(t, error))),
  });
  /** What the confirmation shows before a launch or a send now: the campaign as saved. */
  function ask(kind: 'launch' | 'sendOnce') {
    if (!d?.segmentId || !d.channelId) {
      // Nothing to estimate: the launch is refused with its reasons.
      if (kind === 'launch') control.mutate('launch');
      return;
    }
    setConfirming({ kind, segmentId: d.segmentId, channelId: d.channelId, templateValues: d.templateValues, identity: ((d as { identity?: 'login' | 'visitor' }).identity) ?? 'login', trigger: d.trigger, timeZone: d.timeZone });
  }
  function confirmed() {
    if (inFlight.current || !confirming) return;
    inFlight.current = true;
    if (confirming.kind === 'sendOnce') trigger.mutate();
    else control.mutate('launch');
  }
  const d = detail.data;
  // A campaign that just finished: one last read of the chart and failures, so they show the end.
  const finished = d?.finishedAt ?? null;
  useEffect(() => {
    if (!finished) return;
    void client.invalidateQueries({ queryKey: ['timeline', id] });
    void client.invalidateQueries({ queryKey: ['failures', id] });
  }, [finished, client, id]);
  if (!d) return null;
  const zone = campaignZone(d);
  const tr = d.trigger as { type?: string; sendAt?: string } | undefined;
  const counts = d.deliveries;
  const hasRun = !['draft', 'scheduled'].includes(d.status);
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <SendConfirmation sending={confirming} busy={trigger.isPending || control.isPending} onCancel={() => setConfirming(null)} onConfirm={confirmed} />
      <Descriptions column={2} size="small" bordered>
        <Descriptions.Item label={t('status')}><Tag data-testid="campaign-status" data-status={d.status}>{t(`st_${d.status}`, { defaultValue: d.status })}</Tag></Descriptions.Item>
        <Descriptions.Item label={t('progress')}><RunProgress counts={counts} testId="detail-bar" openEnded={openEnded(d)} /></Descriptions.Item>
        {d.status === 'paused' && typeof d.pauseReason === 'string' && (
          <Descriptions.Item label={t('pauseReason')} span={2}><Typography.Text type="warning" data-testid="pause-reason" title={d.pauseReason}>{pauseReasonText(t, d.pauseReason)}</Typography.Text></Descriptions.Item>
        )}
        <Descriptions.Item label={t('deliveries')} span={2}>
          <span data-testid="delivery-counts" data-counts={JSON.stringify(counts)}>
            {counts ? (['total', 'succeeded', 'failed', 'pending', 'skipped', 'cancelled', 'held_out'] as const).filter((k) => k !== 'held_out' || counts[k] > 0).map((k) => <Tag key={k} color={STATUS_COLORS[k]}>{t(k)} {counts[k]}</Tag>) : '—'}
          </span>
        </Descriptions.Item>
        {d.eventTrigger && (
          <Descriptions.Item label={t('eventQueue')} span={2}>
            <span data-testid="event-queue" data-figures={JSON.stringify(d.eventTrigger)}>
              <Tag>{t('eventsCounted', { n: d.eventTrigger.eventsCounted })}</Tag>
              <Tag>{t('firingsWaiting', { n: d.eventTrigger.firingsWaiting })}</Tag>
              <Tag color={d.eventTrigger.firingsDue > 0 ? 'orange' : undefined}>{t('firingsDue', { n: d.eventTrigger.firingsDue })}</Tag>
              <Tag color={d.eventTrigger.lagMs >= 60_000 ? 'red' : d.eventTrigger.lagMs >= 5_000 ? 'orange' : 'green'} data-testid="event-lag">
                {d.eventTrigger.lagMs < 1000 ? t('lagNone') : t('lagSeconds', { s: Math.round(d.eventTrigger.lagMs / 1000) })}
              </Tag>
            </span>
          </Descriptions.Item>
        )}
        <Descriptions.Item label={t('timeZone')} span={2}><span data-testid="campaign-zone">{zone}</span></Descriptions.Item>
        {tr?.type === 'once' && <Descriptions.Item label={t('sendAt')} span={2}><span data-testid="send-at">{tr.sendAt === 'now' ? t('now') : <When at={tr.sendAt} zone={zone} />}</span></Descriptions.Item>}
        {d.launchedAt && <Descriptions.Item label={t('launchedAt')} span={2}><span data-testid="launched-at"><When at={d.launchedAt} zone={zone} /></span></Descriptions.Item>}
        {d.finishedAt && <Descriptions.Item label={t('finishedAt')} span={2}><When at={d.finishedAt} zone={zone} /></Descriptions.Item>}
        {Array.isArray(d.nextFirings) && d.nextFirings.length > 0 && (
          <Descriptions.Item label={t('nextFirings')} span={2}>
            <Space direction="vertical" size={0} data-testid="next-firings">{(d.nextFirings as string[]).slice(0, 3).map((at) => <When key={at} at={at} zone={zone} />)}</Space>
          </Descriptions.Item>
        )}
        {d.temporal && <Descriptions.Item label="Temporal" span={2}><a href={d.temporal.url} target="_blank" rel="noreferrer">{d.temporal.workflowId}</a></Descriptions.Item>}
      </Descriptions>
      <Space>
        {(CONTROLS[d.status] ?? []).map((action) => (action === 'launch' ? (
          <Button key={action} type="primary" loading={control.isPending && control.variables === action} disabled={confirming !== null || control.isPending} onClick={() => ask('launch')} data-testid="control-launch">{t('launch')}</Button>
        ) : (
          <Popconfirm key={action} title={t('confirm')} onConfirm={() => control.mutate(action)}>
            <Button danger={action === 'cancel'} loading={control.isPending && control.variables === action} data-testid={`control-${action}`}>
              {t(action === 'cancel' ? 'cancelCampaign' : action)}
            </Button>
          </Popconfirm>
        )))}
        {tr?.type === 'recurring' && ['scheduled', 'running'].includes(d.status) && (
          <Button type="primary" loading={trigger.isPending} disabled={confirming !== null || trigger.isPending} onClick={() => ask('sendOnce')} data-testid="send-once">{t('sendOnceNow')}</Button>
        )}
        {d.status === 'draft' && <Button onClick={onEdit} data-testid="edit-draft">{t('editDraft')}</Button>}
        {d.status === 'draft' && (
          <Popconfirm title={t('deleteDraftConfirm')} onConfirm={() => remove.mutate()} okButtonProps={{ 'data-testid': 'delete-draft-ok' } as never}>
            <Button danger loading={remove.isPending} data-testid="delete-draft">{t('deleteDraft')}</Button>
          </Popconfirm>
        )}
        <Button onClick={onCopy} data-testid="copy-campaign">{t('copyToDraft')}</Button>
      </Space>
      {/* Before it runs, what it will send comes first; once it has run, its results do, and what it sent follows them. */}
      {!hasRun && <CampaignSummary campaign={d} />}
      {control.error instanceof ApiFailure && control.variables === 'launch' && d.status === 'draft' && (
        <Alert type="error" showIcon data-testid="launch-refusal" message={t('launchRefused')}
          description={(control.error.body.issues ?? []).length > 0
            ? <ul style={{ margin: 0, paddingLeft: 20 }}>{(control.error.body.issues ?? []).map((i) => <li key={`${i.path}:${i.message}`}><Typography.Text code>{i.path}</Typography.Text> {issueText(t, i)}</li>)}</ul>
            : failureText(t, control.error)} />
      )}
      <RunShown run={run} runs={runs.data?.items} zone={zone} onRun={onRun} />
      <EffectCard campaignId={id} recurring={tr?.type === 'recurring'} live={Boolean(live)} runs={runs.data?.items ?? []} zone={zone} run={run} onRun={onRun} />
      <Card size="small" title={t('runChart')} extra={<Statistic title={t('perSecond')} value={live ? (timeline.data?.rate.perSecond ?? 0) : 0} precision={1} valueStyle={{ fontSize: 18 }} data-testid="rate" />}>
        {timeline.data && <RunChart timeline={timeline.data} />}
      </Card>
      <Card size="small" title={t('failureReasons')}>
        <Table<FailureGroup> size="small" pagination={false} data-testid="failure-reasons" rowKey={(g) => `${g.status}/${g.errorClass}/${g.httpStatus ?? ''}`} dataSource={failures.data?.items ?? []}
          locale={{ emptyText: t('noFailures') }}
          columns={[
            { title: t('status'), dataIndex: 'status', render: (s: string) => <Tag color={STATUS_COLORS[s]}>{s === 'pending' ? t('retrying') : t(s)}</Tag> },
            { title: t('reason'), render: (_: unknown, g) => <span data-testid="failure-reason">{reasonText(g)}</span> },
            { title: t('count'), dataIndex: 'count', render: (n: number) => <span data-testid="failure-count">{n}</span> },
            // A reason the console words itself needs no English example; an endpoint's answer or a network error keeps its own text.
            { title: t('example'), render: (_: unknown, g) => <Typography.Text type="secondary">{knownReason(g.errorClass) || /^endpoint answered \d{3}$/.test(g.message ?? '') ? '—' : (g.message ?? '—')}</Typography.Text> },
          ]} />
      </Card>
      {hasRun && <CampaignSummary campaign={d} />}
      <Card size="small" title={t('testSend')}>
        <Space>
          <Input placeholder={t('lookupUser')} value={sample} onChange={(e) => setSample(e.target.value)} data-testid="preview-user" />
          <Button onClick={() => preview.mutate()} loading={preview.isPending} data-testid="preview-button">{t('testSend')}</Button>
        </Space>
        {preview.data && <pre data-testid="preview-body">{pretty((preview.data.request as { body?: unknown } | undefined)?.body ?? preview.data.request)}</pre>}
        {preview.error && <Alert type="error" message={failureDetail(t, preview.error)} data-testid="preview-error" />}
      </Card>
      <Card size="small" title={t('runs')}>
        <Table<Run> size="small" rowKey="id" pagination={false} dataSource={runs.data?.items ?? []} data-testid="runs"
          onRow={(r) => ({ 'data-run': r.id, 'data-shown': r.id === run ? 'true' : undefined }) as React.HTMLAttributes<HTMLElement>}
          columns={[
            { title: t('trigger'), dataIndex: 'trigger', render: (tr: string) => t(`trig_${tr}`, { defaultValue: tr }) },
            { title: t('status'), dataIndex: 'status', render: (s: string) => <Tag data-status={s}>{t(`st_${s}`, { defaultValue: s })}</Tag> },
            { title: t('scheduledFor'), render: (_: unknown, r) => <When at={r.scheduledAt ?? r.sendAt} zone={zone} /> },
            { title: t('startedAt'), dataIndex: 'startedAt', render: (at: string | null) => <When at={at} zone={zone} /> },
            { title: t('finishedAt'), dataIndex: 'finishedAt', render: (at: string | null) => <When at={at} zone={zone} /> },
            { title: t('deliveries'), render: (_: unknown, r) => (r.deliveries ? `${r.deliveries.succeeded}/${r.deliveries.total}` : '—') },
            // A link, so one run's figures can be bookmarked and shared (`?run=<id>`).
            { title: '', render: (_: unknown, r) => (r.id === run ? <Tag color="blue">{t('runShown')}</Tag> : <Link to={`?run=${r.id}`} state={location.state as unknown} data-testid="run-link">{t('showRun')}</Link>) },
          ]} />
      </Card>
      <Card size="small" title={t('lookup')}>
        <Space>
          <Input placeholder={t('lookupUser')} value={who} onChange={(e) => setWho(e.target.value)} data-testid="lookup-input" />
          <Button onClick={() => lookup.mutate()} data-testid="lookup-button">{t('lookup')}</Button>
          <Popconfirm
            title={t('eraseUser')}
            description={<div style={{ maxWidth: 420 }} data-testid="erase-confirm-text">{t('eraseConfirm', { who })}</div>}
            okText={t('eraseUser')}
            okButtonProps={{ danger: true, 'data-testid': 'erase-confirm' } as { danger: boolean }}
            onConfirm={() => erase.mutate()}
            disabled={who.trim() === ''}>
            <Button danger disabled={who.trim() === ''} loading={erase.isPending} data-testid="erase-button">{t('eraseUser')}</Button>
          </Popconfirm>
        </Space>
        {lookup.data !== undefined && <Attempts delivery={lookup.data} zone={zone} />}
        {lookup.error && <Alert type="error" message={failureText(t, lookup.error)} data-testid="lookup-error" />}
      </Card>
    </Space>
  );
}

/**
 * The campaign screens, each at its own path: the list (`/campaigns`, its
 * search, filters and order in the query), a new campaign (`/campaigns/new`,
 * `?copy=<id>` to start from a copy), a campaign (`/campaigns/<id>`, `?run=<id>`
 * for one run) and a draft's edit (`/campaigns/<id>/edit`), these three in a
 * drawer over the list.
 */
export function Campaigns() {
  return (
    <Routes>
      <Route element={<CampaignList />}>
        <Route index element={null} />
        <Route path="new" element={<NewCampaign />} />
        <Route path=":id" element={<CampaignScreen />} />
        <Route path=":id/edit" element={<EditDraft />} />
      </Route>
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}

function CampaignList() {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const here = useListState();
  const [params, setParams] = useSearchParams();
  // Under a campaign's drawer the list stays as it was opened from, filters included.
  const onList = useMatch('/campaigns') !== null;
  const over = useOverList('/campaigns');
  const query = readListQuery(onList ? params : new URLSearchParams(over.listSearch));
  const list = useQuery({ queryKey: ['campaigns'], refetchInterval: 3000, queryFn: () => unwrap(api.GET('/api/campaigns', { params: { query: {} } })) });
  const all = list.data?.items ?? [];
  const shown = applyListQuery(all, query, i18n.language);
  // Typing keeps one history entry for the search; a filter or an order picked is a step back and forward go through.
  const change = (next: Partial<ListQuery>, replace = false) => setParams(writeListQuery({ ...query, ...next }), { replace });
  const [text, setText] = useState(query.q);
  useEffect(() => setText(query.q), [query.q]);
  const filtered = query.q !== '' || query.status.length > 0 || query.trigger.length > 0;
  return (
    <>
      <Space wrap style={{ marginBottom: 16 }}>
        <Button type="primary" onClick={() => navigate('/campaigns/new', { state: here })}>{t('newCampaign')}</Button>
        <Input.Search allowClear placeholder={t('searchByName')} value={text} style={{ width: 240 }} data-testid="campaign-search"
          onChange={(e) => { setText(e.target.value); change({ q: e.target.value }, true); }} />
        <Select mode="multiple" allowClear placeholder={t('allStatuses')} value={query.status} style={{ minWidth: 200 }} data-testid="campaign-status-filter"
          onChange={(status: string[]) => change({ status })} options={campaignStatuses.map((s) => ({ value: s, label: t(`st_${s}`) }))} />
        <Select mode="multiple" allowClear placeholder={t('allTriggers')} value={query.trigger} style={{ minWidth: 200 }} data-testid="campaign-trigger-filter"
          onChange={(trigger: string[]) => change({ trigger })} options={triggerTypes.map((k) => ({ value: k, label: t(TRIGGER_WORDS[k]) }))} />
        <Select value={`${query.sort}_${query.order}`} style={{ width: 200 }} data-testid="campaign-sort" onChange={(v: string) => { const [sort, order] = v.split('_') as [SortKey, 'asc' | 'desc']; change({ sort, order }); }}
          options={SORTINGS.map((v) => ({ value: v, label: t(`sort_${v}`) }))} />
        {filtered && <Button onClick={() => change({ q: '', status: [], trigger: [] })} data-testid="campaign-filters-clear">{t('clearFilters')}</Button>}
        <Typography.Text type="secondary" data-testid="campaign-count" data-shown={shown.length}>{t('campaignsShown', { shown: shown.length, total: all.length })}</Typography.Text>
      </Space>
      <Table rowKey="id" loading={list.isLoading} dataSource={shown} pagination={false} data-testid="campaign-list"
        columns={[
          { title: t('name'), render: (_: unknown, row: Campaign) => <Link to={`/campaigns/${row.id}`} state={here} data-testid="campaign-link">{row.name}</Link> },
          { title: t('status'), render: (_: unknown, row: Campaign) => <Tag data-status={row.status}>{t(`st_${row.status}`, { defaultValue: row.status })}</Tag> },
          { title: t('trigger'), render: (_: unknown, row: Campaign) => <span data-trigger={triggerTypeOf(row)}>{t(TRIGGER_WORDS[triggerTypeOf(row) as TriggerType] ?? 'once')}</span> },
          // A campaign that has not run yet has no audience: a dash, not an empty bar.
          { title: t('progress'), width: 160, render: (_: unknown, row: Campaign) => (row.deliveries.total === 0 ? '—' : <ListProgress counts={row.deliveries} openEnded={openEnded(row)} />) },
          { title: t('deliveries'), render: (_: unknown, row: Campaign) => (row.deliveries.total === 0 ? '—' : <ListCounts counts={row.deliveries} />) },
          { title: t('createdAt'), render: (_: unknown, row: Campaign) => <When at={row.createdAt} zone={campaignZone(row)} /> },
          { title: t('launchedAt'), dataIndex: 'launchedAt', render: (at: string | null, row: Campaign) => <When at={at} zone={campaignZone(row)} /> },
          { title: t('actions'), render: (_: unknown, row: Campaign) => <Button onClick={() => navigate(`/campaigns/${row.id}`, { state: here })}>{t('detail')}</Button> },
        ]} />
      <Outlet />
    </>
  );
}

/** The orders offered, each a sort key and a direction in one choice. */
const SORTINGS = ['createdAt_desc', 'createdAt_asc', 'name_asc', 'name_desc', 'status_asc', 'status_desc'] as const;
type TriggerType = (typeof triggerTypes)[number];
const TRIGGER_WORDS: Record<TriggerType, string> = { once: 'once', recurring: 'recurring', event: 'eventTriggered' };

/** A new campaign, empty or (`?copy=<id>`) filled from a copy of that campaign. */
function NewCampaign() {
  const { t } = useTranslation();
  const over = useOverList('/campaigns');
  const copy = useSearchParams()[0].get('copy');
  const source = useCampaign(copy);
  return (
    <Drawer open width={800} onClose={over.close} title={copy ? t('copyToDraft') : t('newCampaign')}>
      {copy === null ? <CampaignForm onDone={(id) => over.go(`/campaigns/${id}`, { replace: true })} />
        : source.data && source.isFetchedAfterMount ? <CampaignForm copyOf={source.data} onDone={(id) => over.go(`/campaigns/${id}`, { replace: true })} />
          : <Missing query={source} />}
    </Drawer>
  );
}

/** A draft's form; a campaign that is no longer a draft opens as itself. */
function EditDraft() {
  const { t } = useTranslation();
  const id = useParams().id!;
  const over = useOverList('/campaigns');
  const client = useQueryClient();
  const draft = useCampaign(id);
  if (draft.data && draft.data.status !== 'draft') return <Navigate to={`/campaigns/${id}`} state={over.state} replace />;
  return (
    <Drawer open width={800} onClose={over.close} title={t('editDraft')}>
      {draft.data && draft.isFetchedAfterMount ? <CampaignForm draft={draft.data} onDone={() => { over.go(`/campaigns/${id}`, { replace: true }); void client.invalidateQueries({ queryKey: ['campaign', id] }); }} />
        : <Missing query={draft} />}
    </Drawer>
  );
}

/** A campaign at `/campaigns/<id>`; `?run=<id>` shows one run's chart, failures, effect and lookups. */
function CampaignScreen() {
  const { t } = useTranslation();
  const id = useParams().id!;
  const over = useOverList('/campaigns');
  const [params, setParams] = useSearchParams();
  const run = params.get('run') ?? undefined;
  const campaign = useCampaign(id);
  return (
    <Drawer open width={900} onClose={over.close} title={campaign.data?.name ?? t('detail')}>
      {campaign.error ? <Missing query={campaign} /> : (
        <CampaignDetail id={id} run={run} key={id}
          onRun={(next) => setParams(next ? { run: next } : {}, { state: over.state })}
          onEdit={() => over.go(`/campaigns/${id}/edit`)} onCopy={() => over.go(`/campaigns/new?copy=${id}`)} onDeleted={over.close} />
      )}
    </Drawer>
  );
}

/**
 * The campaign as the detail reads it (one cache entry). A form starts from
 * what it reads at mount, so it waits for `isFetchedAfterMount`: a fresh read,
 * not the cache from before the last save.
 */
function useCampaign(id: string | null) {
  return useQuery({ queryKey: ['campaign', id], enabled: id !== null, queryFn: () => unwrap(api.GET('/api/campaigns/{id}', { params: { path: { id: id! }, query: {} } })) });
}

/** What a drawer shows while its campaign loads, or when the link names one that is not there (deleted, mistyped). */
function Missing({ query }: { query: { error: Error | null } }) {
  const { t } = useTranslation();
  if (!query.error) return null;
  return <Alert type="error" showIcon message={failureText(t, query.error)} data-testid="campaign-missing" />;
}
