/** Property filter operators, as triggers, segments and goals take them. */
export const filterOps = ['equals', 'notEquals', 'in', 'notIn', 'gt', 'gte', 'lt', 'lte', 'contains', 'startsWith', 'exists', 'notExists'] as const;
export type FilterRow = { property?: string; op?: string; value?: string };

/** A typed-in filter value as JSON would carry it: numbers and true/false as such, lists split at commas. */
function filterValue(op: string, text: string | undefined): unknown {
  const scalar = (x: string): string | number | boolean => (x === 'true' ? true : x === 'false' ? false : x.trim() !== '' && Number.isFinite(Number(x)) ? Number(x) : x);
  const raw = text ?? '';
  if (op === 'in' || op === 'notIn') return raw.split(',').map((x) => scalar(x.trim()));
  if (['gt', 'gte', 'lt', 'lte'].includes(op)) return Number(raw);
  if (op === 'contains' || op === 'startsWith') return raw;
  return scalar(raw);
}

/** Property filter rows of a form (an event trigger's, a goal's) as the API takes them. */
export function buildFilters(rows: FilterRow[] | undefined) {
  return (rows ?? []).map((r) => {
    const op = r.op ?? 'equals';
    return op === 'exists' || op === 'notExists' ? { property: r.property ?? '', op } : { property: r.property ?? '', op, value: filterValue(op, r.value) };
  });
}
