import { Liquid, type Template } from 'liquidjs';
import type { TemplateParam } from '../channels/schema.js';
import type { RecipientProfile } from './user.js';

/** Longest text a rendered template value may produce. */
export const MAX_RENDERED_CHARS = 10_000;

/**
 * CPU time one value's render may take. Rendering is synchronous, so this bounds
 * the template's own work: other sends on the event loop cannot eat into it, as
 * they did when the render was async and the limit a wall-clock deadline.
 */
export const RENDER_LIMIT_MS = 100;

const liquid = new Liquid({
  strictFilters: true,
  strictVariables: false,
  ownPropertyOnly: true,
  parseLimit: 20_000,
  renderLimit: RENDER_LIMIT_MS,
  // Bounds what `capture`, `append`, ranges and joins may build before the output cap applies.
  memoryLimit: 1_000_000,
  cache: false,
  // An empty in-memory template root: `include`, `render` and `layout` find nothing, never a file.
  templates: {},
});

/**
 * Why a template could not be rendered. `limit` means it ran out of its render
 * budget on this attempt (worth trying again later); `broken` means it can never
 * render for this user (a parse error, an unknown filter, output too large).
 */
export type TemplateFailure = 'broken' | 'limit';

export class TemplateError extends Error {
  override name = 'TemplateError';
  constructor(
    readonly param: string,
    message: string,
    readonly failure: TemplateFailure = 'broken',
  ) {
    super(message);
  }
}

/** Renders a campaign's template values for one user (synchronously: see RENDER_LIMIT_MS). */
export type TemplateRenderer = (user: RecipientProfile) => Record<string, unknown>;

/**
 * Parses the Liquid in a campaign's text values once and returns a renderer that
 * fills them per user. Non-text values pass through unchanged. Throws a
 * TemplateError naming the parameter when a template does not parse (for example
 * an unknown filter).
 *
 * @example
 * const render = compileTemplateValues(params, { message: '亲爱的{{ user.name | default: "会员" }}' });
 * render(user); // { message: '亲爱的小雪' }
 */
export function compileTemplateValues(params: readonly TemplateParam[], values: Record<string, unknown>): TemplateRenderer {
  const compiled: [string, Template[]][] = [];
  for (const param of params) {
    const value = values[param.name];
    if (param.type !== 'text' || typeof value !== 'string' || !value.includes('{')) continue;
    try {
      compiled.push([param.name, liquid.parse(value)]);
    } catch (error) {
      throw new TemplateError(param.name, `template of ${param.name} does not parse: ${(error as Error).message}`);
    }
  }
  if (compiled.length === 0) return () => values;
  return function renderForUser(user) {
    const out: Record<string, unknown> = { ...values };
    const scope = { user: user.attributes, login_id: user.loginId, visitor_id: user.visitorId };
    for (const [name, template] of compiled) {
      let rendered: string;
      try {
        rendered = String(liquid.renderSync(template, scope));
      } catch (error) {
        const message = (error as Error).message;
        // The liquidjs message can quote the template, never user values: safe to keep.
        const failure: TemplateFailure = /template render limit exceeded/.test(message) ? 'limit' : 'broken';
        throw new TemplateError(name, `template of ${name} failed to render: ${message}`, failure);
      }
      if (rendered.length > MAX_RENDERED_CHARS) {
        throw new TemplateError(name, `template of ${name} rendered more than ${MAX_RENDERED_CHARS} characters`);
      }
      out[name] = rendered;
    }
    return out;
  };
}
