/*
 * The campaign list's search, filters and order, as its URL's query carries
 * them (`/campaigns?q=券&status=running,paused&trigger=event&sort=name&order=asc`),
 * so a filtered list can be bookmarked, shared and reloaded. The API answers
 * every campaign (at most 500); the list filters and sorts them here.
 */
export const campaignStatuses = ['draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled', 'failed'] as const;
export const triggerTypes = ['once', 'recurring', 'event'] as const;
export const sortKeys = ['createdAt', 'name', 'status'] as const;

export type SortKey = (typeof sortKeys)[number];
export interface ListQuery {
  /** Part of the name, any case. */
  q: string;
  /** None: every status. */
  status: string[];
  trigger: string[];
  sort: SortKey;
  order: 'asc' | 'desc';
}

/** Newest first, as the API answers: what a list without `sort` shows. */
const DEFAULT_SORT: Pick<ListQuery, 'sort' | 'order'> = { sort: 'createdAt', order: 'desc' };

const known = <T extends string>(all: readonly T[], value: string | null): value is T => value !== null && (all as readonly string[]).includes(value);
/** A comma-separated list of known values; unknown ones (an old or mistyped link) are dropped. */
const listOf = (all: readonly string[], value: string | null) => [...new Set((value ?? '').split(',').filter((v) => all.includes(v)))];

export function readListQuery(params: URLSearchParams): ListQuery {
  const sort = params.get('sort');
  const order = params.get('order');
  return {
    q: params.get('q') ?? '',
    status: listOf(campaignStatuses, params.get('status')),
    trigger: listOf(triggerTypes, params.get('trigger')),
    ...(known(sortKeys, sort) ? { sort, order: order === 'desc' ? 'desc' : 'asc' } : DEFAULT_SORT),
  };
}

/** The query for a list; what is the default is left out, so the plain list is plain `/campaigns`. */
export function writeListQuery(query: ListQuery): URLSearchParams {
  const params = new URLSearchParams();
  if (query.q !== '') params.set('q', query.q);
  if (query.status.length > 0) params.set('status', query.status.join(','));
  if (query.trigger.length > 0) params.set('trigger', query.trigger.join(','));
  if (query.sort !== DEFAULT_SORT.sort || query.order !== DEFAULT_SORT.order) {
    params.set('sort', query.sort);
    params.set('order', query.order);
  }
  return params;
}

export interface Listed {
  id: string;
  name: string;
  status: string;
  trigger?: unknown;
  createdAt: string;
}

export const triggerTypeOf = (c: { trigger?: unknown }): string => (c.trigger as { type?: string } | null | undefined)?.type ?? 'once';

/**
 * The campaigns the query shows, in its order. Names compare as the
 * operator's language sorts them (pinyin order in zh-CN); statuses in their
 * lifecycle order (draft first, failed last); ties newest first.
 */
export function applyListQuery<T extends Listed>(items: readonly T[], query: ListQuery, language: string): T[] {
  const needle = query.q.trim().toLocaleLowerCase();
  const names = new Intl.Collator(language);
  const created = (a: T, b: T) => Date.parse(a.createdAt) - Date.parse(b.createdAt);
  const by: Record<SortKey, (a: T, b: T) => number> = {
    createdAt: created,
    name: (a, b) => names.compare(a.name, b.name),
    status: (a, b) => campaignStatuses.indexOf(a.status as never) - campaignStatuses.indexOf(b.status as never),
  };
  const sign = query.order === 'asc' ? 1 : -1;
  return items
    .filter((c) => needle === '' || c.name.toLocaleLowerCase().includes(needle))
    .filter((c) => query.status.length === 0 || query.status.includes(c.status))
    .filter((c) => query.trigger.length === 0 || query.trigger.includes(triggerTypeOf(c)))
    .sort((a, b) => sign * by[query.sort](a, b) || created(b, a) || a.id.localeCompare(b.id));
}
