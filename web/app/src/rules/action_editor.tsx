// One action of a rule in the form: its type, then the fields that type takes (rules/spec.ts). The
// action stays the object the API gave, so a field the form does not know survives an edit; a field
// left empty is left out, and the server applies its default.
import { useState } from 'preact/hooks';
import type { RuleAction } from '../api/client';
import { t } from '../i18n/i18n';
import { labelOf, priorityKeys } from '../labels';
import { actionFields, actionTypeKeys, actionTypesFor, fieldHintKeys, fieldKeys, newAction, type ActionField,
  type ActionType } from './spec';

const priorities = ['low', 'normal', 'high', 'urgent'];

// The text a field shows for the value it holds, and the value a typed text stands for (undefined: leave it out).
function fieldText(field: ActionField, value: unknown): string {
  if (value === undefined) return '';
  switch (field.kind) {
    case 'list': return Array.isArray(value) ? value.join(', ') : String(value);
    case 'map': return value && typeof value === 'object'
      ? Object.entries(value as Record<string, unknown>).map(([key, entry]) => `${key} = ${String(entry)}`).join('\n') : '';
    case 'value': return value === null ? 'null' : typeof value === 'string' ? value : JSON.stringify(value);
    default: return value === null ? '' : String(value);
  }
}

function fieldValue(field: ActionField, text: string): unknown {
  const trimmed = text.trim();
  if (field.kind === 'value') {
    if (trimmed === '') return undefined;
    if (['true', 'false', 'null'].includes(trimmed) || /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(trimmed)) return JSON.parse(trimmed);
    return text;
  }
  if (trimmed === '') return undefined;
  switch (field.kind) {
    case 'list': return trimmed.split(',').map((item) => item.trim()).filter(Boolean);
    case 'map': return Object.fromEntries(trimmed.split('\n').filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')).trim(), line.slice(line.indexOf('=') + 1).trim()]));
    case 'number': return Number.isFinite(Number(trimmed)) ? Number(trimmed) : trimmed;  // the server says what is wrong
    default: return text;
  }
}

function FieldEditor(props: { field: ActionField; value: unknown; index: number; onChange: (value: unknown) => void }) {
  const { field } = props;
  // Typed text is kept as typed ("a, b," while typing a list) and turned into the value on each keystroke.
  const [text, setText] = useState(fieldText(field, props.value));
  const id = `action-${props.index}-${field.name}`;
  const hintKey = fieldHintKeys[field.kind];
  const hintId = hintKey ? `${id}-hint` : undefined;
  const label = (
    <span>{labelOf(fieldKeys, field.name)}{field.required ? ` ${t('rules.required_mark')}` : ''}</span>
  );
  const typed = (next: string) => {
    setText(next);
    props.onChange(fieldValue(field, next));
  };
  if (field.kind === 'flag') {
    return (
      <label class="check">
        <input type="checkbox" data-field={field.name} checked={props.value === undefined ? field.defaultFlag : props.value === true}
          onChange={(event) => props.onChange((event.currentTarget as HTMLInputElement).checked)} />
        {label}
      </label>
    );
  }
  if (field.kind === 'priority') {
    return (
      <label for={id}>
        {label}
        <select id={id} data-field={field.name} value={typeof props.value === 'string' ? props.value : ''}
          onChange={(event) => props.onChange((event.currentTarget as HTMLSelectElement).value || undefined)}>
          {!field.required && <option value="">{t('rules.priority_default')}</option>}
          {priorities.map((priority) => <option key={priority} value={priority}>{labelOf(priorityKeys, priority)}</option>)}
        </select>
      </label>
    );
  }
  const multiline = field.kind === 'long_template' || field.kind === 'map';
  const onInput = (event: Event) => typed((event.currentTarget as HTMLInputElement | HTMLTextAreaElement).value);
  return (
    <label for={id}>
      {label}
      {multiline ? (
        <textarea id={id} data-field={field.name} rows={3} value={text} aria-describedby={hintId} data-user onInput={onInput} />
      ) : (
        <input id={id} data-field={field.name} type={field.kind === 'number' ? 'number' : 'text'} value={text}
          aria-describedby={hintId} required={field.required} data-user onInput={onInput} />
      )}
      {hintKey && <span class="hint" id={hintId}>{t(hintKey)}</span>}
    </label>
  );
}

export function ActionEditor(props: {
  action: RuleAction;
  index: number;
  count: number;
  trigger: string;
  error: string;
  onChange: (action: RuleAction) => void;
  onRemove: () => void;
  onMove: (by: -1 | 1) => void;
}) {
  const { action, index } = props;
  const fields = actionFields[action.type] ?? [];
  const setField = (name: string, value: unknown) => {
    const next: RuleAction = { ...action };
    if (value === undefined) delete next[name];
    else next[name] = value;
    props.onChange(next);
  };
  const types = actionTypesFor(props.trigger);
  return (
    <li class="rule-action" data-testid="rule-action" data-type={action.type}>
      <fieldset>
        <legend>{t('rules.action_number', { n: index + 1 })}</legend>
        <label for={`action-${index}-type`}>
          <span>{t('rules.action_type')}</span>
          {/* A new type starts from its own fields: those of the old one would be refused. */}
          <select id={`action-${index}-type`} data-testid="action-type" value={action.type}
            onChange={(event) => props.onChange(newAction((event.currentTarget as HTMLSelectElement).value as ActionType))}>
            {(types.includes(action.type) ? types : [action.type, ...types]).map((type) => (
              <option key={type} value={type}>{t(actionTypeKeys[type])}</option>
            ))}
          </select>
        </label>
        {/* keyed by type: a changed type gets fresh editors with their own typed text */}
        <div class="action-fields" key={action.type}>
          {fields.map((field) => (
            <FieldEditor key={field.name} field={field} index={index} value={action[field.name]}
              onChange={(value) => setField(field.name, value)} />
          ))}
        </div>
        {props.error && <p class="error" role="alert" data-testid="action-error">{props.error}</p>}
        <div class="action-buttons">
          <button type="button" class="secondary" disabled={index === 0} onClick={() => props.onMove(-1)}>
            {t('rules.move_up')}
          </button>
          <button type="button" class="secondary" disabled={index === props.count - 1} onClick={() => props.onMove(1)}>
            {t('rules.move_down')}
          </button>
          <button type="button" class="secondary" data-testid="remove-action" disabled={props.count === 1} onClick={props.onRemove}>
            {t('rules.remove_action')}
          </button>
        </div>
      </fieldset>
    </li>
  );
}
