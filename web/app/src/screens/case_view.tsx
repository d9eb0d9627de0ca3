// One case: the whole conversation in order (messages, internal notes, the history of changes), the
// reply and note composer (drafts kept per case in sessionStorage), macros (preview, apply), and the
// status, priority and assignee, with the customer sidebar (customer_sidebar.tsx) beside them. A message
// is shown as the server's sanitised `html` rendering or as plain text; nothing else is ever inserted as
// HTML.
import { useEffect, useState } from 'preact/hooks';
import {
  api, customerName, errorText,
  type Attachment, type Case, type CaseChange, type CaseMessage, type CasePatch, type ConversationEntry,
  type Macro, type MacroPreview, type Session, type User,
} from '../api/client';
import { formatBytes, formatDateTime, t } from '../i18n/i18n';
import { authorKeys, deliveryKeys, fieldKeys, messageKindKeys, priorityKeys, statusKeys } from '../labels';
import { loadDraft, saveDraft } from '../drafts';
import { linkTo } from '../router';
import { CustomerSidebar } from './customer_sidebar';

type Kind = 'reply' | 'note';
const statuses = ['new', 'open', 'pending', 'solved', 'closed'] as const;
const priorities = ['low', 'normal', 'high', 'urgent'] as const;

function Attachments(props: { items: Attachment[] }) {
  if (props.items.length === 0) return null;
  return (
    <ul class="attachments" aria-label={t('case.attachments')}>
      {props.items.map((item) => (
        <li key={item.id}>
          <a href={item.url} download={item.file_name} data-user>{item.file_name}</a>{' '}
          <span class="muted" data-user>{formatBytes(item.size ?? 0)}</span>
        </li>
      ))}
    </ul>
  );
}

function MessageEntry(props: { message: CaseMessage; users: Map<string, string> }) {
  const { message } = props;
  const author = message.author?.type === 'user' && message.author.id
    ? props.users.get(message.author.id) ?? t('author.user')
    : t(authorKeys[message.author?.type ?? 'system'] ?? 'author.system');
  return (
    <article class={`message kind-${message.kind}`} data-testid="message">
      <header>
        <strong data-user>{author}</strong>
        <span class="badge">{t(messageKindKeys[message.kind ?? 'reply'] ?? 'message.kind_reply')}</span>
        {message.delivery_state && message.kind === 'reply' && (
          <span class="muted">{t(deliveryKeys[message.delivery_state] ?? 'delivery.pending')}</span>
        )}
        <time class="muted" data-user dateTime={message.created_at ?? ''}>{formatDateTime(message.created_at)}</time>
      </header>
      {message.html ? (
        // The server's sanitised rendering (richtext/: an allowlist walk over libxml2's parse).
        <div class="body" data-user dangerouslySetInnerHTML={{ __html: message.html }} />
      ) : (
        <div class="body plain" data-user>{message.text ?? message.body}</div>
      )}
      <Attachments items={message.attachments ?? []} />
    </article>
  );
}

function valueText(field: string, value: unknown, users: Map<string, string>): string {
  if (value === null || value === undefined || value === '') return t('case.none');
  if (field === 'status' && typeof value === 'string') return t(statusKeys[value] ?? 'status.new');
  if (field === 'priority' && typeof value === 'string') return t(priorityKeys[value] ?? 'priority.normal');
  if (field === 'assignee_id' && typeof value === 'string') return users.get(value) ?? value;
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
}

function ChangeEntry(props: { change: CaseChange; users: Map<string, string> }) {
  const { change, users } = props;
  const after = (change.after ?? {}) as Record<string, unknown>;
  const before = (change.before ?? {}) as Record<string, unknown>;
  const fields = Object.keys(after).filter((field) => field in fieldKeys);
  return (
    <div class="change" data-testid="change">
      <time class="muted" data-user dateTime={change.at ?? ''}>{formatDateTime(change.at)}</time>{' '}
      {change.action === 'case.create' ? (
        <span>{t('case.history_created')}</span>
      ) : (
        <span>
          {fields.map((field) => (
            <span key={field} class="change-field" data-user>
              {t('case.history_changed', {
                field: t(fieldKeys[field]!),
                from: valueText(field, before[field], users),
                to: valueText(field, after[field], users),
              })}
            </span>
          ))}
        </span>
      )}
    </div>
  );
}

