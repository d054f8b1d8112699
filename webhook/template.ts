import { Context, defaultOperators, Expression, filters as builtinFilters, Liquid, Value, type Template } from 'liquidjs';
import type { TemplateParam } from '../contracts/channel.js';
import { TemplateError } from './template-error.js';
import type { RecipientProfile } from './user.js';

/*
 * Operators' templates are Liquid, rendered once per user on a campaign's hot
 * path. liquidjs checks its render limits only between template nodes, so work
 * done inside one node (an expression filter evaluating an expression per
 * element, a sort of a huge range, a 5,000-segment lookup in a loop) ran
 * unchecked and froze the event loop. Here the work is bounded where it
 * happens:
 *
 * - an allow-list of tags and filters: `include`, `render`, `layout`, `block`,
 *   `tablerow`, `echo` and `liquid` are gone, and so are the expression
 *   filters (`where_exp`, `find_exp`…), `sample` and `strip_html`;
 * - a step budget per value (TEMPLATE_STEP_LIMIT): each node rendered costs
 *   its source length, each loop iteration at least one step, each operator
 *   one step plus the elements it compares, each filter one step plus the
 *   elements it visits (n·log n for sorts); charged before the work;
 * - a character budget (TEMPLATE_CHAR_LIMIT): every range, array and string a
 *   filter reads or builds and every character written to the output or a
 *   capture, charged before it is built (liquidjs' memory limiter, fed by us too);
 * - liquidjs' parse limit on the template's size.
 *
 * Exceeding a budget is deterministic: the template is broken for that user
 * (`template_error`), never retried. Each render is first tried on the
 * caller's thread with a small step budget (INLINE_STEP_LIMIT, well under a
 * millisecond): that proves the common template cheap, for this user, at no
 * cost beyond liquidjs' own. A render that does not fit moves to a small pool
 * of worker threads (template-pool.ts) with the full budget, whose threads are
 * terminated when a render overruns, so neither the API's nor the worker's
 * event loop ever runs more than the inline budget of any template.
 */

/** Longest text a rendered template value may produce. */
export const MAX_RENDERED_CHARS = 10_000;


/**
 * Steps one value's render may take. A step is about a microsecond of liquidjs'
 * work: a node rendered or a loop iteration, or per 16 characters of a node's
 * source, or per ELEMENTS_PER_STEP array elements a filter or operator walks. A
 * loop over 100 items with a few filters each takes ~1,000.
 */
export const TEMPLATE_STEP_LIMIT = 20_000;
const SOURCE_CHARS_PER_STEP = 16;
const ELEMENTS_PER_STEP = 4;
/** Steps a render may take on the caller's thread before it moves to the pool (well under a millisecond). */
export const INLINE_STEP_LIMIT = 1_000;
/** Filters that evaluate a property of each element: a step per element. */
const PROPERTY_FILTERS = new Set(['where', 'reject', 'group_by', 'has', 'find', 'find_index', 'map', 'sum', 'sort', 'sort_natural']);
/** Filters that cost more than a step per call: dates are formatted through Intl (~0.1 ms). */
const FILTER_STEPS: Record<string, number> = { date: 100, date_to_xmlschema: 100, date_to_rfc822: 100, date_to_string: 100, date_to_long_string: 100 };
/** Characters and elements one value's render may read, build or write. */
export const TEMPLATE_CHAR_LIMIT = 200_000;

/** The tags an operator's template may use. */
export const ALLOWED_TAGS = ['assign', 'capture', 'case', 'comment', '#', 'if', 'unless', 'for', 'break', 'continue', 'raw', 'cycle', 'increment', 'decrement'] as const;

/** The filters an operator's template may use: each does work linear in what it is given (sorts n·log n), and is charged for it. */
export const ALLOWED_FILTERS = [
  // text
  'append', 'prepend', 'capitalize', 'downcase', 'upcase', 'strip', 'lstrip', 'rstrip', 'strip_newlines', 'squish', 'normalize_whitespace',
  'remove', 'remove_first', 'remove_last', 'replace', 'replace_first', 'replace_last', 'truncate', 'truncatewords', 'split', 'slice', 'size',
  'number_of_words', 'escape', 'escape_once', 'xml_escape', 'newline_to_br', 'url_encode', 'url_decode', 'cgi_escape', 'uri_escape', 'slugify',
  'base64_encode', 'base64_decode', 'sha256', 'hmac_sha256', 'default', 'json', 'jsonify', 'to_integer', 'raw',
  // numbers
  'abs', 'at_least', 'at_most', 'ceil', 'floor', 'round', 'plus', 'minus', 'times', 'divided_by', 'modulo',
  // dates
  'date', 'date_to_xmlschema', 'date_to_rfc822', 'date_to_string', 'date_to_long_string',
  // arrays
  'join', 'first', 'last', 'reverse', 'sort', 'sort_natural', 'map', 'sum', 'compact', 'concat', 'push', 'pop', 'shift', 'unshift', 'uniq',
  'where', 'reject', 'group_by', 'has', 'find', 'find_index', 'array_to_sentence_string',
] as const;

