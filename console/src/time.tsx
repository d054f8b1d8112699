import { Typography } from 'antd';

/** The operator's own zone, as the browser reports it. */
export const operatorZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

const formats = new Map<string, Intl.DateTimeFormat>();
function formatIn(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) {
    // sv-SE writes ISO-like "2026-11-30 09:00:00", the same in either language of the console.
    f = new Intl.DateTimeFormat('sv-SE', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formats.set(zone, f);
  }
  return f;
}

/**
 * An instant as wall-clock time in a zone, e.g. "2026-11-30 09:00:00".
 *
 * @example
 * clock('2026-11-30T01:00:00Z', 'Asia/Shanghai'); // '2026-11-30 09:00:00'
 */
export function clock(iso: string, zone: string): string {
  return formatIn(zone).format(new Date(iso));
}

/** The zone a campaign's times are read in: a recurring trigger's own zone, else the campaign's. */
export function campaignZone(campaign: { trigger?: unknown; timeZone?: string } | undefined): string | undefined {
  const own = (campaign?.trigger as { timeZone?: unknown } | undefined)?.timeZone;
  return typeof own === 'string' && own !== '' ? own : campaign?.timeZone;
}

/**
 * An instant in the operator's zone, with the campaign's zone alongside when it
 * differs ("2026-11-29 18:00:00 · Asia/Shanghai 2026-11-30 01:00:00"), so an
 * operator in Berlin sees both their own time and the one the campaign speaks.
 */
export function When({ at, zone }: { at: string | null | undefined; zone?: string }) {
  if (!at) return <span>—</span>;
  const local = clock(at, operatorZone);
  if (!zone || zone === operatorZone) return <span data-testid="when" title={operatorZone}>{local} <Typography.Text type="secondary">{operatorZone}</Typography.Text></span>;
  return (
    <span data-testid="when" title={`${operatorZone} / ${zone}`}>
      {local} <Typography.Text type="secondary">{operatorZone}</Typography.Text>
      <Typography.Text type="secondary" data-testid="when-campaign"> · {zone} {clock(at, zone)}</Typography.Text>
    </span>
  );
}
