import { useQuery } from '@tanstack/react-query';
import { Descriptions, Typography } from 'antd';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from './api.js';
import type { components } from './api-schema.js';
import { durationWords, zoneLabel } from './inputs.js';
import { clock } from './time.js';

type Detail = components['schemas']['CampaignDetail'];
type Trigger = {
  type?: string; sendAt?: string; timeZone?: string;
  schedule?: { every?: string; on?: (string | number)[]; at?: string; cron?: string };
  event?: string; times?: number; within?: string; delay?: string; frequency?: 'once' | { atMostEvery: string };
};

/**
 * A trigger in words, as an operator says it: 每天 09:00（北京时间）,
 * add_to_cart 3 次（24 小时内）后 30 分钟.
 */
export function triggerWords(t: TFunction, trigger: unknown, campaignZone?: string): string {
  const tr = (trigger ?? {}) as Trigger;
  if (tr.type === 'recurring') {
    const s = tr.schedule ?? {};
    const zone = zoneLabel(t, tr.timeZone ?? campaignZone ?? 'Asia/Shanghai');
    if (s.cron) return t('trigCron', { cron: s.cron, zone });
    if (s.every === 'week') return t('trigWeekly', { days: (s.on ?? []).map((d) => t(`day_${String(d)}`)).join(t('listSep')), at: s.at ?? '09:00', zone });
    if (s.every === 'month') return t('trigMonthly', { days: (s.on ?? []).join(t('listSep')), at: s.at ?? '09:00', zone });
    return t('trigDaily', { at: s.at ?? '09:00', zone });
  }
  if (tr.type === 'event') {
    const delay = tr.delay ? t('trigAfter', { delay: durationWords(t, tr.delay) }) : t('trigRightAway');
    const head = (tr.times ?? 1) > 1
      ? t('trigEventTimes', { event: tr.event ?? '', times: tr.times, within: durationWords(t, tr.within) })
      : t('trigEvent', { event: tr.event ?? '' });
    const freq = typeof tr.frequency === 'object' ? t('freqEveryWords', { every: durationWords(t, tr.frequency.atMostEvery) }) : t('freqOnceWords');
    return `${head}${delay}${freq}`;
  }
  if (!tr.sendAt || tr.sendAt === 'now') return t('trigOnceNow');
  const zone = campaignZone ?? 'Asia/Shanghai';
  return t('trigOnceAt', { at: clock(tr.sendAt, zone).slice(0, 16), zone: zoneLabel(t, zone) });
}

/** A value as the campaign sends it: Liquid templates as typed, other values as JSON. */
const shown = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * What a campaign sends, read back in words on its detail page: the segment
 * (with its size now), the channel, the identity addressed, the template
 * values with a rendered example, the trigger, the per-user cap and quiet hours.
 */
export function CampaignSummary({ campaign }: { campaign: Detail }) {
  const { t } = useTranslation();
  const c = campaign as Detail & { identity?: 'login' | 'visitor'; quietHours?: { from: string; to: string; mode: 'wait' | 'skip' } | null };
  const identity = c.identity ?? 'login';
  const segments = useQuery({ queryKey: ['segments'], queryFn: () => unwrap(api.GET('/api/segments')) });
  const channels = useQuery({ queryKey: ['channels'], queryFn: () => unwrap(api.GET('/api/channels')) });
  const size = useQuery({
    queryKey: ['segment-preview', c.segmentId], enabled: Boolean(c.segmentId),
    queryFn: () => unwrap(api.GET('/api/segments/{id}/preview', { params: { path: { id: c.segmentId! }, query: {} } })),
  });
  const example = useQuery({
    queryKey: ['summary-example', c.id, c.channelId, c.segmentId, identity, JSON.stringify(c.templateValues)], enabled: Boolean(c.channelId), retry: false,
    queryFn: () => unwrap(api.POST('/api/campaigns/preview', { body: { channelId: c.channelId!, segmentId: c.segmentId ?? undefined, identity, templateValues: c.templateValues } })),
  });
  const segment = (segments.data?.items ?? []).find((s) => s.id === c.segmentId);
  const channel = (channels.data?.items ?? []).find((x) => x.id === c.channelId);
  const params = ((channel?.templateParams ?? []) as { name: string; displayName: string }[]);
  const cap = channel?.userCap as { max: number; per: string } | null | undefined;
  const zone = c.timeZone;
  return (
    <Descriptions column={2} size="small" bordered title={t('whatItSends')} data-testid="campaign-summary">
      <Descriptions.Item label={t('segment')}>
        <span data-testid="summary-segment">
          {segment?.name ?? (c.segmentId ? '…' : '—')}
          {size.data && <Typography.Text type="secondary">{' '}{t('segmentSizeNow', { count: size.data.count })}</Typography.Text>}
        </span>
      </Descriptions.Item>
      <Descriptions.Item label={t('channel')}><span data-testid="summary-channel">{channel ? `${channel.name} (${channel.url})` : (c.channelId ? '…' : '—')}</span></Descriptions.Item>
      <Descriptions.Item label={t('campaignIdentity')}><span data-testid="summary-identity">{t(`src_${identity}`)}</span></Descriptions.Item>
      <Descriptions.Item label={t('userCap')}>
        <span data-testid="summary-cap">{cap ? t('userCapWords', { max: cap.max, per: durationWords(t, cap.per) }) : t('noCap')}</span>
      </Descriptions.Item>
      <Descriptions.Item label={t('trigger')} span={2}><span data-testid="summary-trigger">{triggerWords(t, c.trigger, zone)}</span></Descriptions.Item>
      <Descriptions.Item label={t('templateValues')} span={2}>
        <div data-testid="summary-values">
          {Object.entries(c.templateValues ?? {}).length === 0 ? '—' : Object.entries(c.templateValues ?? {}).map(([k, v]) => (
            <div key={k}><Typography.Text type="secondary">{params.find((p) => p.name === k)?.displayName ?? k}：</Typography.Text>{shown(v)}</div>
          ))}
        </div>
      </Descriptions.Item>
      <Descriptions.Item label={t('example')} span={2}>
        {example.data && <Typography.Text type="secondary">{t(`renderFor_${example.data.source}`, { user: example.data.user.loginId ?? example.data.user.visitorId ?? example.data.user.id })}</Typography.Text>}
        {example.data && <pre data-testid="summary-example" style={{ maxHeight: 200, overflow: 'auto', margin: 0 }}>{pretty(example.data.request.body)}</pre>}
        {!example.data && '—'}
      </Descriptions.Item>
      <Descriptions.Item label={t('quietHours')} span={2}>
        <span data-testid="summary-quiet">{c.quietHours ? t(`quietWords_${c.quietHours.mode}`, { from: c.quietHours.from, to: c.quietHours.to, zone: zoneLabel(t, zone) }) : t('none')}</span>
      </Descriptions.Item>
    </Descriptions>
  );
}

function pretty(body: unknown): string {
  if (typeof body !== 'string') return JSON.stringify(body, null, 2);
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
