// The rules list (/app/rules) and a rule's screen (/app/rules/{id}) in Debian's Chromium driven by
// playwright-core, as the demo manager and then the demo agent (no rules:write):
//   the list is GET /api/v1/rules in its order, with each rule's latest execution from the log; a rule
//   made through the form (after a condition that does not parse: the server's message, naming the
//   position, beside the field, the cursor there, nothing saved) is what the API then returns; the
//   list's switch enables it in the API; the dry run shows what the API's dry run answers for the same
//   sample, matched and not; the executions of the rule that ran are the API's; Czech replaces every
//   text; the confirmed delete removes it; the agent has no link and is told at the URL. No CSP
//   violation, no dialog, no console error, nothing from elsewhere.
// Run by tests/e2e/rules_browser.py:
//   node rules_test.mjs --url URL --tenant T --manager-email E --manager-password P --agent-email E
//     --agent-password P --executed-rule ID --rule-name NAME --out DIR
// Prints one JSON summary line: {"ok": true, ...}.
import { apiCall, catalogue, checkSwitchToCzech, checkTheCspWatchWorks, chromeTexts, fromCatalogue, launchChromium, makeChecks, openWatchedPage,
  signIn, testArgs } from './browser_session.mjs';

const args = testArgs(['url', 'tenant', 'manager-email', 'manager-password', 'agent-email', 'agent-password',
  'executed-rule', 'rule-name', 'out']);
const en = catalogue('en');
const cs = catalogue('cs');
const { check, shoot, finish } = makeChecks(args.out);
// Equal as JSON values, whatever the order of object members (the server writes them sorted).
const canonical = (value) => (Array.isArray(value) ? value.map(canonical)
  : value && typeof value === 'object' ? Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical(value[key])]))
    : value);
const same = (a, b) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
const executionsPage = 20;  // the screen's page size (rules/executions.tsx)

// What the test types into the form, and what the API must then hold.
const badCondition = 'customer.segment == "vip" and <= 3';
const condition = 'customer.segment == "vip" and case.priority != "urgent"';
const actions = [{ type: 'tag', add: ['vip', 'escalated'] }, { type: 'set_priority', priority: 'high' }];

