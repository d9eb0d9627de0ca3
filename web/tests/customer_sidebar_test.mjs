// The customer sidebar of the case view (/app/cases/{id}) in Debian's Chromium driven by playwright-core,
// as the demo admin, then the demo agent (its teams' cases only) and the demo analyst (no cases:read):
//   the admin's sidebar is what the API answers for the case's customer S: the name (markup shown as
//   text), e-mail and phone, last NPS and CSAT, identities, traits (a value with markup as text), S's open
//   cases, the viewed one named and the others linked, and the newest five timeline entries; solving the
//   case on the screen takes it off the sidebar's open cases as off the API's; the other case's link and
//   the 360 link open those screens; Czech replaces every text; at phone width the sidebar is folded,
//   opens and fits; the agent's sidebar lists only its team's open cases, as the API does, and says how
//   many others the profile counts, and the other team's case is refused as such; the analyst is refused
//   the case, with no sidebar and none of S's contact data. No CSP violation, no dialog, no console error
//   (but those refusals), nothing from elsewhere.
// Run by tests/e2e/customer_sidebar_browser.py:
//   node customer_sidebar_test.mjs --url URL --tenant T --admin-email E --admin-password P --agent-email E
//     --agent-password P --analyst-email E --analyst-password P --customer ID --case-id ID --other-case ID
//     --solved-case ID --foreign-case ID --out DIR
// Prints one JSON summary line: {"ok": true, ...}.
import { apiCall, catalogue, checkSwitchToCzech, checkTheCspWatchWorks, launchChromium, makeChecks, openWatchedPage, signIn,
  testArgs } from './browser_session.mjs';

const args = testArgs(['url', 'tenant', 'admin-email', 'admin-password', 'agent-email', 'agent-password', 'analyst-email',
  'analyst-password', 'customer', 'case-id', 'other-case', 'solved-case', 'foreign-case', 'out']);
const en = catalogue('en');
const cs = catalogue('cs');
const { check, shoot, finish } = makeChecks(args.out);
const customerId = args.customer;
const caseId = args['case-id'];
const locale = 'en-GB';
const recent = 5;  // the sidebar's timeline entries (customer_sidebar.tsx)
const openStatuses = ['new', 'open', 'pending'];

// The screen's formats (customers.tsx valueText, i18n.ts formatNumber), for the expected texts.
const number = (value) => new Intl.NumberFormat(locale).format(value);
const valueText = (value) => {
  if (value === null || value === undefined || value === '') return en['customer.none'];
  if (typeof value === 'number') return number(value);
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
};
const sameList = (shown, expected) => JSON.stringify(shown) === JSON.stringify(expected);

