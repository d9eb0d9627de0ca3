// The app's only way to the server. Every call is typed by the operation it names in openapi.d.ts,
// which `npm run build` generates from src/api/openapi.json before type-checking: a path, a query
// parameter, a request field or a response field the API no longer has fails `tsc`.
//
// Auth is the browser session: the HttpOnly tp_session cookie goes by itself, and every write echoes
// the readable tp_csrf cookie in X-CSRF-Token (docs/security.md). A 401 anywhere but sign-in means the
// session ended; the app is told (onSessionExpired) and takes the user to sign-in and back.
import type { components, operations } from './openapi';
import { t } from '../i18n/i18n';

type Schemas = components['schemas'];
export type Case = Schemas['Case'];
export type CaseMessage = Schemas['CaseMessage'];
export type CaseChange = Schemas['CaseChange'];
export type Macro = Schemas['Macro'];
export type Customer = Schemas['Customer'];
export type User = Schemas['User'];
export type Attachment = Schemas['Attachment'];
export type Feedback = Schemas['Feedback'];
export type AnalyticsQuery = Schemas['AnalyticsQuery'];
export type AnalyticsResult = Schemas['AnalyticsResult'];
export type AnalyticsValue = Schemas['AnalyticsValue'];
export type AnalyticsGroup = NonNullable<AnalyticsResult['groups']>[number];
export type MetricChange = Schemas['MetricChange'];
export type Interval = Schemas['Interval'];
export type SurveyResponse = Schemas['SurveyResponse'];
export type MoneyTotals = Schemas['MoneyTotals'];
export type Rule = Schemas['Rule'];
export type RuleAction = Schemas['RuleAction'];
export type RuleExecution = Schemas['RuleExecution'];
export type RuleDryRun = Schemas['RuleDryRun'];

type Ok<Op extends keyof operations> = operations[Op]['responses'] extends infer R
  ? R extends { 200: { content: { 'application/json': infer Body } } }
    ? Body
    : R extends { 201: { content: { 'application/json': infer Body } } }
      ? Body
      : never
  : never;
type Query<Op extends keyof operations> = NonNullable<operations[Op]['parameters']['query']>;
type RequestBody<Op extends keyof operations> = operations[Op]['requestBody'] extends infer B
  ? B extends { content: { 'application/json': infer Body } }
    ? Body
    : never
  : never;

export type Conversation = Ok<'getCaseConversation'>;
export type ConversationEntry = NonNullable<Conversation['entries']>[number];
export type CaseView = NonNullable<Query<'listCases'>['view']>;
export type CasePatch = RequestBody<'updateCase'>;
export type NewMessage = RequestBody<'addCaseMessage'>;
export type MacroPreview = Ok<'previewMacro'>;
export type Session = Ok<'getSession'>;
export type FeedbackQuery = Query<'listFeedback'>;
export type CustomerDataExport = Ok<'exportCustomerData'>;
export type CustomerPage = Ok<'listCustomers'>;
export type RuleTrigger = NonNullable<Rule['trigger']>;
export type NewRule = RequestBody<'createRule'>;
export type RulePatch = RequestBody<'updateRule'>;
// openapi.json types the payload as a bare object (a context, docs/rules.md), which comes out as {}.
export type NewRuleDryRun = Omit<RequestBody<'dryRunNewRule'>, 'payload'> & { payload: Record<string, unknown> };
export type ExecutionPage = Ok<'listRuleExecutions'>;

// What GET /customers/{id}, the timeline and the merges answer beyond their schemas in openapi.json,
// which leaves these members out (it types timeline and merge items as bare objects). Written from
// api/customer_routes.cc and api/profile_routes.cc; add them to openapi.json and these become Ok<…>.
export type Identifier = { kind: string; value: string; added_at: string | null };
export type LastScore = { score: number; at: string | null } | null;
export type CustomerProfile = Omit<Customer, 'computed'> & {
  identifiers?: Identifier[];
  merged_from?: string;  // the id asked for, when it was merged into this profile
  computed?: NonNullable<Customer['computed']> & { last_nps?: LastScore; last_csat?: LastScore; open_cases?: number };
};
export const timelineKinds = ['event', 'case', 'feedback', 'note', 'survey_response'] as const;
export type TimelineKind = (typeof timelineKinds)[number];
export type TimelineEntry = {
  kind: TimelineKind;
  id: string;
  at: string | null;
  title: string;
  detail: Record<string, unknown>;
  contact_data_redacted?: boolean;
};
export type TimelinePage = { items: TimelineEntry[]; next_cursor: string | null };
export type Merge = {
  id: string;
  survivor_id: string;
  merged_id: string;
  reason: string;
  actor_type: string;
  actor_id: string;
  created_at: string | null;
  undone_at: string | null;
};
export type MergePage = { items: Merge[]; next_cursor: string | null };
export type ErasureReport = { customer_id: string; erased: Record<string, number> };


export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null,
  ) {
    super(message);
  }
}

// What to tell the user when a call failed: the server's message, or that it could not be reached.
export function errorText(caught: unknown): string {
  return caught instanceof ApiError ? caught.message : t('error.network');
}

let sessionExpired: () => void = () => {};
export function onSessionExpired(handler: () => void): void {
  sessionExpired = handler;
}

function csrfToken(): string {
  for (const part of document.cookie.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === 'tp_csrf') return decodeURIComponent(value.join('='));
  }
  return '';
}

function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function call<T>(method: string, path: string, body?: unknown, options: { signIn?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken();
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const json: unknown = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    const error = (json as Schemas['Error'] | undefined)?.error;
    if (response.status === 401 && !options.signIn) sessionExpired();
    throw new ApiError(response.status, error?.code ?? 'internal', error?.message ?? response.statusText, error?.field ?? null);
  }
  return json as T;
}

