// A customer's whole timeline (GET /api/v1/customers/{id}/timeline): events, cases, feedback, notes and
// survey responses, newest first, filtered by kind and paged by the API's cursor; and the note composer
// (POST /api/v1/customers/{id}/notes). Everything the customer or a colleague wrote is shown as text.
import { useEffect, useState } from 'preact/hooks';
import { api, errorText, timelineKinds, type TimelineEntry, type TimelineKind } from '../api/client';
import { formatDateTime, formatMoney, t } from '../i18n/i18n';
import { channelKeys, eventTypeKeys, labelOf, metricKeys, priorityKeys, statusKeys, timelineKindKeys } from '../labels';
import { linkTo } from '../router';
import { Pairs, valueText } from './customers';

const pageSize = 20;

const text = (value: unknown) => (typeof value === 'string' ? value : '');
const record = (value: unknown) =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

function Score(props: { metric: string; score: unknown }) {
  return (
    <span class="score">
      {labelOf(metricKeys, props.metric)} <span data-user>{valueText(props.score)}</span>
    </span>
  );
}

function EntryBody(props: { entry: TimelineEntry; canReadCases: boolean; users: Map<string, string> }) {
  const { entry } = props;
  const detail = entry.detail ?? {};
  switch (entry.kind) {
    case 'event': {
      const amount = record(detail.amount);
      return (
        <>
          <strong data-user data-testid="entry-title">{entry.title}</strong>
          <p class="muted">
            {labelOf(eventTypeKeys, text(detail.type))}
            {text(detail.channel) && <> · {labelOf(channelKeys, text(detail.channel))}</>}
            {text(amount.amount) && (
              <> · <span data-user>{formatMoney(text(amount.amount), text(amount.currency))}</span></>
            )}
          </p>
          <Pairs values={record(detail.properties)} />
        </>
      );
    }
    case 'case':
      return (
        <>
          {props.canReadCases ? (
            <a data-user data-testid="entry-title" {...linkTo(`/cases/${encodeURIComponent(entry.id)}`)}>{entry.title}</a>
          ) : (
            <strong data-user data-testid="entry-title">{entry.title}</strong>
          )}
          <p class="muted">
            <span class={`badge status-${text(detail.status)}`}>{labelOf(statusKeys, text(detail.status))}</span>{' '}
            <span class={`badge priority-${text(detail.priority)}`}>{labelOf(priorityKeys, text(detail.priority))}</span>
            {text(detail.channel) && <> · {labelOf(channelKeys, text(detail.channel))}</>}
          </p>
        </>
      );
    case 'feedback':
      return (
        <>
          <strong data-testid="entry-title"><Score metric={text(detail.metric)} score={detail.score} /></strong>
          <p class="muted">
            <span data-user>{text(detail.survey)}</span>
            {text(detail.touchpoint) && <> · <span data-user>{text(detail.touchpoint)}</span></>}
          </p>
          {text(detail.comment) && <div class="body plain" data-user>{text(detail.comment)}</div>}
        </>
      );
    case 'note':
      return (
        <>
          <div class="body plain" data-user data-testid="entry-body">{text(detail.body)}</div>
          <p class="muted" data-user>{props.users.get(text(detail.author_id)) ?? t('author.user')}</p>
        </>
      );
    case 'survey_response': {
      const scores = Array.isArray(detail.scores) ? detail.scores.map(record) : [];
      return (
        <>
          <strong data-testid="entry-title">{t('timeline.survey_response')}</strong>
          {text(detail.touchpoint) && <p class="muted" data-user>{text(detail.touchpoint)}</p>}
          {scores.length > 0 && (
            <ul class="scores">
              {scores.map((score, index) => (
                <li key={index}>
                  <Score metric={text(score.metric)} score={score.score} />
                  {text(score.comment) && <div class="body plain" data-user>{text(score.comment)}</div>}
                </li>
              ))}
            </ul>
          )}
          <Pairs values={record(detail.answers)} />
        </>
      );
    }
    default:
      return <strong data-user>{entry.title}</strong>;
  }
}

