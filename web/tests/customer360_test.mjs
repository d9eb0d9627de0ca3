// The customer list (/app/customers) and the Customer 360 (/app/customers/{id}) in Debian's Chromium driven
// by playwright-core, as the demo admin and then the demo analyst (no contact data):
//   the search finds the set-up customers, as the API does; A's profile, identities, traits and computed
//   attributes are what GET /api/v1/customers/{id} answers, and the name with markup is text; the
//   timeline is the API's first page, then its second through the cursor, and filtered by kind; a note
//   typed on the screen is A's; B merged into A on the screen makes the API answer A for B, and the undo
//   on the screen makes B its own profile again; the export is the API's; the case view's customer link
//   opens the 360; Czech replaces every text; at phone width it fits; Escape cancels the erasure, C is
//   erased only after its id is typed, and the API then has no C; the analyst sees A's e-mail and phone
//   as withheld and none of the admin's buttons. No CSP violation, no dialog, no console error, nothing
//   from elsewhere.
// Run by tests/e2e/customer360_browser.py:
//   node customer360_test.mjs --url URL --tenant T --admin-email E --admin-password P --analyst-email E
//     --analyst-password P --customer-a ID --customer-b ID --customer-c ID --case-id ID --search WORD
//     --name-b-word WORD --note TEXT --out DIR
// Prints one JSON summary line: {"ok": true, ...}.
import { readFileSync } from 'node:fs';
import { apiCall, catalogue, checkSwitchToCzech, checkTheCspWatchWorks, launchChromium, makeChecks, openWatchedPage, signIn,
  testArgs } from './browser_session.mjs';

const args = testArgs(['url', 'tenant', 'admin-email', 'admin-password', 'analyst-email', 'analyst-password', 'customer-a',
  'customer-b', 'customer-c', 'case-id', 'search', 'name-b-word', 'note', 'out']);
const en = catalogue('en');
const cs = catalogue('cs');
const { check, shoot, finish } = makeChecks(args.out);
const [idA, idB, idC] = [args['customer-a'], args['customer-b'], args['customer-c']];
const locale = 'en-GB';
const timelinePage = 20;  // the screen's page size (customer_timeline.tsx)

// The screen's formats (customers.tsx valueText, i18n.ts formatNumber and formatMoney), for the expected texts.
const number = (value) => new Intl.NumberFormat(locale).format(value);
const money = (amount, currency) => new Intl.NumberFormat(locale, { style: 'currency', currency }).format(amount);
const valueText = (value) => {
  if (value === null || value === undefined || value === '') return en['customer.none'];
  if (typeof value === 'number') return number(value);
  if (typeof value === 'boolean') return value ? en['value.yes'] : en['value.no'];
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
};
const sameList = (shown, expected) => JSON.stringify(shown) === JSON.stringify(expected);

