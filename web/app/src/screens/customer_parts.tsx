// Pieces of a customer profile shown both on the Customer 360 and in the case view's customer sidebar:
// a labelled fact, money totals per currency, a last score with its date, a date or "none", the lists of
// identities and traits, and a list of the customer's cases. Everything is what GET /api/v1/customers/{id}
// and GET /api/v1/cases?customer_id= answer, shown as text.
import type { ComponentChildren } from 'preact';
import type { Case, CustomerProfile, LastScore, MoneyTotals } from '../api/client';
import { formatDateTime, formatMoney, formatNumber, t } from '../i18n/i18n';
import { channelKeys, identifierKindKeys, labelOf, priorityKeys, statusKeys } from '../labels';
import { linkTo } from '../router';
import { Pairs } from './customers';

export function Money(props: { totals: MoneyTotals | undefined }) {
  const byCurrency = Object.entries(props.totals?.by_currency ?? {});
  if (byCurrency.length === 0) return <span data-user>{formatNumber(0)}</span>;
  const reporting = Object.entries(props.totals?.reporting ?? {});
  const unconverted = Object.entries(props.totals?.unconverted ?? {});
  const list = (entries: [string, string][]) => entries.map(([currency, amount]) => formatMoney(amount, currency)).join(' · ');
  return (
    <span>
      <span data-user>{list(byCurrency)}</span>
      {byCurrency.length > 1 && reporting.length > 0 && (
        <span class="muted"> ({t('computed.reporting_total')} <span data-user>{list(reporting)}</span>)</span>
      )}
      {unconverted.length > 0 && byCurrency.length > 1 && (
        <span class="muted"> ({t('computed.unconverted')} <span data-user>{list(unconverted)}</span>)</span>
      )}
    </span>
  );
}

export function Fact(props: { label: string; testId: string; children: ComponentChildren }) {
  return (
    <div class="pair">
      <dt>{props.label}</dt>
      <dd data-testid={props.testId}>{props.children}</dd>
    </div>
  );
}

// A last NPS or CSAT score and when it was given, or "none".
export function ScoreWhen(props: { last: LastScore | undefined }) {
  const { last } = props;
  if (!last) return <span class="muted">{t('customer.none')}</span>;
  return (
    <span>
      <span data-user>{formatNumber(last.score)}</span>{' '}
      <time class="muted" data-user dateTime={last.at ?? ''}>{formatDateTime(last.at)}</time>
    </span>
  );
}

export function When(props: { iso: string | null | undefined }) {
  return props.iso
    ? <time data-user dateTime={props.iso}>{formatDateTime(props.iso)}</time>
    : <span class="muted">{t('customer.none')}</span>;
}

// The identifiers identity resolution uses (user and anonymous ids, e-mail and phone handles), each with
// when it was added; for a caller without contact data the API leaves the handles out and says so.
export function IdentityList(props: { customer: CustomerProfile }) {
  const identifiers = props.customer.identifiers ?? [];
  return (
    <>
      {identifiers.length === 0 && <p class="muted">{t('identities.empty')}</p>}
      {identifiers.length > 0 && (
        <ul class="identities" data-testid="identities">
          {identifiers.map((identifier) => (
            <li key={`${identifier.kind}:${identifier.value}`} data-kind={identifier.kind}>
              <span class="badge">{labelOf({ ...identifierKindKeys, ...channelKeys }, identifier.kind)}</span>{' '}
              <span class="value" data-user>{identifier.value}</span>{' '}
              <time class="muted" data-user dateTime={identifier.added_at ?? ''}>{formatDateTime(identifier.added_at)}</time>
            </li>
          ))}
        </ul>
      )}
      {props.customer.contact_data_redacted && <p class="hint">{t('identities.redacted')}</p>}
    </>
  );
}

// Trait name → value (nested values as JSON text); for a caller without contact data the API leaves out
// the traits that are contact data and the list says so.
export function TraitList(props: { customer: CustomerProfile; testId: string }) {
  const traits = (props.customer.traits ?? {}) as Record<string, unknown>;
  return (
    <>
      {Object.keys(traits).length === 0 && <p class="muted">{t('traits.empty')}</p>}
      <Pairs values={traits} testId={props.testId} />
      {props.customer.contact_data_redacted && <p class="hint">{t('traits.redacted')}</p>}
    </>
  );
}

// Cases of a customer, each a link to the case view with its status, priority and last update;
// `currentId` (the case view's own case) is named as this case instead of linked.
export function CaseList(props: { cases: Case[]; testId: string; currentId?: string }) {
  return (
    <ul class="item-list" data-testid={props.testId}>
      {props.cases.map((item) => (
        <li key={item.id} data-case-id={item.id}>
          {item.id === props.currentId ? (
            <span><span data-user>{item.subject}</span> <span class="muted">({t('sidebar.this_case')})</span></span>
          ) : (
            <a data-user {...linkTo(`/cases/${encodeURIComponent(item.id ?? '')}`)}>{item.subject}</a>
          )}
          <span class={`badge status-${item.status}`}>{labelOf(statusKeys, item.status ?? '')}</span>
          <span class={`badge priority-${item.priority}`}>{labelOf(priorityKeys, item.priority ?? '')}</span>
          <time class="muted" data-user dateTime={item.updated_at ?? ''}>{formatDateTime(item.updated_at)}</time>
        </li>
      ))}
    </ul>
  );
}