const browser = await launchChromium();
const origin = new URL(args.url).origin;
try {
  const { page, violations, dialogs, problems } = await openWatchedPage(browser, origin,
    { locale, timezoneId: 'Europe/Prague', viewport: { width: 1280, height: 900 } });
  const get = async (path) => (await apiCall(page, 'GET', path)).body;
  const text = async (locator) => (await locator.textContent())?.trim();
  const sidebar = page.getByTestId('customer-sidebar');
  const inSidebar = (testId) => sidebar.getByTestId(testId);
  const openCasesShown = () => sidebar.locator('[data-testid=sidebar-open-cases] > li').evaluateAll((items) =>
    items.map((item) => ({ id: item.getAttribute('data-case-id'), href: item.querySelector('a')?.getAttribute('href') ?? null })));
  const timelineShown = () => sidebar.locator('[data-testid=customer-timeline] > li').evaluateAll((items) =>
    items.map((item) => `${item.getAttribute('data-kind')}:${item.getAttribute('data-id')}`));
  const timelineOf = (items) => items.map((item) => `${item.kind}:${item.id}`);
  const apiOpenCases = async () => (await get(`/api/v1/cases?customer_id=${customerId}&limit=200`)).items
    .filter((item) => openStatuses.includes(item.status)).map((item) => item.id);
  // The sidebar has read everything: the profile, its open cases (when shown) and the timeline.
  const sidebarLoaded = () => page.waitForFunction(() => {
    const side = document.querySelector('[data-testid=customer-sidebar][data-loaded=true]');
    return side && side.querySelector('[data-testid=customer-timeline][data-loaded=""]') && !side.querySelector('.loading');
  });
  const openCase = async (id) => {
    await page.goto(`${args.url}/app/cases/${encodeURIComponent(id)}`);
    await page.getByTestId('case-subject').waitFor();
    await sidebarLoaded();
  };

  // The admin, straight to the case through sign-in.
  await page.goto(`${args.url}/app/cases/${encodeURIComponent(caseId)}`);
  await signIn(page, args.tenant, args['admin-email'], args['admin-password']);
  await page.waitForURL((url) => url.pathname === `/app/cases/${caseId}`);
  await page.getByTestId('case-subject').waitFor();
  await sidebarLoaded();
  const profile = await get(`/api/v1/customers/${customerId}`);
  check(await sidebar.evaluate((element) => element.open), 'beside the conversation the sidebar is open');
  check(await text(inSidebar('sidebar-name')) === profile.name, 'the name is the API\'s, markup shown as text',
    await text(inSidebar('sidebar-name')));
  check(await inSidebar('sidebar-name').getAttribute('href') === `/app/customers/${customerId}`, 'the name links to the 360');
  check((await sidebar.locator('img, script, b').count()) === 0, 'no markup of the name, trait or case became an element');
  check(await text(inSidebar('sidebar-email')) === profile.email && await text(inSidebar('sidebar-phone')) === profile.phone,
    'e-mail and phone are the API\'s', `${await text(inSidebar('sidebar-email'))} ${await text(inSidebar('sidebar-phone'))}`);
  const { last_nps: nps, last_csat: csat } = profile.computed;
  for (const [testId, last] of [['sidebar-last-nps', nps], ['sidebar-last-csat', csat]]) {
    const shown = await text(inSidebar(testId));
    const at = await sidebar.locator(`[data-testid=${testId}] time`).getAttribute('datetime');
    check(last && shown.startsWith(number(last.score)) && at === last.at, `${testId} is the API's score and date`,
      `${shown} ${at} vs ${JSON.stringify(last)}`);
  }
  check(await text(inSidebar('sidebar-orders')) === number(profile.computed.orders_count), 'orders are the API\'s count');
  const identities = await sidebar.locator('[data-testid=identities] li').evaluateAll((items) =>
    items.map((item) => `${item.getAttribute('data-kind')}:${item.querySelector('.value').textContent}`).sort());
  const expectedIdentities = profile.identifiers.map((i) => `${i.kind}:${i.value}`).sort();
  check(expectedIdentities.includes('user_id:side-user') && sameList(identities, expectedIdentities),
    'the identities are the API\'s, the identify\'s user id included', `${identities} vs ${expectedIdentities}`);
  const traits = await sidebar.locator('[data-testid=sidebar-traits] .pair').evaluateAll((pairs) =>
    pairs.map((pair) => [pair.getAttribute('data-name'), pair.querySelector('dd').textContent]));
  const expectedTraits = Object.entries(profile.traits).map(([name, value]) => [name, valueText(value)]);
  check(expectedTraits.some(([, value]) => value.includes('<img')) && sameList(traits, expectedTraits),
    'the traits are the API\'s, the one with markup as text', `${JSON.stringify(traits)} vs ${JSON.stringify(expectedTraits)}`);

  const open = await apiOpenCases();
  const shownCases = await openCasesShown();
  check(open.length === 3 && !open.includes(args['solved-case']) && sameList(shownCases.map((c) => c.id), open),
    'the open cases are the API\'s open cases of S, in its order, the solved one left out', JSON.stringify(shownCases));
  check(shownCases.every((c) => (c.id === caseId ? c.href === null : c.href === `/app/cases/${c.id}`)),
    'each other open case links to its case view, the viewed one is named, not linked', JSON.stringify(shownCases));
  check((await inSidebar('sidebar-cases-hidden').count()) === 0, 'the admin sees every open case: none is said to be hidden');
  const timeline = await get(`/api/v1/customers/${customerId}/timeline?limit=${recent}`);
  check(timeline.next_cursor && sameList(await timelineShown(), timelineOf(timeline.items)),
    'the timeline is the API\'s newest five entries, in its order', (await timelineShown()).join(', '));
  check((await sidebar.getByTestId('timeline-more').count()) === 0 && (await sidebar.getByTestId('filter-all').count()) === 0,
    'the sidebar\'s timeline has no filters and no more pages (the 360 has)');
  check(await inSidebar('sidebar-360').getAttribute('href') === `/app/customers/${customerId}`, 'the 360 link is S\'s');
  await shoot(page, 'sidebar-admin');

  // Solving the case on the screen: the sidebar's open cases follow the API's.
  await page.getByTestId('status').selectOption('solved');
  await page.waitForFunction((id) => ![...document.querySelectorAll('[data-testid=sidebar-open-cases] > li')]
    .some((item) => item.getAttribute('data-case-id') === id), caseId);
  const openAfter = await apiOpenCases();
  check(!openAfter.includes(caseId) && sameList((await openCasesShown()).map((c) => c.id), openAfter),
    'the solved case leaves the sidebar\'s open cases, as it leaves the API\'s', JSON.stringify(await openCasesShown()));
  await page.getByTestId('status').selectOption('open');
  await page.waitForFunction((id) => [...document.querySelectorAll('[data-testid=sidebar-open-cases] > li')]
    .some((item) => item.getAttribute('data-case-id') === id), caseId);

  // The other open case's link, then the 360 link.
  await sidebar.locator(`[data-testid=sidebar-open-cases] > li[data-case-id="${args['other-case']}"] a`).click();
  await page.waitForURL((url) => url.pathname === `/app/cases/${args['other-case']}`);
  await sidebarLoaded();
  const other = await get(`/api/v1/cases/${args['other-case']}`);
  check(await text(page.getByTestId('case-subject')) === other.subject
    && await text(inSidebar('sidebar-name')) === profile.name, 'the link opens the other case, with the same customer beside it');
  await inSidebar('sidebar-360').click();
  await page.waitForURL((url) => url.pathname === `/app/customers/${customerId}`);
  await page.getByTestId('customer-name').waitFor();
  check(await text(page.getByTestId('customer-name')) === profile.name, 'the 360 link opens S\'s Customer 360');

  // Czech: every text of the case view with its sidebar.
  await openCase(caseId);
  await checkSwitchToCzech(page, check, { screen: 'case view with its customer sidebar', atLeast: 20, settled: sidebarLoaded });
  check(await text(sidebar.locator('summary')) === cs['sidebar.title']
    && await text(inSidebar('sidebar-360')) === cs['sidebar.open_360'], 'the sidebar speaks Czech');
  await shoot(page, 'sidebar-cs');
  await page.getByTestId('language').selectOption('en');
  await page.getByRole('button', { name: en['auth.sign_out'] }).waitFor();

  // At phone width: below the conversation, folded until tapped, and no sideways scrolling either way.
  await page.setViewportSize({ width: 390, height: 844 });
  await openCase(caseId);
  check(!(await sidebar.evaluate((element) => element.open)), 'at 390 px the sidebar starts folded');
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(await overflow() <= 0, 'at 390 px the case view needs no sideways scrolling', `${await overflow()} px too wide`);
  await sidebar.locator('summary').click();
  await inSidebar('sidebar-name').waitFor();
  check(await overflow() <= 0, 'opened, the sidebar fits 390 px too', `${await overflow()} px too wide`);
  const box = await sidebar.boundingBox();
  const composer = await page.getByTestId('composer').boundingBox();
  check(box && composer && box.y > composer.y && box.width <= 390, 'the sidebar is below the conversation, within the screen',
    JSON.stringify({ box, composer }));
  await shoot(page, 'sidebar-phone');
  await page.setViewportSize({ width: 1280, height: 900 });

  // The agent: only its teams' cases; the count of the others; the other team's case refused as such.
  await page.getByTestId('sign-out').click();
  await page.getByTestId('signin-form').waitFor();
  await page.goto(`${args.url}/app/cases/${encodeURIComponent(caseId)}`);
  await signIn(page, args.tenant, args['agent-email'], args['agent-password']);
  await page.waitForURL((url) => url.pathname === `/app/cases/${caseId}`);
  await page.getByTestId('case-subject').waitFor();
  await sidebarLoaded();
  const agentOpen = await apiOpenCases();
  const agentProfile = await get(`/api/v1/customers/${customerId}`);
  check(!agentOpen.includes(args['foreign-case']) && sameList((await openCasesShown()).map((c) => c.id), agentOpen),
    'the agent\'s sidebar lists the open cases the API lists the agent, not the other team\'s', JSON.stringify(await openCasesShown()));
  const hidden = agentProfile.computed.open_cases - agentOpen.length;
  check(hidden === 1 && await text(inSidebar('sidebar-cases-hidden')) === en['sidebar.cases_hidden'].replace('{count}', number(hidden)),
    'and says how many open cases of other teams the profile counts', `${hidden} ${await inSidebar('sidebar-cases-hidden').count()}`);
  const agentTimeline = await get(`/api/v1/customers/${customerId}/timeline?limit=${recent}`);
  check(sameList(await timelineShown(), timelineOf(agentTimeline.items))
    && !(await timelineShown()).includes(`case:${args['foreign-case']}`),
  'the agent\'s timeline is the API\'s answer to the agent, without the other team\'s case', (await timelineShown()).join(', '));
  await shoot(page, 'sidebar-agent');
  await page.goto(`${args.url}/app/cases/${encodeURIComponent(args['foreign-case'])}`);
  const refusal = page.locator('main [role=alert]');
  await refusal.waitFor();
  check((await apiCall(page, 'GET', `/api/v1/cases/${args['foreign-case']}`)).status === 404
    && (await sidebar.count()) === 0 && (await page.getByTestId('case-subject').count()) === 0,
  'the other team\'s case is refused as the API refuses it, with no sidebar', await text(refusal));

  // The analyst may not read cases: the case view says so, and shows no customer.
  await page.getByTestId('sign-out').click();
  await page.getByTestId('signin-form').waitFor();
  await page.goto(`${args.url}/app/cases/${encodeURIComponent(caseId)}`);
  await signIn(page, args.tenant, args['analyst-email'], args['analyst-password']);
  await page.waitForURL((url) => url.pathname === `/app/cases/${caseId}`);
  await refusal.waitFor();
  const analystCase = await apiCall(page, 'GET', `/api/v1/cases/${caseId}/conversation`);
  check(analystCase.status === 403 && await text(refusal) === analystCase.body?.error?.message,
    'the analyst is refused the case with the server\'s message', `${analystCase.status} ${await text(refusal)}`);
  const html = await page.content();
  check((await sidebar.count()) === 0 && !html.includes(profile.email) && !html.includes(profile.phone),
    'the analyst sees no sidebar and none of S\'s contact data', html.length);
  await shoot(page, 'case-analyst');

  check(dialogs.length === 0, 'no dialog opened', dialogs.join('\n'));
  check(violations.length === 0, 'the Content-Security-Policy reported no violation', violations.join('\n'));
  check(problems.filter((problem) => !/status of 40[34]/.test(problem)).length === 0,
    'no console errors (but the refusals), page errors or requests to other servers', problems.join('\n'));
  await checkTheCspWatchWorks(page, violations, check);
} catch (error) {
  check(false, 'the browser session ran to its end', error.stack);
} finally {
  await browser.close();
}
finish();
