import { Space, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { components } from './api-schema.js';
import { clock, operatorZone } from './time.js';

type Timeline = components['schemas']['RunTimeline'];
const SERIES = [
  { key: 'succeeded', color: '#52c41a' },
  { key: 'retry', color: '#faad14' },
  { key: 'failed', color: '#ff4d4f' },
] as const;

const WIDTH = 800;
const HEIGHT = 220;
// The top band holds the two axis titles; the right margin the cumulative line's own axis.
const PAD = { left: 44, right: 52, top: 28, bottom: 28 };
const LINE_COLOR = '#1677ff';
const AXIS_TEXT = '#8c8c8c';

/**
 * Attempts per interval as stacked bars (succeeded, retried, failed) on the
 * left axis, with the cumulative attempts as a line on its own right axis (0 to
 * the run's total): a plain SVG, since antd has no chart and a chart library
 * would be the console's largest dependency for one picture. Times on the axis
 * are the operator's.
 */
export function RunChart({ timeline }: { timeline: Timeline }) {
  const { t } = useTranslation();
  const buckets = timeline.buckets;
  if (buckets.length === 0) return <Typography.Text type="secondary" data-testid="run-chart-empty">{t('noAttemptsYet')}</Typography.Text>;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const perBucket = buckets.map((b) => b.succeeded + b.retry + b.failed);
  const max = Math.max(1, ...perBucket);
  const total = perBucket.reduce((a, b) => a + b, 0);
  const slot = plotW / buckets.length;
  // Thin bars even when a short run fills few intervals, so one interval does not read as a wall.
  const barW = Math.max(1, Math.min(slot * 0.8, 32));
  const y = (n: number) => PAD.top + plotH - (n / max) * plotH;
  let running = 0;
  const cumulative = perBucket.map((n, i) => {
    running += n;
    return `${PAD.left + slot * (i + 0.5)},${PAD.top + plotH - (running / Math.max(1, total)) * plotH}`;
  });
  const labelEvery = Math.max(1, Math.ceil(buckets.length / 6));
  return (
    <div data-testid="run-chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width="100%" role="img" aria-label={t('runChart')} style={{ maxWidth: WIDTH }}>
        <line x1={PAD.left} x2={WIDTH - PAD.right} y1={PAD.top + plotH} y2={PAD.top + plotH} stroke="#d9d9d9" />
        <text x={PAD.left - 4} y={PAD.top + 10} textAnchor="end" fontSize={11} fill={AXIS_TEXT}>{max}</text>
        <text x={PAD.left - 4} y={PAD.top + plotH} textAnchor="end" fontSize={11} fill={AXIS_TEXT}>0</text>
        <text x={4} y={14} fontSize={11} fill={AXIS_TEXT} data-testid="run-chart-axis-bars">{t('attemptsPerInterval')}</text>
        <g data-testid="run-chart-axis-cumulative">
          <line x1={WIDTH - PAD.right} x2={WIDTH - PAD.right} y1={PAD.top} y2={PAD.top + plotH} stroke={LINE_COLOR} strokeOpacity={0.4} />
          <text x={WIDTH - 4} y={14} textAnchor="end" fontSize={11} fill={LINE_COLOR}>{t('cumulativeAttempts')}</text>
          <text x={WIDTH - PAD.right + 4} y={PAD.top + 10} fontSize={11} fill={LINE_COLOR} data-testid="run-chart-axis-cumulative-top">{total}</text>
          <text x={WIDTH - PAD.right + 4} y={PAD.top + plotH} fontSize={11} fill={LINE_COLOR}>0</text>
        </g>
        {buckets.map((b, i) => {
          let base = 0;
          return (
            <g key={b.at} data-testid="run-chart-bar" data-total={perBucket[i]}>
              <title>{`${clock(b.at, operatorZone)} · ${t('succeeded')} ${b.succeeded} · ${t('retrying')} ${b.retry} · ${t('failed')} ${b.failed}`}</title>
              {SERIES.map(({ key, color }) => {
                const n = b[key];
                if (n === 0) return null;
                const top = y(base + n);
                const rect = <rect key={key} x={PAD.left + slot * i + (slot - barW) / 2} y={top} width={barW} height={y(base) - top} fill={color} />;
                base += n;
                return rect;
              })}
              {i % labelEvery === 0 && (
                <text x={PAD.left + slot * (i + 0.5)} y={HEIGHT - 8} textAnchor="middle" fontSize={11} fill={AXIS_TEXT}>{clock(b.at, operatorZone).slice(11)}</text>
              )}
            </g>
          );
        })}
        <polyline points={cumulative.join(' ')} fill="none" stroke={LINE_COLOR} strokeWidth={1.5} data-testid="run-chart-cumulative" />
      </svg>
      <Space size="middle" wrap>
        {SERIES.map(({ key, color }) => (
          <span key={key}><span style={{ display: 'inline-block', width: 10, height: 10, background: color, marginRight: 4 }} />{t(key === 'retry' ? 'retrying' : key)} {timeline.totals[key]}</span>
        ))}
        <span><span style={{ display: 'inline-block', width: 14, height: 2, background: LINE_COLOR, marginRight: 4, verticalAlign: 'middle' }} />{t('cumulative')} {total}</span>
        <Typography.Text type="secondary">{t('perInterval', { s: timeline.bucketSeconds })} · {operatorZone}</Typography.Text>
      </Space>
    </div>
  );
}
