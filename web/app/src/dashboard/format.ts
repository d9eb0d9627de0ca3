// The dashboard's numbers and bucket names in the chosen language (Intl): NPS with one decimal, CSAT
// as a percentage with one decimal, CES (a mean) with two, counts whole. Intervals are "low – high"
// in the value's own format.
import type { Interval } from '../api/client';
import { locale, t } from '../i18n/i18n';
import type { Bucket } from './calendar';
import type { Metric } from './view';

const fractionDigits: Record<Metric, number> = { nps: 1, csat: 1, ces: 2, response_count: 0 };
const dash = '—';

function decimal(value: number, digits: number, options: Intl.NumberFormatOptions = {}): string {
  return new Intl.NumberFormat(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits, ...options })
    .format(value);
}

export function formatValue(value: number | null | undefined, metric: Metric): string {
  if (value === null || value === undefined) return dash;
  if (metric === 'csat') return decimal(value / 100, fractionDigits.csat, { style: 'percent' });
  return decimal(value, fractionDigits[metric]);
}

export function formatInterval(interval: Interval | null | undefined, metric: Metric): string {
  if (!interval) return dash;
  return `${formatValue(interval.low, metric)} – ${formatValue(interval.high, metric)}`;
}

// A share in per cent (promoters_pct, …), one decimal.
export function formatShare(percent: number | null | undefined): string {
  return percent === null || percent === undefined ? dash : decimal(percent / 100, 1, { style: 'percent' });
}

// current − previous in the metric's unit (NPS and CSAT: points), with its sign.
export function formatDifference(difference: number | null | undefined, metric: Metric): string {
  if (difference === null || difference === undefined) return dash;
  return decimal(difference, fractionDigits[metric], { signDisplay: 'exceptZero' });
}

export function formatPValue(p: number | null | undefined): string {
  return p === null || p === undefined ? dash : decimal(p, 3);
}

// A calendar day (YYYY-MM-DD) in the given format; days are UTC dates, so no zone shifts them.
function date(options: Intl.DateTimeFormatOptions, day: string): string {
  return new Intl.DateTimeFormat(locale(), { ...options, timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));
}

// A bucket as the engine names it (2026-01-05, 2026-01, 2026-Q1), as people read it.
export function formatBucket(label: string, bucket: Bucket): string {
  switch (bucket) {
    case 'day':
      return date({ dateStyle: 'medium' }, label);
    case 'week':
      return t('dashboard.week_of', { date: date({ dateStyle: 'medium' }, label) });
    case 'month':
      return date({ year: 'numeric', month: 'short' }, `${label}-01`);
    case 'quarter':
      return t('dashboard.quarter_of', { quarter: label.slice(6), year: label.slice(0, 4) });
  }
}

// A bucket's name under the chart's axis, where there is little room: day and month, or month and year.
export function formatBucketShort(label: string, bucket: Bucket): string {
  if (bucket === 'day' || bucket === 'week') return date({ day: 'numeric', month: 'short' }, label);
  return bucket === 'month' ? date({ year: 'numeric', month: 'short' }, `${label}-01`) : formatBucket(label, bucket);
}

// A calendar day (YYYY-MM-DD) or an instant, as a date.
export function formatDay(instant: string | null | undefined, timeZone: string): string {
  if (!instant) return '';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeZone }).format(new Date(instant));
}
