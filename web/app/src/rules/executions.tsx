// A rule's executions (GET /api/v1/rules/{id}/executions), in the API's order (oldest first), a page
// at a time through its cursor: outcome, when, the change it ran on, its error, and each action's state.
import { useEffect, useState } from 'preact/hooks';
import { api, errorText, type RuleExecution } from '../api/client';
import { formatDateTime, t } from '../i18n/i18n';
import { labelOf } from '../labels';
import { linkTo } from '../router';
import { OutcomeBadge } from '../screens/rules';
import { actionStateKeys, actionTypeKeys, triggerKeys } from './spec';

const pageSize = 20;

// What an action did: the case it opened is a link to it; anything else (a delivery, a trait) as the API gave it.
function ActionResult(props: { result: Record<string, unknown> }) {
  const { case_id: caseId, ...rest } = props.result;
  return (
    <>
      {typeof caseId === 'string' && (
        <> <a data-testid="execution-case" data-user {...linkTo(`/cases/${encodeURIComponent(caseId)}`)}>{caseId}</a></>
      )}
      {Object.keys(rest).length > 0 && <code class="muted" data-user> {JSON.stringify(rest)}</code>}
    </>
  );
}

export function Executions(props: { ruleId: string }) {
  const [items, setItems] = useState<RuleExecution[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState('');

  const load = async (cursor?: string) => {
    setError('');
    try {
      const page = await api.ruleExecutions(props.ruleId, { limit: pageSize, cursor });
      setItems((current) => [...(cursor ? current ?? [] : []), ...page.items]);
      setNext(page.next_cursor);
    } catch (caught) {
      setError(errorText(caught));
    }
  };
  useEffect(() => { load(); }, [props.ruleId]);

  return (
    <section class="panel rule-executions" aria-labelledby="executions-title">
      <div class="card-head">
        <h2 id="executions-title">{t('rules.executions')}</h2>
        <button type="button" class="secondary" data-testid="executions-reload" onClick={() => load()}>{t('rules.reload')}</button>
      </div>
      <p class="hint">{t('rules.executions_hint')}</p>
      {error && <p class="error" role="alert">{error}</p>}
      {items === null && !error && <p class="loading">{t('app.loading')}</p>}
      {items && items.length === 0 && <p class="empty" data-testid="executions-empty">{t('rules.no_executions')}</p>}
      {items && items.length > 0 && (
        <ol class="item-list executions" data-testid="executions">
          {items.map((execution) => (
            <li key={execution.id} data-execution-id={execution.id} data-outcome={execution.outcome}>
              <p>
                <OutcomeBadge outcome={execution.outcome} />{' '}
                <time data-user dateTime={execution.created_at ?? ''}>{formatDateTime(execution.created_at)}</time>{' '}
                <span class="muted">
                  {t('rules.execution_change', { kind: labelOf(triggerKeys, execution.change_kind ?? ''), id: execution.subject_id ?? '' })}
                </span>
              </p>
              {execution.error && <p class="error" data-testid="execution-error" data-user>{execution.error}</p>}
              <ul class="execution-actions">
                {(execution.actions ?? []).map((entry, index) => (
                  <li key={index} data-state={entry.state}>
                    {labelOf(actionTypeKeys, entry.action?.type ?? '')}: {labelOf(actionStateKeys, entry.state ?? '')}
                    {entry.error && <span class="error" data-user> {entry.error}</span>}
                    {entry.result && <ActionResult result={entry.result} />}
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ol>
      )}
      {next && (
        <button type="button" class="secondary more" data-testid="executions-more" onClick={() => load(next)}>
          {t('app.load_more')}
        </button>
      )}
    </section>
  );
}
