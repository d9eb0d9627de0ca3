// The case view's customer sidebar: who the case's customer is, beside the conversation, from the same
// calls as the Customer 360 (GET /api/v1/customers/{id}, GET /api/v1/cases?customer_id=, the timeline)
// and with the same pieces (customer_parts.tsx, customers.tsx, customer_timeline.tsx): name, e-mail and
// phone (withheld for a role without contact data), last NPS and CSAT, orders and revenue, the open
// cases as links, identities, traits, and the newest few timeline entries, with a link to the 360.
// What the API refuses is said as such: a customer it does not show the caller (404, 403) and open
// cases of other teams, which an agent's case list leaves out but the profile's count includes.
// It is a <details>: open beside the conversation, closed below it at phone width until tapped.
import { useState } from 'preact/hooks';
import { ApiError, api, hasPermission, type Session } from '../api/client';
import { formatNumber, t } from '../i18n/i18n';
import { linkTo } from '../router';
import { useLoaded } from '../use_loaded';
import { ContactValue, CustomerNameText } from './customers';
import { CaseList, Fact, IdentityList, Money, ScoreWhen, TraitList } from './customer_parts';
import { CustomerTimeline } from './customer_timeline';

const recentEntries = 5;
const openStatuses = ['new', 'open', 'pending'];  // what computed.open_cases counts (timeline/timeline.cc)
const caseLimit = 200;  // the API's largest page
const phoneWidth = '(max-width: 640px)';  // styles.css's one-column layout

// `total` is the profile's computed.open_cases, which counts every team's cases.
function OpenCases(props: { customerId: string; caseId: string; total: number; reload: number }) {
  const { value: cases, error } = useLoaded(
    async () => (await api.listCases({ customer_id: props.customerId, limit: caseLimit })).items
      .filter((item) => openStatuses.includes(item.status ?? '')),
    [props.customerId, props.reload]);
  const hidden = cases ? props.total - cases.length : 0;
  return (
    <section aria-labelledby="sidebar-cases-title">
      <h3 id="sidebar-cases-title">{t('computed.open_cases')}</h3>
      {error && <p class="error" role="alert">{error}</p>}
      {cases && cases.length === 0 && <p class="muted">{t('sidebar.no_open_cases')}</p>}
      {cases && cases.length > 0 && <CaseList cases={cases} testId="sidebar-open-cases" currentId={props.caseId} />}
      {hidden > 0 && (
        <p class="hint" data-testid="sidebar-cases-hidden">{t('sidebar.cases_hidden', { count: formatNumber(hidden) })}</p>
      )}
    </section>
  );
}

// `reload` changes when the case changed (a reply, a status): the profile and lists are read again.
export function CustomerSidebar(props: {
  customerId: string;
  caseId: string;
  session: Session;
  users: Map<string, string>;
  reload: number;
}) {
  const [open] = useState(() => !window.matchMedia(phoneWidth).matches);
  const { value: customer, error, failure } = useLoaded(() => api.customer(props.customerId), [props.customerId, props.reload]);
  // Not found and forbidden both mean "not yours to see" here: the case is, so the customer exists.
  const refused = failure instanceof ApiError && (failure.status === 404 || failure.status === 403);
  const profileLink = linkTo(`/customers/${encodeURIComponent(props.customerId)}`);
  const computed = customer?.computed ?? {};
  const canReadCases = hasPermission(props.session, 'cases:read');
  return (
    <details class="customer-sidebar" open={open} data-testid="customer-sidebar" data-loaded={customer ? 'true' : 'false'}>
      <summary>{t('sidebar.title')}</summary>
      {error && !customer && (
        refused
          ? <p class="notice" data-testid="sidebar-refused">{t('sidebar.not_visible')}</p>
          : <p class="error" role="alert">{error}</p>
      )}
      {!customer && !error && <p class="loading">{t('app.loading')}</p>}
      {customer && (
        <div class="sidebar-body">
          <p class="sidebar-name">
            <a data-testid="sidebar-name" {...profileLink}><CustomerNameText customer={customer} /></a>
          </p>
          <dl class="pairs">
            <Fact label={t('customer.email')} testId="sidebar-email">
              <ContactValue value={customer.email} redacted={customer.contact_data_redacted} />
            </Fact>
            <Fact label={t('customer.phone')} testId="sidebar-phone">
              <ContactValue value={customer.phone} redacted={customer.contact_data_redacted} />
            </Fact>
            <Fact label={t('computed.last_nps')} testId="sidebar-last-nps"><ScoreWhen last={computed.last_nps} /></Fact>
            <Fact label={t('computed.last_csat')} testId="sidebar-last-csat"><ScoreWhen last={computed.last_csat} /></Fact>
            <Fact label={t('computed.orders')} testId="sidebar-orders"><span data-user>{formatNumber(computed.orders_count ?? 0)}</span></Fact>
            <Fact label={t('computed.revenue')} testId="sidebar-revenue"><Money totals={computed.revenue} /></Fact>
          </dl>
          {customer.contact_data_redacted && <p class="hint" data-testid="sidebar-redacted">{t('customer.redacted_notice')}</p>}
          {canReadCases && (
            <OpenCases customerId={props.customerId} caseId={props.caseId} total={computed.open_cases ?? 0} reload={props.reload} />
          )}
          <section aria-labelledby="sidebar-identities-title">
            <h3 id="sidebar-identities-title">{t('identities.title')}</h3>
            <IdentityList customer={customer} />
          </section>
          <section aria-labelledby="sidebar-traits-title">
            <h3 id="sidebar-traits-title">{t('traits.title')}</h3>
            <TraitList customer={customer} testId="sidebar-traits" />
          </section>
          <CustomerTimeline customerId={props.customerId} reload={props.reload} recent={recentEntries}
            canReadCases={canReadCases} users={props.users} />
          <a class="button-link" data-testid="sidebar-360" {...profileLink}>{t('sidebar.open_360')}</a>
        </div>
      )}
    </details>
  );
}
