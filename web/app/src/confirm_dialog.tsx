// A modal confirmation (the platform's <dialog>: focus is kept inside, Escape cancels) instead of
// window.confirm, which cannot say what is at stake in the app's language or ask for more than a click.
// With `requireText` the confirm button stays disabled until that exact text is typed, for what cannot
// be undone (erasing a customer). The server's refusal is shown in the dialog, which stays open.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from './i18n/i18n';

export function ConfirmDialog(props: {
  title: string;
  confirmLabel: string;
  requireText?: string;
  danger?: boolean;
  busy: boolean;
  error: string;
  onConfirm: () => void;
  onCancel: () => void;
  children: ComponentChildren;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState('');
  useEffect(() => {
    const element = dialog.current;
    element?.showModal();
    return () => element?.close();
  }, []);
  const ready = !props.busy && (props.requireText === undefined || typed === props.requireText);
  const submit = (event: Event) => {
    event.preventDefault();
    if (ready) props.onConfirm();
  };
  return (
    <dialog ref={dialog} class="confirm" aria-labelledby="confirm-title" data-testid="confirm-dialog"
      onCancel={(event) => { event.preventDefault(); props.onCancel(); }}>
      <form onSubmit={submit}>
        <h2 id="confirm-title">{props.title}</h2>
        {props.children}
        {props.requireText !== undefined && (
          <label class="confirm-typed">
            <span>{t('confirm.type_to_confirm')} <code data-user>{props.requireText}</code></span>
            <input data-testid="confirm-text" value={typed} autoComplete="off" spellcheck={false}
              onInput={(event) => setTyped((event.currentTarget as HTMLInputElement).value)} />
          </label>
        )}
        {props.error && <p class="error" role="alert" data-testid="confirm-error">{props.error}</p>}
        <div class="dialog-actions">
          <button type="button" class="secondary" onClick={props.onCancel}>{t('confirm.cancel')}</button>
          <button type="submit" class={props.danger ? 'danger' : ''} disabled={!ready} data-testid="confirm">
            {props.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
