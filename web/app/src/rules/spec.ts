// What the rules screens know about rules (docs/rules.md): the triggers, the fields each action type
// takes and how each is edited, the outcomes of executions, and a sample context per trigger for the
// dry run. Catalogue keys are spelled out so the i18n test finds each one in the sources.
import type { MessageKey } from '../i18n/i18n';
import type { RuleAction, RuleTrigger } from '../api/client';

export const triggers: RuleTrigger[] = [
  'feedback.submitted', 'case.created', 'case.updated', 'sla.breached', 'sla.near_breach', 'events.ingested',
];
export const triggerKeys: Record<string, MessageKey> = {
  'feedback.submitted': 'rules.trigger_feedback_submitted', 'case.created': 'rules.trigger_case_created',
  'case.updated': 'rules.trigger_case_updated', 'sla.breached': 'rules.trigger_sla_breached',
  'sla.near_breach': 'rules.trigger_sla_near_breach', 'events.ingested': 'rules.trigger_events_ingested',
};
// The actions that act on the triggering case exist only for the case triggers (the server refuses them elsewhere).
const caseTriggers = new Set<string>(['case.created', 'case.updated', 'sla.breached', 'sla.near_breach']);

export type ActionType = RuleAction['type'];
export const actionTypeKeys: Record<ActionType, MessageKey> = {
  create_case: 'rules.action_create_case', set_priority: 'rules.action_set_priority', assign: 'rules.action_assign',
  tag: 'rules.action_tag', set_trait: 'rules.action_set_trait', send_webhook: 'rules.action_send_webhook',
  send_email: 'rules.action_send_email', send_survey: 'rules.action_send_survey',
};
export const actionTypesFor = (trigger: string): ActionType[] =>
  (Object.keys(actionTypeKeys) as ActionType[]).filter((type) =>
    caseTriggers.has(trigger) || !['set_priority', 'assign', 'tag'].includes(type));

// A new action of a type: set_priority needs a priority, which its choice otherwise only seems to have.
export const newAction = (type: ActionType): RuleAction => (type === 'set_priority' ? { type, priority: 'normal' } : { type });

// How a field is edited: text (one line), template (one line with {{path}}), long_template (several
// lines), priority (a choice), list (comma-separated), map (lines "key = value"), number, flag (a
// checkbox with the server's default), value (text, a number, true, false or null).
export type FieldKind = 'text' | 'template' | 'long_template' | 'priority' | 'list' | 'map' | 'number' | 'flag' | 'value';
export type ActionField = { name: string; kind: FieldKind; required?: boolean; defaultFlag?: boolean };

export const actionFields: Record<ActionType, ActionField[]> = {
  create_case: [
    { name: 'subject', kind: 'template', required: true }, { name: 'priority', kind: 'priority' },
    { name: 'team_by_touchpoint', kind: 'map' }, { name: 'team_id', kind: 'text' }, { name: 'tags', kind: 'list' },
  ],
  set_priority: [{ name: 'priority', kind: 'priority', required: true }],
  assign: [{ name: 'team_id', kind: 'text' }, { name: 'assignee_id', kind: 'text' }],
  tag: [{ name: 'add', kind: 'list' }, { name: 'remove', kind: 'list' }],
  set_trait: [{ name: 'name', kind: 'text', required: true }, { name: 'value', kind: 'value' }],
  send_webhook: [{ name: 'webhook_id', kind: 'text', required: true }],
  send_email: [{ name: 'to', kind: 'list', required: true }, { name: 'subject', kind: 'template' }, { name: 'text', kind: 'long_template' }],
  send_survey: [
    { name: 'survey_id', kind: 'template', required: true }, { name: 'delay_hours', kind: 'number' },
    { name: 'subject', kind: 'template' }, { name: 'text', kind: 'long_template' },
    { name: 'reminder', kind: 'flag', defaultFlag: true }, { name: 'respect_contact_gap', kind: 'flag', defaultFlag: true },
  ],
};
export const fieldKeys: Record<string, MessageKey> = {
  subject: 'rules.field_subject', priority: 'rules.field_priority', team_by_touchpoint: 'rules.field_team_by_touchpoint',
  team_id: 'rules.field_team_id', tags: 'rules.field_tags', assignee_id: 'rules.field_assignee_id', add: 'rules.field_add',
  remove: 'rules.field_remove', name: 'rules.field_name', value: 'rules.field_value', webhook_id: 'rules.field_webhook_id',
  to: 'rules.field_to', text: 'rules.field_text', survey_id: 'rules.field_survey_id', delay_hours: 'rules.field_delay_hours',
  reminder: 'rules.field_reminder', respect_contact_gap: 'rules.field_respect_contact_gap',
};
export const fieldHintKeys: Partial<Record<FieldKind, MessageKey>> = {
  template: 'rules.hint_template', long_template: 'rules.hint_template', list: 'rules.hint_list',
  map: 'rules.hint_map', value: 'rules.hint_value',
};