const browser = await launchChromium();
const origin = new URL(args.url).origin;
try {
  const { page, violations, dialogs, problems } = await openWatchedPage(browser, origin,
    { locale, timezoneId: 'Europe/Prague', viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const get = async (path) => (await apiCall(page, 'GET', path)).body;
  const text = async (locator) => (await locator.textContent())?.trim();
  const listed = (testId) => page.locator(`[data-testid=${testId}] > li`).evaluateAll((items) =>
    items.map((item) => item.getAttribute('data-customer-id')));
  const timelineShown = () => page.locator('[data-testid=customer-timeline] > li').evaluateAll((items) =>
    items.map((item) => `${item.getAttribute('data-kind')}:${item.getAttribute('data-id')}`));
  const timelineOf = (items) => items.map((item) => `${item.kind}:${item.id}`);
  const timelineLoaded = (kinds) => page.waitForFunction((kinds) =>
    document.querySelector('[data-testid=customer-timeline]')?.getAttribute('data-loaded') === kinds
    && !document.querySelector('.customer-timeline .loading'), kinds);
  const identitiesShown = () => page.locator('[data-testid=identities] li').evaluateAll((items) =>
    items.map((item) => `${item.getAttribute('data-kind')}:${item.querySelector('.value').textContent}`).sort());
  const openCustomer = async (id) => {
    await page.goto(`${args.url}/app/customers/${encodeURIComponent(id)}`);
    await page.getByTestId('customer-name').waitFor();
  };

  // The list: straight to a search URL through sign-in, then a search typed on the screen.
  await page.goto(`${args.url}/app/customers?q=${encodeURIComponent(args.search)}`);
  await signIn(page, args.tenant, args['admin-email'], args['admin-password']);
  await page.waitForURL((url) => url.pathname === '/app/customers');
  const listLoaded = (q) => page.waitForFunction((q) =>
    document.querySelector('[data-testid=customer-list]')?.getAttribute('data-loaded') === q, q);
  await listLoaded(args.search);
  const apiFound = (await get(`/api/v1/customers?q=${encodeURIComponent(args.search)}&limit=25`)).items.map((c) => c.id);
  const found = await listed('customer-list');
  check(sameList(found, apiFound), 'the search URL lists the customers the API finds, in its order', `${found} vs ${apiFound}`);
  check([idA, idB, idC].every((id) => found.includes(id)), 'the search finds the three set-up customers', found.join(', '));
  check(await page.getByTestId('nav-customers').isVisible(), 'the admin has the customers link');
  await page.getByTestId('nav-customers').click();
  await page.waitForURL((url) => url.pathname === '/app/customers' && !url.search);
  await listLoaded('');
  await page.getByTestId('customer-search').fill(args['name-b-word']);
  await page.getByTestId('customer-search').press('Enter');
  await page.waitForURL((url) => url.searchParams.get('q') === args['name-b-word']);
  await listLoaded(args['name-b-word']);
  const onlyB = await listed('customer-list');
  check(sameList(onlyB, [idB]), 'a search typed on the screen goes into the URL and finds only B', onlyB.join(', '));
  await page.goBack();
  await listLoaded('');
  await page.goBack();
  await listLoaded(args.search);
  await shoot(page, 'customer-list');

  // A's 360, opened from the list: profile, identities, traits and computed attributes are the API's.
  await page.locator(`[data-testid=customer-list] li[data-customer-id="${idA}"] a.name`).click();
  await page.waitForURL((url) => url.pathname === `/app/customers/${idA}`);
  await page.getByTestId('customer-name').waitFor();
  await timelineLoaded('');
  const profile = await get(`/api/v1/customers/${idA}`);
  check(await text(page.getByTestId('customer-name')) === profile.name, 'the name is the API\'s, markup shown as text',
    await text(page.getByTestId('customer-name')));
  check((await page.locator('.customer-screen img, .customer-screen script').count()) === 0, 'no markup of the name became an element');
  check(await text(page.getByTestId('customer-email')) === profile.email
    && await text(page.getByTestId('customer-phone')) === profile.phone, 'the admin sees the API\'s e-mail and phone',
  `${await text(page.getByTestId('customer-email'))} ${await text(page.getByTestId('customer-phone'))}`);
  const expectedIdentities = profile.identifiers.map((i) => `${i.kind}:${i.value}`).sort();
  const identities = await identitiesShown();
  check(expectedIdentities.length >= 2 && sameList(identities, expectedIdentities), 'the identities are the API\'s',
    `${identities} vs ${expectedIdentities}`);
  const traits = await page.locator('[data-testid=traits] .pair').evaluateAll((pairs) =>
    pairs.map((pair) => [pair.getAttribute('data-name'), pair.querySelector('dd').textContent]));
  const expectedTraits = Object.entries(profile.traits).map(([name, value]) => [name, valueText(value)]);
  check(expectedTraits.length >= 3 && sameList(traits, expectedTraits), 'the traits are the API\'s, identify\'s included',
    `${JSON.stringify(traits)} vs ${JSON.stringify(expectedTraits)}`);
  const computed = profile.computed;
  const revenue = Object.entries(computed.revenue.by_currency).map(([currency, amount]) => money(amount, currency)).join(' · ');
  const facts = {
    orders: number(computed.orders_count), 'open-cases': number(computed.open_cases), revenue,
    'last-nps': computed.last_nps ? number(computed.last_nps.score) : en['customer.none'],
  };
  for (const [testId, expected] of Object.entries(facts)) {
    const shown = await text(page.getByTestId(testId));
    check(shown.startsWith(expected), `the computed ${testId} is the API's (${expected})`, shown);
  }
  check(computed.orders_count === 1 && computed.open_cases === 1 && computed.last_nps?.score === 9,
    'the API counts the order, the open case and the NPS score of the set-up', JSON.stringify(computed));
  check(await page.locator('[data-testid=first-seen] time').getAttribute('datetime') === computed.first_seen_at
    && await page.locator('[data-testid=last-seen] time').getAttribute('datetime') === computed.last_seen_at,
  'first and last seen are the API\'s', JSON.stringify(computed));
  const cases = await page.locator('[data-testid=customer-cases] li').evaluateAll((items) => items.map((i) => i.getAttribute('data-case-id')));
  check(sameList(cases, [args['case-id']]), 'the customer\'s case is listed', cases.join(', '));
  await shoot(page, 'customer-360');

  // The timeline: the API's first page, then the next one through its cursor.
  const first = await get(`/api/v1/customers/${idA}/timeline?limit=${timelinePage}`);
  check(first.next_cursor, 'the set-up gives A more than one timeline page', JSON.stringify(first.items.length));
  check(sameList(await timelineShown(), timelineOf(first.items)), 'the timeline shows the API\'s first page, in its order',
    (await timelineShown()).join(', '));
  const titles = await page.locator('[data-testid=customer-timeline] > li[data-kind=event] [data-testid=entry-title]').allTextContents();
  const apiTitles = first.items.filter((item) => item.kind === 'event').map((item) => item.title);
  check(sameList(titles, apiTitles), 'the events are titled as the API titles them', titles.join(', '));
  const second = await get(`/api/v1/customers/${idA}/timeline?limit=${timelinePage}&cursor=${encodeURIComponent(first.next_cursor)}`);
  await page.getByTestId('timeline-more').click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=customer-timeline] > li').length === n,
    first.items.length + second.items.length);
  check(sameList(await timelineShown(), timelineOf([...first.items, ...second.items])),
    'the next page follows through the cursor', (await timelineShown()).join(', '));
  check((await page.getByTestId('timeline-more').count()) === (second.next_cursor ? 1 : 0), 'more is offered only while there is more');
  await shoot(page, 'customer-timeline-paged');

  // Filters by kind: events only, then events and cases, then all again.
  await page.getByTestId('filter-event').click();
  await timelineLoaded('event');
  const events = await get(`/api/v1/customers/${idA}/timeline?kind=event&limit=${timelinePage}`);
  const shownEvents = await timelineShown();
  check(shownEvents.every((entry) => entry.startsWith('event:')) && sameList(shownEvents, timelineOf(events.items)),
    'the event filter shows the API\'s events only', shownEvents.join(', '));
  await page.getByTestId('filter-case').click();
  await timelineLoaded('event,case');
  const eventsAndCases = await get(`/api/v1/customers/${idA}/timeline?kind=event,case&limit=${timelinePage}`);
  check(sameList(await timelineShown(), timelineOf(eventsAndCases.items))
    && (await timelineShown()).includes(`case:${args['case-id']}`), 'events and cases together are the API\'s, the case among them');
  check(await page.getByTestId('filter-case').getAttribute('aria-pressed') === 'true'
    && await page.getByTestId('filter-all').getAttribute('aria-pressed') === 'false', 'the chosen filters are pressed');
  await shoot(page, 'customer-timeline-filtered');
  await page.getByTestId('filter-all').click();
  await timelineLoaded('');

  // A note typed on the screen: in the timeline as text, and the API's.
  await page.getByTestId('note-text').fill(args.note);
  await page.getByTestId('note-add').click();
  const note = page.locator('[data-testid=customer-timeline] > li.kind-note [data-testid=entry-body]', { hasText: args.note });
  await note.waitFor();
  check(await text(note) === args.note && (await page.locator('.customer-timeline b').count()) === 0,
    'the note is in the timeline, its markup as text');
  const notes = (await get(`/api/v1/customers/${idA}/timeline?kind=note`)).items;
  check(notes.some((item) => item.detail.body === args.note), 'the API has the note on A', JSON.stringify(notes));

  // Merge B into A with the picker, then undo it.
  await page.getByTestId('merge-start').click();
  await page.getByTestId('merge-search').fill(args['name-b-word']);
  await page.getByTestId('merge-search').press('Enter');
  await page.locator(`[data-testid=merge-candidates] li[data-customer-id="${idB}"] [data-testid=merge-pick]`).click();
  await page.getByTestId('confirm-dialog').waitFor();
  await shoot(page, 'merge-confirm');
  await page.getByTestId('confirm').click();
  await page.locator('[data-testid=merges] li[data-undone=false]').waitFor();
  const merged = (await get(`/api/v1/customers/${idA}/merges`)).items;
  check(merged.length === 1 && merged[0].merged_id === idB && merged[0].survivor_id === idA && !merged[0].undone_at,
    'the API has B merged into A', JSON.stringify(merged));
  const bNow = await get(`/api/v1/customers/${idB}`);
  check(bNow.id === idA && bNow.merged_from === idB, 'the API answers A for B now', JSON.stringify({ id: bNow.id, from: bNow.merged_from }));
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=identities] .value')]
    .some((value) => value.textContent === 'c360-anon-b'));
  check(sameList(await identitiesShown(), bNow.identifiers.map((i) => `${i.kind}:${i.value}`).sort()),
    'A\'s identities now include B\'s, as the API says', (await identitiesShown()).join(', '));
  await shoot(page, 'merged');
  await page.getByTestId('merge-undo').click();
  await page.getByTestId('confirm').click();
  await page.getByTestId('merge-undone').waitFor();
  const undone = (await get(`/api/v1/customers/${idA}/merges`)).items;
  check(undone.length === 1 && undone[0].undone_at, 'the API has the merge undone', JSON.stringify(undone));
  const bAgain = await get(`/api/v1/customers/${idB}`);
  check(bAgain.id === idB && !bAgain.merged_from, 'the API answers B itself again', JSON.stringify({ id: bAgain.id }));
  await page.waitForFunction(() => ![...document.querySelectorAll('[data-testid=identities] .value')]
    .some((value) => value.textContent === 'c360-anon-b'));
  check(sameList(await identitiesShown(), expectedIdentities), 'A\'s identities are its own again', (await identitiesShown()).join(', '));
  await shoot(page, 'merge-undone');

  // The GDPR export: a JSON download of the API's export of A.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
  const exported = JSON.parse(readFileSync(await download.path(), 'utf8'));
  check(download.suggestedFilename() === `touchpoint-customer-${idA}.json`, 'the export is saved as a .json file',
    download.suggestedFilename());
  check(exported.profile?.id === idA && exported.customer_notes?.some((n) => n.body === args.note)
    && exported.customer_merges?.length === 1, 'the export holds A\'s profile, the note and the merge', JSON.stringify(exported).slice(0, 500));

  // From the case view to the 360.
  await page.goto(`${args.url}/app/cases/${encodeURIComponent(args['case-id'])}`);
  await page.getByTestId('case-customer').click();
  await page.waitForURL((url) => url.pathname === `/app/customers/${idA}`);
  await page.getByTestId('customer-name').waitFor();
  check(await text(page.getByTestId('customer-name')) === profile.name, 'the case view\'s customer link opens that customer\'s 360');

  // Czech: no English catalogue text left on the 360.
  await timelineLoaded('');
  await checkSwitchToCzech(page, check, { screen: '360', atLeast: 20, settled: () => timelineLoaded('') });
  check(await text(page.locator('#computed-title')) === cs['computed.title'], 'the computed attributes are titled in Czech');
  await shoot(page, 'customer-360-cs');
  await page.getByTestId('language').selectOption('en');
  await page.getByRole('button', { name: en['auth.sign_out'] }).waitFor();

  // At phone width the 360 is one column that fits the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, 'at 390 px the 360 needs no sideways scrolling', `${overflow} px too wide`);
  await shoot(page, 'customer-360-phone');
  await page.setViewportSize({ width: 1280, height: 900 });

  // Erasing C: only once C's id is typed; then the API has no C.
  await openCustomer(idC);
  await page.getByTestId('erase').click();
  await page.getByTestId('confirm-text').waitFor();
  check(await page.evaluate(() => document.activeElement?.closest('dialog') !== null), 'the open dialog holds the focus');
  await page.keyboard.press('Escape');
  await page.getByTestId('confirm-dialog').waitFor({ state: 'detached' });
  check((await apiCall(page, 'GET', `/api/v1/customers/${idC}`)).status === 200, 'Escape cancels the erasure: C is still there');
  await page.getByTestId('erase').click();
  const confirm = page.getByTestId('confirm');
  check(await confirm.isDisabled(), 'erasing waits for the typed confirmation');
  await page.getByTestId('confirm-text').fill(idA);
  check(await confirm.isDisabled(), 'another customer\'s id does not confirm the erasure');
  await page.getByTestId('confirm-text').fill(idC);
  check(await confirm.isEnabled(), 'C\'s own id confirms it');
  await shoot(page, 'erase-confirm');
  await confirm.click();
  await page.getByTestId('erased').waitFor();
  const gone = await apiCall(page, 'GET', `/api/v1/customers/${idC}`);
  check(gone.status === 404, 'after the erasure the API has no C', `${gone.status} ${JSON.stringify(gone.body)}`);
  const searchedC = (await get(`/api/v1/customers?q=${encodeURIComponent(args.search)}`)).items.map((c) => c.id);
  check(!searchedC.includes(idC) && searchedC.includes(idA), 'and its search no longer finds C', searchedC.join(', '));
  await shoot(page, 'erased');

  // The analyst: contact data withheld, and none of the admin's buttons.
  // Signed in through A's URL: the inbox, where sign-in lands otherwise, asks for cases the analyst may not read.
  await page.getByTestId('sign-out').click();
  await page.getByTestId('signin-form').waitFor();
  await page.goto(`${args.url}/app/customers/${encodeURIComponent(idA)}`);
  await signIn(page, args.tenant, args['analyst-email'], args['analyst-password']);
  await page.waitForURL((url) => url.pathname === `/app/customers/${idA}`);
  await page.getByTestId('customer-name').waitFor();
  await timelineLoaded('');
  const seen = await get(`/api/v1/customers/${idA}`);
  check(seen.contact_data_redacted === true && seen.email == null && seen.phone == null,
    'the API withholds A\'s e-mail and phone from the analyst', JSON.stringify(seen));
  for (const testId of ['customer-email', 'customer-phone']) {
    const value = page.locator(`[data-testid=${testId}] [data-redacted=true]`);
    check(await value.count() === 1 && await text(value) === en['customer.redacted'], `the analyst sees ${testId} as withheld`,
      await text(page.getByTestId(testId)));
  }
  check(await page.getByTestId('redacted-notice').isVisible(), 'the screen says contact data is withheld');
  const html = await page.content();
  check(!html.includes(profile.email) && !html.includes(profile.phone), 'A\'s e-mail and phone are nowhere in the analyst\'s page');
  const absent = [];
  for (const testId of ['export', 'erase', 'merge-start', 'merge-undo', 'note-form', 'customer-cases']) {
    if (await page.getByTestId(testId).count() > 0) absent.push(testId);
  }
  check(absent.length === 0, 'the analyst has no export, erase, merge, undo, note or cases', absent.join(', '));
  await shoot(page, 'customer-360-analyst');
  await page.goto(`${args.url}/app/customers?q=${encodeURIComponent(args.search)}`);
  await listLoaded(args.search);
  const redactedInList = await page.locator(`[data-testid=customer-list] li[data-customer-id="${idA}"] [data-redacted=true]`).count();
  check(redactedInList === 2, 'the analyst\'s list shows A\'s e-mail and phone as withheld', redactedInList);

  check(dialogs.length === 0, 'no dialog opened', dialogs.join('\n'));
  check(violations.length === 0, 'the Content-Security-Policy reported no violation (export download included)', violations.join('\n'));
  check(problems.filter((problem) => !/status of 404/.test(problem)).length === 0,
    'no console errors (but the erased C\'s 404), page errors or requests to other servers', problems.join('\n'));

  await checkTheCspWatchWorks(page, violations, check);
} catch (error) {
  check(false, 'the browser session ran to its end', error.stack);
} finally {
  await browser.close();
}
finish();
