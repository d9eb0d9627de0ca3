// The CX dashboard (/app/dashboard, analytics:read): a metric over a time window, optionally against
// the previous period, with its trend and confidence band, a breakdown by one dimension and the
// touchpoint × month heatmap. The view lives in the URL (dashboard/view.ts); every number comes from
// POST /api/v1/analytics/query, three queries per view sharing one window end. Numbers drill down to
// the responses behind them where GET /api/v1/feedback can filter that way (feedback:read).
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, hasPermission, type AnalyticsResult, type Session } from '../api/client';
import { t, type MessageKey } from '../i18n/i18n';
import { navigate } from '../router';
import { addDays, dayIn } from '../dashboard/calendar';
import { formatDay } from '../dashboard/format';
import { DrillDownPanel } from '../dashboard/drill_down';
import { Card, dimensionKeys, metricKeys, valueNamer, type Drill, type ValueNames } from '../dashboard/parts';
import { BreakdownTable, Headline, Heatmap } from '../dashboard/tables';
import { TrendChart } from '../dashboard/trend_chart';
import {
  breakdownQuery, buckets, dimensions, heatmapQuery, metrics, parseView, trendQuery, valuesQuery, viewSearch, windowDays,
  type DashboardView, type Dimension, type DrillTarget,
} from '../dashboard/view';

const bucketKeys: Record<DashboardView['bucket'], MessageKey> = {
  day: 'dashboard.bucket_day', week: 'dashboard.bucket_week', month: 'dashboard.bucket_month', quarter: 'dashboard.bucket_quarter',
};
const engineRetryMs = 2000;

interface Loaded { key: string; breakdown: AnalyticsResult; trend: AnalyticsResult; heatmap: AnalyticsResult }

function errorText(caught: unknown): string {
  return caught instanceof ApiError ? caught.message : t('error.network');
}

function WindowPicker(props: { view: DashboardView; change: (patch: Partial<DashboardView>) => void }) {
  const { view } = props;
  const today = dayIn(Date.now(), view.timeZone);
  const [custom, setCustom] = useState(view.lastDays === null);
  const [since, setSince] = useState(view.since || addDays(today, -89));
  const [until, setUntil] = useState(view.until || today);
  useEffect(() => setCustom(view.lastDays === null), [view.lastDays]);
  const choice = custom ? 'custom' : String(view.lastDays);
  return (
    <div class="window">
      <label>
        {t('dashboard.window')}
        <select data-testid="window" value={choice}
          onChange={(event) => {
            const value = (event.currentTarget as HTMLSelectElement).value;
            if (value === 'custom') setCustom(true);
            else props.change({ lastDays: Number(value), since: '', until: '' });
          }}>
          {windowDays.map((days) => <option key={days} value={String(days)}>{t('dashboard.last_days', { days })}</option>)}
          {view.lastDays !== null && !windowDays.includes(view.lastDays as 30) && (
            <option value={String(view.lastDays)}>{t('dashboard.last_days', { days: view.lastDays })}</option>
          )}
          <option value="custom">{t('dashboard.custom_window')}</option>
        </select>
      </label>
      {custom && (
        <form class="custom-window" onSubmit={(event) => {
          event.preventDefault();
          if (since && (!until || until >= since)) props.change({ lastDays: null, since, until });
        }}>
          <label>{t('dashboard.since')}
            <input type="date" data-testid="since" value={since} max={until || undefined}
              onInput={(event) => setSince((event.currentTarget as HTMLInputElement).value)} />
          </label>
          <label>{t('dashboard.until')}
            <input type="date" data-testid="until" value={until} min={since || undefined}
              onInput={(event) => setUntil((event.currentTarget as HTMLInputElement).value)} />
          </label>
          <button type="submit" class="secondary" data-testid="window-apply">{t('dashboard.apply')}</button>
        </form>
      )}
    </div>
  );
}

