// The trend: one point per time bucket with its 95 % interval as a band, drawn as SVG elements by
// Preact (attributes only, no style attribute, so the strict CSP has nothing to object to). Every
// bucket of the window has its place on the x axis; a bucket without responses leaves a gap. The same
// numbers are in a table below the chart, for keyboards, screen readers and the drill-down.
import type { AnalyticsGroup, AnalyticsResult } from '../api/client';
import { formatNumber, t } from '../i18n/i18n';
import { bucketsBetween, type Bucket } from './calendar';
import { formatBucket, formatBucketShort, formatInterval, formatValue } from './format';
import { DrillNumber, type Drill } from './parts';
import type { DashboardView } from './view';

const width = 760;
const height = 260;
const margin = { left: 56, right: 36, top: 14, bottom: 40 };  // room for the last date, centred under its point
const plotWidth = width - margin.left - margin.right;
const plotHeight = height - margin.top - margin.bottom;

// About `count` round steps (1, 2 or 5 times a power of ten) covering low..high.
function ticks(low: number, high: number, count: number): number[] {
  const rough = (high - low) / count || 1;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough) ?? rough;
  const result: number[] = [];
  for (let tick = Math.floor(low / step) * step; tick <= high + step / 2; tick += step) result.push(Number(tick.toFixed(10)));
  return result;
}

interface Point { label: string; x: number; group: AnalyticsGroup | undefined }

// Consecutive points that all have `has`: each run is one line (or band) without a gap.
function runs(points: Point[], has: (group: AnalyticsGroup) => boolean): Point[][] {
  const result: Point[][] = [];
  let current: Point[] = [];
  for (const point of points) {
    if (point.group && has(point.group)) current.push(point);
    else if (current.length) { result.push(current); current = []; }
  }
  if (current.length) result.push(current);
  return result;
}

export function TrendChart(props: { answer: AnalyticsResult; view: DashboardView; drill: Drill }) {
  const { answer, view } = props;
  const bucket: Bucket = view.bucket;
  const byLabel = new Map((answer.groups ?? []).map((group) => [group.keys?.[bucket] ?? '', group]));
  const labels = answer.period?.since && answer.period.until
    ? bucketsBetween(answer.period.since, answer.period.until, bucket, view.timeZone)
    : [...byLabel.keys()];
  const step = labels.length > 1 ? plotWidth / (labels.length - 1) : 0;
  const points: Point[] = labels.map((label, index) => ({
    label, x: margin.left + (labels.length > 1 ? index * step : plotWidth / 2), group: byLabel.get(label),
  }));

  const values = (answer.groups ?? []).flatMap((group) => [group.value, group.interval?.low, group.interval?.high])
    .filter((value): value is number => typeof value === 'number');
  const low = Math.min(...values, view.metric === 'response_count' ? 0 : Infinity);
  const high = Math.max(...values);
  const yTicks = values.length ? ticks(low, high, 5) : [];
  const bottom = yTicks[0] ?? 0;
  const top = yTicks[yTicks.length - 1] ?? 1;
  const y = (value: number) => margin.top + ((top - value) / (top - bottom || 1)) * plotHeight;
  const path = (run: Point[], value: (group: AnalyticsGroup) => number) =>
    run.map((point, index) => `${index ? 'L' : 'M'}${point.x.toFixed(1)},${y(value(point.group!)).toFixed(1)}`).join(' ');
  const hasValue = (group: AnalyticsGroup) => typeof group.value === 'number';
  const hasInterval = (group: AnalyticsGroup) => !!group.interval;
  const everyLabel = Math.max(1, Math.ceil(labels.length / 7));  // at most about 7 dates under the axis
  const what = (point: Point) => formatBucket(point.label, bucket);

  return (
    <>
      <svg class="trend" viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby="trend-title" data-testid="trend-chart">
        <title id="trend-title">{t('dashboard.trend_title')}</title>
        {yTicks.map((tick) => (
          <g key={tick} class="tick">
            <line x1={margin.left} x2={width - margin.right} y1={y(tick)} y2={y(tick)} />
            <text x={margin.left - 6} y={y(tick) + 4} text-anchor="end" data-user>{formatNumber(tick)}</text>
          </g>
        ))}
        {runs(points, hasInterval).map((run) => {
          const upper = run.map((point) => `${point.x.toFixed(1)},${y(point.group!.interval!.high).toFixed(1)}`);
          const lower = run.map((point) => `${point.x.toFixed(1)},${y(point.group!.interval!.low).toFixed(1)}`).reverse();
          return run.length > 1
            ? <polygon key={run[0]!.label} class="band" points={[...upper, ...lower].join(' ')} />
            : <rect key={run[0]!.label} class="band" x={run[0]!.x - 4} width={8} y={y(run[0]!.group!.interval!.high)}
                height={Math.max(1, y(run[0]!.group!.interval!.low) - y(run[0]!.group!.interval!.high))} />;
        })}
        {runs(points, hasValue).map((run) => <path key={run[0]!.label} class="line" d={path(run, (group) => group.value!)} />)}
        {points.map((point, index) => (
          index % everyLabel === 0 && (
            <text key={point.label} class="x-label" x={point.x} y={height - margin.bottom + 18} text-anchor="middle" data-user>
              {formatBucketShort(point.label, bucket)}
            </text>
          )
        ))}
        {points.filter((point) => point.group && hasValue(point.group)).map((point) => (
          <circle key={point.label} class="point" cx={point.x} cy={y(point.group!.value!)} r={4}
            tabindex={props.drill ? 0 : undefined} role={props.drill ? 'button' : undefined}
            aria-label={`${what(point)}: ${formatValue(point.group!.value, view.metric)}`}
            onClick={() => props.drill?.({ keys: point.group!.keys ?? {}, period: answer.period ?? {} }, what(point))}
            onKeyDown={(event) => {
              if (props.drill && (event.key === 'Enter' || event.key === ' ')) {
                event.preventDefault();
                props.drill({ keys: point.group!.keys ?? {}, period: answer.period ?? {} }, what(point));
              }
            }}>
            <title data-user>{`${what(point)}: ${formatValue(point.group!.value, view.metric)} (n = ${point.group!.n})`}</title>
          </circle>
        ))}
      </svg>
      <p class="hint legend"><span class="swatch line-swatch" aria-hidden="true" /> {t('dashboard.legend_value')}{' '}
        <span class="swatch band-swatch" aria-hidden="true" /> {t('dashboard.legend_interval')}</p>
      <details class="trend-table">
        <summary>{t('dashboard.trend_as_table')}</summary>
        <table class="data" data-testid="trend-table">
          <thead><tr><th scope="col">{t('dashboard.period')}</th><th scope="col">{t('dashboard.n')}</th>
            <th scope="col">{t('dashboard.value')}</th><th scope="col">{t('dashboard.interval')}</th></tr></thead>
          <tbody>
            {(answer.groups ?? []).map((group) => {
              const label = formatBucket(group.keys?.[bucket] ?? '', bucket);
              const target = { keys: group.keys ?? {}, period: answer.period ?? {} };
              return (
                <tr key={group.keys?.[bucket]} data-bucket={group.keys?.[bucket]}>
                  <th scope="row" data-user>{label}</th>
                  <td><DrillNumber text={formatValue(group.n ?? 0, 'response_count')} what={label} target={target} drill={props.drill} /></td>
                  <td><DrillNumber text={formatValue(group.value, view.metric)} what={label} target={target} drill={props.drill} testId="trend-value" /></td>
                  <td data-user data-testid="trend-interval">{formatInterval(group.interval, view.metric)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </details>
    </>
  );
}
