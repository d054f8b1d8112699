import { useQuery } from '@tanstack/react-query';
import { AutoComplete, Button, Card, DatePicker, Input, InputNumber, Radio, Select, Space, Tag, Typography } from 'antd';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from './api.js';
import type { components } from './api-schema.js';
import { useDebounced } from './use-debounced.js';
import {
  attributeOps, buildRule, catalogTypes, COMPARISON_OPS, conditionWords, DATE_OPS, LIST_OPS, newRow, NO_VALUE_OPS, NUMERIC_OPS, readsDays, WINDOWS,
  type AttributeOp, type AttributeRow, type BuilderState, type Day, type EventRow, type FilterRow, type Row, type Scalar, type ValueInput, type WindowKind,
} from './segment-rule-rows.js';

/*
 * The segment rule builder: an AND or OR group of conditions an operator
 * puts together row by row, each read back as a sentence. It offers every
 * operator the API has (segments/rule.ts), and picks attribute, event and
 * property names from the catalog of what has been ingested (GET
 * /api/catalog) with their types, examples and last seen; free text is still
 * allowed. Its own file so the segment pages (list, detail, edit) and the
 * builder change independently; the rows ⇄ rule logic and the words are in
 * segment-rule-rows.ts.
 */

type CatalogAttribute = components['schemas']['CatalogAttribute'];
type CatalogEvent = components['schemas']['CatalogEvent'];


const CATALOG_LIMIT = 1000;

/** The catalog, read once per form (names change slowly); a picker searches the API itself when the list was cut. */
export function useCatalog(q = '') {
  return useQuery({
    queryKey: ['catalog', q],
    staleTime: 60_000,
    queryFn: () => unwrap(api.GET('/api/catalog', { params: { query: { limit: String(CATALOG_LIMIT), ...(q ? { q } : {}) } } })),
  });
}

/** "5 分钟前", "3 天前": how long ago a name was last seen. */
function agoWords(t: TFunction, iso: string): string {
  const minutes = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60_000));
  if (minutes < 1) return t('agoNow');
  if (minutes < 60) return t('agoMinutes', { n: minutes });
  if (minutes < 48 * 60) return t('agoHours', { n: Math.round(minutes / 60) });
  return t('agoDays', { n: Math.round(minutes / 1440) });
}

const typeWord = (t: TFunction, type: string) => t(`catType_${type}`, { defaultValue: type });
const shown = (v: Scalar) => (typeof v === 'string' ? v : String(v));

/**
 * A name picked from the catalog (each option with its type, examples and
 * last seen) or typed freely. When the catalog was cut at its limit, what is
 * typed is searched for in the API.
 */
function NamePicker<T extends { name: string; lastSeenAt?: string }>({ value, onChange, items, truncated, kind, describe, placeholder, testId, width = 200 }: {
  value: string; onChange: (name: string) => void; items: T[]; truncated: boolean; kind: 'attributes' | 'events' | 'properties';
  describe: (item: T) => string; placeholder: string; testId: string; width?: number;
}) {
  const { t } = useTranslation();
  const search = useDebounced(value, 300);
  const searched = useCatalog(truncated && kind !== 'properties' ? search : '');
  const pool = truncated && kind !== 'properties' && searched.data ? (searched.data[kind] as unknown as T[]) : items;
  const needle = value.toLowerCase();
  const options = pool
    .filter((item) => item.name.toLowerCase().includes(needle))
    .slice(0, 50)
    .map((item) => ({
      value: item.name,
      label: (
        <div data-testid={`catalog-option-${item.name}`}>
          <Typography.Text strong>{item.name}</Typography.Text>
          <div style={{ fontSize: 12, color: '#888', whiteSpace: 'normal' }}>{describe(item)}{item.lastSeenAt ? ` · ${t('lastSeen', { ago: agoWords(t, item.lastSeenAt) })}` : ''}</div>
        </div>
      ),
    }));
  return (
    <AutoComplete value={value} onChange={(v: string) => onChange(v)} options={options} style={{ width }} popupMatchSelectWidth={360}>
      <Input placeholder={placeholder} data-testid={testId} />
    </AutoComplete>
  );
}

