// What the CX dashboard shows, kept in the URL so a view can be shared and reloaded:
//   /app/dashboard?metric=nps&group=touchpoint&bucket=month&days=90&compare=previous_period
//                 &tz=Europe/Prague&touchpoint=delivery&segment=vip&segment=gold
// or, instead of days, since=2026-01-01&until=2026-03-31 (calendar days in tz, both included).
// A dimension named once is an `equals` filter, named more than once an `in` filter. From the view come
// the bodies of POST /api/v1/analytics/query (docs/analytics.md) and, for a drill-down, the query of
// GET /api/v1/feedback, which can narrow by metric, touchpoint and time only.
import type { AnalyticsQuery, FeedbackQuery } from '../api/client';
import { addDays, bucketRange, isDate, zonedStart, type Bucket } from './calendar';

export const metrics = ['nps', 'csat', 'ces', 'response_count'] as const;
export type Metric = (typeof metrics)[number];
export const buckets: Bucket[] = ['day', 'week', 'month', 'quarter'];
export const dimensions = ['touchpoint', 'stage', 'channel', 'segment', 'team'] as const;
export type Dimension = (typeof dimensions)[number];
export const windowDays = [30, 90, 365] as const;

export interface DashboardView {
  metric: Metric;
  group: Dimension;
  bucket: Bucket;
  lastDays: number | null;  // null: the window is since..until
  since: string;  // YYYY-MM-DD in timeZone, the first day of the window
  until: string;  // YYYY-MM-DD in timeZone, the last day of the window; '' is up to now
  compare: boolean;
  timeZone: string;
  filters: Partial<Record<Dimension, string[]>>;
}

function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

function validTimeZone(zone: string | null): zone is string {
  if (!zone) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function oneOf<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

export function parseView(search: string): DashboardView {
  const params = new URLSearchParams(search);
  const days = Number(params.get('days'));
  const since = params.get('since') ?? '';
  const until = params.get('until') ?? '';
  const custom = isDate(since) && (!until || isDate(until)) && (!until || until >= since);
  const filters: DashboardView['filters'] = {};
  for (const dimension of dimensions) {
    const values = params.getAll(dimension);
    if (values.length > 0) filters[dimension] = values;
  }
  return {
    metric: oneOf(params.get('metric'), metrics, 'nps'),
    group: oneOf(params.get('group'), dimensions, 'touchpoint'),
    bucket: oneOf(params.get('bucket'), buckets, 'month'),
    lastDays: custom ? null : Number.isInteger(days) && days >= 1 && days <= 36600 ? days : 90,
    since: custom ? since : '',
    until: custom ? until : '',
    compare: params.get('compare') === 'previous_period',
    timeZone: validTimeZone(params.get('tz')) ? params.get('tz')! : browserTimeZone(),
    filters,
  };
}

export function viewSearch(view: DashboardView): string {
  const params = new URLSearchParams();
  params.set('metric', view.metric);
  params.set('group', view.group);
  params.set('bucket', view.bucket);
  if (view.lastDays !== null) params.set('days', String(view.lastDays));
  else {
    params.set('since', view.since);
    if (view.until) params.set('until', view.until);
  }
  if (view.compare) params.set('compare', 'previous_period');
  params.set('tz', view.timeZone);
  for (const dimension of dimensions) {
    for (const value of view.filters[dimension] ?? []) params.append(dimension, value);
  }
  return `?${params.toString()}`;
}

// The window as the API takes it. `now` is fixed once per load, so that the queries of one view (and
// the drill-downs from it) cover exactly the same window.
function windowOf(view: DashboardView, now: string): NonNullable<AnalyticsQuery['time']> {
  if (view.lastDays !== null) return { last_days: view.lastDays, until: now };
  return { since: zonedStart(view.since, view.timeZone), until: view.until ? zonedStart(addDays(view.until, 1), view.timeZone) : now };
}

export function filtersOf(view: DashboardView, except?: Dimension): NonNullable<AnalyticsQuery['filters']> {
  return dimensions.flatMap((field) => {
    const values = view.filters[field] ?? [];
    if (field === except || values.length === 0) return [];
    return [values.length === 1 ? { field, equals: values[0]! } : { field, in: values }];
  });
}

function baseQuery(view: DashboardView, now: string): AnalyticsQuery {
  return { metric: view.metric, filters: filtersOf(view), time: windowOf(view, now), time_zone: view.timeZone };
}

export const breakdownQuery = (view: DashboardView, now: string): AnalyticsQuery => ({
  ...baseQuery(view, now), group_by: [view.group], ...(view.compare ? { compare: 'previous_period' } : {}),
});
export const trendQuery = (view: DashboardView, now: string): AnalyticsQuery => ({ ...baseQuery(view, now), bucket: view.bucket });
export const heatmapQuery = (view: DashboardView, now: string): AnalyticsQuery => ({
  ...baseQuery(view, now), group_by: ['touchpoint'], bucket: 'month',
});
// The values a filter on `dimension` can take in this window, whatever that filter holds now.
export const valuesQuery = (view: DashboardView, dimension: Dimension, now: string): AnalyticsQuery => ({
  metric: 'response_count', group_by: [dimension], filters: filtersOf(view, dimension), time: windowOf(view, now),
  time_zone: view.timeZone,
});

// A number on the dashboard: the keys of its group (dimension and/or bucket values) within the
// answer's period.
export interface DrillTarget {
  keys: Record<string, string>;
  period: { since?: string | null; until?: string | null };
}

export type DrillDown = { query: FeedbackQuery } | { unsupported: Dimension[] };

// GET /api/v1/feedback filters by metric, one touchpoint and since/until; a number narrowed by
// anything else (stage, channel, segment, team, several touchpoints, "no touchpoint") has no list.
export function drillDown(view: DashboardView, target: DrillTarget): DrillDown {
  const narrowed: Partial<Record<Dimension, string[]>> = { ...view.filters };
  for (const dimension of dimensions) {
    const key = target.keys[dimension];
    if (key !== undefined) narrowed[dimension] = [key];
  }
  const unsupported = dimensions.filter((dimension) => {
    const values = narrowed[dimension];
    if (!values) return false;
    return dimension !== 'touchpoint' || values.length !== 1 || values[0] === '';
  });
  if (unsupported.length > 0) return { unsupported };

  let since = target.period.since ?? undefined;
  let until = target.period.until ?? undefined;
  const bucket = buckets.find((name) => target.keys[name] !== undefined);
  if (bucket) {
    const [first, next] = bucketRange(target.keys[bucket]!, bucket);
    const start = zonedStart(first, view.timeZone);
    const end = zonedStart(next, view.timeZone);
    if (!since || Date.parse(start) > Date.parse(since)) since = start;
    if (!until || Date.parse(end) < Date.parse(until)) until = end;
  }
  return {
    query: {
      ...(view.metric === 'response_count' ? {} : { metric: view.metric }),
      ...(narrowed.touchpoint ? { touchpoint: narrowed.touchpoint[0] } : {}),
      ...(since ? { since } : {}),
      ...(until ? { until } : {}),
    },
  };
}
