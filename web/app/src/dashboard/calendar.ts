// Calendar days and the analytics engine's time buckets in an IANA time zone, as the engine names
// them (docs/analytics.md): day 2026-01-05, week 2026-01-05 (its Monday), month 2026-01, quarter 2026-Q1.
// Days are YYYY-MM-DD strings; their arithmetic is done on UTC dates, which have no daylight saving.
export type Bucket = 'day' | 'week' | 'month' | 'quarter';

export function isDate(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00Z`));
}

const utcDate = (day: string) => new Date(`${day}T00:00:00Z`);
const dayOf = (date: Date) => date.toISOString().slice(0, 10);

export function addDays(day: string, days: number): string {
  const date = utcDate(day);
  date.setUTCDate(date.getUTCDate() + days);
  return dayOf(date);
}

function addMonths(day: string, months: number): string {
  const date = utcDate(day);
  date.setUTCMonth(date.getUTCMonth() + months);
  return dayOf(date);
}

// How far the zone's wall clock is ahead of UTC at `instant` (milliseconds).
function zoneOffset(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(instant));
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((entry) => entry.type === type)?.value);
  const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return wall - Math.floor(instant / 1000) * 1000;
}

// The instant (RFC 3339, UTC) at which `day` begins in `timeZone`.
export function zonedStart(day: string, timeZone: string): string {
  const wall = utcDate(day).getTime();
  const guess = wall - zoneOffset(wall, timeZone);
  return new Date(wall - zoneOffset(guess, timeZone)).toISOString();  // again, in case a DST change lies between
}

// The calendar day of `instant` in `timeZone`.
export function dayIn(instant: string | number | Date, timeZone: string): string {
  const date = new Date(instant);
  return dayOf(new Date(date.getTime() + zoneOffset(date.getTime(), timeZone)));
}

// The bucket holding `day`, named as the engine names it.
export function bucketOf(day: string, bucket: Bucket): string {
  switch (bucket) {
    case 'day':
      return day;
    case 'week':
      return addDays(day, -((utcDate(day).getUTCDay() + 6) % 7));
    case 'month':
      return day.slice(0, 7);
    case 'quarter':
      return `${day.slice(0, 4)}-Q${Math.floor((Number(day.slice(5, 7)) - 1) / 3) + 1}`;
  }
}

// The first day of a bucket and the first day after it.
export function bucketRange(label: string, bucket: Bucket): [string, string] {
  switch (bucket) {
    case 'day':
      return [label, addDays(label, 1)];
    case 'week':
      return [label, addDays(label, 7)];
    case 'month':
      return [`${label}-01`, addMonths(`${label}-01`, 1)];
    case 'quarter': {
      const first = `${label.slice(0, 4)}-${String((Number(label.slice(6)) - 1) * 3 + 1).padStart(2, '0')}-01`;
      return [first, addMonths(first, 3)];
    }
  }
}

// Every bucket the window since..until (instants) touches, in order, so that a chart can leave a gap
// where a bucket has no responses instead of closing it up.
export function bucketsBetween(since: string, until: string, bucket: Bucket, timeZone: string): string[] {
  const last = dayIn(Date.parse(until) - 1, timeZone);
  const labels: string[] = [];
  for (let label = bucketOf(dayIn(since, timeZone), bucket); bucketRange(label, bucket)[0] <= last && labels.length < 2000;) {
    labels.push(label);
    label = bucketOf(bucketRange(label, bucket)[1], bucket);
  }
  return labels;
}