export function NoteComposer(props: { customerId: string; onAdded: () => void }) {
  const [body, setBody] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const add = async (event: Event) => {
    event.preventDefault();
    if (!body.trim()) return;
    setBusy(true);
    setError('');
    try {
      await api.addCustomerNote(props.customerId, body);
      setBody('');
      props.onAdded();
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="composer kind-note" onSubmit={add} data-testid="note-form">
      <label for="customer-note">{t('customer.note')}</label>
      <textarea id="customer-note" data-testid="note-text" rows={3} value={body} placeholder={t('customer.note_placeholder')}
        onInput={(event) => setBody((event.currentTarget as HTMLTextAreaElement).value)} />
      <div class="composer-actions">
        <span class="hint">{t('composer.note_hint')}</span>
        <button type="submit" disabled={busy || !body.trim()} data-testid="note-add">{t('composer.add_note')}</button>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
    </form>
  );
}

// `reload` changes after a write elsewhere on the screen (a note, a merge): the first page is read again.
// With `recent` (the case view's customer sidebar) only that many newest entries, with no filter and no
// further pages: the Customer 360 has the rest.
export function CustomerTimeline(props: {
  customerId: string;
  reload: number;
  canReadCases: boolean;
  users: Map<string, string>;
  recent?: number;
}) {
  const [kinds, setKinds] = useState<TimelineKind[]>([]);
  const [loaded, setLoaded] = useState<{ key: string; items: TimelineEntry[]; next: string | null } | null>(null);
  const [error, setError] = useState('');
  const key = kinds.join(',');
  const limit = String(props.recent ?? pageSize);

  useEffect(() => {
    let live = true;
    setError('');
    api.timeline(props.customerId, { kind: key || undefined, limit }).then(
      (page) => live && setLoaded({ key, items: page.items, next: page.next_cursor }),
      (caught) => live && setError(errorText(caught)),
    );
    return () => { live = false; };
  }, [props.customerId, key, props.reload, limit]);

  const toggle = (kind: TimelineKind) =>
    setKinds((chosen) => timelineKinds.filter((each) => (each === kind ? !chosen.includes(each) : chosen.includes(each))));
  const loadMore = async () => {
    if (!loaded?.next) return;
    try {
      const page = await api.timeline(props.customerId, { kind: key || undefined, limit: String(pageSize), cursor: loaded.next });
      setLoaded({ key, items: [...loaded.items, ...page.items], next: page.next_cursor });
    } catch (caught) {
      setError(errorText(caught));
    }
  };

  const entries = loaded?.key === key ? loaded.items : null;
  return (
    <section class="customer-timeline" aria-labelledby="timeline-title">
      <h2 id="timeline-title">{t('timeline.title')}</h2>
      {props.recent === undefined && <div class="views timeline-filters" role="group" aria-label={t('timeline.filter')}>
        <button type="button" aria-pressed={kinds.length === 0} data-testid="filter-all" onClick={() => setKinds([])}>
          {t('timeline.all')}
        </button>
        {timelineKinds.map((kind) => (
          <button key={kind} type="button" aria-pressed={kinds.includes(kind)} data-testid={`filter-${kind}`}
            onClick={() => toggle(kind)}>
            {t(timelineKindKeys[kind]!)}
          </button>
        ))}
      </div>}
      {error && <p class="error" role="alert">{error}</p>}
      {entries === null && !error && <p class="loading">{t('app.loading')}</p>}
      {entries && entries.length === 0 && <p class="empty">{t('timeline.empty')}</p>}
      {entries && entries.length > 0 && (
        <ol class="timeline" data-testid="customer-timeline" data-loaded={key}>
          {entries.map((entry) => (
            <li key={`${entry.kind}:${entry.id}`} class={`entry kind-${entry.kind}`} data-kind={entry.kind} data-id={entry.id}>
              <header>
                <span class="badge">{labelOf(timelineKindKeys, entry.kind)}</span>
                <time class="muted" data-user dateTime={entry.at ?? ''}>{formatDateTime(entry.at)}</time>
              </header>
              <EntryBody entry={entry} canReadCases={props.canReadCases} users={props.users} />
            </li>
          ))}
        </ol>
      )}
      {props.recent === undefined && loaded?.key === key && loaded.next && (
        <button type="button" class="secondary more" data-testid="timeline-more" onClick={loadMore}>
          {t('app.load_more')}
        </button>
      )}
    </section>
  );
}
