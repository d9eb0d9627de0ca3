// One rule (/app/rules/{id}, /app/rules/new): the form (name, trigger, condition, actions, position,
// enabled) saved with POST or PATCH /api/v1/rules; delete behind the confirmation; the dry run; and,
// for a saved rule, its executions. The condition is parsed by the server only: its refusal names the
// position, shown beside the field with the cursor put there.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, errorText, hasPermission, type Rule, type RuleAction, type RuleDryRun, type Session } from '../api/client';
import { ConfirmDialog } from '../confirm_dialog';
import { t } from '../i18n/i18n';
import { labelOf } from '../labels';
import { linkTo, navigate } from '../router';
import { ActionEditor } from '../rules/action_editor';
import { Executions } from '../rules/executions';
import { actionTypeKeys, actionTypesFor, errorPlace, fieldKeys, newAction, positionIn, samplePayload, triggerKeys, triggers } from '../rules/spec';
import { valueText } from './customers';
import { RulesForbidden, rulesPermission } from './rules';

type Draft = Pick<Required<Rule>, 'name' | 'trigger' | 'condition' | 'actions' | 'enabled'> & { position: string };
type FieldErrors = { name?: string; condition?: string; position?: string; other?: string; actions: Record<number, string> };

const noErrors: FieldErrors = { actions: {} };
const emptyDraft: Draft = {
  name: '', trigger: 'feedback.submitted', condition: 'metric == "nps" and score <= 6', position: '', enabled: true,
  actions: [{ type: 'create_case', subject: 'NPS {{score}}: {{comment}}', priority: 'high' }],
};
const draftOf = (rule: Rule): Draft => ({
  name: rule.name ?? '', trigger: rule.trigger ?? 'feedback.submitted', condition: rule.condition ?? '',
  actions: rule.actions ?? [], enabled: rule.enabled ?? true, position: String(rule.position ?? ''),
});
const sameDraft = (a: Draft, b: Draft) => JSON.stringify(a) === JSON.stringify(b);
// The rule just created here: its URL replaces /rules/new, which mounts this screen afresh, and the new
// screen says that it was saved.
let justCreated = '';

