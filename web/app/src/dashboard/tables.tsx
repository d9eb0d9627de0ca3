// The headline (the whole window's value, with the previous period when compared), the breakdown
// table by one dimension, and the touchpoint × month heatmap. Every number is the API's, formatted.
import type { AnalyticsGroup, AnalyticsResult, AnalyticsValue, MetricChange } from '../api/client';
import { t } from '../i18n/i18n';
import { bucketsBetween } from './calendar';
import { formatBucket, formatDifference, formatInterval, formatPValue, formatShare, formatValue } from './format';
import { DrillNumber, dimensionKeys, metricKeys, type Drill, type ValueNames } from './parts';
import type { DashboardView, DrillTarget } from './view';

function significance(change: MetricChange | null | undefined): string {
  if (!change || change.significant === null || change.significant === undefined) return t('dashboard.not_testable');
  return change.significant
    ? t('dashboard.significant', { p: formatPValue(change.p_value) })
    : t('dashboard.not_significant', { p: formatPValue(change.p_value) });
}

// Promoters, passives and detractors as one bar of three parts (widths in per cent of the bar).
function NpsSplit(props: { value: AnalyticsValue }) {
  const promoters = props.value.promoters_pct ?? 0;
  const passives = props.value.passives_pct ?? 0;
  return (
    <svg class="split" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true">
      <rect class="promoters" x={0} y={0} width={promoters} height={8} />
      <rect class="passives" x={promoters} y={0} width={passives} height={8} />
      <rect class="detractors" x={promoters + passives} y={0} width={props.value.detractors_pct ?? 0} height={8} />
    </svg>
  );
}

export function Headline(props: { answer: AnalyticsResult; view: DashboardView; drill: Drill }) {
  const { answer, view } = props;
  const total = answer.total ?? {};
  const what = t(metricKeys[view.metric]);
  const target: DrillTarget = { keys: {}, period: answer.period ?? {} };
  return (
    <section class="card headline" data-testid="headline" aria-label={t('dashboard.headline')}>
      <div class="headline-main">
        <span class="headline-metric">{what}</span>
        <DrillNumber text={formatValue(total.value, view.metric)} what={what} target={target} drill={props.drill} testId="headline-value" />
        <span class="muted">
          {t('dashboard.interval')}: <span data-user data-testid="headline-interval">{formatInterval(total.interval, view.metric)}</span>
        </span>
        <span class="muted" data-testid="headline-n">{t('dashboard.responses', { n: total.n ?? 0 })}</span>
      </div>
      {view.metric === 'nps' && (
        <div class="headline-split">
          <NpsSplit value={total} />
          <span>{t('dashboard.promoters')} <span data-user>{formatShare(total.promoters_pct)}</span></span>
          <span>{t('dashboard.passives')} <span data-user>{formatShare(total.passives_pct)}</span></span>
          <span>{t('dashboard.detractors')} <span data-user>{formatShare(total.detractors_pct)}</span></span>
        </div>
      )}
      {answer.previous_total && (
        <div class="headline-compare" data-testid="headline-compare">
          <span>{t('dashboard.previous_period')}: <span data-user data-testid="headline-previous">
            {formatValue(answer.previous_total.value, view.metric)}</span> ({t('dashboard.responses', { n: answer.previous_total.n ?? 0 })})</span>
          <span>{t('dashboard.change')}: <strong data-user data-testid="headline-change">{formatDifference(answer.change?.difference, view.metric)}</strong></span>
          <span class={answer.change?.significant ? 'badge significant' : 'badge'} data-testid="headline-significance">{significance(answer.change)}</span>
        </div>
      )}
    </section>
  );
}