/** Thrown inside a render that used up a budget; liquidjs wraps it with the node's position. */
const STEP_LIMIT_MESSAGE = 'template step limit exceeded';
const CHAR_LIMIT_MESSAGE = 'template character limit exceeded';

/** The budget of the render running now: renders are synchronous, so one at a time per thread. */
class Budget {
  steps = 0;
  chars = 0;
  constructor(readonly stepLimit: number) {}
  step(n: number) {
    this.steps += n;
    if (this.steps > this.stepLimit) throw new Error(STEP_LIMIT_MESSAGE);
  }
  char(n: number) {
    this.chars += n;
    if (this.chars > TEMPLATE_CHAR_LIMIT) throw new Error(CHAR_LIMIT_MESSAGE);
  }
}
let current: Budget | null = null;
const step = (n: number) => current?.step(n);
const char = (n: number) => current?.char(n);

function elements(value: unknown): number {
  return Array.isArray(value) ? value.length : value !== null && typeof value === 'object' ? Object.keys(value).length : 0;
}
function characters(value: unknown): number {
  return typeof value === 'string' ? value.length : 0;
}

/** Charges a filter call before it runs: one step, the elements it visits, the characters it reads. */
function chargeFilter(name: string, input: unknown, args: unknown[]) {
  let n = elements(input);
  for (const arg of args) n += elements(arg);
  const walk = name === 'sort' || name === 'sort_natural' ? n * Math.log2(n + 2) : n;
  step((FILTER_STEPS[name] ?? 1) + Math.ceil(PROPERTY_FILTERS.has(name) ? walk : walk / ELEMENTS_PER_STEP));
  let text = characters(input);
  for (const arg of args) text += characters(arg);
  char(text);
}

const liquid = new Liquid({
  strictFilters: true,
  strictVariables: false,
  ownPropertyOnly: true,
  parseLimit: 20_000,
  cache: false,
  // An empty in-memory template root: `include`, `render` and `layout` are not even tags any more; belt and braces.
  templates: {},
  operators: Object.fromEntries(
    Object.entries(defaultOperators).map(([op, impl]) => [
      op,
      // `contains` and `==` on arrays walk them: one step per element, characters for strings.
      (l: unknown, r: unknown, ctx: Context) => {
        step(1 + Math.ceil((elements(l) + elements(r)) / ELEMENTS_PER_STEP));
        char(op === 'contains' ? characters(l) : 0);
        return (impl as (l: unknown, r: unknown, ctx: Context) => boolean)(l, r, ctx);
      },
    ]),
  ),
});

for (const name of Object.keys(liquid.tags)) if (!(ALLOWED_TAGS as readonly string[]).includes(name)) delete liquid.tags[name];
for (const name of Object.keys(liquid.filters)) delete liquid.filters[name];
for (const name of ALLOWED_FILTERS) {
  const impl = (builtinFilters as Record<string, (this: unknown, ...args: unknown[]) => unknown>)[name];
  if (!impl) throw new Error(`liquidjs has no filter ${name}`);
  liquid.registerFilter(name, function chargedFilter(this: unknown, input: unknown, ...args: unknown[]) {
    chargeFilter(name, input, args);
    return impl.call(this, input, ...args);
  });
}

/** A node's steps each time it renders: its own source and its branches' conditions (SOURCE_CHARS_PER_STEP). */
function weightOf(x: unknown): number {
  if (x instanceof Value) {
    let n = weightOf(x.initial);
    for (const filter of x.filters) n += 1 + filter.args.reduce<number>((sum, arg) => sum + (Array.isArray(arg) ? weightOf(arg[1]) : weightOf(arg)), 0);
    return n;
  }
  if (x instanceof Expression) return x.postfix.reduce((sum, token) => sum + weightOf(token), 0);
  const span = x as { begin?: unknown; end?: unknown } | null;
  if (span && typeof span.begin === 'number' && typeof span.end === 'number') return Math.max(1, Math.ceil((span.end - span.begin) / SOURCE_CHARS_PER_STEP));
  return 1;
}
const nodeWeights = new WeakMap<Template[], number>();
function weightOfNodes(templates: Template[]): number {
  let weight = nodeWeights.get(templates);
  if (weight === undefined) {
    weight = 1;
    for (const node of templates) {
      weight += 1 + weightOf((node as { token?: unknown }).token);
      const args = (node as { arguments?: () => Iterable<unknown> }).arguments?.();
      if (args) for (const arg of args) weight += weightOf(arg);
    }
    nodeWeights.set(templates, weight);
  }
  return weight;
}