export function RuleEditor(props: { ruleId: string; session: Session }) {
  const isNew = props.ruleId === 'new';
  const allowed = hasPermission(props.session, rulesPermission);
  const [saved, setSaved] = useState<Rule | null>(null);
  const [draft, setDraft] = useState<Draft | null>(isNew ? emptyDraft : null);
  const [loadError, setLoadError] = useState('');
  const [errors, setErrors] = useState<FieldErrors>(noErrors);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState(() => {
    if (!justCreated || props.ruleId !== justCreated) return '';
    justCreated = '';
    return t('rules.saved');
  });
  const [confirming, setConfirming] = useState(false);
  const [deleteError, setDeleteError] = useState('');
  // A counter that keys the action editors: loading or saving a rule gives them fresh typed text.
  const [generation, setGeneration] = useState(0);
  const conditionField = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    if (!allowed || isNew) return;
    api.rule(props.ruleId).then((rule) => {
      setSaved(rule);
      setDraft(draftOf(rule));
      setGeneration((value) => value + 1);
    }, (caught) => setLoadError(errorText(caught)));
  }, [props.ruleId, allowed]);

  if (!allowed) return <section class="rule-screen"><h1>{t('rules.title')}</h1><RulesForbidden /></section>;
  if (loadError) return <section class="rule-screen"><p class="error" role="alert">{loadError}</p></section>;
  if (!draft) return <p class="loading">{t('app.loading')}</p>;

  const change = (patch: Partial<Draft>) => {
    setDraft({ ...draft, ...patch });
    setNotice('');
  };
  const changeAction = (index: number, action: RuleAction) =>
    change({ actions: draft.actions.map((entry, at) => (at === index ? action : entry)) });
  const moveAction = (index: number, by: -1 | 1) => {
    const actions = [...draft.actions];
    const [moved] = actions.splice(index, 1);
    if (moved) actions.splice(index + by, 0, moved);
    change({ actions });
    setGeneration((value) => value + 1);
  };
  const removeAction = (index: number) => {
    change({ actions: draft.actions.filter((_, at) => at !== index) });
    setGeneration((value) => value + 1);
  };
  const addAction = () => change({ actions: [...draft.actions, newAction(actionTypesFor(draft.trigger)[0] ?? 'create_case')] });

  const showError = (caught: unknown) => {
    if (!(caught instanceof ApiError)) {
      setErrors({ ...noErrors, other: errorText(caught) });
      return;
    }
    const where = errorPlace(caught.field);
    if (where.place === 'action') setErrors({ ...noErrors, actions: { [where.index]: caught.message } });
    else setErrors({ ...noErrors, [where.place]: caught.message });
    if (where.place === 'condition') {
      // Put the cursor where the parser stopped, so the user sees the spot it names.
      const position = positionIn(caught.message);
      const field = conditionField.current;
      if (field) {
        field.focus();
        if (position !== null) field.setSelectionRange(position - 1, Math.min(position, field.value.length));
      }
    }
  };

  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setErrors(noErrors);
    const position = draft.position.trim() === '' ? undefined : Number(draft.position);
    const fields = { name: draft.name, condition: draft.condition, actions: draft.actions, enabled: draft.enabled, position };
    try {
      const rule = saved
        ? await api.updateRule(saved.id ?? '', fields)
        : await api.createRule({ ...fields, trigger: draft.trigger });
      setSaved(rule);
      setDraft(draftOf(rule));
      setGeneration((value) => value + 1);
      setNotice(t('rules.saved'));
      if (!saved) {
        justCreated = rule.id ?? '';
        navigate(`/rules/${encodeURIComponent(justCreated)}`, { replace: true });
      }
    } catch (caught) {
      showError(caught);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setBusy(true);
    setDeleteError('');
    try {
      await api.deleteRule(saved?.id ?? '');
      setConfirming(false);
      navigate('/rules');
    } catch (caught) {
      setDeleteError(errorText(caught));
    } finally {
      setBusy(false);
    }
  };

  const conditionErrorId = 'condition-error';
  const unsaved = !saved || !sameDraft(draft, draftOf(saved));
  return (
    <section class="rule-screen">
      <p><a {...linkTo('/rules')}>{t('rules.back')}</a></p>
      <h1 data-testid="rule-title">{saved ? <span data-user>{saved.name}</span> : t('rules.new')}</h1>
      <form class="panel rule-form" data-testid="rule-form" onSubmit={save} noValidate>
        <label for="rule-name">
          <span>{t('rules.name')} {t('rules.required_mark')}</span>
          <input id="rule-name" data-testid="rule-name" value={draft.name} maxLength={200} data-user
            aria-invalid={errors.name ? 'true' : undefined} aria-describedby={errors.name ? 'name-error' : undefined}
            onInput={(event) => change({ name: (event.currentTarget as HTMLInputElement).value })} />
          {errors.name && <span class="error" id="name-error" role="alert">{errors.name}</span>}
        </label>
        <label for="rule-trigger">
          <span>{t('rules.trigger')}</span>
          <select id="rule-trigger" data-testid="rule-trigger" value={draft.trigger} disabled={!!saved}
            aria-describedby={saved ? 'trigger-hint' : undefined}
            onChange={(event) => change({ trigger: (event.currentTarget as HTMLSelectElement).value as Draft['trigger'] })}>
            {triggers.map((trigger) => <option key={trigger} value={trigger}>{labelOf(triggerKeys, trigger)}</option>)}
          </select>
          {saved && <span class="hint" id="trigger-hint">{t('rules.trigger_fixed')}</span>}
        </label>
        <label for="rule-condition">
          <span>{t('rules.condition')} {t('rules.required_mark')}</span>
          <textarea id="rule-condition" ref={conditionField} data-testid="rule-condition" rows={3} spellcheck={false}
            value={draft.condition} data-user aria-invalid={errors.condition ? 'true' : undefined}
            aria-describedby={errors.condition ? `${conditionErrorId} condition-hint` : 'condition-hint'}
            onInput={(event) => change({ condition: (event.currentTarget as HTMLTextAreaElement).value })} />
          {errors.condition && (
            <span class="error" id={conditionErrorId} role="alert" data-testid="condition-error">{errors.condition}</span>
          )}
          <span class="hint" id="condition-hint">{t('rules.condition_hint')}</span>
        </label>
        <fieldset class="rule-actions">
          <legend>{t('rules.actions')}</legend>
          <ol class="rule-action-list" key={generation}>
            {draft.actions.map((action, index) => (
              <ActionEditor key={index} action={action} index={index} count={draft.actions.length} trigger={draft.trigger}
                error={errors.actions[index] ?? ''} onChange={(next) => changeAction(index, next)}
                onRemove={() => removeAction(index)} onMove={(by) => moveAction(index, by)} />
            ))}
          </ol>
          <button type="button" class="secondary" data-testid="add-action" disabled={draft.actions.length >= 10} onClick={addAction}>
            {t('rules.add_action')}
          </button>
        </fieldset>
        <label for="rule-position">
          <span>{t('rules.position')}</span>
          <input id="rule-position" data-testid="rule-position" type="number" min={0} value={draft.position} data-user
            aria-describedby="position-hint" aria-invalid={errors.position ? 'true' : undefined}
            onInput={(event) => change({ position: (event.currentTarget as HTMLInputElement).value })} />
          <span class="hint" id="position-hint">{t('rules.position_hint')}</span>
          {errors.position && <span class="error" role="alert">{errors.position}</span>}
        </label>
        <label class="check">
          <input type="checkbox" data-testid="rule-enabled-field" checked={draft.enabled}
            onChange={(event) => change({ enabled: (event.currentTarget as HTMLInputElement).checked })} />
          <span>{t('rules.enabled_field')}</span>
        </label>
        {errors.other && <p class="error" role="alert" data-testid="rule-error">{errors.other}</p>}
        {notice && <p class="notice" role="status" data-testid="rule-saved">{notice}</p>}
        <div class="composer-actions">
          <button type="submit" data-testid="rule-save" disabled={busy || !unsaved}>{saved ? t('rules.save') : t('rules.create')}</button>
          {saved && (
            <button type="button" class="danger" data-testid="rule-delete" onClick={() => { setDeleteError(''); setConfirming(true); }}>
              {t('rules.delete')}
            </button>
          )}
        </div>
      </form>
      <DryRun draft={draft} rule={saved && !unsaved ? saved : null} />
      {saved && <Executions ruleId={saved.id ?? ''} />}
      {confirming && saved && (
        <ConfirmDialog title={t('rules.delete_title')} confirmLabel={t('rules.delete')} danger busy={busy} error={deleteError}
          onConfirm={remove} onCancel={() => setConfirming(false)}>
          <p>{t('rules.delete_body')}</p>
          <p><strong data-user>{saved.name}</strong></p>
        </ConfirmDialog>
      )}
    </section>
  );
}

