// Customer 360 (/app/customers/{id}): the profile as GET /api/v1/customers/{id} returns it (contact data
// withheld for roles without contact_data:read is shown as withheld), identities, traits, computed
// attributes, merges (merge with another customer found by search, undo), the customer's cases and
// feedback, the timeline with a note composer, and the GDPR export and erasure. Buttons the role may not
// use are not shown; a refusal by the server is shown where the action was.
import { useEffect, useState } from 'preact/hooks';
import {
  api, errorText, hasPermission,
  type Customer, type CustomerProfile, type ErasureReport, type Merge, type Session,
} from '../api/client';
import { ConfirmDialog } from '../confirm_dialog';
import { useLoaded } from '../use_loaded';
import { formatDateTime, formatNumber, t, type MessageKey } from '../i18n/i18n';
import { channelKeys, labelOf, mergeReasonKeys, metricKeys } from '../labels';
import { linkTo } from '../router';
import { ContactValue, CustomerNameText, CustomerRows, useCustomerSearch, valueText } from './customers';
import { CustomerTimeline, NoteComposer } from './customer_timeline';
import { CaseList, Fact, IdentityList, Money, ScoreWhen, TraitList, When } from './customer_parts';

// The display name of a profile in a sentence ("merge … into …"): its name, else its id.
const nameOf = (customer: Customer) => customer.name || customer.id || '';

function Computed(props: { customer: CustomerProfile }) {
  const computed = props.customer.computed ?? {};
  return (
    <section class="panel" aria-labelledby="computed-title">
      <h2 id="computed-title">{t('computed.title')}</h2>
      <dl class="pairs" data-testid="computed">
        <Fact label={t('computed.first_seen')} testId="first-seen"><When iso={computed.first_seen_at} /></Fact>
        <Fact label={t('computed.last_seen')} testId="last-seen"><When iso={computed.last_seen_at} /></Fact>
        <Fact label={t('computed.orders')} testId="orders"><span data-user>{formatNumber(computed.orders_count ?? 0)}</span></Fact>
        <Fact label={t('computed.revenue')} testId="revenue"><Money totals={computed.revenue} /></Fact>
        <Fact label={t('computed.refunds')} testId="refunds"><span data-user>{formatNumber(computed.refunds_count ?? 0)}</span></Fact>
        <Fact label={t('computed.refunded')} testId="refunded"><Money totals={computed.refunded} /></Fact>
        <Fact label={t('computed.channels')} testId="channels">
          {(computed.channels ?? []).length
            ? (computed.channels ?? []).map((channel) => labelOf(channelKeys, channel)).join(', ')
            : <span class="muted">{t('customer.none')}</span>}
        </Fact>
        <Fact label={t('computed.last_nps')} testId="last-nps"><ScoreWhen last={computed.last_nps} /></Fact>
        <Fact label={t('computed.last_csat')} testId="last-csat"><ScoreWhen last={computed.last_csat} /></Fact>
        <Fact label={t('computed.open_cases')} testId="open-cases"><span data-user>{formatNumber(computed.open_cases ?? 0)}</span></Fact>
      </dl>
    </section>
  );
}

function Identities(props: { customer: CustomerProfile }) {
  return (
    <section class="panel" aria-labelledby="identities-title">
      <h2 id="identities-title">{t('identities.title')}</h2>
      <IdentityList customer={props.customer} />
    </section>
  );
}

function Traits(props: { customer: CustomerProfile }) {
  return (
    <section class="panel" aria-labelledby="traits-title">
      <h2 id="traits-title">{t('traits.title')}</h2>
      <TraitList customer={props.customer} testId="traits" />
    </section>
  );
}

