// A dashboard answer as CSV, made in the browser from the API's JSON and saved through a Blob URL
// (the CSP restricts what a page loads and runs, not what it saves). Columns: the answer's own
// (dimensions and bucket, by their API names), then the numbers as the API gives them, unrounded, so
// a spreadsheet gets what the dashboard was drawn from. The last row is the total.
import type { AnalyticsResult, AnalyticsValue } from '../api/client';

const valueColumns = ['n', 'value', 'interval_low', 'interval_high', 'promoters_pct', 'passives_pct', 'detractors_pct', 'mean'];
const compareColumns = ['previous_n', 'previous_value', 'difference', 'p_value', 'significant'];

// Quoted when it holds a separator, a quote or a line break; text that a spreadsheet would take for a
// formula (=, +, -, @ first) gets a leading apostrophe. Numbers are written as they are.
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function numbers(value: AnalyticsValue | undefined): unknown[] {
  return [value?.n, value?.value, value?.interval?.low, value?.interval?.high, value?.promoters_pct,
    value?.passives_pct, value?.detractors_pct, value?.mean];
}

export function answerCsv(answer: AnalyticsResult): string {
  const columns = answer.columns ?? [];
  const compared = answer.previous_total !== undefined;
  const header = ['row', ...columns, ...valueColumns, ...(compared ? compareColumns : [])];
  const line = (kind: string, keys: Record<string, string>, value: AnalyticsValue | undefined,
    previous: AnalyticsValue | undefined, change: AnalyticsResult['change']) => [
    kind, ...columns.map((column) => keys[column] ?? ''), ...numbers(value),
    ...(compared ? [previous?.n, previous?.value, change?.difference, change?.p_value, change?.significant] : []),
  ];
  const rows = [
    header,
    ...(answer.groups ?? []).map((group) => line('group', group.keys ?? {}, group, group.previous, group.change)),
    line('total', {}, answer.total, answer.previous_total, answer.change),
  ];
  return rows.map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}

export function downloadCsv(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
