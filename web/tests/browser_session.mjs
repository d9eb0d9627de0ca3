// What every browser test of the web app shares: its arguments, the catalogues, the checks and
// screenshots with the one JSON summary line, a page watched for CSP violations, dialogs, console and
// page errors and requests to other servers, and the proof that the CSP watch itself works.
import { chromium } from 'playwright-core';
import { parseArgs } from 'node:util';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const testArgs = (names) =>
  parseArgs({ options: Object.fromEntries(names.map((name) => [name, { type: 'string' }])) }).values;

const catalogueDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'app', 'src', 'i18n');
export const catalogue = (language) => JSON.parse(readFileSync(join(catalogueDir, `${language}.json`), 'utf8'));

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// Whether a shown text is one of the catalogue's texts, its {placeholders} filled in with anything.
export const fromCatalogue = (texts) => {
  const patterns = Object.values(texts).map((text) => new RegExp(`^${escape(text).replace(/\\\{\w+\\\}/g, '.+')}$`));
  return (shown) => patterns.some((pattern) => pattern.test(shown));
};

// check() records and prints one outcome; shoot() saves a numbered full-page screenshot into outDir;
// finish() prints the summary line and exits 0 only when every check held.
export function makeChecks(outDir) {
  const checks = [];
  const screenshots = [];
  mkdirSync(outDir, { recursive: true });
  const check = (condition, what, detail) => {
    checks.push({ ok: Boolean(condition), what, detail: condition ? undefined : String(detail) });
    console.error(`${condition ? 'ok  ' : 'FAIL'} ${what}${condition ? '' : ` -- ${detail}`}`);
  };
  const shoot = async (page, name) => {
    const path = join(outDir, `${String(screenshots.length + 1).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path, fullPage: true });
    screenshots.push(path);
  };
  const finish = () => {
    const ok = checks.every((entry) => entry.ok);
    console.log(JSON.stringify({ ok, checks: checks.length, screenshots, failed: checks.filter((entry) => !entry.ok) }));
    process.exit(ok ? 0 : 1);
  };
  return { check, shoot, finish };
}

export const launchChromium = () => chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });

// A page whose CSP violations (`violations`), dialogs (dismissed, `dialogs`) and console errors, page
// errors and requests leaving `origin` (`problems`) are collected. A 401 in the console is the app's
// expected answer to an ended session. Init scripts run outside the page's CSP; this one only reports,
// to here, across page loads.
export async function openWatchedPage(browser, origin, contextOptions) {
  const context = await browser.newContext(contextOptions);
  context.setDefaultTimeout(60000);  // the ASan build answers several times slower
  const violations = [];
  const dialogs = [];
  const problems = [];
  await context.exposeFunction('__reportViolation', (text) => violations.push(text));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) =>
      window.__reportViolation(`${event.violatedDirective} ${event.blockedURI} ${event.sample}`));
  });
  const page = await context.newPage();
  page.on('dialog', async (dialog) => { dialogs.push(`${dialog.type()}: ${dialog.message()}`); await dialog.dismiss(); });
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 401/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) problems.push(`request to ${url}`);
  });
  return { context, page, violations, dialogs, problems };
}

// The API asked by the test itself through the page's session (the CSRF cookie echoed, as the app does):
// {status, body}, body null when there is none.
export const apiCall = (page, method, path, body) => page.evaluate(async ({ method, path, body }) => {
  const csrf = document.cookie.split('; ').find((part) => part.startsWith('tp_csrf='))?.slice('tp_csrf='.length) ?? '';
  const response = await fetch(path, {
    method, headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': decodeURIComponent(csrf) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}, { method, path, body });

// The watch itself works: markup inserted as HTML here (as an innerHTML bug would) is stopped by the
// CSP and reported, and its handler does not run.
export async function checkTheCspWatchWorks(page, violations, check) {
  await page.evaluate(() => {
    document.body.insertAdjacentHTML('beforeend', '<img src="/app/x.png" onerror="window.__ran = true">');
  });
  await page.waitForFunction(() => document.readyState === 'complete');
  for (let wait = 0; wait < 50 && violations.length === 0; wait += 1) await page.waitForTimeout(100);
  check(violations.length > 0 && !(await page.evaluate(() => window.__ran)),
    'an inline handler put in as HTML is blocked and reported (the watch works)', violations.join('\n'));
}

// The texts the app itself shows (catalogue texts), not the data in it: text nodes outside [data-user],
// and placeholders.
export const chromeTexts = (page) => page.evaluate(() => {
  const texts = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.nodeValue.trim();
    if (!text || node.parentElement.closest('[data-user], script, style')) continue;
    const element = node.parentElement;
    if (element.closest('option, .visually-hidden') || element.getClientRects().length > 0) texts.add(text);
  }
  for (const element of document.querySelectorAll('[placeholder]')) texts.add(element.getAttribute('placeholder'));
  return [...texts];
});

// Signs in through the form (in English) and waits for the signed-in app.
export async function signIn(page, tenant, email, password) {
  await page.getByTestId('signin-form').waitFor();
  await page.locator('input[name=tenant]').fill(tenant);
  await page.locator('input[name=email]').fill(email);
  await page.locator('input[name=password]').fill(password);
  await page.getByRole('button', { name: catalogue('en')['auth.sign_in'] }).click();
  await page.getByTestId('sign-out').waitFor();
}

// Switches the app to Czech and checks that the screen showed at least `atLeast` catalogue texts,
// that none of them is left in English and that every text it shows is a Czech catalogue text.
// `settled` waits for whatever the screen reloads after the switch.
export async function checkSwitchToCzech(page, check, { screen, atLeast, settled = async () => {} }) {
  const en = catalogue('en');
  const cs = catalogue('cs');
  const translatable = Object.keys(en).filter((key) => en[key] !== cs[key] && !/\{\w+\}/.test(en[key]));
  const before = new Set(await chromeTexts(page));
  const shownKeys = translatable.filter((key) => before.has(en[key]));
  await page.getByTestId('language').selectOption('cs');
  await page.getByRole('button', { name: cs['auth.sign_out'] }).waitFor();
  await settled();
  const after = await chromeTexts(page);
  const stillEnglish = translatable.filter((key) => after.includes(en[key]));
  const isCzech = fromCatalogue(cs);
  const untranslated = after.filter((shown) => !isCzech(shown) && /[a-z]{4}/i.test(shown));
  check(shownKeys.length >= atLeast, `the ${screen} shows many catalogue texts`, shownKeys.length);
  check(stillEnglish.length === 0, 'no English text is left after switching to Czech', stillEnglish.map((key) => en[key]).join(' | '));
  check(untranslated.length === 0, `every text of the ${screen} comes from the Czech catalogue`, untranslated.join(' | '));
}