const id = (value: string) => encodeURIComponent(value);

export const api = {
  signIn: (input: RequestBody<'login'>) => call<Ok<'login'>>('POST', '/api/v1/auth/login', input, { signIn: true }),
  // Asked on start: a 401 here only means "not signed in yet", not an expired session.
  session: () => call<Session>('GET', '/api/v1/auth/session', undefined, { signIn: true }),
  signOut: () => call<void>('POST', '/api/v1/auth/logout'),
  listCases: (query: Query<'listCases'>) => call<Ok<'listCases'>>('GET', withQuery('/api/v1/cases', query)),
  conversation: (caseId: string) => call<Conversation>('GET', `/api/v1/cases/${id(caseId)}/conversation`),
  updateCase: (caseId: string, patch: CasePatch) => call<Ok<'updateCase'>>('PATCH', `/api/v1/cases/${id(caseId)}`, patch),
  addMessage: (caseId: string, message: NewMessage) =>
    call<Ok<'addCaseMessage'>>('POST', `/api/v1/cases/${id(caseId)}/messages`, message),
  customer: (customerId: string) => call<CustomerProfile>('GET', `/api/v1/customers/${id(customerId)}`),
  listCustomers: (query: Query<'listCustomers'>) => call<CustomerPage>('GET', withQuery('/api/v1/customers', query)),
  timeline: (customerId: string, query: Query<'getCustomerTimeline'>) =>
    call<TimelinePage>('GET', withQuery(`/api/v1/customers/${id(customerId)}/timeline`, query)),
  addCustomerNote: (customerId: string, body: string) =>
    call<Ok<'addCustomerNote'>>('POST', `/api/v1/customers/${id(customerId)}/notes`, { body }),
  merges: (customerId: string) =>
    call<MergePage>('GET', withQuery(`/api/v1/customers/${id(customerId)}/merges`, { limit: '200' })),
  // `otherId` is merged into `survivorId`, whose profile stays.
  mergeCustomer: (survivorId: string, otherId: string) =>
    call<Merge>('POST', `/api/v1/customers/${id(survivorId)}/merge`, { customer_id: otherId }),
  undoMerge: (mergeId: string) => call<Merge>('POST', `/api/v1/merges/${id(mergeId)}/undo`),
  exportCustomer: (customerId: string) => call<CustomerDataExport>('GET', `/api/v1/customers/${id(customerId)}/export`),
  eraseCustomer: (customerId: string) => call<ErasureReport>('POST', `/api/v1/customers/${id(customerId)}/erase`),
  listSurveyResponses: (query: Query<'listSurveyResponses'>) =>
    call<Ok<'listSurveyResponses'>>('GET', withQuery('/api/v1/survey-responses', query)),
  users: () => call<Ok<'listUsers'>>('GET', withQuery('/api/v1/users', { limit: 200 })),
  macros: () => call<Ok<'listMacros'>>('GET', '/api/v1/macros'),
  previewMacro: (caseId: string, macroId: string) =>
    call<MacroPreview>('POST', `/api/v1/cases/${id(caseId)}/macros/${id(macroId)}/preview`),
  applyMacro: (caseId: string, macroId: string) =>
    call<Ok<'applyMacro'>>('POST', `/api/v1/cases/${id(caseId)}/macros/${id(macroId)}/apply`),
  queryAnalytics: (query: AnalyticsQuery) => call<AnalyticsResult>('POST', '/api/v1/analytics/query', query),
  listFeedback: (query: FeedbackQuery) => call<Ok<'listFeedback'>>('GET', withQuery('/api/v1/feedback', query)),
  teams: () => call<Ok<'listTeams'>>('GET', withQuery('/api/v1/teams', { limit: 200 })),
  rules: () => call<Ok<'listRules'>>('GET', '/api/v1/rules'),
  rule: (ruleId: string) => call<Rule>('GET', `/api/v1/rules/${id(ruleId)}`),
  createRule: (rule: NewRule) => call<Rule>('POST', '/api/v1/rules', rule),
  updateRule: (ruleId: string, patch: RulePatch) => call<Rule>('PATCH', `/api/v1/rules/${id(ruleId)}`, patch),
  deleteRule: (ruleId: string) => call<void>('DELETE', `/api/v1/rules/${id(ruleId)}`),
  dryRunRule: (ruleId: string, payload: Record<string, unknown>) =>
    call<RuleDryRun>('POST', `/api/v1/rules/${id(ruleId)}/dry-run`, { payload }),
  dryRunNewRule: (draft: NewRuleDryRun) => call<RuleDryRun>('POST', '/api/v1/rules/dry-run', draft),
  ruleExecutions: (ruleId: string, query: Query<'listRuleExecutions'>) =>
    call<ExecutionPage>('GET', withQuery(`/api/v1/rules/${id(ruleId)}/executions`, query)),
  allRuleExecutions: (query: Query<'listAllRuleExecutions'>) =>
    call<Ok<'listAllRuleExecutions'>>('GET', withQuery('/api/v1/rule-executions', query)),
};

export function hasPermission(session: Session, permission: string): boolean {
  return session.permissions.includes(permission);
}

// Customer names by id, asked once per page load: the case list shows names, the API gives ids.
const customerNames = new Map<string, Promise<string>>();
export function customerName(customerId: string): Promise<string> {
  let name = customerNames.get(customerId);
  if (!name) {
    name = api.customer(customerId).then(
      (customer) => customer.name || customer.email || customerId,
      () => customerId,
    );
    customerNames.set(customerId, name);
  }
  return name;
}
