import type { TemplateParam } from '../contracts/channel.js';
import { NotInline, parseTemplates, renderParsed } from './template.js';
import { renderInPool } from './template-pool.js';
import type { RecipientProfile } from './user.js';

export { TemplateError } from './template.js';

/*
 * Where a template renders (see template.ts for its bounds): on the caller's
 * thread while it fits the inline budget, else in the worker-thread pool. Kept
 * apart from template.ts, which the console's bundle uses to check templates
 * in the browser, where there are no threads.
 */

/** Users in a row whose render did not fit inline, after which a renderer sends every render to the pool. */
const INLINE_MISSES = 3;

/**
 * Renders a campaign's template values for one user: a plain object when the
 * render fitted the inline budget on the caller's thread, else a promise of the
 * pool's render. Failures are TemplateErrors (thrown or rejected).
 */
export type TemplateRenderer = (user: RecipientProfile) => Record<string, unknown> | Promise<Record<string, unknown>>;

/**
 * Parses the Liquid in a campaign's text values once and returns a renderer that
 * fills them per user. Non-text values pass through unchanged. Throws a
 * TemplateError naming the parameter when a template does not parse (for example
 * a filter or tag that is not allowed).
 *
 * Each user's render is first tried on the caller's thread with a budget of
 * INLINE_STEP_LIMIT steps (well under a millisecond): the common template fits,
 * at no cost beyond liquidjs' own. One that does not fit renders again in the
 * pool with the full budget; after INLINE_MISSES such users in a row, the
 * renderer sends every render to the pool.
 *
 * @example
 * const render = compileTemplateValues(params, { message: '亲爱的{{ user.name | default: "会员" }}' });
 * await render(user); // { message: '亲爱的小雪' }
 */
export function compileTemplateValues(params: readonly TemplateParam[], values: Record<string, unknown>): TemplateRenderer {
  const compiled = parseTemplates(params, values);
  if (compiled.length === 0) return () => values;
  const textParams = params.filter((p) => compiled.some(([name]) => name === p.name));
  let misses = 0;
  return function renderForUser(user) {
    if (misses < INLINE_MISSES) {
      try {
        const out = renderParsed(compiled, values, user, true);
        misses = 0;
        return out;
      } catch (error) {
        if (!(error instanceof NotInline)) throw error;
        misses += 1;
      }
    }
    return renderInPool(textParams, values, user);
  };
}
