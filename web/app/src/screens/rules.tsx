// The rules list (/app/rules): GET /api/v1/rules in the API's order (by trigger, then position), each
// with its trigger, condition, an enabled switch (PATCH enabled) and the outcome of its latest
// execution. Rules need rules:write, reads included (docs/security.md).
import { useEffect, useState } from 'preact/hooks';
import { api, errorText, hasPermission, type Rule, type RuleExecution, type Session } from '../api/client';
import { formatDateTime, t } from '../i18n/i18n';
import { labelOf } from '../labels';
import { linkTo } from '../router';
import { outcomeKeys, triggerKeys } from '../rules/spec';

export const rulesPermission = 'rules:write';

export function RulesForbidden() {
  return <p class="notice" data-testid="rules-forbidden">{t('rules.forbidden')}</p>;
}

export function OutcomeBadge(props: { outcome: string | undefined }) {
  const outcome = props.outcome ?? '';
  return <span class={`badge outcome outcome-${outcome}`} data-outcome={outcome}>{labelOf(outcomeKeys, outcome)}</span>;
}

// The API lists executions oldest first (by id) with no per-rule summary, so the latest of each rule is
// found by reading the log to its end; beyond this many pages the list says it looked no further.
const executionPages = 10;

async function latestExecutions(): Promise<{ latest: Map<string, RuleExecution>; complete: boolean }> {
  const latest = new Map<string, RuleExecution>();
  let cursor: string | undefined;
  for (let page = 0; page < executionPages; page += 1) {
    const answer = await api.allRuleExecutions({ limit: 200, cursor });
    for (const execution of answer.items) latest.set(execution.rule_id ?? '', execution);
    if (!answer.next_cursor) return { latest, complete: true };
    cursor = answer.next_cursor;
  }
  return { latest, complete: false };
}

export function RuleList(props: { session: Session }) {
  const allowed = hasPermission(props.session, rulesPermission);
  const [rules, setRules] = useState<Rule[] | null>(null);
  const [executions, setExecutions] = useState<{ latest: Map<string, RuleExecution>; complete: boolean } | null>(null);
  const [error, setError] = useState('');
  const [switching, setSwitching] = useState<string | null>(null);

  useEffect(() => {
    if (!allowed) return;
    api.rules().then((answer) => setRules(answer.items), (caught) => setError(errorText(caught)));
    latestExecutions().then(setExecutions, (caught) => setError(errorText(caught)));
  }, [allowed]);

  if (!allowed) return <section class="rules"><h1>{t('rules.title')}</h1><RulesForbidden /></section>;

  const toggle = async (rule: Rule, enabled: boolean) => {
    setSwitching(rule.id ?? '');
    setError('');
    try {
      const saved = await api.updateRule(rule.id ?? '', { enabled });
      setRules((current) => current?.map((entry) => (entry.id === saved.id ? saved : entry)) ?? null);
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setSwitching(null);
    }
  };

  return (
    <section class="rules">
      <div class="inbox-bar">
        <h1>{t('rules.title')}</h1>
        <a class="button-link" data-testid="new-rule" {...linkTo('/rules/new')}>{t('rules.new')}</a>
      </div>
      <p class="hint">{t('rules.intro')}</p>
      {error && <p class="error" role="alert">{error}</p>}
      {rules === null && !error && <p class="loading">{t('app.loading')}</p>}
      {rules && rules.length === 0 && <p class="empty">{t('rules.empty')}</p>}
      {rules && rules.length > 0 && (
        <div class="table-scroll">
          <table class="data rule-table" data-testid="rule-list" data-loaded={executions ? 'true' : 'false'}>
            <caption class="visually-hidden">{t('rules.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('rules.position')}</th>
                <th scope="col">{t('rules.name')}</th>
                <th scope="col">{t('rules.trigger')}</th>
                <th scope="col">{t('rules.condition')}</th>
                <th scope="col">{t('rules.enabled')}</th>
                <th scope="col">{t('rules.last_execution')}</th>
              </tr>
            </thead>
            <tbody>
              {rules.map((rule) => {
                const last = executions?.latest.get(rule.id ?? '');
                return (
                  <tr key={rule.id} data-rule-id={rule.id}>
                    <td data-user>{rule.position}</td>
                    <th scope="row">
                      <a class="rule-name" data-user {...linkTo(`/rules/${encodeURIComponent(rule.id ?? '')}`)}>{rule.name}</a>
                    </th>
                    <td class="rule-trigger" data-trigger={rule.trigger}>{labelOf(triggerKeys, rule.trigger ?? '')}</td>
                    <td><code class="condition" data-user>{rule.condition}</code></td>
                    <td>
                      <label class="check">
                        <input type="checkbox" role="switch" data-testid="rule-enabled" checked={rule.enabled}
                          aria-label={t('rules.enabled_for', { name: rule.name ?? '' })}
                          disabled={switching === rule.id}
                          onChange={(event) => toggle(rule, (event.currentTarget as HTMLInputElement).checked)} />
                        <span>{rule.enabled ? t('rules.on') : t('rules.off')}</span>
                      </label>
                    </td>
                    <td class="rule-last" data-execution-id={last?.id ?? ''}>
                      {last ? (
                        <>
                          <OutcomeBadge outcome={last.outcome} />{' '}
                          <time class="muted" data-user dateTime={last.created_at ?? ''}>{formatDateTime(last.created_at)}</time>
                        </>
                      ) : executions ? (
                        <span class="muted">{executions.complete ? t('rules.never_ran') : t('rules.not_in_recent_log')}</span>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
