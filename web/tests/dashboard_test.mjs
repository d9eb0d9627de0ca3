// The CX dashboard (/app/dashboard) in Debian's Chromium driven by playwright-core, as the demo manager
// (analytics:read and feedback:read) and then the demo agent (neither):
//   the dashboard's NPS, interval and n, overall and per touchpoint, are the API's for the same query
//   (asked here through the same session), in en-GB and then in Czech number formats; the URL holds
//   the view and a reload restores it; a filter added through the screen goes into the URL and the
//   numbers follow; a drill-down lists exactly the n responses behind a number the response list can
//   filter (the window's, and a heatmap month's in Europe/Prague), and says so for one it cannot; the CSV download is the API's answer; metric and bucket
//   pickers; the language switch leaves no English catalogue text; the agent has no dashboard link
//   and is told so at the URL. No CSP violation, no dialog, no console error, nothing from elsewhere.
// Run by tests/e2e/dashboard_browser.py:
//   node dashboard_test.mjs --url URL --tenant T --email E --password P --agent-email E --agent-password P --out DIR
// Prints one JSON summary line: {"ok": true, ...}.
import { readFileSync } from 'node:fs';
import { apiCall, catalogue, checkSwitchToCzech, checkTheCspWatchWorks, launchChromium, makeChecks, openWatchedPage, testArgs }
  from './browser_session.mjs';

const args = testArgs(['url', 'tenant', 'email', 'password', 'agent-email', 'agent-password', 'out']);
const en = catalogue('en');
const { check, shoot, finish } = makeChecks(args.out);

// The dashboard's formats (web/app/src/dashboard/format.ts), for the expected texts.
const digits = { nps: 1, csat: 1, ces: 2, response_count: 0 };
const formatValue = (value, metric, locale) => {
  if (value === null || value === undefined) return '—';
  const options = { minimumFractionDigits: digits[metric], maximumFractionDigits: digits[metric] };
  return metric === 'csat'
    ? new Intl.NumberFormat(locale, { ...options, style: 'percent' }).format(value / 100)
    : new Intl.NumberFormat(locale, options).format(value);
};
const formatInterval = (interval, metric, locale) =>
  interval ? `${formatValue(interval.low, metric, locale)} – ${formatValue(interval.high, metric, locale)}` : '—';