export function BreakdownTable(props: { answer: AnalyticsResult; view: DashboardView; drill: Drill; names: ValueNames }) {
  const { answer, view, names } = props;
  const nps = view.metric === 'nps';
  const compared = !!answer.previous_total;
  const row = (group: AnalyticsGroup | AnalyticsValue, keys: Record<string, string>, label: string, isTotal: boolean) => {
    const target: DrillTarget = { keys, period: answer.period ?? {} };
    const change = isTotal ? answer.change : (group as AnalyticsGroup).change;
    const previous = isTotal ? answer.previous_total : (group as AnalyticsGroup).previous;
    const Cell = isTotal ? 'th' : 'td';
    return (
      <tr key={isTotal ? '' : `=${keys[view.group]}`} class={isTotal ? 'total' : undefined}
        data-key={isTotal ? undefined : keys[view.group]} data-testid={isTotal ? 'breakdown-total' : 'breakdown-row'}>
        <th scope="row" data-user={isTotal ? undefined : true}>{label}</th>
        <Cell><DrillNumber text={formatValue(group.n ?? 0, 'response_count')} what={label} target={target} drill={props.drill} testId="cell-n" /></Cell>
        <Cell><DrillNumber text={formatValue(group.value, view.metric)} what={label} target={target} drill={props.drill} testId="cell-value" /></Cell>
        <Cell data-user data-testid="cell-interval">{formatInterval(group.interval, view.metric)}</Cell>
        {nps && <>
          <Cell data-user>{formatShare(group.promoters_pct)}</Cell>
          <Cell data-user>{formatShare(group.passives_pct)}</Cell>
          <Cell data-user>{formatShare(group.detractors_pct)}</Cell>
          <Cell><NpsSplit value={group} /></Cell>
        </>}
        {compared && <>
          <Cell data-user>{formatValue(previous?.value, view.metric)}</Cell>
          <Cell data-user data-testid="cell-change">{formatDifference(change?.difference, view.metric)}</Cell>
          <Cell data-testid="cell-significance">{significance(change)}</Cell>
        </>}
      </tr>
    );
  };
  return (
    <div class="table-scroll">
      <table class="data" data-testid="breakdown-table">
        <thead>
          <tr>
            <th scope="col">{t(dimensionKeys[view.group])}</th>
            <th scope="col">{t('dashboard.n')}</th>
            <th scope="col">{t(metricKeys[view.metric])}</th>
            <th scope="col">{t('dashboard.interval')}</th>
            {nps && <>
              <th scope="col">{t('dashboard.promoters')}</th>
              <th scope="col">{t('dashboard.passives')}</th>
              <th scope="col">{t('dashboard.detractors')}</th>
              <th scope="col"><span class="visually-hidden">{t('dashboard.split')}</span></th>
            </>}
            {compared && <>
              <th scope="col">{t('dashboard.previous_period')}</th>
              <th scope="col">{t('dashboard.change')}</th>
              <th scope="col">{t('dashboard.significance')}</th>
            </>}
          </tr>
        </thead>
        <tbody>
          {(answer.groups ?? []).map((group) => {
            const value = group.keys?.[view.group] ?? '';
            return row(group, { [view.group]: value }, names(view.group, value), false);
          })}
        </tbody>
        <tfoot>{row(answer.total ?? {}, {}, t('dashboard.total'), true)}</tfoot>
      </table>
    </div>
  );
}

// Six shades of one blue from the lowest to the highest value on the map; the three darkest carry
// white text (each pair has a contrast of at least 4.5:1).
const heatSteps = 6;

export function Heatmap(props: { answer: AnalyticsResult; view: DashboardView; drill: Drill; names: ValueNames }) {
  const { answer, view, names } = props;
  const groups = answer.groups ?? [];
  const months = answer.period?.since && answer.period.until
    ? bucketsBetween(answer.period.since, answer.period.until, 'month', view.timeZone)
    : [...new Set(groups.map((group) => group.keys?.month ?? ''))];
  const touchpoints = [...new Set(groups.map((group) => group.keys?.touchpoint ?? ''))];
  const cells = new Map(groups.map((group) => [`${group.keys?.touchpoint}\u0000${group.keys?.month}`, group]));
  const values = groups.map((group) => group.value).filter((value): value is number => typeof value === 'number');
  const low = Math.min(...values);
  const high = Math.max(...values);
  const step = (value: number) => (high > low ? Math.round(((value - low) / (high - low)) * (heatSteps - 1)) : heatSteps - 1);
  if (groups.length === 0) return <p class="empty">{t('dashboard.no_responses')}</p>;
  return (
    <div class="table-scroll">
      <table class="data heatmap" data-testid="heatmap-table">
        <thead>
          <tr>
            <th scope="col">{t('dashboard.dimension_touchpoint')}</th>
            {months.map((month) => <th key={month} scope="col" data-user>{formatBucket(month, 'month')}</th>)}
          </tr>
        </thead>
        <tbody>
          {touchpoints.map((touchpoint) => (
            <tr key={touchpoint} data-key={touchpoint}>
              <th scope="row" data-user>{names('touchpoint', touchpoint)}</th>
              {months.map((month) => {
                const group = cells.get(`${touchpoint}\u0000${month}`);
                const what = `${names('touchpoint', touchpoint)}, ${formatBucket(month, 'month')}`;
                return (
                  <td key={month} data-month={month}
                    class={group && typeof group.value === 'number' ? `heat heat-${step(group.value)}` : 'heat heat-none'}
                    title={group ? `${what}: n = ${group.n}, ${formatInterval(group.interval, view.metric)}` : undefined}>
                    {group
                      ? <DrillNumber text={formatValue(group.value, view.metric)} what={what} drill={props.drill} testId="heat-value"
                          target={{ keys: group.keys ?? {}, period: answer.period ?? {} }} />
                      : <span class="muted" aria-label={t('dashboard.no_responses')}>—</span>}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