/** Output and captures: every character written is charged before it is kept. */
class ChargedEmitter {
  buffer = '';
  write(html: unknown) {
    const text = typeof html === 'string' ? html : html === null || html === undefined ? '' : String(html);
    char(text.length);
    this.buffer += text;
  }
}

// Every block a render enters (the template, each loop iteration, each branch, each capture) charges its nodes first.
const renderer = liquid.renderer;
const renderTemplates = renderer.renderTemplates.bind(renderer);
renderer.renderTemplates = function* chargedRenderTemplates(templates, ctx, emitter) {
  step(weightOfNodes(templates));
  return yield* renderTemplates(templates, ctx, emitter ?? (new ChargedEmitter() as unknown as Parameters<typeof renderTemplates>[2]));
};

const memoryLimiter = { use: (n: number) => char(+n > 0 ? +n : 0), check: () => {}, base: 0, limit: TEMPLATE_CHAR_LIMIT, message: CHAR_LIMIT_MESSAGE };
// Steps, not time, bound a render: time would make the same template fail or move to the pool at random on a busy machine.
const timeLimiter = { check: () => {}, use: () => {}, base: 0, limit: Infinity, message: '' };

export { TemplateError };

/** A campaign's text values parsed: what renderParsed renders. */
export type ParsedTemplates = [string, Template[]][];

/**
 * Parses the Liquid in a campaign's text values; non-text values and text
 * without `{` are left out. Throws a TemplateError naming the parameter when a
 * template does not parse (for example a filter or tag that is not allowed).
 */
export function parseTemplates(params: readonly TemplateParam[], values: Record<string, unknown>): ParsedTemplates {
  const compiled: [string, Template[]][] = [];
  for (const param of params) {
    const value = values[param.name];
    if (param.type !== 'text' || typeof value !== 'string' || !value.includes('{')) continue;
    try {
      compiled.push([param.name, liquid.parse(value)]);
    } catch (error) {
      throw new TemplateError(param.name, `template of ${param.name} does not parse: ${describe((error as Error).message)}`);
    }
  }
  return compiled;
}

/** liquidjs' wording for what is not on the allow-lists, in ours. */
function describe(message: string): string {
  return message.replace(/^tag "([^"]+)" not found/, 'tag "$1" is not allowed in templates').replace(/^undefined filter: (\w+)/, 'filter "$1" is not allowed in templates');
}

/** An inline attempt ran out of its small step budget: the render goes to the pool. */
export class NotInline extends Error {}

/**
 * Renders parsed templates for one user on this thread, within the budgets;
 * throws TemplateError. `inline`: the step budget is INLINE_STEP_LIMIT, and
 * running out of it throws NotInline instead.
 */
export function renderParsed(compiled: ParsedTemplates, values: Record<string, unknown>, user: RecipientProfile, inline: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { ...values };
  const scope = { user: user.attributes, login_id: user.loginId, visitor_id: user.visitorId };
  for (const [name, template] of compiled) {
    let rendered: string;
    current = new Budget(inline ? INLINE_STEP_LIMIT : TEMPLATE_STEP_LIMIT);
    try {
      const ctx = new Context(scope, liquid.options, { sync: true }, { memoryLimit: memoryLimiter as never, renderLimit: timeLimiter as never, liquid });
      rendered = String(liquid.renderSync(template, ctx));
    } catch (error) {
      const message = (error as Error).message;
      if (inline && message.includes(STEP_LIMIT_MESSAGE)) throw new NotInline();
      // The liquidjs message can quote the template, never user values: safe to keep.
      if (message.includes(STEP_LIMIT_MESSAGE)) {
        throw new TemplateError(name, `template of ${name} does too much work for one user (over ${TEMPLATE_STEP_LIMIT} steps): ${message}`);
      }
      if (message.includes(CHAR_LIMIT_MESSAGE)) {
        throw new TemplateError(name, `template of ${name} builds too much text for one user (over ${TEMPLATE_CHAR_LIMIT} characters): ${message}`);
      }
      throw new TemplateError(name, `template of ${name} failed to render: ${message}`);
    } finally {
      current = null;
    }
    if (rendered.length > MAX_RENDERED_CHARS) {
      throw new TemplateError(name, `template of ${name} rendered more than ${MAX_RENDERED_CHARS} characters`);
    }
    out[name] = rendered;
  }
  return out;
}

/** Renders template values for one user on this thread with the full budget (the pool's threads call it; they parse per task). */
export function renderTemplateValuesHere(params: readonly TemplateParam[], values: Record<string, unknown>, user: RecipientProfile): Record<string, unknown> {
  return renderParsed(parseTemplates(params, values), values, user, false);
}