function MergeSearchResults(props: { q: string; customer: CustomerProfile; onPick: (other: Customer) => void }) {
  const { customers, hasMore, loadMore, error } = useCustomerSearch(props.q);
  const others = customers?.filter((other) => other.id !== props.customer.id) ?? null;
  return (
    <>
      {error && <p class="error" role="alert">{error}</p>}
      {others === null && !error && <p class="loading">{t('app.loading')}</p>}
      {others && others.length === 0 && <p class="empty">{t('customers.empty')}</p>}
      {others && others.length > 0 && (
        <CustomerRows customers={others} label={t('merge.candidates')} testId="merge-candidates" loadedFor={props.q}
          action={(other) => (
            <button type="button" class="secondary" data-testid="merge-pick" onClick={() => props.onPick(other)}>
              {t('merge.pick')}
            </button>
          )} />
      )}
      {hasMore && <button type="button" class="secondary more" onClick={loadMore}>{t('app.load_more')}</button>}
    </>
  );
}

function Merges(props: { customer: CustomerProfile; session: Session; reload: number; onChanged: () => void }) {
  const { customer, session } = props;
  const { value: merges, error } = useLoaded(async () => (await api.merges(customer.id ?? '')).items,
    [customer.id, props.reload]);
  const [picking, setPicking] = useState(false);
  const [query, setQuery] = useState('');
  const [searched, setSearched] = useState('');
  const [confirming, setConfirming] = useState<{ merge: Customer } | { undo: Merge } | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState('');

  const close = () => { setConfirming(null); setActionError(''); };
  const act = async () => {
    if (!confirming) return;
    setBusy(true);
    setActionError('');
    try {
      if ('merge' in confirming) await api.mergeCustomer(customer.id ?? '', confirming.merge.id ?? '');
      else await api.undoMerge(confirming.undo.id);
      close();
      setPicking(false);
      setSearched('');
      setQuery('');
      props.onChanged();
    } catch (caught) {
      setActionError(errorText(caught));
    } finally {
      setBusy(false);
    }
  };

  const profileLink = (id: string) =>
    id === customer.id ? <span>{t('merge.this_profile')}</span> : <a data-user {...linkTo(`/customers/${encodeURIComponent(id)}`)}>{id}</a>;
  return (
    <section class="panel" aria-labelledby="merges-title">
      <h2 id="merges-title">{t('merges.title')}</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {merges && merges.length === 0 && <p class="muted">{t('merges.empty')}</p>}
      {merges && merges.length > 0 && (
        <ul class="merges" data-testid="merges">
          {merges.map((merge) => (
            <li key={merge.id} data-merge-id={merge.id} data-undone={merge.undone_at ? 'true' : 'false'}>
              <span>
                {t('merges.merged')} {profileLink(merge.merged_id)} → {profileLink(merge.survivor_id)}
              </span>
              <span class="muted">
                <time data-user dateTime={merge.created_at ?? ''}>{formatDateTime(merge.created_at)}</time>
                {' · '}{labelOf(mergeReasonKeys, merge.reason)}
              </span>
              {merge.undone_at ? (
                <span class="muted" data-testid="merge-undone">
                  {t('merges.undone')} <time data-user dateTime={merge.undone_at}>{formatDateTime(merge.undone_at)}</time>
                </span>
              ) : hasPermission(session, 'customers:unmerge') && (
                <button type="button" class="secondary" data-testid="merge-undo" onClick={() => setConfirming({ undo: merge })}>
                  {t('merges.undo')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {hasPermission(session, 'customers:merge') && !picking && (
        <button type="button" class="secondary" data-testid="merge-start" onClick={() => setPicking(true)}>
          {t('merge.start')}
        </button>
      )}
      {picking && (
        <div class="merge-picker">
          <form class="search" role="search" onSubmit={(event) => { event.preventDefault(); setSearched(query.trim()); }}>
            <input type="search" data-testid="merge-search" value={query} aria-label={t('merge.search')}
              placeholder={t('customers.search_placeholder')}
              onInput={(event) => setQuery((event.currentTarget as HTMLInputElement).value)} />
            <button type="submit" class="secondary">{t('customers.search')}</button>
          </form>
          {searched && <MergeSearchResults q={searched} customer={customer} onPick={(other) => setConfirming({ merge: other })} />}
          <button type="button" class="secondary" onClick={() => { setPicking(false); setSearched(''); }}>{t('confirm.cancel')}</button>
        </div>
      )}
      {confirming && 'merge' in confirming && (
        <ConfirmDialog title={t('merge.confirm_title')} confirmLabel={t('merge.confirm')} busy={busy} error={actionError}
          onConfirm={act} onCancel={close}>
          <p><strong data-user>{nameOf(confirming.merge)}</strong> → <strong data-user>{nameOf(customer)}</strong></p>
          <p>{t('merge.confirm_text')}</p>
        </ConfirmDialog>
      )}
      {confirming && 'undo' in confirming && (
        <ConfirmDialog title={t('merges.undo_title')} confirmLabel={t('merges.undo')} busy={busy} error={actionError}
          onConfirm={act} onCancel={close}>
          <p>{t('merges.undo_text')}</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function CustomerCases(props: { customerId: string; reload: number }) {
  const { value: cases, error } = useLoaded(
    async () => (await api.listCases({ customer_id: props.customerId, limit: 50 })).items, [props.customerId, props.reload]);
  return (
    <section class="panel" aria-labelledby="cases-title">
      <h2 id="cases-title">{t('customer.cases')}</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {cases && cases.length === 0 && <p class="muted">{t('inbox.empty')}</p>}
      {cases && cases.length > 0 && <CaseList cases={cases} testId="customer-cases" />}
    </section>
  );
}

function CustomerFeedback(props: { customerId: string; reload: number }) {
  const { value: responses, error } = useLoaded(
    async () => (await api.listFeedback({ customer_id: props.customerId, limit: 50 })).items,
    [props.customerId, props.reload]);
  return (
    <section class="panel" aria-labelledby="feedback-title">
      <h2 id="feedback-title">{t('customer.feedback')}</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {responses && responses.length === 0 && <p class="muted">{t('feedback.empty')}</p>}
      {responses && responses.length > 0 && (
        <ul class="item-list" data-testid="customer-feedback">
          {responses.map((response) => (
            <li key={response.id} data-feedback-id={response.id}>
              <strong>
                {labelOf(metricKeys, response.metric ?? '')} <span data-user data-testid="feedback-score">{valueText(response.score)}</span>
              </strong>
              <span class="muted" data-user>{[response.survey, response.touchpoint].filter(Boolean).join(' · ')}</span>
              <time class="muted" data-user dateTime={response.created_at ?? ''}>{formatDateTime(response.created_at)}</time>
              {response.comment && <div class="body plain" data-user>{response.comment}</div>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

// The GDPR access export: the API's JSON saved as a file, made in the page (a Blob URL), so the
// download carries the session like every other call.
async function downloadExport(customerId: string): Promise<void> {
  const data = await api.exportCustomer(customerId);
  const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = `touchpoint-customer-${customerId}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

const erasedKeys: Record<string, MessageKey> = {
  profiles: 'erase.profiles', events: 'erase.events', cases: 'erase.cases',
  feedback_responses_unlinked: 'erase.feedback_unlinked', notes: 'erase.notes', identifiers: 'erase.identifiers',
  audit_entries_redacted: 'erase.audit_redacted',
};

function Erased(props: { report: ErasureReport }) {
  return (
    <section class="panel erased" data-testid="erased">
      <h1>{t('erase.done')}</h1>
      <dl class="pairs">
        {Object.entries(props.report.erased).map(([what, count]) => (
          <div key={what} class="pair">
            <dt>{labelOf(erasedKeys, what)}</dt>
            <dd data-user>{formatNumber(count)}</dd>
          </div>
        ))}
      </dl>
      <a {...linkTo('/customers')}>{t('customers.back')}</a>
    </section>
  );
}

export function Customer360(props: { customerId: string; session: Session }) {
  const { session } = props;
  const [customer, setCustomer] = useState<CustomerProfile | null>(null);
  const [error, setError] = useState('');
  const [reload, setReload] = useState(0);  // bumped after a write: every part reads its data again
  const [users, setUsers] = useState(new Map<string, string>());
  const [privacyError, setPrivacyError] = useState('');
  const [erasing, setErasing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [erased, setErased] = useState<ErasureReport | null>(null);

  useEffect(() => {
    let live = true;
    api.customer(props.customerId).then(
      (found) => { if (live) { setCustomer(found); setError(''); } },
      (caught) => live && setError(errorText(caught)),
    );
    return () => { live = false; };
  }, [props.customerId, reload]);
  useEffect(() => {
    if (!hasPermission(session, 'users:read')) return;
    api.users().then((page) => setUsers(new Map(page.items.map((user) => [user.id ?? '', user.name || user.email || '']))),
      () => undefined);
  }, []);

  if (erased) return <Erased report={erased} />;
  if (!customer) return error ? <p class="error" role="alert">{error}</p> : <p class="loading">{t('app.loading')}</p>;
  const customerId = customer.id ?? props.customerId;
  const changed = () => setReload((count) => count + 1);

  const exportData = async () => {
    setPrivacyError('');
    try {
      await downloadExport(customerId);
    } catch (caught) {
      setPrivacyError(errorText(caught));
    }
  };
  const erase = async () => {
    setBusy(true);
    setPrivacyError('');
    try {
      setErased(await api.eraseCustomer(customerId));
    } catch (caught) {
      setPrivacyError(errorText(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="customer-screen">
      <header class="panel profile-head">
        <div>
          <h1 data-testid="customer-name"><CustomerNameText customer={customer} /></h1>
          <dl class="pairs contact">
            <Fact label={t('customer.email')} testId="customer-email">
              <ContactValue value={customer.email} redacted={customer.contact_data_redacted} />
            </Fact>
            <Fact label={t('customer.phone')} testId="customer-phone">
              <ContactValue value={customer.phone} redacted={customer.contact_data_redacted} />
            </Fact>
            <Fact label={t('customer.since')} testId="customer-since">
              <time data-user dateTime={customer.created_at ?? ''}>{formatDateTime(customer.created_at)}</time>
            </Fact>
          </dl>
          {customer.contact_data_redacted && <p class="hint" data-testid="redacted-notice">{t('customer.redacted_notice')}</p>}
          {customer.merged_from && <p class="notice" data-testid="merged-notice">{t('customer.merged_notice')}</p>}
        </div>
        {hasPermission(session, 'privacy:requests') && (
          <div class="profile-actions">
            <button type="button" class="secondary" data-testid="export" onClick={exportData}>{t('privacy.export')}</button>
            <button type="button" class="danger" data-testid="erase" onClick={() => { setPrivacyError(''); setErasing(true); }}>
              {t('privacy.erase')}
            </button>
          </div>
        )}
        {privacyError && !erasing && <p class="error" role="alert" data-testid="privacy-error">{privacyError}</p>}
      </header>
      {erasing && (
        <ConfirmDialog title={t('erase.title')} confirmLabel={t('privacy.erase')} requireText={customerId} danger busy={busy}
          error={privacyError} onConfirm={erase} onCancel={() => { setErasing(false); setPrivacyError(''); }}>
          <p><strong data-user>{nameOf(customer)}</strong></p>
          <p>{t('erase.text')}</p>
        </ConfirmDialog>
      )}
      <div class="customer-columns">
        <div class="customer-main">
          {hasPermission(session, 'cases:read') && <CustomerCases customerId={customerId} reload={reload} />}
          {hasPermission(session, 'feedback:read') && <CustomerFeedback customerId={customerId} reload={reload} />}
          {hasPermission(session, 'customers:write') && <NoteComposer customerId={customerId} onAdded={changed} />}
          <CustomerTimeline customerId={customerId} reload={reload} canReadCases={hasPermission(session, 'cases:read')} users={users} />
        </div>
        <aside class="customer-side" aria-label={t('customer.profile')}>
          <Computed customer={customer} />
          <Identities customer={customer} />
          <Traits customer={customer} />
          <Merges customer={customer} session={session} reload={reload} onChanged={changed} />
        </aside>
      </div>
    </div>
  );
}
