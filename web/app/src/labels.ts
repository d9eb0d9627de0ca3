// The catalogue keys of the API's enumerations, spelled out so every key stays a literal that the
// i18n test can find in the sources.
import { t, type MessageKey } from './i18n/i18n';

// The label of an API value, or the value itself when the app has none for it (a newer server's).
export function labelOf(keys: Record<string, MessageKey>, value: string): string {
  const key = keys[value];
  return key ? t(key) : value;
}

export const statusKeys: Record<string, MessageKey> = {
  new: 'status.new', open: 'status.open', pending: 'status.pending', solved: 'status.solved', closed: 'status.closed',
};
export const priorityKeys: Record<string, MessageKey> = {
  low: 'priority.low', normal: 'priority.normal', high: 'priority.high', urgent: 'priority.urgent',
};
export const viewKeys: Record<string, MessageKey> = {
  mine: 'inbox.view_mine', unassigned: 'inbox.view_unassigned', all: 'inbox.view_all',
};
export const messageKindKeys: Record<string, MessageKey> = {
  customer: 'message.kind_customer', reply: 'message.kind_reply', note: 'message.kind_note',
};
export const deliveryKeys: Record<string, MessageKey> = {
  received: 'delivery.received', internal: 'delivery.internal', not_sent: 'delivery.not_sent',
  pending: 'delivery.pending', retrying: 'delivery.retrying', delivered: 'delivery.delivered', failed: 'delivery.failed',
};
export const fieldKeys: Record<string, MessageKey> = {
  status: 'field.status', priority: 'field.priority', assignee_id: 'field.assignee', team_id: 'field.team',
  tags: 'field.tags', type: 'field.type', subject: 'field.subject',
};
export const authorKeys: Record<string, MessageKey> = {
  customer: 'author.customer', user: 'author.user', api_key: 'author.api_key', rule: 'author.rule', system: 'author.system',
};
export const timelineKindKeys: Record<string, MessageKey> = {
  event: 'timeline.kind_event', case: 'timeline.kind_case', feedback: 'timeline.kind_feedback',
  note: 'timeline.kind_note', survey_response: 'timeline.kind_survey_response',
};
// Identifier kinds are user_id, anonymous_id, or the channel a handle addresses (profiles/identifiers.cc).
export const identifierKindKeys: Record<string, MessageKey> = {
  user_id: 'identifier.user_id', anonymous_id: 'identifier.anonymous_id',
};
export const channelKeys: Record<string, MessageKey> = {
  email: 'channel.email', phone: 'channel.phone', sms: 'channel.sms', whatsapp: 'channel.whatsapp',
  messenger: 'channel.messenger', telegram: 'channel.telegram', webchat: 'channel.webchat', web: 'channel.web',
  mobile: 'channel.mobile', server: 'channel.server', other: 'channel.other',
};
export const metricKeys: Record<string, MessageKey> = { nps: 'metric.nps', csat: 'metric.csat', ces: 'metric.ces' };
export const eventTypeKeys: Record<string, MessageKey> = {
  identify: 'event.identify', track: 'event.track', page: 'event.page', screen: 'event.screen', group: 'event.group',
};
// Why two profiles became one (ingest/ingest.cc: identity resolution joins them on identify and alias).
export const mergeReasonKeys: Record<string, MessageKey> = {
  manual: 'merges.reason_manual', identify: 'merges.reason_identify', alias: 'merges.reason_alias',
};