/** The value inputs of one comparison: nothing, a number, a date, a list, yes/no, or text with the catalog's examples offered. */
function ValueFields({ input, type, examples, onChange, prefix }: {
  input: ValueInput; type: string | undefined; examples: Scalar[]; onChange: (change: Partial<ValueInput>) => void; prefix: string;
}) {
  const { t } = useTranslation();
  if (NO_VALUE_OPS.includes(input.op)) return null;
  if (LIST_OPS.includes(input.op)) {
    return (
      <Select mode="tags" value={input.values} style={{ minWidth: 200 }} placeholder={t('valuesHint')} data-testid={`${prefix}-values`} tokenSeparators={[',', '，']}
        onChange={(values: string[]) => onChange({ values })} options={examples.map((v) => ({ value: shown(v), label: shown(v) }))} />
    );
  }
  if (NUMERIC_OPS.includes(input.op) || type === 'number') {
    return <InputNumber value={input.value === '' ? null : Number(input.value)} style={{ width: 140 }} data-testid={`${prefix}-number`} onChange={(v) => onChange({ value: v === null || v === undefined ? '' : String(v) })} />;
  }
  if (type === 'boolean') {
    return (
      <Select value={input.value || undefined} style={{ width: 100 }} data-testid={`${prefix}-boolean`} onChange={(value: string) => onChange({ value })}
        options={[{ value: 'true', label: t('yes') }, { value: 'false', label: t('no') }]} />
    );
  }
  return (
    <AutoComplete value={input.value} onChange={(value: string) => onChange({ value })} style={{ width: 180 }}
      options={examples.map((v) => ({ value: shown(v), label: shown(v) }))}>
      <Input placeholder={t('valueHint')} data-testid={`${prefix}-value`} />
    </AutoComplete>
  );
}

/**
 * The rows of a rule, edited in place; the parent holds the state (a new
 * segment starts empty, an edit from the stored rule) and the time zone,
 * which the builder names beside conditions that count days.
 */
