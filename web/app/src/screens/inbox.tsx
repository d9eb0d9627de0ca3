// The agent's inbox: the views mine / unassigned / all, search (?q=), and the case list. Keys: j and k
// move, Enter opens, / goes to the search box. The view and query are in the URL.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, customerName, type Case, type CaseView } from '../api/client';
import { formatDateTime, t } from '../i18n/i18n';
import { priorityKeys, statusKeys, viewKeys } from '../labels';
import { navigate } from '../router';

const views: CaseView[] = ['mine', 'unassigned', 'all'];

function CustomerName(props: { id: string }) {
  const [name, setName] = useState('');
  useEffect(() => {
    let live = true;
    customerName(props.id).then((found) => live && setName(found));
    return () => { live = false; };
  }, [props.id]);
  return <>{name}</>;
}

export function Inbox(props: { view: string; q: string }) {
  const view: CaseView = views.includes(props.view as CaseView) ? (props.view as CaseView) : 'mine';
  // The list and what it was loaded for ("mine", "q:word"), so a stale list is never taken for the new one.
  const [loaded, setLoaded] = useState<{ key: string; items: Case[] } | null>(null);
  const key = props.q ? `q:${props.q}` : view;
  const cases = loaded?.key === key ? loaded.items : null;
  const [error, setError] = useState('');
  const [selected, setSelected] = useState(0);
  const [query, setQuery] = useState(props.q);
  const search = useRef<HTMLInputElement>(null);
  const rows = useRef<HTMLUListElement>(null);

  useEffect(() => {
    let live = true;
    setError('');
    api.listCases(props.q ? { q: props.q, limit: 50 } : { view, limit: 50 }).then(
      (page) => { if (live) { setLoaded({ key, items: page.items }); setSelected(0); } },
      (caught) => live && setError(caught instanceof ApiError ? caught.message : t('error.network')),
    );
    return () => { live = false; };
  }, [key]);

  const open = (item: Case | undefined) => item?.id && navigate(`/cases/${encodeURIComponent(item.id)}`);

  // The handler is registered once and reads the newest list and selection through a ref, so keys
  // pressed faster than the app renders still act on what they moved to.
  const latest = useRef({ cases, selected });
  latest.current = { cases, selected };
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement;
      const { cases: shown, selected: index } = latest.current;
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (target.closest('input, textarea, select')) return;
      if (event.key === '/') {
        event.preventDefault();
        search.current?.focus();
      } else if (event.key === 'j' && shown) {
        latest.current.selected = Math.min(index + 1, shown.length - 1);
        setSelected(latest.current.selected);
      } else if (event.key === 'k') {
        latest.current.selected = Math.max(index - 1, 0);
        setSelected(latest.current.selected);
      } else if (event.key === 'Enter' && shown && !target.closest('a, button')) {
        open(shown[index]);
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  useEffect(() => {
    rows.current?.querySelector<HTMLElement>('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
  }, [selected]);

  const submitSearch = (event: Event) => {
    event.preventDefault();
    navigate(query.trim() ? `/inbox?q=${encodeURIComponent(query.trim())}` : `/inbox?view=${view}`);
  };

  return (
    <section class="inbox">
      <div class="inbox-bar">
        <div class="views" role="tablist" aria-label={t('inbox.views')}>
          {views.map((name) => (
            <button key={name} type="button" role="tab" data-testid={`view-${name}`}
              aria-selected={!props.q && name === view}
              onClick={() => navigate(`/inbox?view=${name}`)}>
              {t(viewKeys[name]!)}
            </button>
          ))}
        </div>
        <form class="search" role="search" onSubmit={submitSearch}>
          <input ref={search} type="search" data-testid="search" value={query}
            placeholder={t('inbox.search_placeholder')} aria-label={t('inbox.search')}
            onInput={(event) => setQuery((event.currentTarget as HTMLInputElement).value)} />
          <button type="submit" class="secondary">{t('inbox.search')}</button>
        </form>
      </div>
      <h1 class="visually-hidden">{props.q ? t('inbox.results_for', { q: props.q }) : t(viewKeys[view]!)}</h1>
      {props.q && <p class="hint" data-user>{t('inbox.results_for', { q: props.q })}</p>}
      {error && <p class="error" role="alert">{error}</p>}
      {cases === null && !error && <p class="loading">{t('app.loading')}</p>}
      {cases && cases.length === 0 && <p class="empty">{t('inbox.empty')}</p>}
      {cases && cases.length > 0 && (
        <>
          <div class="case-row case-head" aria-hidden="true">
            <span>{t('field.subject')}</span><span>{t('field.customer')}</span><span>{t('field.status')}</span>
            <span>{t('field.priority')}</span><span>{t('field.updated')}</span>
          </div>
          <ul class="case-list" ref={rows} role="listbox" aria-label={t('inbox.cases')} data-testid="case-list"
            data-loaded={key}>
            {cases.map((item, index) => (
              <li key={item.id} role="option" aria-selected={index === selected}
                class={`case-row${index === selected ? ' selected' : ''}`}
                onClick={() => { setSelected(index); open(item); }}>
                <a class="subject" data-user href={`/app/cases/${encodeURIComponent(item.id ?? '')}`}
                  onClick={(event) => { event.preventDefault(); }}>{item.subject}</a>
                <span class="customer" data-user>{item.customer_id && <CustomerName id={item.customer_id} />}</span>
                <span class={`badge status-${item.status}`}>{t(statusKeys[item.status ?? 'new'] ?? 'status.new')}</span>
                <span class={`badge priority-${item.priority}`}>{t(priorityKeys[item.priority ?? 'normal'] ?? 'priority.normal')}</span>
                <time data-user dateTime={item.updated_at ?? ''}>{formatDateTime(item.updated_at)}</time>
              </li>
            ))}
          </ul>
          <p class="hint keys">{t('inbox.shortcuts')}</p>
        </>
      )}
    </section>
  );
}