const browser = await launchChromium();
const origin = new URL(args.url).origin;
try {
  const { page, violations: seenViolations, dialogs, problems } = await openWatchedPage(browser, origin,
    { locale: 'en-GB', timezoneId: 'Europe/Prague', viewport: { width: 1280, height: 900 }, acceptDownloads: true });

  // The API, asked by this test through the browser's session (the CSRF cookie echoed, as the app does).
  const query = (body) => apiCall(page, 'POST', '/api/v1/analytics/query', body);
  const loaded = () => page.waitForFunction(() =>
    document.querySelector('[data-testid=dashboard]')?.getAttribute('data-loaded') === location.search);
  const text = async (locator) => (await locator.textContent())?.trim();
  const params = () => new URL(page.url()).searchParams;

  // Compares the headline and every breakdown row with the API's answer.
  const compareWithApi = async (body, locale, what) => {
    const answer = await query(body);
    check(answer.status === 200, `${what}: the API answers the same query`, JSON.stringify(answer.body));
    const { total, groups } = answer.body;
    const metric = body.metric;
    const shownValue = await text(page.getByTestId('headline-value'));
    const shownInterval = await text(page.getByTestId('headline-interval'));
    check(shownValue === formatValue(total.value, metric, locale), `${what}: the headline value is the API's`,
      `${shownValue} vs ${total.value}`);
    check(shownInterval === formatInterval(total.interval, metric, locale), `${what}: the headline interval is the API's`,
      `${shownInterval} vs ${JSON.stringify(total.interval)}`);
    const n = new Intl.NumberFormat(locale).format(total.n);
    check((await text(page.getByTestId('headline-n'))).endsWith(` ${n}`), `${what}: the headline n is the API's`, n);
    const rows = page.getByTestId('breakdown-row');
    check((await rows.count()) === groups.length, `${what}: one breakdown row per group of the API`,
      `${await rows.count()} vs ${groups.length}`);
    const group = body.group_by[0];
    const mismatched = [];
    for (const expected of groups) {
      const row = page.locator(`[data-testid=breakdown-row][data-key="${expected.keys[group].replace(/"/g, '\\"')}"]`);
      const value = await text(row.getByTestId('cell-value'));
      const interval = await text(row.getByTestId('cell-interval'));
      const count = await text(row.getByTestId('cell-n'));
      if (value !== formatValue(expected.value, metric, locale) || interval !== formatInterval(expected.interval, metric, locale)
        || count !== new Intl.NumberFormat(locale).format(expected.n)) {
        mismatched.push(`${expected.keys[group]}: ${value} ${interval} ${count} vs ${JSON.stringify(expected)}`);
      }
    }
    check(mismatched.length === 0, `${what}: every breakdown row has the API's n, value and interval`, mismatched.join('\n'));
    if (body.compare) {
      const change = answer.body.change;
      const shownChange = await text(page.getByTestId('headline-change'));
      const expectedChange = change ? new Intl.NumberFormat(locale, { minimumFractionDigits: digits[metric],
        maximumFractionDigits: digits[metric], signDisplay: 'exceptZero' }).format(change.difference) : '—';
      check(shownChange === expectedChange, `${what}: the change against the previous period is the API's`,
        `${shownChange} vs ${JSON.stringify(change)}`);
    }
    return answer.body;
  };

  // Sign-in as the manager, straight to a shared dashboard URL.
  const view = '?metric=nps&group=touchpoint&bucket=month&days=365&compare=previous_period&tz=UTC';
  await page.goto(`${args.url}/app/dashboard${view}`);
  await page.getByTestId('signin-form').waitFor();
  await page.locator('input[name=tenant]').fill(args.tenant);
  await page.locator('input[name=email]').fill(args.email);
  await page.locator('input[name=password]').fill(args.password);
  await page.getByRole('button', { name: en['auth.sign_in'] }).click();
  await page.waitForURL((url) => url.pathname === '/app/dashboard');
  await loaded();
  check(page.url().endsWith(`/app/dashboard${view}`), 'after sign-in the shared dashboard URL opens as it was', page.url());
  check(await page.getByTestId('nav-dashboard').isVisible(), 'the manager has the dashboard link');
  const npsBody = { metric: 'nps', group_by: ['touchpoint'], time: { last_days: 365 }, time_zone: 'UTC', compare: 'previous_period' };
  const nps = await compareWithApi(npsBody, 'en-GB', 'NPS by touchpoint, 365 days');
  check(nps.total.n > 0 && nps.groups.length > 1, 'the demo data has NPS responses at several touchpoints', JSON.stringify(nps.total));
  check((await page.getByTestId('headline-significance').count()) === 1, 'the headline says whether the change is significant');
  const trend = await query({ metric: 'nps', bucket: 'month', time: { last_days: 365 }, time_zone: 'UTC' });
  check((await page.locator('[data-testid=trend-table] tbody tr').count()) === trend.body.groups.length,
    'the trend has one row per month of the API', trend.body.groups.length);
  check((await page.locator('[data-testid=trend-chart] circle').count()) === trend.body.groups.filter((g) => g.value !== null).length
    && (await page.locator('[data-testid=trend-chart] .band').count()) > 0, 'the chart draws a point per month and the confidence band');
  const heat = await query({ metric: 'nps', group_by: ['touchpoint'], bucket: 'month', time: { last_days: 365 }, time_zone: 'UTC' });
  check((await page.getByTestId('heat-value').count()) === heat.body.groups.length, 'the heatmap has a cell per touchpoint and month of the API',
    `${await page.getByTestId('heat-value').count()} vs ${heat.body.groups.length}`);
  await shoot(page, 'dashboard-nps');

  // A reload restores the view from the URL.
  await page.reload();
  await loaded();
  check(page.url().endsWith(`/app/dashboard${view}`), 'a reload keeps the URL');
  await compareWithApi(npsBody, 'en-GB', 'after a reload');

  // A filter added on the screen: into the URL, the numbers follow, a reload keeps it.
  const fewest = [...nps.groups].filter((g) => g.keys.touchpoint !== '').sort((a, b) => a.n - b.n)[0].keys.touchpoint;
  await page.getByTestId('filter-dimension').selectOption('touchpoint');
  const values = page.getByTestId('filter-values');
  await values.waitFor();
  await values.locator('label', { hasText: fewest }).locator('input').check();
  await page.getByTestId('filter-apply').click();
  await page.waitForURL((url) => url.searchParams.get('touchpoint') === fewest);
  await loaded();
  const filtered = { ...npsBody, filters: [{ field: 'touchpoint', equals: fewest }] };
  const one = await compareWithApi(filtered, 'en-GB', `filtered to touchpoint ${fewest}`);
  await page.reload();
  await loaded();
  check(params().get('touchpoint') === fewest && (await page.locator('[data-testid=filter-chips] li').count()) === 1,
    'a reload keeps the filter', page.url());
  await compareWithApi(filtered, 'en-GB', 'the filtered view after a reload');
  await shoot(page, 'dashboard-filtered');

  // Drill-down: the headline of one touchpoint lists exactly its n responses; a segment cannot be listed.
  await page.getByTestId('headline-value').click();
  const count = page.getByTestId('drill-count');
  await count.waitFor();
  while ((await count.getAttribute('data-complete')) !== 'true') {
    const before = await count.getAttribute('data-count');
    await page.getByTestId('drill-more').click();
    await page.waitForFunction((n) => document.querySelector('[data-testid=drill-count]')?.getAttribute('data-count') !== n, before);
  }
  const listed = Number(await count.getAttribute('data-count'));
  check(listed === one.total.n, 'the drill-down lists exactly the n responses behind the number', `${listed} vs ${one.total.n}`);
  const touchpoints = await page.locator('[data-testid=drill-list] li').evaluateAll((items) =>
    items.map((item) => item.querySelectorAll('[data-user]')[1]?.textContent));
  check(touchpoints.every((name) => name === fewest), 'every listed response is of that touchpoint', touchpoints.join(', '));
  await shoot(page, 'dashboard-drill-down');
  await page.getByTestId('drill-close').click();

  // A heatmap cell in Prague time: the month's bounds are computed in that zone, and its drill-down
  // lists exactly the n the engine counted for that month there.
  await page.goto(page.url().replace('tz=UTC', 'tz=Europe%2FPrague'));
  await loaded();
  const pragueCells = (await query({ metric: 'nps', group_by: ['touchpoint'], bucket: 'month', time: { last_days: 365 },
    time_zone: 'Europe/Prague', filters: [{ field: 'touchpoint', equals: fewest }] })).body.groups;
  const biggest = [...pragueCells].sort((a, b) => b.n - a.n)[0];
  await page.locator(`[data-testid=heatmap-table] tr[data-key="${fewest}"] td[data-month="${biggest.keys.month}"] button`).click();
  await page.waitForFunction(() => document.querySelector('[data-testid=drill-count]')?.getAttribute('data-complete') === 'true');
  const inMonth = Number(await count.getAttribute('data-count'));
  check(inMonth === biggest.n, `a heatmap cell (${biggest.keys.month}, Europe/Prague) lists exactly its n responses`,
    `${inMonth} vs ${biggest.n}`);
  await page.goto(page.url().replace('tz=Europe%2FPrague', 'tz=UTC'));  // the API queries below are in UTC
  await loaded();
  await page.locator('[data-testid=group] button[data-value=segment]').click();
  await page.waitForURL((url) => url.searchParams.get('group') === 'segment');
  await loaded();
  await page.getByTestId('breakdown-row').first().getByTestId('cell-n').click();
  await page.getByTestId('drill-unsupported').waitFor();
  check((await text(page.getByTestId('drill-unsupported'))).includes(en['dashboard.dimension_segment']),
    'a number by segment says the response list cannot filter by segment');

  // CSV of the breakdown: the API's answer, row for row.
  const segmentBody = { ...filtered, group_by: ['segment'] };
  const segments = (await query(segmentBody)).body;
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('breakdown-csv').click()]);
  const csv = readFileSync(await download.path(), 'utf8').trim().split('\r\n').map((line) => line.split(','));
  const header = csv[0];
  check(header[0] === 'row' && header[1] === 'segment' && header.includes('value') && header.includes('p_value'),
    'the CSV names its columns', header.join(','));
  check(csv.length === segments.groups.length + 2, 'the CSV has a row per group and the total', csv.length);
  const valueAt = header.indexOf('value');
  const csvMatches = segments.groups.every((group, index) => csv[index + 1][1] === group.keys.segment
    && Number(csv[index + 1][valueAt]) === group.value);
  check(csvMatches && Number(csv[csv.length - 1][valueAt]) === segments.total.value, 'the CSV values are the API\'s',
    JSON.stringify(csv));
  check(download.suggestedFilename().endsWith('.csv'), 'the download is a .csv file', download.suggestedFilename());
  await page.getByTestId('drill-close').click();

  // Without the filter, CSAT by week over 90 days, chosen on the screen.
  await page.locator('[data-testid=filter-chips] li button.remove').click();
  await page.waitForURL((url) => !url.searchParams.has('touchpoint'));
  await page.locator('[data-testid=metric] button[data-value=csat]').click();
  await page.waitForURL((url) => url.searchParams.get('metric') === 'csat');
  await page.getByTestId('window').selectOption('90');
  await page.waitForURL((url) => url.searchParams.get('days') === '90');
  await page.getByTestId('bucket').selectOption('week');
  await page.waitForURL((url) => url.searchParams.get('bucket') === 'week');
  await page.locator('[data-testid=group] button[data-value=touchpoint]').click();
  await page.waitForURL((url) => url.searchParams.get('group') === 'touchpoint');
  await loaded();
  const csatBody = { metric: 'csat', group_by: ['touchpoint'], time: { last_days: 90 }, time_zone: 'UTC', compare: 'previous_period' };
  await compareWithApi(csatBody, 'en-GB', 'CSAT by touchpoint, 90 days');
  const weeks = await query({ metric: 'csat', bucket: 'week', time: { last_days: 90 }, time_zone: 'UTC' });
  check((await page.locator('[data-testid=trend-table] tbody tr').count()) === weeks.body.groups.length,
    'the trend by week has one row per week of the API', weeks.body.groups.length);
  await shoot(page, 'dashboard-csat-weeks');
  await page.reload();
  await loaded();
  check(params().get('metric') === 'csat' && params().get('bucket') === 'week' && params().get('days') === '90'
    && (await page.locator('[data-testid=metric] button[aria-pressed=true]').getAttribute('data-value')) === 'csat'
    && (await page.getByTestId('bucket').inputValue()) === 'week', 'a reload restores metric, window and bucket');

  // Czech: no English catalogue text left, numbers in Czech format and still the API's.
  await page.locator('[data-testid=metric] button[data-value=nps]').click();
  await loaded();
  await checkSwitchToCzech(page, check, { screen: 'dashboard', atLeast: 20 });
  await compareWithApi({ ...csatBody, metric: 'nps' }, 'cs', 'in Czech');
  check((await text(page.getByTestId('headline-value'))).includes(','), 'Czech numbers have a decimal comma',
    await text(page.getByTestId('headline-value')));
  await shoot(page, 'dashboard-cs');
  await page.getByTestId('language').selectOption('en');

  // The agent (no analytics:read): no link, and the URL says why instead of showing numbers.
  await page.getByTestId('sign-out').click();
  await page.getByTestId('signin-form').waitFor();
  await page.locator('input[name=email]').fill(args['agent-email']);
  await page.locator('input[name=password]').fill(args['agent-password']);
  await page.getByRole('button', { name: en['auth.sign_in'] }).click();
  await page.getByTestId('sign-out').waitFor();
  check((await page.getByTestId('nav-dashboard').count()) === 0, 'the agent has no dashboard link');
  await page.goto(`${args.url}/app/dashboard`);
  await page.getByTestId('dashboard-forbidden').waitFor();
  check((await page.getByTestId('headline').count()) === 0, 'the agent sees no numbers at the dashboard URL');
  check((await query({ metric: 'nps' })).status === 403, 'and the API refuses the agent the query too');
  await shoot(page, 'dashboard-agent');

  check(dialogs.length === 0, 'no dialog opened', dialogs.join('\n'));
  check(seenViolations.length === 0, 'the Content-Security-Policy reported no violation (SVG chart, CSV download)',
    seenViolations.join('\n'));
  check(problems.filter((problem) => !/status of 403/.test(problem)).length === 0,
    'no console errors (but the agent\'s refused query), page errors or requests to other servers', problems.join('\n'));

  await checkTheCspWatchWorks(page, seenViolations, check);
} catch (error) {
  check(false, 'the browser session ran to its end', error.stack);
} finally {
  await browser.close();
}
finish();
