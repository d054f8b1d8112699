import { Result } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useNavigate } from 'react-router';

/*
 * Every screen has its own path (docs/console.md lists them). A channel, a
 * segment or a campaign opens in a drawer over its list at its own path; the
 * list it was opened from (with its filters) travels in the navigation state,
 * so closing goes back to that list, and a link opened cold closes to the plain list.
 */

/** Navigation state of a screen opened from a list: the list's path and query. */
export interface FromList { list?: string }

/** The state a link on a list page hands to what it opens: this list, filters included. */
export function useListState(): FromList {
  const { pathname, search } = useLocation();
  return { list: `${pathname}${search}` };
}

/**
 * For a screen over a list: the state to carry to the next screen (detail to
 * edit and back keep the same list), and how to close back to that list.
 */
export function useOverList(base: string) {
  const navigate = useNavigate();
  const state = (useLocation().state as FromList | null) ?? {};
  return {
    state,
    /** The list's query this screen was opened from ('' when opened from a link). */
    listSearch: state.list?.startsWith(base) ? state.list.slice(base.length) : '',
    go: (to: string, options?: { replace?: boolean }) => void navigate(to, { state, replace: options?.replace }),
    close: () => void navigate(state.list ?? base),
  };
}

/** A path no screen has: a mistyped or outdated link. */
export function NotFound() {
  const { t } = useTranslation();
  return <Result status="404" title={t('pageNotFound')} extra={<Link to="/">{t('backHome')}</Link>} data-testid="not-found" />;
}
