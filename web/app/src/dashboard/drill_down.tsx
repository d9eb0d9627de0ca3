// The responses behind a number, from GET /api/v1/feedback (feedback:read), in pages of 100. That list
// filters by metric, one touchpoint and time only; for a number narrowed by anything else the panel
// says which filters the API cannot apply instead of listing responses that are not the ones counted.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, type Feedback } from '../api/client';
import { formatDateTime, t } from '../i18n/i18n';
import { dimensionKeys } from './parts';
import { drillDown, type DashboardView, type DrillTarget } from './view';

const pageSize = 100;

export function DrillDownPanel(props: { view: DashboardView; target: DrillTarget; what: string; onClose: () => void }) {
  const plan = drillDown(props.view, props.target);
  const [items, setItems] = useState<Feedback[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);
  const query = 'query' in plan ? plan.query : null;
  const queryKey = JSON.stringify(query);

  const load = async (after: string | null) => {
    if (!query) return;
    try {
      const page = await api.listFeedback({ ...query, limit: pageSize, ...(after ? { cursor: after } : {}) });
      setItems((shown) => [...(after ? shown ?? [] : []), ...page.items]);
      setCursor(page.next_cursor);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : t('error.network'));
    }
  };
  useEffect(() => {
    setItems(null);
    setError('');
    heading.current?.focus();
    load(null);
  }, [queryKey]);

  return (
    <section class="card drill-down" data-testid="drill-down" aria-labelledby="drill-title">
      <header class="card-head">
        <h2 id="drill-title" tabindex={-1} ref={heading}>{t('dashboard.drill_title')}: <span data-user>{props.what}</span></h2>
        <span class="spacer" />
        <button type="button" class="secondary" data-testid="drill-close" onClick={props.onClose}>{t('dashboard.close')}</button>
      </header>
      {'unsupported' in plan ? (
        <p class="notice" data-testid="drill-unsupported">
          {t('dashboard.drill_unsupported', { dimensions: plan.unsupported.map((dimension) => t(dimensionKeys[dimension])).join(', ') })}
        </p>
      ) : (
        <>
          {error && <p class="error" role="alert">{error}</p>}
          {items === null && !error && <p class="loading">{t('app.loading')}</p>}
          {items && (
            <p class="hint" data-testid="drill-count" data-count={items.length} data-complete={cursor ? 'false' : 'true'}>
              {cursor ? t('dashboard.drill_shown_more', { n: items.length }) : t('dashboard.drill_shown', { n: items.length })}
            </p>
          )}
          {items && items.length > 0 && (
            <ul class="responses" data-testid="drill-list">
              {items.map((item) => (
                <li key={item.id} class="response">
                  <span class="badge" data-user>{item.metric?.toUpperCase()} {item.score}</span>{' '}
                  <span data-user>{item.touchpoint}</span>{' '}
                  <time class="muted" data-user dateTime={item.created_at ?? ''}>{formatDateTime(item.created_at)}</time>
                  {item.comment && <p class="body plain" data-user>{item.comment}</p>}
                </li>
              ))}
            </ul>
          )}
          {cursor && (
            <button type="button" class="secondary" data-testid="drill-more" onClick={() => load(cursor)}>
              {t('dashboard.load_more')}
            </button>
          )}
        </>
      )}
    </section>
  );
}
