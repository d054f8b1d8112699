import dayjs, { type Dayjs } from 'dayjs';
import type { TFunction } from 'i18next';
import type { components } from './api-schema.js';

/*
 * The segment rule builder's rows and the rule they stand for, both ways
 * (buildRule, builderFromRule), and each condition in words (conditionWords).
 * Pure, so a page that shows or edits a stored rule uses the same words and
 * rows as the builder (console/src/SegmentRuleBuilder.tsx), and a unit test
 * covers every operator.
 */

export type Catalog = components['schemas']['Catalog'];
export type Scalar = string | number | boolean;

/** A day as antd's date picker holds it. */
export type Day = Dayjs;
const isoDay = (d: Day | null | undefined) => d?.format('YYYY-MM-DD') ?? '';

/** Comparisons on one value (attributes and event properties alike), as the API names them. */
export const COMPARISON_OPS = ['equals', 'notEquals', 'in', 'notIn', 'gt', 'gte', 'lt', 'lte', 'contains', 'startsWith', 'exists', 'notExists'] as const;
/** Comparisons by calendar day in the segment's time zone (date attributes). */
export const DATE_OPS = ['before', 'after', 'withinLastDays', 'anniversaryToday'] as const;
export type ComparisonOp = (typeof COMPARISON_OPS)[number];
export type AttributeOp = ComparisonOp | (typeof DATE_OPS)[number];
export const NUMERIC_OPS: readonly string[] = ['gt', 'gte', 'lt', 'lte'];
export const LIST_OPS: readonly string[] = ['in', 'notIn'];
export const NO_VALUE_OPS: readonly string[] = ['exists', 'notExists', 'anniversaryToday'];

/** The operators that fit an attribute of a known type; every operator when the name is not in the catalog yet. */
export function attributeOps(type: string | undefined): readonly AttributeOp[] {
  const common: AttributeOp[] = ['equals', 'notEquals', 'in', 'notIn', 'exists', 'notExists'];
  switch (type) {
    case 'string': return [...common, 'contains', 'startsWith'];
    case 'number': return [...common, 'gt', 'gte', 'lt', 'lte'];
    case 'boolean': return ['equals', 'notEquals', 'exists', 'notExists'];
    case 'date': return [...DATE_OPS, 'exists', 'notExists'];
    default: return [...COMPARISON_OPS, ...DATE_OPS];
  }
}

/** Which window a behaviour condition counts events in; `ever` means no window (all time). */
export type WindowKind = 'ever' | 'today' | 'yesterday' | 'lastDays' | 'sinceYesterday' | 'sinceDaysAgo' | 'sinceDate' | 'between';
export const WINDOWS: readonly WindowKind[] = ['ever', 'today', 'yesterday', 'lastDays', 'sinceYesterday', 'sinceDaysAgo', 'sinceDate', 'between'];

export interface ValueInput {
  op: string;
  /** What the operator typed (one value). */
  value: string;
  /** The values of `in` / `not in`. */
  values: string[];
  /** The type a stored rule's value had, kept for a name the catalog does not know, so an edit does not turn 100 into "100". */
  valueType?: 'number' | 'boolean';
}
export type FilterRow = ValueInput & { property: string };
export type AttributeRow = ValueInput & { kind: 'attribute'; attribute: string; days: number | null; date?: Day | null };
export type EventRow = {
  kind: 'event';
  did: boolean;
  event: string;
  countOp: 'atLeast' | 'atMost' | 'exactly';
  times: number;
  window: WindowKind;
  days: number;
  since?: Day | null;
  range?: [Day | null, Day | null] | null;
  where: FilterRow[];
};
export type Row = AttributeRow | EventRow | { kind: 'identity'; identity: 'hasLoginId' | 'visitorOnly' };

/** What the builder holds: the group's join and its rows. */
export interface BuilderState {
  join: 'all' | 'any';
  rows: Row[];
}

