// A customer opens an invitation link in Czech in Debian's Chromium (driven by playwright-core), answers
// NPS 3 with a comment and completes the survey; opening the same link again says it was answered.
// Checks that the page loads nothing from other servers and violates no Content-Security-Policy.
// Run by tests/e2e/survey_browser.py:  node survey_page_test.mjs --url URL --comment TEXT
// Prints one JSON summary line: {"ok": true, ...}.
import { chromium } from 'playwright-core';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { url: { type: 'string' }, comment: { type: 'string' } } });
const checks = [];
const check = (condition, what, detail) => {
  checks.push({ ok: Boolean(condition), what, detail: condition ? undefined : detail });
  console.error(`${condition ? 'ok  ' : 'FAIL'} ${what}${condition ? '' : ` -- ${detail}`}`);
};

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const context = await browser.newContext({ locale: 'cs-CZ', viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const problems = [];
  const origin = new URL(args.url).origin;
  page.on('console', (message) => { if (message.type() === 'error') problems.push(`console: ${message.text()}`); });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) problems.push(`request to ${request.url()}`);
  });

  await page.goto(args.url);
  const title = page.getByText('Jak pravděpodobně byste nás doporučili?');
  await title.waitFor({ timeout: 15000 });
  check(await title.isVisible(), 'the NPS question is shown in Czech', await page.content());
  check((await page.locator('html').getAttribute('lang')) === 'cs', 'the page says it is in Czech');
  // The reason is asked of detractors only (visibleIf), so it appears once 3 is chosen.
  check((await page.locator('textarea').count()) === 0, 'no comment box before a score is chosen');
  await page.locator('.sd-rating__item-text[data-text="3"]').click();
  const comment = page.locator('textarea').first();
  await comment.waitFor({ timeout: 5000 });
  await comment.fill(args.comment);
  await page.waitForTimeout(1200);  // lets the page save the answers so far (PUT), as a respondent pausing would
  const complete = page.locator('.sd-navigation__complete-btn');
  check((await complete.inputValue().catch(() => complete.textContent())) !== 'Complete',
        'survey-core\'s own buttons are in Czech', await complete.inputValue().catch(() => ''));
  await complete.click();
  const thanks = page.locator('.sd-completedpage');
  await thanks.waitFor({ timeout: 10000 });
  const thanksText = await thanks.textContent();
  check(/Děkujeme/.test(thanksText), 'the thank-you page is in Czech', thanksText);

  check(problems.length === 0, 'no console errors, CSP violations or requests to other servers', problems.join('\n'));

  // Opening it again: the API's 409 is expected (Chromium logs it as a failed load), nothing else is.
  problems.length = 0;
  await page.goto(args.url);
  const again = page.locator('.tp-message');
  await again.waitFor({ timeout: 10000 });
  await page.waitForFunction(() => !/Loading/.test(document.querySelector('.tp-message').textContent));
  const againText = await again.textContent();
  check(/už byl vyplněn/.test(againText), 'the same link cannot answer twice (and says so in Czech)', againText);
  const unexpected = problems.filter((problem) => !/status of 409/.test(problem));
  check(unexpected.length === 0, 'nothing else goes wrong on the answered link', unexpected.join('\n'));
} catch (error) {
  check(false, 'the browser session ran to its end', error.stack);
} finally {
  await browser.close();
}
const ok = checks.every((entry) => entry.ok);
console.log(JSON.stringify({ ok, checks: checks.length, failed: checks.filter((entry) => !entry.ok) }));
process.exit(ok ? 0 : 1);
