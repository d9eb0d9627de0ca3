// The catalogue keys of the API's enumerations, spelled out so every key stays a literal that the
// i18n test can find in the sources.
import type { MessageKey } from './i18n/i18n';

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