const browser = await launchChromium();
const origin = new URL(args.url).origin;
try {
  const { page, violations, dialogs, problems } = await openWatchedPage(browser, origin,
    { locale: 'en-GB', timezoneId: 'Europe/Prague', viewport: { width: 1280, height: 900 } });
  const get = async (path) => (await apiCall(page, 'GET', path)).body;
  const listLoaded = () => page.waitForFunction(() =>
    document.querySelector('[data-testid=rule-list]')?.getAttribute('data-loaded') === 'true');
  const rows = () => page.locator('[data-testid=rule-list] tbody tr').evaluateAll((trs) => trs.map((tr) => ({
    id: tr.getAttribute('data-rule-id'),
    name: tr.querySelector('.rule-name').textContent,
    trigger: tr.querySelector('.rule-trigger').getAttribute('data-trigger'),
    condition: tr.querySelector('code.condition').textContent,
    enabled: tr.querySelector('[data-testid=rule-enabled]').checked,
    lastExecution: tr.querySelector('.rule-last').getAttribute('data-execution-id'),
  })));
  // Every execution of a rule, through the API's cursor.
  const allExecutions = async (ruleId) => {
    const items = [];
    let cursor = '';
    do {
      const page = await get(`/api/v1/rules/${ruleId}/executions?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return items;
  };

  // The list, through sign-in at its URL: the API's rules in the API's order.
  await page.goto(`${args.url}/app/rules`);
  await signIn(page, args.tenant, args['manager-email'], args['manager-password']);
  await page.waitForURL((url) => url.pathname === '/app/rules');
  await listLoaded();
  const apiRules = (await get('/api/v1/rules')).items;
  const listed = await rows();
  const expectedRows = await Promise.all(apiRules.map(async (rule) => ({
    id: rule.id, name: rule.name, trigger: rule.trigger, condition: rule.condition, enabled: rule.enabled,
    lastExecution: (await allExecutions(rule.id)).at(-1)?.id ?? '',
  })));
  check(apiRules.length >= 2 && same(listed, expectedRows),
    'the list is the API\'s rules in its order: name, trigger, condition, enabled, latest execution',
    `${JSON.stringify(listed)} vs ${JSON.stringify(expectedRows)}`);
  const executedRow = listed.find((row) => row.id === args['executed-rule']);
  check(executedRow?.lastExecution, 'the rule that ran shows its latest execution', JSON.stringify(executedRow));
  check(await page.getByTestId('nav-rules').isVisible(), 'the manager has the rules link');
  await shoot(page, 'rule-list');

  // A new rule through the form: first a condition that does not parse.
  await page.getByTestId('new-rule').click();
  await page.waitForURL((url) => url.pathname === '/app/rules/new');
  await page.getByTestId('rule-name').fill(args['rule-name']);
  await page.getByTestId('rule-trigger').selectOption('case.created');
  await page.getByTestId('rule-condition').fill(badCondition);
  await page.getByTestId('action-type').first().selectOption('tag');
  await page.locator('[data-testid=rule-action]').first().locator('[data-field=add]').fill('vip, escalated');
  await page.getByTestId('add-action').click();
  await page.getByTestId('action-type').nth(1).selectOption('set_priority');
  await page.locator('[data-testid=rule-action]').nth(1).locator('[data-field=priority]').selectOption('high');
  await page.getByTestId('rule-enabled-field').uncheck();
  const countBefore = apiRules.length;
  await page.getByTestId('rule-save').click();
  await page.getByTestId('condition-error').waitFor();
  const shownError = (await page.getByTestId('condition-error').textContent()).trim();
  const refused = await apiCall(page, 'POST', '/api/v1/rules/dry-run',
    { trigger: 'case.created', condition: badCondition, actions, payload: {} });
  check(refused.status === 400 && refused.body.error.field === 'condition' && shownError === refused.body.error.message,
    'the condition that does not parse shows the server\'s own message beside the field',
    `${shownError} vs ${JSON.stringify(refused.body)}`);
  const position = Number(/ at position (\d+)/.exec(shownError)?.[1]);
  check(position > 0, 'the message names the position', shownError);
  const caret = await page.getByTestId('rule-condition').evaluate((field) =>
    ({ focused: document.activeElement === field, start: field.selectionStart, invalid: field.getAttribute('aria-invalid') }));
  check(caret.focused && caret.start === position - 1 && caret.invalid === 'true',
    'the condition field gets the focus, the cursor at that position, and is marked invalid', JSON.stringify(caret));
  const afterRefusal = (await get('/api/v1/rules')).items;
  check(afterRefusal.length === countBefore && !afterRefusal.some((rule) => rule.name === args['rule-name']),
    'nothing was saved', afterRefusal.length);
  await shoot(page, 'rule-condition-error');

  await page.getByTestId('rule-condition').fill(condition);
  await page.getByTestId('rule-save').click();
  await page.waitForURL((url) => /^\/app\/rules\/rul_/.test(url.pathname));
  const ruleId = decodeURIComponent(new URL(page.url()).pathname.split('/').at(-1));
  await page.getByTestId('rule-title').waitFor();
  check(await page.getByTestId('rule-saved').textContent() === en['rules.saved'], 'the new rule\'s screen says it was saved');
  const created = await get(`/api/v1/rules/${ruleId}`);
  check(created.name === args['rule-name'] && created.trigger === 'case.created' && created.condition === condition
    && same(created.actions, actions) && created.enabled === false,
  'the API returns the rule with the fields the form was given', JSON.stringify(created));
  check((await page.getByTestId('rule-title').textContent()) === args['rule-name']
    && await page.locator('.rule-screen b').count() === 0, 'the name with markup is shown as text');
  check(await page.getByTestId('rule-position').inputValue() === String(created.position)
    && await page.getByTestId('rule-condition').inputValue() === condition, 'the saved rule\'s form holds what the API holds');

  // The dry run of the saved rule, against the trigger's sample and then one that does not match.
  const dryRunAgainst = async (payloadText) => {
    await page.getByTestId('dry-run-payload').fill(payloadText);
    await page.getByTestId('dry-run').click();
    await page.getByTestId('dry-run-result').waitFor();
    const shown = await page.getByTestId('dry-run-result').evaluate((result) => ({
      matched: result.getAttribute('data-matched') === 'true',
      actions: [...result.querySelectorAll('[data-action]')].map((item) => JSON.parse(item.getAttribute('data-action'))),
    }));
    const answer = await apiCall(page, 'POST', `/api/v1/rules/${ruleId}/dry-run`, { payload: JSON.parse(payloadText) });
    return { shown, answer: answer.body };
  };
  const sample = JSON.parse(await page.getByTestId('dry-run-payload').inputValue());
  check(sample.trigger === 'case.created' && sample.case && sample.customer, 'the sample is a case.created context', JSON.stringify(sample));
  const matching = await dryRunAgainst(JSON.stringify(sample, null, 2));
  check(matching.answer.matched === true && same(matching.shown, { matched: true, actions: matching.answer.actions }),
    'the dry run shows the API\'s answer: matched, with the actions that would run', JSON.stringify(matching));
  check(await page.getByTestId('dry-run-result').getByText(en['rules.matched']).isVisible(), 'and says it matched');
  await shoot(page, 'rule-dry-run');
  const basic = { ...sample, customer: { ...sample.customer, segment: 'basic' } };
  const notMatching = await dryRunAgainst(JSON.stringify(basic));
  check(notMatching.answer.matched === false && same(notMatching.shown, { matched: false, actions: [] }),
    'for a customer who is not a VIP it shows the API\'s no match', JSON.stringify(notMatching));
  await page.getByTestId('dry-run-payload').fill('{"trigger": ');
  await page.getByTestId('dry-run').click();
  check(await page.getByTestId('dry-run-error').textContent() === en['rules.payload_not_json'], 'a sample that is not JSON is refused on the screen');

  // The list's switch: enabling the new rule changes the API's answer, and so does switching it off again.
  await page.getByTestId('nav-rules').click();
  await page.waitForURL((url) => url.pathname === '/app/rules');
  await listLoaded();
  const toggle = page.locator(`[data-testid=rule-list] tr[data-rule-id="${ruleId}"] [data-testid=rule-enabled]`);
  for (const enabled of [true, false]) {
    await toggle.click();
    await page.waitForFunction(({ ruleId, enabled }) => {
      const box = document.querySelector(`tr[data-rule-id="${ruleId}"] [data-testid=rule-enabled]`);
      return box && box.checked === enabled && !box.disabled;
    }, { ruleId, enabled });
    const inApi = (await get(`/api/v1/rules/${ruleId}`)).enabled;
    check(inApi === enabled, `the switch turns the rule ${enabled ? 'on' : 'off'} in the API`, inApi);
  }
  await toggle.focus();
  await page.keyboard.press('Space');
  await page.waitForFunction((ruleId) =>
    document.querySelector(`tr[data-rule-id="${ruleId}"] [data-testid=rule-enabled]`)?.checked === true, ruleId);
  check((await get(`/api/v1/rules/${ruleId}`)).enabled === true, 'the switch works from the keyboard (Space)');

  // The executions of the rule that ran: the API's, in its order, with outcome and error.
  await page.locator(`[data-testid=rule-list] tr[data-rule-id="${args['executed-rule']}"] a.rule-name`).click();
  await page.getByTestId('executions').waitFor();
  const firstPage = await page.locator('[data-testid=executions] > li').count();
  const pagesFollowed = [];
  while (await page.getByTestId('executions-more').count() > 0) {
    const shownCount = await page.locator('[data-testid=executions] > li').count();
    await page.getByTestId('executions-more').click();
    pagesFollowed.push(shownCount);
    await page.waitForFunction((count) => document.querySelectorAll('[data-testid=executions] > li').length > count, shownCount);
  }
  const shownExecutions = await page.locator('[data-testid=executions] > li').evaluateAll((items) => items.map((item) => ({
    id: item.getAttribute('data-execution-id'), outcome: item.getAttribute('data-outcome'),
    error: item.querySelector('[data-testid=execution-error]')?.textContent ?? null,
    cases: [...item.querySelectorAll('[data-testid=execution-case]')].map((link) => `${link.textContent} ${link.getAttribute('href')}`),
  })));
  const apiExecutions = (await allExecutions(args['executed-rule'])).map((execution) =>
    ({ id: execution.id, outcome: execution.outcome, error: execution.error ?? null,
      cases: execution.actions.filter((entry) => entry.result?.case_id).map((entry) => `${entry.result.case_id} /app/cases/${entry.result.case_id}`) }));
  check(apiExecutions.some((execution) => execution.cases.length > 0) && same(shownExecutions, apiExecutions), 'the executions are the API\'s: ids, outcomes, errors, and the cases opened, linked',
    `${JSON.stringify(shownExecutions)} vs ${JSON.stringify(apiExecutions)}`);
  check(apiExecutions.length > executionsPage && firstPage === executionsPage && pagesFollowed.length >= 1,
    'the executions come a page at a time through the API\'s cursor ("Show more")', `${firstPage} then ${pagesFollowed}`);
  await shoot(page, 'rule-executions');

  // Czech: on the rule that ran, no English catalogue text is left and every text is a Czech one.
  await checkSwitchToCzech(page, check, { screen: 'rule\'s screen', atLeast: 30 });
  check(await page.locator('#executions-title').textContent() === cs['rules.executions'], 'the executions are titled in Czech');
  await shoot(page, 'rule-cs');
  await page.getByTestId('nav-rules').click();
  await listLoaded();
  const listTexts = await chromeTexts(page);
  const isCzech = fromCatalogue(cs);
  check(listTexts.filter((shown) => !isCzech(shown) && /[a-z]{4}/i.test(shown)).length === 0
    && listTexts.includes(cs['rules.title']), 'the list is in Czech too', listTexts.join(' | '));
  await shoot(page, 'rule-list-cs');
  await page.getByTestId('language').selectOption('en');
  await page.getByRole('button', { name: en['auth.sign_out'] }).waitFor();

  // At phone width the rule's screen is one column that fits (the list's table scrolls inside its box).
  await page.goto(`${args.url}/app/rules/${ruleId}`);
  await page.getByTestId('rule-form').waitFor();
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, 'at 390 px the rule\'s screen needs no sideways scrolling', `${overflow} px too wide`);
  await shoot(page, 'rule-phone');
  await page.setViewportSize({ width: 1280, height: 900 });

  // Deleting the new rule behind the confirmation: Escape cancels, the confirm button deletes.
  await page.getByTestId('rule-delete').click();
  await page.getByTestId('confirm-dialog').waitFor();
  check(await page.evaluate(() => document.activeElement?.closest('dialog') !== null), 'the open dialog holds the focus');
  await page.keyboard.press('Escape');
  await page.getByTestId('confirm-dialog').waitFor({ state: 'detached' });
  check((await apiCall(page, 'GET', `/api/v1/rules/${ruleId}`)).status === 200, 'Escape cancels the delete: the rule is still there');
  await page.getByTestId('rule-delete').click();
  await shoot(page, 'rule-delete-confirm');
  await page.getByTestId('confirm').click();
  await page.waitForURL((url) => url.pathname === '/app/rules');
  await listLoaded();
  const gone = await apiCall(page, 'GET', `/api/v1/rules/${ruleId}`);
  check(gone.status === 404, 'after the delete the API has no such rule', `${gone.status}`);
  check(!(await rows()).some((row) => row.id === ruleId), 'and the list no longer shows it');

  // The agent: no link, and at the URL the permission it lacks, not rules.
  await page.getByTestId('sign-out').click();
  await page.getByTestId('signin-form').waitFor();
  await page.goto(`${args.url}/app/rules`);
  await signIn(page, args.tenant, args['agent-email'], args['agent-password']);
  await page.waitForURL((url) => url.pathname === '/app/rules');
  await page.getByTestId('rules-forbidden').waitFor();
  check(await page.getByTestId('nav-rules').count() === 0, 'the agent has no rules link');
  check(await page.getByTestId('rule-list').count() === 0, 'the agent sees no rules');
  check((await page.getByTestId('rules-forbidden').textContent()).includes('rules:write'), 'the agent is told which permission is missing');
  await shoot(page, 'rules-agent');
  await page.goto(`${args.url}/app/rules/${args['executed-rule']}`);
  await page.getByTestId('rules-forbidden').waitFor();
  check(await page.getByTestId('rule-form').count() === 0, 'nor a rule at its URL');

  check(dialogs.length === 0, 'no dialog opened', dialogs.join('\n'));
  check(violations.length === 0, 'the Content-Security-Policy reported no violation', violations.join('\n'));
  check(problems.filter((problem) => !/status of 40[04]/.test(problem)).length === 0,
    'no console errors (but the refused condition\'s 400 and the deleted rule\'s 404), page errors or requests to other servers',
    problems.join('\n'));

  await checkTheCspWatchWorks(page, violations, check);
} catch (error) {
  check(false, 'the browser session ran to its end', error.stack);
} finally {
  await browser.close();
}
finish();
