import { Liquid, type Template } from 'liquidjs';
import type { TemplateParam } from '../channels/schema.js';
import type { RecipientProfile } from './user.js';

/** Longest text a rendered template value may produce. */
export const MAX_RENDERED_CHARS = 10_000;

const liquid = new Liquid({
  strictFilters: true,
  strictVariables: false,
  ownPropertyOnly: true,
  parseLimit: 20_000,
  renderLimit: 50,
  memoryLimit: 1_000_000,
  cache: false,
});

export class TemplateError extends Error {
  override name = 'TemplateError';
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
  }
}

/** Renders a campaign's template values for one user. */
export type TemplateRenderer = (user: RecipientProfile) => Promise<Record<string, unknown>>;

/**
 * Parses the Liquid in a campaign's text values once and returns a renderer that
 * fills them per user. Non-text values pass through unchanged. Throws a
 * TemplateError naming the parameter when a template does not parse (for example
 * an unknown filter).
 *
 * @example
 * const render = compileTemplateValues(params, { message: '亲爱的{{ user.name | default: "会员" }}' });
 * await render(user); // { message: '亲爱的小雪' }
 */
export function compileTemplateValues(params: readonly TemplateParam[], values: Record<string, unknown>): TemplateRenderer {
  const compiled = new Map<string, Template[]>();
  for (const param of params) {
    const value = values[param.name];
    if (param.type !== 'text' || typeof value !== 'string' || !value.includes('{')) continue;
    try {
      compiled.set(param.name, liquid.parse(value));
    } catch (error) {
      throw new TemplateError(param.name, `template of ${param.name} does not parse: ${(error as Error).message}`);
    }
  }
  return async function renderForUser(user) {
    const out: Record<string, unknown> = { ...values };
    if (compiled.size === 0) return out;
    const scope = { user: user.attributes, login_id: user.loginId, visitor_id: user.visitorId };
    for (const [name, template] of compiled) {
      let rendered: string;
      try {
        rendered = String(await liquid.render(template, scope));
      } catch (error) {
        // The liquidjs message can quote the template, never user values: safe to keep.
        throw new TemplateError(name, `template of ${name} failed to render: ${(error as Error).message}`);
      }
      if (rendered.length > MAX_RENDERED_CHARS) {
        throw new TemplateError(name, `template of ${name} rendered more than ${MAX_RENDERED_CHARS} characters`);
      }
      out[name] = rendered;
    }
    return out;
  };
}