export const outcomeKeys: Record<string, MessageKey> = {
  queued: 'rules.outcome_queued', succeeded: 'rules.outcome_succeeded', retrying: 'rules.outcome_retrying',
  failed: 'rules.outcome_failed', loop_stopped: 'rules.outcome_loop_stopped',
};
export const actionStateKeys: Record<string, MessageKey> = {
  queued: 'rules.state_queued', done: 'rules.state_done', retrying: 'rules.state_retrying', failed: 'rules.state_failed',
};

// The context the engine builds for a change of each trigger (docs/rules.md, "Triggers and what a
// condition sees"), filled with a plausible change so that the starter rules have something to match.
const sampleCustomer = {
  id: 'cus_sample', name: 'Jana Nováková', email: 'jana@example.com',
  traits: { segment: 'vip', language: 'cs', plan: 'gold' }, segment: 'vip', language: 'cs',
};
const sampleCase = {
  id: 'cas_sample', subject: 'The parcel arrived damaged', status: 'open', priority: 'normal', type: 'order_issue',
  channel: 'email', team_id: null, assignee_id: null, tags: ['delivery'], touchpoint: 'delivery', stage: 'delivery',
  order_ids: ['ORD-1001'], custom_fields: {}, follow_up_of: null,
};
const caseContext = { case: sampleCase, customer_id: sampleCustomer.id, customer: sampleCustomer };
const sla = { metric: 'first_response', policy_id: 'sla_sample', due_at: '2026-12-01T10:00:00Z' };

export function samplePayload(trigger: string): Record<string, unknown> {
  switch (trigger) {
    case 'feedback.submitted':
      return {
        trigger, response_id: 'fbk_sample', survey: 'after-delivery', metric: 'nps', score: 3,
        comment: 'The courier left the parcel in the rain.', touchpoint: 'delivery', customer_id: sampleCustomer.id,
        customer: sampleCustomer,
      };
    case 'case.created':
      return { trigger, ...caseContext, case: { ...sampleCase, status: 'new' } };
    case 'case.updated':
      return { trigger, ...caseContext, case: { ...sampleCase, status: 'solved' }, before: { status: 'open' }, after: { status: 'solved' } };
    case 'sla.breached':
      return { trigger, ...caseContext, sla };
    case 'sla.near_breach':
      return { trigger, ...caseContext, sla: { ...sla, warning_at: '2026-12-01T09:30:00Z' } };
    default:
      return {
        trigger, event: { id: 'evt_sample', type: 'track', name: 'Order Completed',
          properties: { order_id: 'ORD-1001', revenue: 1249.5, currency: 'CZK' } },
        order_id: 'ORD-1001', customer_id: sampleCustomer.id, customer: sampleCustomer,
      };
  }
}

// Where the server's error points (its `field`): the condition, the name, or one action and its field
// ("actions[1].subject").
export function errorPlace(field: string | null): { place: 'condition' | 'name' | 'position' | 'other' } | { place: 'action'; index: number } {
  if (field === 'condition' || field === 'name' || field === 'position') return { place: field };
  const action = /^actions\[(\d+)\]/.exec(field ?? '');
  return action ? { place: 'action', index: Number(action[1]) } : { place: 'other' };
}

// The 1-based character position the parser's message names ("… at position 10, found …").
export function positionIn(message: string): number | null {
  const found = / at position (\d+)/.exec(message);
  return found ? Number(found[1]) : null;
}