function Composer(props: { caseId: string; onSent: () => void }) {
  const [kind, setKind] = useState<Kind>('reply');
  const [text, setText] = useState(loadDraft(props.caseId, 'reply'));
  const [statusAfter, setStatusAfter] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const switchKind = (next: Kind) => {
    setKind(next);
    setText(loadDraft(props.caseId, next));
  };
  const edit = (value: string) => {
    setText(value);
    saveDraft(props.caseId, kind, value);
  };
  const send = async (event: Event) => {
    event.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    setError('');
    try {
      await api.addMessage(props.caseId, { kind, body: text, format: 'text', ...(statusAfter ? { status: statusAfter } : {}) });
      saveDraft(props.caseId, kind, '');
      setText('');
      setStatusAfter('');
      props.onSent();
    } catch (caught) {
      setError(errorText(caught));  // the draft stays, in the box and in sessionStorage
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class={`composer kind-${kind}`} onSubmit={send} data-testid="composer">
      <div class="tabs" role="tablist">
        <button type="button" role="tab" aria-selected={kind === 'reply'} onClick={() => switchKind('reply')}>
          {t('composer.reply')}
        </button>
        <button type="button" role="tab" aria-selected={kind === 'note'} onClick={() => switchKind('note')}
          data-testid="note-tab">
          {t('composer.note')}
        </button>
      </div>
      <label class="visually-hidden" for="composer-text">{kind === 'reply' ? t('composer.reply') : t('composer.note')}</label>
      <textarea id="composer-text" data-testid="composer-text" rows={5} value={text}
        placeholder={kind === 'reply' ? t('composer.reply_placeholder') : t('composer.note_placeholder')}
        onInput={(event) => edit((event.currentTarget as HTMLTextAreaElement).value)} />
      {kind === 'note' && <p class="hint">{t('composer.note_hint')}</p>}
      <div class="composer-actions">
        <label>
          {t('composer.status_after')}{' '}
          <select value={statusAfter} onChange={(event) => setStatusAfter((event.currentTarget as HTMLSelectElement).value)}>
            <option value="">{t('composer.status_unchanged')}</option>
            {statuses.map((status) => <option key={status} value={status}>{t(statusKeys[status]!)}</option>)}
          </select>
        </label>
        <button type="submit" disabled={busy || !text.trim()} data-testid="send">
          {kind === 'reply' ? t('composer.send_reply') : t('composer.add_note')}
        </button>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
    </form>
  );
}

function Macros(props: { caseId: string; macros: Macro[]; onApplied: () => void }) {
  const [macroId, setMacroId] = useState('');
  const [preview, setPreview] = useState<MacroPreview | null>(null);
  const [error, setError] = useState('');
  if (props.macros.length === 0) return <p class="muted">{t('macro.none')}</p>;

  const choose = async (id: string) => {
    setMacroId(id);
    setPreview(null);
    setError('');
    if (!id) return;
    try {
      setPreview(await api.previewMacro(props.caseId, id));
    } catch (caught) {
      setError(errorText(caught));
    }
  };
  const apply = async () => {
    setError('');
    try {
      await api.applyMacro(props.caseId, macroId);
      setMacroId('');
      setPreview(null);
      props.onApplied();
    } catch (caught) {
      setError(errorText(caught));
    }
  };
  const changes = Object.entries((preview?.set ?? {}) as Record<string, unknown>);
  return (
    <div class="macros">
      <label>
        {t('macro.choose')}{' '}
        <select data-testid="macro" value={macroId} onChange={(event) => choose((event.currentTarget as HTMLSelectElement).value)}>
          <option value="">{t('macro.pick')}</option>
          {props.macros.map((macro) => <option key={macro.id} value={macro.id} data-user>{macro.name}</option>)}
        </select>
      </label>
      {preview && (
        <div class="macro-preview" data-testid="macro-preview">
          <h3>{t('macro.preview')}</h3>
          {/* The macro's body with its placeholders filled: shown as text, whatever its format. */}
          {preview.message && <div class="body plain" data-user data-testid="macro-body">{preview.message.body}</div>}
          {changes.length > 0 && (
            <ul>
              {changes.map(([field, value]) => (
                <li key={field} data-user>{t('macro.sets', { field, value: Array.isArray(value) ? value.join(', ') : String(value) })}</li>
              ))}
            </ul>
          )}
          <button type="button" data-testid="macro-apply" onClick={apply}>{t('macro.apply')}</button>
        </div>
      )}
      {error && <p class="error" role="alert">{error}</p>}
    </div>
  );
}

export function CaseScreen(props: { caseId: string; session: Session }) {
  const me = props.session.user?.id ?? '';
  const [theCase, setCase] = useState<Case | null>(null);
  const [entries, setEntries] = useState<ConversationEntry[]>([]);
  const [customer, setCustomer] = useState('');
  const [macros, setMacros] = useState<Macro[]>([]);
  const [users, setUsers] = useState<User[]>([]);
  const [error, setError] = useState('');
  const [loads, setLoads] = useState(0);  // the customer sidebar reads again after each load

  const load = async () => {
    try {
      const conversation = await api.conversation(props.caseId);
      setCase(conversation.case ?? null);
      setEntries(conversation.entries ?? []);
      setLoads((count) => count + 1);  // with the case, in one render: the sidebar's first read is its only one
      if (conversation.case?.customer_id) setCustomer(await customerName(conversation.case.customer_id));
    } catch (caught) {
      setError(errorText(caught));
    }
  };
  useEffect(() => {
    load();
    api.macros().then((page) => setMacros(page.items ?? []), () => setMacros([]));
    api.users().then((page) => setUsers(page.items), () => setUsers([]));
  }, [props.caseId]);

  const userNames = new Map(users.map((user) => [user.id ?? '', user.name ?? user.email ?? '']));
  const update = async (patch: CasePatch) => {
    setError('');
    try {
      setCase(await api.updateCase(props.caseId, patch));
      await load();
    } catch (caught) {
      setError(errorText(caught));
    }
  };

  if (!theCase) {
    return error ? <p class="error" role="alert">{error}</p> : <p class="loading">{t('app.loading')}</p>;
  }
  const attachments = entries.flatMap((entry) => entry.message?.attachments ?? []);
  return (
    <div class="case-screen">
      <section class="conversation" aria-label={t('case.conversation')}>
        <h1 data-testid="case-subject" data-user>{theCase.subject}</h1>
        <p class="muted">
          {theCase.customer_id ? (
            <a data-testid="case-customer" data-user {...linkTo(`/customers/${encodeURIComponent(theCase.customer_id)}`)}>
              {customer}
            </a>
          ) : null}{' · '}
          <time data-user dateTime={theCase.created_at ?? ''}>{formatDateTime(theCase.created_at)}</time>
        </p>
        {error && <p class="error" role="alert">{error}</p>}
        <ol class="timeline" data-testid="timeline">
          {entries.map((entry, index) => (
            <li key={entry.message?.id ?? entry.change?.id ?? index}>
              {entry.type === 'message' && entry.message && <MessageEntry message={entry.message} users={userNames} />}
              {entry.type === 'change' && entry.change && <ChangeEntry change={entry.change} users={userNames} />}
            </li>
          ))}
        </ol>
        <Composer caseId={props.caseId} onSent={load} />
      </section>
      <div class="case-columns-side">
        <aside class="case-side" aria-label={t('case.details')}>
          <label>
            {t('field.status')}
            <select data-testid="status" value={theCase.status}
              onChange={(event) => update({ status: (event.currentTarget as HTMLSelectElement).value })}>
              {statuses.map((status) => <option key={status} value={status}>{t(statusKeys[status]!)}</option>)}
            </select>
          </label>
          <label>
            {t('field.priority')}
            <select data-testid="priority" value={theCase.priority}
              onChange={(event) => update({ priority: (event.currentTarget as HTMLSelectElement).value })}>
              {priorities.map((priority) => <option key={priority} value={priority}>{t(priorityKeys[priority]!)}</option>)}
            </select>
          </label>
          <label>
            {t('field.assignee')}
            <select data-testid="assignee" value={theCase.assignee_id ?? ''}
              onChange={(event) => update({ assignee_id: (event.currentTarget as HTMLSelectElement).value || null })}>
              <option value="">{t('case.unassigned')}</option>
              {theCase.assignee_id && !userNames.has(theCase.assignee_id) && (
                <option value={theCase.assignee_id} data-user>{theCase.assignee_id}</option>
              )}
              {users.filter((user) => !user.disabled).map((user) => (
                <option key={user.id} value={user.id} data-user>{user.name || user.email}</option>
              ))}
            </select>
          </label>
          {me && theCase.assignee_id !== me && (
            <button type="button" class="secondary" onClick={() => update({ assignee_id: me })}>
              {t('case.assign_to_me')}
            </button>
          )}
          <h2>{t('macro.title')}</h2>
          <Macros caseId={props.caseId} macros={macros} onApplied={load} />
          <h2>{t('case.attachments')}</h2>
          {attachments.length ? <Attachments items={attachments} /> : <p class="muted">{t('case.no_attachments')}</p>}
        </aside>
        {theCase.customer_id && (
          <CustomerSidebar customerId={theCase.customer_id} caseId={props.caseId} session={props.session} users={userNames}
            reload={loads} />
        )}
      </div>
    </div>
  );
}