// The dry run: the saved rule (POST /rules/{id}/dry-run) when the form holds no change, else the form as
// it stands (POST /rules/dry-run), against a sample context that starts as an example of the trigger's.
function DryRun(props: { draft: Draft; rule: Rule | null }) {
  const [payload, setPayload] = useState(() => JSON.stringify(samplePayload(props.draft.trigger), null, 2));
  const [result, setResult] = useState<RuleDryRun | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const trigger = props.draft.trigger;
  const firstTrigger = useRef(trigger);
  useEffect(() => {
    if (trigger === firstTrigger.current) return;
    firstTrigger.current = trigger;
    setPayload(JSON.stringify(samplePayload(trigger), null, 2));
    setResult(null);
  }, [trigger]);

  const run = async (event: Event) => {
    event.preventDefault();
    setError('');
    setResult(null);
    let context: unknown;
    try {
      context = JSON.parse(payload);
    } catch {
      setError(t('rules.payload_not_json'));
      return;
    }
    if (!context || typeof context !== 'object' || Array.isArray(context)) {
      setError(t('rules.payload_not_object'));
      return;
    }
    setBusy(true);
    try {
      const sample = context as Record<string, unknown>;
      setResult(props.rule
        ? await api.dryRunRule(props.rule.id ?? '', sample)
        : await api.dryRunNewRule({ trigger, condition: props.draft.condition, actions: props.draft.actions, payload: sample }));
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel dry-run" aria-labelledby="dry-run-title">
      <h2 id="dry-run-title">{t('rules.dry_run')}</h2>
      <p class="hint">{props.rule ? t('rules.dry_run_saved') : t('rules.dry_run_form')}</p>
      <form onSubmit={run}>
        <label for="dry-run-payload">
          <span>{t('rules.payload')}</span>
          <textarea id="dry-run-payload" data-testid="dry-run-payload" rows={12} spellcheck={false} value={payload} data-user
            onInput={(event) => setPayload((event.currentTarget as HTMLTextAreaElement).value)} />
        </label>
        <div class="composer-actions">
          <button type="submit" class="secondary" data-testid="dry-run" disabled={busy}>{t('rules.dry_run_button')}</button>
          <button type="button" class="secondary" onClick={() => setPayload(JSON.stringify(samplePayload(trigger), null, 2))}>
            {t('rules.payload_reset')}
          </button>
        </div>
      </form>
      {error && <p class="error" role="alert" data-testid="dry-run-error">{error}</p>}
      {result && (
        <div class="dry-run-result" data-testid="dry-run-result" data-matched={String(!!result.matched)} role="status">
          <p class={result.matched ? 'matched' : 'not-matched'}>{result.matched ? t('rules.matched') : t('rules.not_matched')}</p>
          {result.matched && (
            <ol class="item-list" data-testid="dry-run-actions">
              {(result.actions ?? []).map((action, index) => (
                <li key={index} data-action={JSON.stringify(action)}>
                  <strong>{labelOf(actionTypeKeys, action.type)}</strong>
                  <dl class="pairs">
                    {Object.entries(action).filter(([name]) => name !== 'type').map(([name, value]) => (
                      <div class="pair" key={name}>
                        <dt>{labelOf(fieldKeys, name)}</dt>
                        <dd data-user>{valueText(value)}</dd>
                      </div>
                    ))}
                  </dl>
                </li>
              ))}
            </ol>
          )}
        </div>
      )}
    </section>
  );
}