export function SegmentRuleBuilder({ value, onChange, zoneName }: { value: BuilderState; onChange: (update: (previous: BuilderState) => BuilderState) => void; zoneName?: string }) {
  const { t } = useTranslation();
  const catalog = useCatalog();
  const types = catalogTypes(catalog.data);
  const attributes: CatalogAttribute[] = catalog.data?.attributes ?? [];
  const events: CatalogEvent[] = catalog.data?.events ?? [];
  const { join, rows } = value;
  // Every change applies to the state as it is then, not as this render saw it: two inputs changing in one tick (a picker's
  // select and its blur) must not undo each other.
  const updateRows = (change: (rows: Row[]) => Row[]) => onChange((previous) => ({ ...previous, rows: change(previous.rows) }));
  const replace = (i: number, row: Row) => updateRows((current) => current.map((r, j) => (j === i ? row : r)));
  function patch<R extends Row>(i: number, change: Partial<R> | ((row: R) => Partial<R>)) {
    updateRows((current) => current.map((r, j) => (j === i ? ({ ...r, ...(typeof change === 'function' ? change(r as R) : change) } as Row) : r)));
  }
  const patchFilter = (i: number, k: number, change: Partial<FilterRow>) => patch<EventRow>(i, (r) => ({ where: r.where.map((f, m) => (m === k ? { ...f, ...change } : f)) }));
  const rule = buildRule(value, types) as Record<'all' | 'any', Record<string, unknown>[]>;
  const examplesOf = (name: string) => attributes.find((a) => a.name === name)?.examples ?? [];
  const attributeWords = (a: CatalogAttribute) => `${typeWord(t, a.type)}${a.examples.length > 0 ? ` · ${t('examplesWords', { values: a.examples.map(shown).join(t('listJoin')) })}` : ''}`;
  const eventWords = (e: CatalogEvent) => (e.properties.length > 0 ? t('propertiesWords', { names: e.properties.map((p) => p.name).join(t('listJoin')) }) : t('noProperties'));
  return (
    <>
      <Radio.Group value={join} onChange={(e) => onChange((previous) => ({ ...previous, join: e.target.value as 'all' | 'any' }))} options={[{ value: 'all', label: t('all') }, { value: 'any', label: t('any') }]} />
      {rows.length === 0 && <Typography.Paragraph type="secondary" style={{ marginTop: 8 }} data-testid="rule-empty">{t('ruleEmpty')}</Typography.Paragraph>}
      {rows.map((row, i) => (
        <Card size="small" key={i} style={{ marginTop: 8 }} data-testid={`rule-row-${i}`}>
          <Space wrap>
            <Select value={row.kind} style={{ width: 120 }} data-testid="row-kind" onChange={(kind: Row['kind']) => replace(i, newRow(kind))}
              options={(['attribute', 'event', 'identity'] as const).map((v) => ({ value: v, label: t(`opt_${v}`) }))} />
            {row.kind === 'attribute' && (() => {
              const type = types.attribute(row.attribute);
              const ops = attributeOps(type);
              return (
                <>
                  <NamePicker value={row.attribute} items={attributes} truncated={catalog.data?.truncated.attributes ?? false} kind="attributes" describe={attributeWords}
                    placeholder={t('attributeHint')} testId="attribute-name"
                    onChange={(attribute) => {
                      const nextOps = attributeOps(types.attribute(attribute));
                      patch<AttributeRow>(i, (r) => ({ attribute, op: nextOps.includes(r.op as AttributeOp) ? r.op : nextOps[0]! }));
                    }} />
                  {type && <Tag data-testid="attribute-type">{typeWord(t, type)}</Tag>}
                  <Select value={row.op} style={{ width: 150 }} data-testid="attribute-op" onChange={(op: string) => patch<AttributeRow>(i, { op })}
                    options={ops.map((v) => ({ value: v, label: t(`op_${v}`) }))} />
                  {row.op === 'withinLastDays' && <InputNumber min={1} max={36600} value={row.days} onChange={(v) => patch<AttributeRow>(i, { days: v ?? null })} suffix={t('days')} style={{ width: 120 }} data-testid="attribute-days" />}
                  {(row.op === 'before' || row.op === 'after') && <DatePicker value={row.date ?? null} onChange={(d: Day | null) => patch<AttributeRow>(i, { date: d })} data-testid="attribute-date" />}
                  {!DATE_OPS.includes(row.op as (typeof DATE_OPS)[number]) && (
                    <ValueFields input={row} type={type} examples={examplesOf(row.attribute)} prefix="attribute" onChange={(change) => patch<AttributeRow>(i, change)} />
                  )}
                </>
              );
            })()}
            {row.kind === 'event' && (
              <>
                <Select value={row.did ? 'did' : 'didNot'} style={{ width: 120 }} onChange={(v: string) => patch<EventRow>(i, { did: v === 'did' })} data-testid="event-did"
                  options={[{ value: 'did', label: t('did') }, { value: 'didNot', label: t('didNot') }]} />
                <NamePicker value={row.event} items={events} truncated={catalog.data?.truncated.events ?? false} kind="events" describe={eventWords}
                  placeholder={t('eventHint')} testId="event-name" onChange={(event) => patch<EventRow>(i, { event })} />
                {row.did && (
                  <Space.Compact>
                    <Select value={row.countOp} style={{ width: 90 }} data-testid="event-count-op" onChange={(countOp: EventRow['countOp']) => patch<EventRow>(i, (r) => ({ countOp, times: countOp === 'atLeast' ? Math.max(1, r.times) : r.times }))}
                      options={(['atLeast', 'atMost', 'exactly'] as const).map((v) => ({ value: v, label: t(`count_${v}`) }))} />
                    <InputNumber min={row.countOp === 'atLeast' ? 1 : 0} max={10000} value={row.times} onChange={(v) => patch<EventRow>(i, { times: v ?? 1 })} suffix={t('times')} style={{ width: 110 }} data-testid="event-times" />
                  </Space.Compact>
                )}
                <Select value={row.window} style={{ width: 150 }} onChange={(w: WindowKind) => patch<EventRow>(i, { window: w })} data-testid="event-window"
                  options={WINDOWS.map((w) => ({ value: w, label: t(`win_${w}`) }))} />
                {(row.window === 'lastDays' || row.window === 'sinceDaysAgo') && <InputNumber min={row.window === 'lastDays' ? 1 : 0} max={36600} value={row.days} onChange={(v) => patch<EventRow>(i, { days: v ?? 1 })} suffix={t('days')} style={{ width: 120 }} data-testid="event-days" />}
                {row.window === 'sinceDate' && <DatePicker value={row.since ?? null} onChange={(d: Day | null) => patch<EventRow>(i, { since: d })} data-testid="event-since" />}
                {row.window === 'between' && <DatePicker.RangePicker value={row.range ?? null} data-testid="event-between" onChange={(range) => patch<EventRow>(i, { range })} />}
                <Button size="small" data-testid="event-add-filter" disabled={row.where.length >= 10} onClick={() => patch<EventRow>(i, (r) => ({ where: [...r.where, { property: '', op: 'equals', value: '', values: [] }] }))}>{t('addPropertyFilter')}</Button>
              </>
            )}
            {row.kind === 'identity' && (
              <Select value={row.identity} style={{ width: 150 }} data-testid="identity" onChange={(identity: 'hasLoginId' | 'visitorOnly') => replace(i, { kind: 'identity', identity })} options={(['hasLoginId', 'visitorOnly'] as const).map((v) => ({ value: v, label: t(`opt_${v}`) }))} />
            )}
            <Button onClick={() => updateRows((current) => current.filter((_, j) => j !== i))} data-testid="row-remove">{t('remove')}</Button>
          </Space>
          {row.kind === 'event' && row.where.map((filter, k) => {
            const properties = events.find((e) => e.name === row.event)?.properties ?? [];
            const type = types.property(row.event, filter.property);
            return (
              <Space wrap key={k} style={{ marginTop: 8, marginLeft: 24 }} data-testid={`event-filter-${k}`}>
                <span>{t('whereLabel')}</span>
                <NamePicker value={filter.property} items={properties} truncated={false} kind="properties" width={160}
                  describe={(p) => p.types.map((ty) => typeWord(t, ty)).join(' / ')} placeholder={t('propertyHint')} testId="filter-property"
                  onChange={(property) => patchFilter(i, k, { property })} />
                <Select value={filter.op} style={{ width: 130 }} data-testid="filter-op" onChange={(op: string) => patchFilter(i, k, { op })}
                  options={COMPARISON_OPS.map((v) => ({ value: v, label: t(`op_${v}`) }))} />
                <ValueFields input={filter} type={type} examples={[]} prefix="filter" onChange={(change) => patchFilter(i, k, change)} />
                <Button size="small" onClick={() => patch<EventRow>(i, (r) => ({ where: r.where.filter((_, m) => m !== k) }))}>{t('remove')}</Button>
              </Space>
            );
          })}
          <Typography.Paragraph style={{ margin: '8px 0 0' }} data-testid={`rule-sentence-${i}`}>{conditionWords(t, rule[join][i]!)}</Typography.Paragraph>
        </Card>
      ))}
      {zoneName && rows.some(readsDays) && <Typography.Paragraph type="secondary" style={{ margin: '8px 0 0' }} data-testid="rule-zone">{t('daysInZone', { zone: zoneName })}</Typography.Paragraph>}
      <Button style={{ marginTop: 8 }} data-testid="rule-add" onClick={() => updateRows((current) => [...current, newRow('attribute')])}>{t('addCondition')}</Button>
    </>
  );
}