// Adds a filter on one dimension: its values in the current window (a response_count query by that
// dimension, without its own filter), ticked ones kept.
function FilterEditor(props: { view: DashboardView; names: ValueNames; now: string; change: (patch: Partial<DashboardView>) => void }) {
  const { view } = props;
  const [dimension, setDimension] = useState<Dimension | ''>('');
  const [options, setOptions] = useState<string[] | null>(null);
  const [chosen, setChosen] = useState<string[]>([]);
  const [error, setError] = useState('');
  useEffect(() => {
    if (!dimension) return;
    let live = true;
    setOptions(null);
    setError('');
    setChosen(view.filters[dimension] ?? []);
    api.queryAnalytics(valuesQuery(view, dimension, props.now)).then(
      (answer) => live && setOptions((answer.groups ?? []).map((group) => group.keys?.[dimension] ?? '')),
      (caught) => live && setError(errorText(caught)),
    );
    return () => { live = false; };
  }, [dimension]);
  const apply = (event: Event) => {
    event.preventDefault();
    if (!dimension) return;
    const filters = { ...view.filters };
    if (chosen.length > 0) filters[dimension] = chosen;
    else delete filters[dimension];
    props.change({ filters });
    setDimension('');
  };
  return (
    <form class="filter-editor" onSubmit={apply}>
      <label>
        {t('dashboard.add_filter')}
        <select data-testid="filter-dimension" value={dimension}
          onChange={(event) => setDimension((event.currentTarget as HTMLSelectElement).value as Dimension | '')}>
          <option value="">{t('dashboard.choose_dimension')}</option>
          {dimensions.map((name) => <option key={name} value={name}>{t(dimensionKeys[name])}</option>)}
        </select>
      </label>
      {dimension && error && <p class="error" role="alert">{error}</p>}
      {dimension && !options && !error && <p class="loading">{t('app.loading')}</p>}
      {dimension && options && (
        <fieldset class="filter-values" data-testid="filter-values">
          <legend>{t(dimensionKeys[dimension])}</legend>
          {options.length === 0 && <p class="empty">{t('dashboard.no_responses')}</p>}
          {options.map((value) => (
            <label key={value} class="check">
              <input type="checkbox" value={value} checked={chosen.includes(value)}
                onChange={(event) => {
                  const on = (event.currentTarget as HTMLInputElement).checked;
                  setChosen((list) => (on ? [...list, value] : list.filter((entry) => entry !== value)));
                }} />
              <span data-user>{props.names(dimension, value)}</span>
            </label>
          ))}
          <button type="submit" data-testid="filter-apply">{t('dashboard.apply')}</button>
        </fieldset>
      )}
    </form>
  );
}

function FilterChips(props: { view: DashboardView; names: ValueNames; change: (patch: Partial<DashboardView>) => void }) {
  const { view } = props;
  const active = dimensions.filter((dimension) => (view.filters[dimension] ?? []).length > 0);
  if (active.length === 0) return <p class="hint">{t('dashboard.no_filters')}</p>;
  return (
    <ul class="chips" aria-label={t('dashboard.filters')} data-testid="filter-chips">
      {active.map((dimension) => {
        const values = view.filters[dimension]!.map((value) => props.names(dimension, value)).join(', ');
        return (
          <li key={dimension} class="chip" data-dimension={dimension}>
            <span>{t(dimensionKeys[dimension])}:</span> <span data-user>{values}</span>
            <button type="button" class="remove" aria-label={t('dashboard.remove_filter', { filter: t(dimensionKeys[dimension]) })}
              onClick={() => {
                const filters = { ...view.filters };
                delete filters[dimension];
                props.change({ filters });
              }}>×</button>
          </li>
        );
      })}
    </ul>
  );
}

function Choices<T extends string>(props: { label: string; testId: string; options: readonly T[]; chosen: T; name: (option: T) => string;
  choose: (option: T) => void }) {
  return (
    <div class="views" role="group" aria-label={props.label} data-testid={props.testId}>
      {props.options.map((option) => (
        <button key={option} type="button" aria-pressed={option === props.chosen} data-value={option}
          onClick={() => props.choose(option)}>
          {props.name(option)}
        </button>
      ))}
    </div>
  );
}

