import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Form, Input, InputNumber, Popconfirm, Select, Space, Tag, Typography, message } from 'antd';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { api, unwrap } from './api.js';
import type { components } from './api-schema.js';
import { buildFilters, filterOps, type FilterRow } from './filters.js';
import { When } from './time.js';
import { DurationInput, durationWords } from './inputs.js';
import { failureDetail } from './issues.js';

type Effect = components['schemas']['CampaignEffect'];
type Run = components['schemas']['Run'];

/**
 * The campaign form's goal and control group: a goal event with property
 * filters, a window and an optional value property; the share held out.
 */
export function GoalFields() {
  const { t } = useTranslation();
  return (
    <Card size="small" title={t('effectSettings')} style={{ marginBottom: 16 }} data-testid="goal-fields">
      <Space wrap align="start">
        <Form.Item name={['goal', 'event']} label={t('goalEvent')}><Input placeholder="pay_order" data-testid="goal-event" /></Form.Item>
        <Form.Item name={['goal', 'within']} label={t('goalWithin')}><DurationInput defaultUnit="day" testId="goal-within" /></Form.Item>
        <Form.Item name={['goal', 'value']} label={t('goalValue')}><Input placeholder="amount" style={{ width: 140 }} data-testid="goal-value" /></Form.Item>
        <Form.Item name={['holdout', 'percent']} label={t('holdoutPercent')}><InputNumber min={1} max={50} addonAfter="%" data-testid="holdout-percent" /></Form.Item>
      </Space>
      <Form.List name={['goal', 'where']}>
        {(fields, { add, remove }) => (
          <>
            {fields.map((field) => (
              <Space key={field.key} align="start" wrap>
                <Form.Item name={[field.name, 'property']}><Input placeholder="amount" data-testid={`goal-where-property-${field.name}`} /></Form.Item>
                <Form.Item name={[field.name, 'op']} initialValue="equals"><Select style={{ width: 130 }} data-testid={`goal-where-op-${field.name}`} options={filterOps.map((o) => ({ value: o }))} /></Form.Item>
                <Form.Item name={[field.name, 'value']}><Input placeholder={t('filterValueHint')} data-testid={`goal-where-value-${field.name}`} /></Form.Item>
                <Button onClick={() => remove(field.name)}>{t('remove')}</Button>
              </Space>
            ))}
            <Button onClick={() => add({ op: 'equals' })} disabled={fields.length >= 10} data-testid="add-goal-where">{t('addGoalFilter')}</Button>
          </>
        )}
      </Form.List>
      <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>{t('effectSettingsHint')}</Typography.Paragraph>
    </Card>
  );
}

/** The form's goal and control group as the API takes them (null when left empty). */
export function goalBody(v: { goal?: { event?: string; within?: string; value?: string; where?: FilterRow[] }; holdout?: { percent?: number | null } }) {
  const blank = (x: string | undefined) => (x === undefined || x.trim() === '' ? undefined : x.trim());
  const event = blank(v.goal?.event);
  const where = buildFilters(v.goal?.where);
  const value = blank(v.goal?.value);
  const goal = event ? { event, within: blank(v.goal?.within) ?? '', ...(where.length > 0 ? { where } : {}), ...(value ? { value } : {}) } : null;
  const percent = v.holdout?.percent;
  return { goal, holdout: typeof percent === 'number' ? { percent } : null };
}

