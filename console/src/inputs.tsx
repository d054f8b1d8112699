import { InputNumber, Select, Space } from 'antd';
import type { TFunction } from 'i18next';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { isoDurationMs } from '../../contracts/iso-duration.js';

/*
 * Inputs an operator fills in without knowing the API's notation: a duration
 * as a number and a unit (the form keeps the ISO 8601 text the API takes), a
 * time zone picked from a list.
 */

export const DURATION_UNITS = ['minute', 'hour', 'day', 'week'] as const;
export type DurationUnit = (typeof DURATION_UNITS)[number];
const UNIT_MS: Record<DurationUnit, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000 };

/**
 * A number of units as ISO 8601.
 *
 * @example
 * toIsoDuration(24, 'hour'); // 'PT24H'
 * toIsoDuration(1, 'week');  // 'P1W'
 */
export function toIsoDuration(n: number, unit: DurationUnit): string {
  return unit === 'minute' ? `PT${n}M` : unit === 'hour' ? `PT${n}H` : unit === 'day' ? `P${n}D` : `P${n}W`;
}

/** An ISO duration as the largest unit that divides it ('PT48H' → 2 days); undefined for what the picker cannot show. */
export function fromIsoDuration(iso: string | undefined): { n: number; unit: DurationUnit } | undefined {
  if (!iso) return undefined;
  const ms = isoDurationMs(iso);
  if (ms === undefined || ms === 0) return undefined;
  // One unit as written ('PT24H') reads as written: 24 小时, not 1 天.
  const single = /^P(?:(\d+)W|(\d+)D|T(\d+)H|T(\d+)M)$/.exec(iso);
  if (single) {
    const [, w, d, h, m] = single;
    if (w) return { n: Number(w), unit: 'week' };
    if (d) return { n: Number(d), unit: 'day' };
    if (h) return { n: Number(h), unit: 'hour' };
    return { n: Number(m), unit: 'minute' };
  }
  for (const unit of [...DURATION_UNITS].reverse()) if (ms % UNIT_MS[unit] === 0) return { n: ms / UNIT_MS[unit], unit };
  return undefined;
}

/** A duration in words: 'PT24H' → "24 小时", 'P7D' → "1 周". */
export function durationWords(t: TFunction, iso: string | undefined | null): string {
  const d = fromIsoDuration(iso ?? undefined);
  return d ? t(`unit_${d.unit}_n`, { n: d.n }) : (iso ?? '—');
}

/** A form control: value is the ISO text (or undefined when empty), shown as number + unit. */
export function DurationInput({ value, onChange, defaultUnit = 'hour', testId }: { value?: string; onChange?: (v: string | undefined) => void; defaultUnit?: DurationUnit; testId?: string }) {
  const { t } = useTranslation();
  const shown = fromIsoDuration(value);
  // A unit picked before a number is typed is kept here: the value alone cannot hold it.
  const [picked, setPicked] = useState<DurationUnit | undefined>(undefined);
  const unit = shown?.unit ?? picked ?? defaultUnit;
  const n = shown?.n ?? null;
  return (
    <Space.Compact data-testid={testId} data-value={value ?? ''}>
      <InputNumber min={1} precision={0} value={n} style={{ width: 100 }} data-testid={testId && `${testId}-n`}
        onChange={(next) => onChange?.(next === null || next === undefined ? undefined : toIsoDuration(Number(next), unit))} />
      <Select value={unit} style={{ width: 90 }} data-testid={testId && `${testId}-unit`}
        options={DURATION_UNITS.map((u) => ({ value: u, label: t(`unit_${u}`) }))}
        onChange={(u: DurationUnit) => { setPicked(u); onChange?.(n === null ? undefined : toIsoDuration(n, u)); }} />
    </Space.Compact>
  );
}

const ZONES: string[] = (() => {
  const listed = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  return ['Asia/Shanghai', 'UTC', ...listed.filter((z) => z !== 'Asia/Shanghai' && z !== 'UTC')];
})();

/** A zone's name as an operator knows it: Asia/Shanghai is 北京时间. */
export function zoneLabel(t: TFunction, zone: string | undefined): string {
  if (!zone) return '—';
  return zone === 'Asia/Shanghai' ? t('beijingTime') : zone === 'UTC' ? 'UTC' : zone;
}

/** A time zone picked from the browser's list (searchable), Beijing time first. */
export function TimeZoneSelect({ value, onChange, testId, width = 220 }: { value?: string; onChange?: (v: string) => void; testId?: string; width?: number }) {
  const { t } = useTranslation();
  return (
    <Select showSearch value={value} onChange={onChange} style={{ width }} data-testid={testId}
      options={ZONES.map((z) => ({ value: z, label: z === 'Asia/Shanghai' ? `${t('beijingTime')} (Asia/Shanghai)` : z }))}
      filterOption={(input, option) => String(option?.label ?? '').toLowerCase().includes(input.toLowerCase())} />
  );
}
