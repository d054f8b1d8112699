import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Button, Popconfirm, message } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from './api.js';
import { failureText } from './issues.js';

/**
 * Deletes a channel or segment after asking. The API refuses (409
 * `channel_in_use` / `segment_in_use`) while a live campaign uses it; the
 * refusal is shown in words, naming those campaigns.
 */
export function DeleteButton({ kind, id, name }: { kind: 'channel' | 'segment'; id: string; name: string }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const remove = useMutation({
    mutationFn: () => (kind === 'channel'
      ? unwrap(api.DELETE('/api/channels/{id}', { params: { path: { id } } }))
      : unwrap(api.DELETE('/api/segments/{id}', { params: { path: { id } } }))),
    onSuccess: () => { void client.invalidateQueries({ queryKey: [`${kind}s`] }); void message.success(t('deleted')); },
    onError: (error) => void message.error({ content: <span data-testid="delete-refused">{failureText(t, error)}</span>, key: `delete-${id}` }),
  });
  return (
    <Popconfirm title={t('deleteConfirm', { name })} onConfirm={() => remove.mutate()} okButtonProps={{ 'data-testid': `delete-ok-${name}` } as never}>
      <Button danger loading={remove.isPending} data-testid={`delete-${kind}`}>{t('remove')}</Button>
    </Popconfirm>
  );
}