export function Dashboard(props: { search: string; session: Session }) {
  const view = parseView(props.search);
  const key = viewSearch(view);
  const allowed = hasPermission(props.session, 'analytics:read');
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [now, setNow] = useState('');
  const [error, setError] = useState('');
  const [engineLoading, setEngineLoading] = useState(false);
  const [drill, setDrill] = useState<{ target: DrillTarget; what: string } | null>(null);
  const [teamNames, setTeamNames] = useState(new Map<string, string>());
  const names = valueNamer(teamNames);
  const shown = loaded?.key === key ? loaded : null;

  // The URL always names the whole view (defaults and time zone included), so that it can be shared.
  useEffect(() => {
    if (location.search !== key) navigate(`/dashboard${key}`, { replace: true });
  }, [key]);

  useEffect(() => {
    if (!allowed || !hasPermission(props.session, 'teams:read')) return;
    api.teams().then((page) => setTeamNames(new Map(page.items.map((team) => [team.id ?? '', team.name ?? '']))), () => undefined);
  }, [allowed]);

  useEffect(() => {
    if (!allowed) return;
    let live = true;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const end = new Date().toISOString();
    setNow(end);
    setError('');
    setDrill(null);
    const load = () => {
      Promise.all([breakdownQuery, trendQuery, heatmapQuery].map((query) => api.queryAnalytics(query(view, end)))).then(
        ([breakdown, trend, heatmap]) => { if (live) { setEngineLoading(false); setLoaded({ key, breakdown: breakdown!, trend: trend!, heatmap: heatmap! }); } },
        (caught) => {
          if (!live) return;
          // 503: the engine is still loading after a restart; it is ready in seconds.
          if (caught instanceof ApiError && caught.status === 503) {
            setEngineLoading(true);
            retry = setTimeout(load, engineRetryMs);
          } else {
            setEngineLoading(false);
            setError(errorText(caught));
          }
        },
      );
    };
    load();
    return () => { live = false; clearTimeout(retry); };
  }, [key, allowed]);

  if (!allowed) {
    return (
      <section class="dashboard">
        <h1>{t('dashboard.title')}</h1>
        <p class="notice" data-testid="dashboard-forbidden">{t('dashboard.forbidden')}</p>
      </section>
    );
  }

  const change = (patch: Partial<DashboardView>) => navigate(`/dashboard${viewSearch({ ...view, ...patch })}`);
  const openDrill: Drill = hasPermission(props.session, 'feedback:read')
    ? (target, what) => setDrill({ target, what })
    : null;
  const metricName = t(metricKeys[view.metric]);
  const fileName = (part: string) => `touchpoint-${view.metric}-${part}-${dayIn(Date.now(), view.timeZone)}.csv`;
  const period = shown?.breakdown.period;

  return (
    <section class="dashboard" data-testid="dashboard" data-loaded={shown ? key : undefined}>
      <div class="dashboard-head">
        <h1>{t('dashboard.title')}</h1>
        {period?.since && (
          <p class="hint" data-testid="period">
            {t('dashboard.period_range', {
              since: formatDay(period.since, view.timeZone),
              until: formatDay(new Date(Date.parse(period.until ?? '') - 1).toISOString(), view.timeZone),
            })}{' '}<span class="muted" data-user>({view.timeZone})</span>
          </p>
        )}
      </div>
      <div class="controls card">
        <Choices label={t('dashboard.metric')} testId="metric" options={metrics} chosen={view.metric}
          name={(metric) => t(metricKeys[metric])} choose={(metric) => change({ metric })} />
        <WindowPicker view={view} change={change} />
        <label class="check">
          <input type="checkbox" data-testid="compare" checked={view.compare}
            onChange={(event) => change({ compare: (event.currentTarget as HTMLInputElement).checked })} />
          {t('dashboard.compare')}
        </label>
      </div>
      <div class="filters">
        <FilterChips view={view} names={names} change={change} />
        {now && <FilterEditor view={view} names={names} now={now} change={change} />}
      </div>
      {engineLoading && <p class="notice" role="status">{t('dashboard.engine_loading')}</p>}
      {error && <p class="error" role="alert" data-testid="dashboard-error">{error}</p>}
      {!shown && !error && !engineLoading && <p class="loading">{t('app.loading')}</p>}
      {shown && (
        <>
          <Headline answer={shown.breakdown} view={view} drill={openDrill} />
          {drill && <DrillDownPanel view={view} target={drill.target} what={drill.what} onClose={() => setDrill(null)} />}
          <Card title={t('dashboard.trend_title')} testId="trend" answer={shown.trend} fileName={fileName(view.bucket)}
            tools={<label class="inline">{t('dashboard.bucket')}
              <select data-testid="bucket" value={view.bucket}
                onChange={(event) => change({ bucket: (event.currentTarget as HTMLSelectElement).value as DashboardView['bucket'] })}>
                {buckets.map((bucket) => <option key={bucket} value={bucket}>{t(bucketKeys[bucket])}</option>)}
              </select></label>}>
            {(shown.trend.groups ?? []).length === 0
              ? <p class="empty">{t('dashboard.no_responses')}</p>
              : <TrendChart answer={shown.trend} view={view} drill={openDrill} />}
          </Card>
          <Card title={t('dashboard.breakdown_title', { metric: metricName })} testId="breakdown" answer={shown.breakdown}
            fileName={fileName(view.group)}
            tools={<Choices label={t('dashboard.group_by')} testId="group" options={dimensions} chosen={view.group}
              name={(dimension) => t(dimensionKeys[dimension])} choose={(group) => change({ group })} />}>
            <BreakdownTable answer={shown.breakdown} view={view} drill={openDrill} names={names} />
          </Card>
          <Card title={t('dashboard.heatmap_title', { metric: metricName })} testId="heatmap" answer={shown.heatmap}
            fileName={fileName('touchpoint-month')}>
            <Heatmap answer={shown.heatmap} view={view} drill={openDrill} names={names} />
          </Card>
          {!openDrill && <p class="hint">{t('dashboard.drill_needs_feedback')}</p>}
        </>
      )}
    </section>
  );
}
