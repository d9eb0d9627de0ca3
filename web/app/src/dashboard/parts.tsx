// Small pieces the dashboard's cards share: names of dimension values, a number that drills down to
// the responses behind it, and a card's CSV download.
import type { ComponentChildren } from 'preact';
import type { AnalyticsResult } from '../api/client';
import { t, type MessageKey } from '../i18n/i18n';
import { answerCsv, downloadCsv } from './csv';
import type { DrillTarget, Dimension, Metric } from './view';

export const metricKeys: Record<Metric, MessageKey> = {
  nps: 'dashboard.metric_nps', csat: 'dashboard.metric_csat', ces: 'dashboard.metric_ces',
  response_count: 'dashboard.metric_response_count',
};
export const dimensionKeys: Record<Dimension, MessageKey> = {
  touchpoint: 'dashboard.dimension_touchpoint', stage: 'dashboard.dimension_stage', channel: 'dashboard.dimension_channel',
  segment: 'dashboard.dimension_segment', team: 'dashboard.dimension_team',
};

// Dimension values are the tenant's data and shown as such; teams are stored by id and named when the
// user may read teams. "" is a response without the value.
export type ValueNames = (dimension: string, value: string) => string;
export function valueNamer(teamNames: Map<string, string>): ValueNames {
  return (dimension, value) => (value === '' ? t('dashboard.no_value') : dimension === 'team' ? teamNames.get(value) ?? value : value);
}

export type Drill = ((target: DrillTarget, what: string) => void) | null;

// A number; a button that opens the responses behind it when the user may read feedback.
export function DrillNumber(props: { text: string; what: string; target: DrillTarget; drill: Drill; testId?: string }) {
  const { drill } = props;
  if (!drill) return <span data-user data-testid={props.testId}>{props.text}</span>;
  return (
    <button type="button" class="number" data-user data-testid={props.testId}
      aria-label={t('dashboard.drill_label', { what: props.what, value: props.text })}
      onClick={() => drill(props.target, props.what)}>
      {props.text}
    </button>
  );
}

export function Card(props: { title: string; testId: string; answer: AnalyticsResult; fileName: string; tools?: ComponentChildren;
  children: ComponentChildren }) {
  return (
    <section class="card dashboard-card" data-testid={props.testId} aria-label={props.title}>
      <header class="card-head">
        <h2>{props.title}</h2>
        <span class="spacer" />
        {props.tools}
        <button type="button" class="secondary" data-testid={`${props.testId}-csv`}
          onClick={() => downloadCsv(props.fileName, answerCsv(props.answer))}>
          {t('dashboard.export_csv')}
        </button>
      </header>
      {props.children}
    </section>
  );
}