/** A new segment's builder: no condition until the operator adds one. */
export const emptyBuilder: BuilderState = { join: 'all', rows: [] };

export const newRow = (kind: Row['kind']): Row =>
  kind === 'attribute'
    ? { kind, attribute: '', op: 'equals', value: '', values: [], days: 30 }
    : kind === 'event'
      ? { kind, did: true, event: '', countOp: 'atLeast', times: 1, window: 'ever', days: 7, where: [] }
      : { kind, identity: 'hasLoginId' };

/** Typed text as the value the API compares: a number for a number attribute, true/false for a boolean one, else the text. */
function typedValue(type: string | undefined, text: string): Scalar {
  if (type === 'number' && text.trim() !== '' && Number.isFinite(Number(text))) return Number(text);
  if (type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

/** One comparison as the API takes it (`{ op, value }`); `type` is the name's type from the catalog, if known. */
function comparison(input: ValueInput, type: string | undefined): Record<string, unknown> {
  if (NO_VALUE_OPS.includes(input.op)) return { op: input.op };
  const typed = type ?? input.valueType;
  if (LIST_OPS.includes(input.op)) return { op: input.op, value: input.values.map((v) => typedValue(typed, v)) };
  if (NUMERIC_OPS.includes(input.op)) return { op: input.op, value: input.value.trim() === '' ? input.value : Number(input.value) };
  return { op: input.op, value: typedValue(typed, input.value) };
}

function eventWindow(row: EventRow): Record<string, unknown> | undefined {
  switch (row.window) {
    case 'today':
    case 'yesterday':
      return { type: row.window };
    case 'lastDays':
      return { type: 'lastDays', days: row.days };
    case 'sinceYesterday':
      return { type: 'since', daysAgo: 1 };
    case 'sinceDaysAgo':
      return { type: 'since', daysAgo: row.days };
    case 'sinceDate':
      return { type: 'since', date: isoDay(row.since) };
    case 'between':
      return { type: 'between', from: isoDay(row.range?.[0]), to: isoDay(row.range?.[1]) };
    case 'ever':
      return undefined;
  }
}

/** The names' types the catalog knows, for typing values. */
export interface KnownTypes {
  attribute: (name: string) => string | undefined;
  /** A property's type when its values had exactly one scalar type. */
  property: (event: string, property: string) => string | undefined;
}
export const noTypes: KnownTypes = { attribute: () => undefined, property: () => undefined };

/** One builder row as a rule condition. */
function condition(row: Row, types: KnownTypes): unknown {
  if (row.kind === 'identity') return { identity: row.identity };
  if (row.kind === 'attribute') {
    if (row.op === 'withinLastDays') return { attribute: row.attribute, op: row.op, value: row.days };
    if (row.op === 'before' || row.op === 'after') return { attribute: row.attribute, op: row.op, value: isoDay(row.date) };
    return { attribute: row.attribute, ...comparison(row, types.attribute(row.attribute)) };
  }
  const window = eventWindow(row);
  const where = row.where.map((f) => ({ property: f.property, ...comparison(f, types.property(row.event, f.property)) }));
  const extra = { ...(window ? { window } : {}), ...(where.length > 0 ? { where } : {}) };
  return row.did ? { event: row.event, count: { op: row.countOp, value: row.times }, ...extra } : { noEvent: row.event, ...extra };
}

/** The builder's rows as a rule: one AND or OR group. */
export function buildRule({ join, rows }: BuilderState, types: KnownTypes = noTypes) {
  return { [join]: rows.map((row) => condition(row, types)) };
}

const valueTypeOf = (value: unknown): ValueInput['valueType'] => {
  const first = Array.isArray(value) ? (value as unknown[])[0] : value;
  return typeof first === 'number' ? 'number' : typeof first === 'boolean' ? 'boolean' : undefined;
};

/** A stored comparison as the builder's inputs. */
function valueInput(node: { op?: unknown; value?: unknown }): ValueInput {
  const value = node.value;
  return {
    op: String(node.op),
    value: Array.isArray(value) || value === undefined ? '' : String(value),
    values: Array.isArray(value) ? value.map((v) => String(v)) : [],
    ...(valueTypeOf(value) ? { valueType: valueTypeOf(value) } : {}),
  };
}

function windowRow(window: Record<string, unknown> | undefined): Pick<EventRow, 'window' | 'days' | 'since' | 'range'> {
  const days = 7;
  if (!window) return { window: 'ever', days };
  switch (window.type) {
    case 'today':
    case 'yesterday':
      return { window: window.type, days };
    case 'lastDays':
      return { window: 'lastDays', days: Number(window.days) };
    case 'between':
      return { window: 'between', days, range: [dayjs(String(window.from)), dayjs(String(window.to))] };
    default:
      if (window.date !== undefined) return { window: 'sinceDate', days, since: dayjs(String(window.date)) };
      return window.daysAgo === 1 ? { window: 'sinceYesterday', days } : { window: 'sinceDaysAgo', days: Number(window.daysAgo) };
  }
}

/** One stored condition as a builder row; undefined for a nested group, which the builder has no row for. */
function rowOf(node: Record<string, unknown>): Row | undefined {
  if ('identity' in node) return { kind: 'identity', identity: node.identity as 'hasLoginId' | 'visitorOnly' };
  if ('attribute' in node) {
    const base: AttributeRow = { kind: 'attribute', attribute: String(node.attribute), days: 30, ...valueInput(node) };
    if (node.op === 'withinLastDays') return { ...base, value: '', days: Number(node.value) };
    if (node.op === 'before' || node.op === 'after') return { ...base, value: '', date: dayjs(String(node.value)) };
    return base;
  }
  if (!('event' in node) && !('noEvent' in node)) return undefined;
  const where = ((node.where as Record<string, unknown>[] | undefined) ?? []).map((f) => ({ property: String(f.property), ...valueInput(f) }));
  const count = node.count as { op: EventRow['countOp']; value: number } | undefined;
  return {
    kind: 'event',
    did: 'event' in node,
    event: String(node.event ?? node.noEvent),
    countOp: count?.op ?? 'atLeast',
    times: count?.value ?? 1,
    ...windowRow(node.window as Record<string, unknown> | undefined),
    where,
  };
}

/**
 * A stored rule as the builder's state, for editing it: one AND or OR group
 * of conditions, as the builder makes. Undefined for a rule the builder
 * cannot show (nested groups, written through the API); show it as words or
 * JSON instead.
 *
 * @example
 * builderFromRule({ all: [{ noEvent: 'pay_order', window: { type: 'since', daysAgo: 1 } }] });
 * // { join: 'all', rows: [{ kind: 'event', did: false, event: 'pay_order', window: 'sinceYesterday', … }] }
 */
export function builderFromRule(rule: unknown): BuilderState | undefined {
  if (!rule || typeof rule !== 'object') return undefined;
  const join = 'all' in rule ? 'all' : 'any' in rule ? 'any' : undefined;
  const nodes = join ? (rule as Record<string, unknown>)[join] : [rule];
  if (!Array.isArray(nodes)) return undefined;
  const rows = nodes.map((node) => rowOf(node as Record<string, unknown>));
  return rows.every((row) => row !== undefined) ? { join: join ?? 'all', rows: rows as Row[] } : undefined;
}

/** JSON with sorted keys, so two rules compare by content, not key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(value);
}

/**
 * A saved rule as the builder's state for an edit, or undefined when the
 * builder cannot show it exactly (nested groups, a shape it has no input
 * for): kept only if it builds the very same rule back, so an edit never
 * changes a condition the operator did not touch.
 */
export function editableBuilder(rule: unknown): BuilderState | undefined {
  const state = builderFromRule(rule);
  if (!state) return undefined;
  const node = rule as Record<string, unknown>;
  // A single condition saved through the API is a group of one.
  const asGroup = Array.isArray(node.all) || Array.isArray(node.any) ? rule : { all: [rule] };
  return canonical(buildRule(state, noTypes)) === canonical(asGroup) ? state : undefined;
}

/** The catalog's types as KnownTypes. */
export function catalogTypes(catalog: Catalog | undefined): KnownTypes {
  if (!catalog) return noTypes;
  const attributes = new Map(catalog.attributes.map((a) => [a.name, a.type]));
  const events = new Map(catalog.events.map((e) => [e.name, new Map(e.properties.map((p) => [p.name, p.types]))]));
  return {
    attribute: (name) => attributes.get(name),
    property: (event, property) => {
      const types = events.get(event)?.get(property);
      return types?.length === 1 ? types[0] : undefined;
    },
  };
}

/** The words of a window, placed by each language's sentence ("昨天" before the verb, "yesterday" after it); none for all time. */
function windowWords(t: TFunction, window: Record<string, unknown> | undefined): string {
  if (!window) return '';
  switch (window.type) {
    case 'today': return t('w_today');
    case 'yesterday': return t('w_yesterday');
    case 'lastDays': return t('w_lastDays', { n: window.days });
    case 'between': return t('w_between', { from: window.from || '…', to: window.to || '…' });
    default:
      if (window.date !== undefined) return t('w_sinceDate', { date: window.date || '…' });
      return window.daysAgo === 0 ? t('w_today') : window.daysAgo === 1 ? t('w_sinceYesterday') : t('w_sinceDaysAgo', { n: window.daysAgo });
  }
}

/** "gold、silver": a comparison's value in words. */
function valueWords(t: TFunction, value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => String(v)).join(t('listJoin'));
  return value === undefined || value === '' ? '…' : String(value);
}

/** One comparison in words: "vip_level 等于 gold", "points 大于 100", "phone 没有值". */
function comparisonWords(t: TFunction, name: string, c: { op?: unknown; value?: unknown }): string {
  return t(`cmp_${String(c.op)}`, { name: name || '…', value: valueWords(t, c.value) });
}

/**
 * A rule condition in the operator's language: "昨天完成过 add_to_cart 至少 1 次",
 * "自昨天起没有完成过 pay_order", "vip_level 是 gold、silver 之一". Works on the
 * rule as the API stores it, so a saved segment reads the same.
 *
 * @example
 * conditionWords(t, { noEvent: 'pay_order', window: { type: 'since', daysAgo: 1 } }); // '自昨天起没有完成过 pay_order'
 */
export function conditionWords(t: TFunction, node: Record<string, unknown>): string {
  // Parts left empty (no count, no window, no filters) leave their spaces behind.
  return sentence(t, node).replace(/\s{2,}/g, ' ').trim();
}

function sentence(t: TFunction, node: Record<string, unknown>): string {
  if ('identity' in node) return t(`opt_${String(node.identity)}`);
  if ('attribute' in node) return comparisonWords(t, String(node.attribute), node);
  const where = (node.where as { property: string; op: string; value?: unknown }[] | undefined) ?? [];
  const filters = where.length > 0 ? t('whereWords', { filters: where.map((f) => comparisonWords(t, f.property, f)).join(t('andWord')) }) : '';
  const window = windowWords(t, node.window as Record<string, unknown> | undefined);
  if ('noEvent' in node) return t('didNotSentence', { window, event: node.noEvent || '…', filters });
  const count = node.count as { op: string; value: number } | undefined;
  return t('didSentence', { window, event: node.event || '…', count: count ? t(`times_${count.op}`, { n: count.value }) : '', filters });
}

/** Whether a condition counts calendar days (today, yesterday, a date, the last N days), which the segment's time zone decides. */
export function readsDays(row: Row): boolean {
  if (row.kind === 'event') return row.window !== 'ever';
  return row.kind === 'attribute' && DATE_OPS.includes(row.op as (typeof DATE_OPS)[number]);
}