/** 0.0712 → "7.1%". */
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
/** Percentage points, signed: 0.021 → "+2.1". */
const points = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)}`;
/** Half the width of an interval, in percent: "0.3%". */
const half = (i: { low: number; high: number } | null) => (i ? pct((i.high - i.low) / 2) : '—');
const pointsPlain = (x: number) => `${x < 0 ? '−' : ''}${Math.abs(x * 100).toFixed(1)}`;

/** A duration since send for the chart's axis: minutes, hours or days. */
function since(ms: number, t: TFunction) {
  if (ms < 2 * 3_600_000) return t('afterMinutes', { n: Math.round(ms / 60_000) });
  if (ms < 2 * 86_400_000) return t('afterHours', { n: Math.round(ms / 3_600_000) });
  return t('afterDays', { n: Math.round(ms / 86_400_000) });
}

const WIDTH = 800;
const HEIGHT = 250;
// The top band holds the rate axis's title, the bottom band the time ticks and the time axis's title.
const PAD = { left: 48, right: 12, top: 28, bottom: 42 };
const SENT_COLOR = '#1677ff';
const CONTROL_COLOR = '#8c8c8c';

/** The two cumulative conversion curves over time since send, on one plain SVG chart (as the run chart). */
export function EffectChart({ effect }: { effect: Effect }) {
  const { t } = useTranslation();
  const curve = effect.curve;
  if (curve.length === 0) return null;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const end = curve.at(-1)!.afterMs;
  const top = Math.max(0.001, ...curve.flatMap((p) => [p.sent ?? 0, p.control ?? 0])) * 1.1;
  const x = (ms: number) => PAD.left + (ms / end) * plotW;
  const y = (rate: number) => PAD.top + plotH - (rate / top) * plotH;
  const line = (key: 'sent' | 'control') => [`${x(0)},${y(0)}`, ...curve.filter((p) => p[key] !== null).map((p) => `${x(p.afterMs)},${y(p[key]!)}`)].join(' ');
  return (
    <div data-testid="effect-chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width="100%" role="img" aria-label={t('effectChart')} style={{ maxWidth: WIDTH }}>
        <line x1={PAD.left} x2={WIDTH - PAD.right} y1={PAD.top + plotH} y2={PAD.top + plotH} stroke="#d9d9d9" />
        <line x1={PAD.left} x2={PAD.left} y1={PAD.top} y2={PAD.top + plotH} stroke="#d9d9d9" />
        <text x={PAD.left - 4} y={PAD.top + 10} textAnchor="end" fontSize={11} fill="#8c8c8c">{pct(top)}</text>
        <text x={PAD.left - 4} y={PAD.top + plotH} textAnchor="end" fontSize={11} fill="#8c8c8c">0%</text>
        <text x={4} y={14} fontSize={11} fill="#8c8c8c" data-testid="effect-chart-axis-rate">{t('effectChart')}</text>
        <text x={PAD.left + plotW / 2} y={HEIGHT - 4} textAnchor="middle" fontSize={11} fill="#8c8c8c" data-testid="effect-chart-axis-time">{t('timeSinceSend')}</text>
        {[0, 0.5, 1].map((f) => (
          <text key={f} x={PAD.left + f * plotW} y={PAD.top + plotH + 16} textAnchor={f === 0 ? 'start' : f === 1 ? 'end' : 'middle'} fontSize={11} fill="#8c8c8c">{since(f * end, t)}</text>
        ))}
        <polyline points={line('sent')} fill="none" stroke={SENT_COLOR} strokeWidth={2} data-testid="effect-curve-sent" />
        {effect.control && <polyline points={line('control')} fill="none" stroke={CONTROL_COLOR} strokeWidth={2} strokeDasharray="6 4" data-testid="effect-curve-control" />}
      </svg>
      <Space size="large">
        <span><span style={{ display: 'inline-block', width: 16, height: 2, background: SENT_COLOR, verticalAlign: 'middle' }} /> {t('sentGroup')}</span>
        {effect.control && <span><span style={{ display: 'inline-block', width: 16, height: 0, borderTop: `2px dashed ${CONTROL_COLOR}`, verticalAlign: 'middle' }} /> {t('controlGroup')}</span>}
      </Space>
    </div>
  );
}

/** The effect in words an operator reads at a glance, with the significance, the value and where the figures stand. */
function EffectWords({ effect }: { effect: Effect }) {
  const { t } = useTranslation();
  const { sent, control, difference } = effect;
  // "1.4–2.8", but "−0.3 至 2.8": a dash after a minus sign reads as a second minus.
  const range = (low: number, high: number) => (low >= 0 ? `${pointsPlain(low)}–${pointsPlain(high)}` : t('rangeTo', { low: pointsPlain(low), high: pointsPlain(high) }));
  const headline =
    sent.rate === null
      ? t('effectNobodyYet')
      : control && control.rate !== null && difference
        ? t('effectSentence', {
            sent: pct(sent.rate), sentHalf: half(sent.interval), control: pct(control.rate), controlHalf: half(control.interval),
            diff: points(difference.rate), range: range(difference.interval.low, difference.interval.high),
          })
        : t('effectSentenceNoControl', { sent: pct(sent.rate), sentHalf: half(sent.interval) });
  return (
    <Space direction="vertical" size={2} style={{ width: '100%' }}>
      <Typography.Text strong style={{ fontSize: 16 }} data-testid="effect-summary"
        data-sent-rate={sent.rate ?? ''} data-control-rate={control?.rate ?? ''} data-difference={difference?.rate ?? ''}>{headline}</Typography.Text>
      {difference && (
        <Typography.Text type={difference.pValue < 0.05 ? 'success' : 'secondary'} data-testid="effect-significance">
          {t(difference.pValue < 0.05 ? 'effectSignificant' : 'effectNotSignificant', { p: difference.pValue < 0.001 ? '< 0.001' : `= ${difference.pValue.toFixed(3)}` })}
          {difference.relativeUplift !== null && ` · ${t('effectRelative', { uplift: `${difference.relativeUplift >= 0 ? '+' : '−'}${Math.abs(difference.relativeUplift * 100).toFixed(0)}%` })}`}
        </Typography.Text>
      )}
      <Typography.Text type="secondary" data-testid="effect-counts">
        {t('effectCounts', { sentConversions: sent.conversions, sentUsers: sent.users })}
        {control && ` · ${t('effectControlCounts', { controlConversions: control.conversions, controlUsers: control.users })}`}
        {sent.valuePerUser !== null && ` · ${t('effectValue', { sent: sent.valuePerUser.toFixed(2), control: control?.valuePerUser?.toFixed(2) ?? '—' })}`}
      </Typography.Text>
    </Space>
  );
}

/**
 * The campaign detail's effect card: the answer in words, the curves, and for a
 * recurring campaign the run to show (all runs by default; the detail keeps
 * it in the URL) and a new draw of its control group.
 */
export function EffectCard({ campaignId, recurring, live, runs, zone, run = 'all', onRun }: { campaignId: string; recurring: boolean; live: boolean; runs: Run[]; zone?: string; run?: string; onRun: (run: string | undefined) => void }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const effect = useQuery({
    queryKey: ['effect', campaignId, run],
    // A scan of the runs while provisional: a slow refresh; none once final.
    refetchInterval: (q) => (q.state.data?.status === 'final' ? false : live ? 5000 : 15_000),
    queryFn: () => unwrap(api.GET('/api/campaigns/{id}/effect', { params: { path: { id: campaignId }, query: run === 'all' ? {} : { run } } })),
  });
  const redraw = useMutation({
    mutationFn: () => unwrap(api.POST('/api/campaigns/{id}/holdout/redraw', { params: { path: { id: campaignId } } })),
    onSuccess: (c) => void message.success(t('redrawn', { draw: c.holdout?.draw ?? '' })),
    onSettled: () => Promise.all([client.invalidateQueries({ queryKey: ['effect', campaignId] }), client.invalidateQueries({ queryKey: ['campaign', campaignId] })]),
    onError: (error) => void message.error(failureDetail(t, error)),
  });
  const e = effect.data;
  const measured = runs.filter((r) => r.status !== 'skipped' && r.status !== 'missed');
  const status = e && (e.status === 'final'
    ? <Tag color="green" data-testid="effect-status" data-status="final">{t('effectFinal')}</Tag>
    : <Tag color="gold" data-testid="effect-status" data-status="provisional">{e.windowClosesAt ? <>{t('effectProvisionalUntil')} <When at={e.windowClosesAt} zone={zone} /></> : t('effectProvisionalSending')}</Tag>);
  return (
    <Card size="small" title={t('effect')} data-testid="effect-card" extra={
      <Space>
        {recurring && measured.length > 0 && (
          <Select value={run} onChange={(r: string) => onRun(r === 'all' ? undefined : r)} style={{ width: 220 }} data-testid="effect-run"
            options={[{ value: 'all', label: t('allRuns') }, ...measured.map((r) => ({ value: r.id, label: new Date(r.scheduledAt ?? r.sendAt).toLocaleString() }))]} />
        )}
        {recurring && e?.holdout && (
          <Popconfirm title={t('redrawConfirm')} onConfirm={() => redraw.mutate()}>
            <Button size="small" loading={redraw.isPending} data-testid="holdout-redraw">{t('redraw')}</Button>
          </Popconfirm>
        )}
      </Space>
    }>
      {!e ? null : !e.goal ? (
        <Typography.Text type="secondary" data-testid="effect-no-goal">{t('effectNoGoal')}</Typography.Text>
      ) : (
        <Space direction="vertical" style={{ width: '100%' }}>
          <Space wrap>
            {status}
            <Typography.Text type="secondary" data-testid="effect-goal">
              {t('effectGoal', { event: e.goal.event, within: durationWords(t, e.goal.within) })}
              {e.holdout ? ` · ${t('effectHoldout', { percent: e.holdout.percent, draw: e.holdout.draw })}` : ` · ${t('effectNoHoldout')}`}
            </Typography.Text>
          </Space>
          <EffectWords effect={e} />
          <EffectChart effect={e} />
        </Space>
      )}
    </Card>
  );
}
