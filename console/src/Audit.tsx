import { useInfiniteQuery } from '@tanstack/react-query';
import { Alert, Button, Table, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, ApiFailure, unwrap } from './api.js';
import { When } from './time.js';

type AuditEvent = { id: string; at: string; actor: { keyId: string | null; name: string }; action: string; target: { type: string; id: string | null; name: string | null }; change?: unknown };

/** The audit trail, newest first: who changed what and when (admin keys; others see why not). */
export function Audit() {
  const { t } = useTranslation();
  const pages = useInfiniteQuery({
    queryKey: ['audit'],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => unwrap(api.GET('/api/audit', { params: { query: { limit: '50', ...(pageParam ? { cursor: pageParam } : {}) } } })),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  if (pages.error instanceof ApiFailure && pages.error.status === 403) return <Alert type="warning" showIcon message={t('auditAdminOnly')} data-testid="audit-forbidden" />;
  const rows = (pages.data?.pages ?? []).flatMap((p) => p.items as AuditEvent[]);
  return (
    <>
      <Typography.Title level={4}>{t('audit')}</Typography.Title>
      <Table<AuditEvent>
        rowKey="id"
        data-testid="audit-table"
        loading={pages.isLoading}
        dataSource={rows}
        pagination={false}
        size="small"
        onRow={(row) => ({ 'data-action': row.action, 'data-target': row.target.id ?? '' }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          { title: t('time'), dataIndex: 'at', render: (at: string) => <When at={at} /> },
          { title: t('auditActor'), render: (_, row) => row.actor.name },
          { title: t('auditAction'), render: (_, row) => t(`act_${row.action}`, { defaultValue: row.action }) },
          { title: t('auditTarget'), render: (_, row) => `${t(`tt_${row.target.type}`, { defaultValue: row.target.type })} ${row.target.name ?? row.target.id ?? ''}` },
          {
            title: t('auditChange'),
            render: (_, row) => (row.change === null || row.change === undefined ? '' : <Typography.Text code style={{ fontSize: 12, whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>{JSON.stringify(row.change)}</Typography.Text>),
          },
        ]}
      />
      {pages.hasNextPage && <Button style={{ marginTop: 12 }} onClick={() => void pages.fetchNextPage()} loading={pages.isFetchingNextPage}>{t('loadMore')}</Button>}
    </>
  );
}
