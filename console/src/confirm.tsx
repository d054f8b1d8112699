import { useQuery } from '@tanstack/react-query';
import { Alert, Descriptions, Modal, Spin, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from './api.js';
import { failureDetail } from './issues.js';
import { triggerWords } from './summary.js';

/** What is about to be sent: the campaign's audience, channel, values and trigger. */
export interface Sending {
  segmentId: string;
  channelId: string;
  templateValues: Record<string, unknown>;
  identity: 'login' | 'visitor';
  trigger: unknown;
  timeZone?: string;
  /** `sendOnce`: a recurring campaign's "send once now"; otherwise going live. */
  kind?: 'launch' | 'sendOnce';
}

/**
 * Asked once before anything that costs money goes out (上线, 立即发送一次):
 * how many users the segment reaches now (those without the addressed id are
 * skipped), through which channel, and the request rendered for one of them.
 * Nothing is sent to show it (the render preview sends nothing).
 */
export function SendConfirmation({ sending, onConfirm, onCancel, busy }: { sending: Sending | null; onConfirm: () => void; onCancel: () => void; busy?: boolean }) {
  const { t } = useTranslation();
  const open = sending !== null;
  const audience = useQuery({
    queryKey: ['confirm-audience', sending?.segmentId],
    enabled: open,
    staleTime: 0,
    queryFn: () => unwrap(api.GET('/api/segments/{id}/preview', { params: { path: { id: sending!.segmentId }, query: {} } })),
  });
  const channels = useQuery({ queryKey: ['channels'], enabled: open, queryFn: () => unwrap(api.GET('/api/channels')) });
  const example = useQuery({
    queryKey: ['confirm-example', sending?.channelId, sending?.segmentId, sending?.identity, JSON.stringify(sending?.templateValues ?? {})],
    enabled: open,
    staleTime: 0,
    queryFn: () => unwrap(api.POST('/api/campaigns/preview', { body: { channelId: sending!.channelId, segmentId: sending!.segmentId, identity: sending!.identity, templateValues: sending!.templateValues } })),
  });
  if (!sending) return null;
  const channel = (channels.data?.items ?? []).find((c) => c.id === sending.channelId);
  const missing = audience.data ? (sending.identity === 'visitor' ? audience.data.missingVisitorId : audience.data.missingLoginId) : 0;
  const reach = audience.data ? audience.data.count - missing : undefined;
  const ready = reach !== undefined && example.data !== undefined;
  const user = example.data?.user;
  return (
    <Modal open title={t(sending.kind === 'sendOnce' ? 'confirmSendOnceTitle' : 'confirmLaunchTitle')} onOk={onConfirm} onCancel={onCancel}
      okText={t('confirmSend')} cancelText={t('cancel')} okButtonProps={{ disabled: !ready || busy, loading: busy, 'data-testid': 'confirm-send' } as never}
      cancelButtonProps={{ 'data-testid': 'confirm-cancel' } as never} width={720} destroyOnHidden
      // The second click of a double click on 上线 lands where the mask appears: it must not dismiss the question.
      maskClosable={false}>
      <div data-testid="send-confirmation">
        {audience.isLoading || example.isLoading ? <Spin /> : null}
        <Descriptions column={1} size="small" bordered>
          <Descriptions.Item label={t('confirmAudience')}>
            <span data-testid="confirm-audience" data-reach={reach ?? ''}>
              {reach === undefined ? '…' : t(sending.identity === 'visitor' ? 'confirmReachVisitor' : 'confirmReachLogin', { reach, count: audience.data!.count, missing })}
            </span>
          </Descriptions.Item>
          <Descriptions.Item label={t('channel')}><span data-testid="confirm-channel">{channel ? `${channel.name} (${channel.url})` : '…'}</span></Descriptions.Item>
          <Descriptions.Item label={t('trigger')}><span data-testid="confirm-trigger">{triggerWords(t, sending.trigger, sending.timeZone)}</span></Descriptions.Item>
          <Descriptions.Item label={t('example')}>
            {user && <Typography.Text type="secondary">{t(`renderFor_${example.data!.source}`, { user: user.loginId ?? user.visitorId ?? user.id })}</Typography.Text>}
            {example.data && <pre data-testid="confirm-example" style={{ maxHeight: 220, overflow: 'auto', margin: 0 }}>{pretty(example.data.request.body)}</pre>}
          </Descriptions.Item>
        </Descriptions>
        {(audience.error || example.error) && <Alert type="error" style={{ marginTop: 8 }} message={failureDetail(t, audience.error ?? example.error)} />}
      </div>
    </Modal>
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
