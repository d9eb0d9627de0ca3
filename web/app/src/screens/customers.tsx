// The customer list and search (/app/customers?q=…): GET /api/v1/customers with the query in the URL,
// paged by the API's cursor. Also what the Customer 360 shares with it: the search itself (its "merge
// with…" picker), the rows of customers, and a contact value the API may have withheld.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, errorText, type Customer } from '../api/client';
import { formatDateTime, formatNumber, t } from '../i18n/i18n';
import { linkTo, navigate } from '../router';

const pageSize = 25;

// An e-mail or phone as the API returned it. Without contact_data:read the API answers null and marks
// the customer redacted: that is shown as withheld, never as "none" (there may well be one).
export function ContactValue(props: { value: string | null | undefined; redacted: boolean | undefined; testId?: string }) {
  if (props.value) return <span data-user data-testid={props.testId}>{props.value}</span>;
  if (props.redacted) {
    return <span class="redacted" data-testid={props.testId} data-redacted="true">{t('customer.redacted')}</span>;
  }
  return <span class="muted" data-testid={props.testId}>{t('customer.none')}</span>;
}

// The name, which the API leaves out when it is contact data (an address) and the caller may not see it.
export function CustomerNameText(props: { customer: Customer; testId?: string }) {
  const { customer } = props;
  if (customer.name) return <span data-user data-testid={props.testId}>{customer.name}</span>;
  if (customer.contact_data_redacted && customer.name === undefined) {
    return <span class="redacted" data-testid={props.testId} data-redacted="true">{t('customer.redacted')}</span>;
  }
  return <span class="muted" data-testid={props.testId}>{t('customer.unnamed')}</span>;
}

// One search of GET /api/v1/customers (an empty query lists everyone), with its next pages.
export function useCustomerSearch(q: string) {
  const [found, setFound] = useState<{ q: string; items: Customer[]; next: string | null } | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    setError('');
    api.listCustomers({ q: q || undefined, limit: pageSize }).then(
      (page) => live && setFound({ q, items: page.items, next: page.next_cursor }),
      (caught) => live && setError(errorText(caught)),
    );
    return () => { live = false; };
  }, [q]);
  const current = found?.q === q ? found : null;
  const loadMore = async () => {
    if (!current?.next) return;
    try {
      const page = await api.listCustomers({ q: q || undefined, limit: pageSize, cursor: current.next });
      setFound({ q, items: [...current.items, ...page.items], next: page.next_cursor });
    } catch (caught) {
      setError(errorText(caught));
    }
  };
  return { customers: current?.items ?? null, hasMore: !!current?.next, loadMore, error };
}

export function CustomerRows(props: {
  customers: Customer[];
  label: string;
  testId: string;
  loadedFor: string;
  action?: (customer: Customer) => ComponentChildren;
}) {
  return (
    <ul class="customer-list" aria-label={props.label} data-testid={props.testId} data-loaded={props.loadedFor}>
      {props.customers.map((customer) => (
        <li key={customer.id} class="customer-row" data-customer-id={customer.id}>
          <a class="name" {...linkTo(`/customers/${encodeURIComponent(customer.id ?? '')}`)}>
            <CustomerNameText customer={customer} />
          </a>
          <ContactValue value={customer.email} redacted={customer.contact_data_redacted} />
          <ContactValue value={customer.phone} redacted={customer.contact_data_redacted} />
          <time class="muted" data-user dateTime={customer.computed?.last_seen_at ?? ''}>
            {formatDateTime(customer.computed?.last_seen_at)}
          </time>
          {props.action?.(customer)}
        </li>
      ))}
    </ul>
  );
}

export function CustomerList(props: { q: string }) {
  const [query, setQuery] = useState(props.q);
  const { customers, hasMore, loadMore, error } = useCustomerSearch(props.q);
  useEffect(() => setQuery(props.q), [props.q]);

  const submit = (event: Event) => {
    event.preventDefault();
    navigate(query.trim() ? `/customers?q=${encodeURIComponent(query.trim())}` : '/customers');
  };
  return (
    <section class="customers">
      <div class="inbox-bar">
        <h1>{t('customers.title')}</h1>
        <form class="search" role="search" onSubmit={submit}>
          <input type="search" data-testid="customer-search" value={query} placeholder={t('customers.search_placeholder')}
            aria-label={t('customers.search')} onInput={(event) => setQuery((event.currentTarget as HTMLInputElement).value)} />
          <button type="submit" class="secondary">{t('customers.search')}</button>
        </form>
      </div>
      {props.q && <p class="hint" data-user>{t('customers.results_for', { q: props.q })}</p>}
      {error && <p class="error" role="alert">{error}</p>}
      {customers === null && !error && <p class="loading">{t('app.loading')}</p>}
      {customers && customers.length === 0 && <p class="empty">{t('customers.empty')}</p>}
      {customers && customers.length > 0 && (
        <>
          <div class="customer-row customer-head" aria-hidden="true">
            <span>{t('customer.name')}</span><span>{t('customer.email')}</span><span>{t('customer.phone')}</span>
            <span>{t('computed.last_seen')}</span>
          </div>
          <CustomerRows customers={customers} label={t('customers.title')} testId="customer-list" loadedFor={props.q} />
          {hasMore && (
            <button type="button" class="secondary more" data-testid="customers-more" onClick={loadMore}>
              {t('app.load_more')}
            </button>
          )}
        </>
      )}
    </section>
  );
}

// A value of a customer's traits, an event's properties or a survey's answers, as text.
export function valueText(value: unknown): string {
  if (value === null || value === undefined || value === '') return t('customer.none');
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return value ? t('value.yes') : t('value.no');
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((item) => typeof item !== 'object' || item === null)) return value.map(valueText).join(', ');
  return JSON.stringify(value);
}

// Name → value pairs of customer data (traits, properties, answers): names and values are both the data's.
export function Pairs(props: { values: Record<string, unknown>; testId?: string }) {
  const entries = Object.entries(props.values);
  if (entries.length === 0) return null;
  return (
    <dl class="pairs" data-testid={props.testId}>
      {entries.map(([name, value]) => (
        <div key={name} class="pair" data-name={name}>
          <dt data-user>{name}</dt>
          <dd data-user>{valueText(value)}</dd>
        </div>
      ))}
    </dl>
  );
}
