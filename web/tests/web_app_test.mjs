// The web app (/app) as an agent meets it, in Debian's Chromium driven by playwright-core:
//   a wrong password shows the server's message; sign-in; the inbox (views, j/k/Enter, / and search);
//   the case whose subject and customer name hold <script> and <img onerror> shows them as text; a reply
//   draft survives the session ending (cookies dropped, the next write is 401, sign-in again, back on the
//   case with the draft); a macro is previewed and applied; the draft is sent; the language switch to
//   Czech replaces every visible English text of the catalogue and is remembered; the inbox at phone
//   width; sign-out; an account with TOTP signs in through the code step (a wrong code first). Throughout: no dialog, no CSP violation, no script of the payloads ran, nothing
//   loaded from another origin, no console error but the expected 401s.
// Run by tests/e2e/web_app_browser.py, which prepares the data and checks the result through the API:
//   node web_app_test.mjs --url URL --tenant T --email E --password P --wrong-message M --case-id ID
//        --subject S --customer NAME --search WORD --macro NAME --macro-text TEXT --draft TEXT --out DIR
//        --totp-email E --totp-password P --totp-secret BASE32
// Prints one JSON summary line: {"ok": true, ...}.
import { createHmac } from 'node:crypto';
import { catalogue, checkTheCspWatchWorks, chromeTexts, launchChromium, makeChecks, openWatchedPage, testArgs }
  from './browser_session.mjs';

const args = testArgs(['url', 'tenant', 'email', 'password', 'wrong-message', 'case-id', 'subject', 'customer', 'search',
  'macro', 'macro-text', 'draft', 'out', 'totp-email', 'totp-password', 'totp-secret']);
const en = catalogue('en');
const cs = catalogue('cs');

// RFC 6238 as touchpoint checks it (HMAC-SHA-1, 6 digits, 30 s), for the step after now: the step of
// enrolment is used up, and the server accepts one step of drift.
function nextTotpCode(secretBase32) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of secretBase32.replace(/=+$/, '')) bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + 1));
  const digest = createHmac('sha1', key).update(counter).digest();
  const offset = digest[digest.length - 1] & 0x0f;
  return String((digest.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, '0');
}

const { check, shoot, finish } = makeChecks(args.out);

const browser = await launchChromium();
const origin = new URL(args.url).origin;
try {
  const { context, page, violations: seenViolations, dialogs, problems } =
    await openWatchedPage(browser, origin, { locale: 'en-GB', viewport: { width: 1280, height: 860 } });

  // Sign-in, with a wrong password first.
  const caseUrl = `${args.url}/app/cases/${encodeURIComponent(args['case-id'])}`;
  await page.goto(`${args.url}/app/inbox`);
  const form = page.getByTestId('signin-form');
  await form.waitFor();
  check(new URL(page.url()).pathname === '/app/signin', 'an unsigned visitor is taken to sign-in', page.url());
  await shoot(page, 'sign-in');
  await page.locator('input[name=tenant]').fill(args.tenant);
  await page.locator('input[name=email]').fill(args.email);
  await page.locator('input[name=password]').fill(`${args.password}-wrong`);
  await page.getByRole('button', { name: en['auth.sign_in'] }).click();
  const signinError = page.getByTestId('signin-error');
  await signinError.waitFor();
  check((await signinError.textContent()) === args['wrong-message'], 'a wrong password shows the server\'s message',
    await signinError.textContent());
  await shoot(page, 'sign-in-wrong-password');
  await page.locator('input[name=password]').fill(args.password);
  await page.getByRole('button', { name: en['auth.sign_in'] }).click();

  // The inbox: the agent's own cases, the hostile case among them, shown as text.
  const list = page.getByTestId('case-list');
  const listFor = (key) => page.locator(`[data-testid=case-list][data-loaded="${key}"]`);
  await list.waitFor();
  check(new URL(page.url()).pathname === '/app/inbox', 'after sign-in the inbox it asked for opens', page.url());
  const row = list.locator('li', { hasText: args.subject });
  await row.waitFor();
  check((await row.locator('.subject').textContent()) === args.subject, 'the subject with <script> and <img> is shown as text',
    await row.locator('.subject').textContent());
  await row.locator('.customer', { hasText: args.customer }).waitFor();
  check((await row.locator('.customer').textContent()) === args.customer, 'the customer name with markup is shown as text');
  check((await list.locator('script, img').count()) === 0, 'no element was made of the names');
  await shoot(page, 'inbox');

  // Keyboard: j moves down, k up, / goes to search, Enter opens.
  const selectedIndex = () => list.locator('li').evaluateAll((items) => items.findIndex((item) => item.getAttribute('aria-selected') === 'true'));
  // The app renders after the key event; give it a moment (not a fixed sleep) before reading.
  const selectionAfter = async (expected) => {
    for (let wait = 0; wait < 50 && (await selectedIndex()) !== expected; wait += 1) await page.waitForTimeout(100);
    return selectedIndex();
  };
  const rows = await list.locator('li').count();
  check((await selectedIndex()) === 0, 'the first case is selected');
  if (rows > 1) {
    await page.keyboard.press('j');
    const down = await selectionAfter(1);
    check(down === 1, 'j selects the next case', down);
    await page.keyboard.press('k');
    const up = await selectionAfter(0);
    check(up === 0, 'k selects the previous case', up);
  }
  await page.keyboard.press('/');
  check(await page.getByTestId('search').evaluate((element) => element === document.activeElement), '/ goes to the search box');
  await page.getByTestId('search').fill(args.search);
  await page.keyboard.press('Enter');
  await listFor(`q:${args.search}`).locator('li', { hasText: args.subject }).waitFor();
  check(true, 'search finds the case by a word of its subject');
  await page.getByTestId('view-all').click();
  await listFor('all').waitFor();
  check((await listFor('all').locator('li').count()) >= rows, 'the all view lists at least the agent\'s own cases');
  await page.getByTestId('view-mine').click();
  const mine = listFor('mine').locator('li');
  await mine.first().waitFor();
  await page.evaluate(() => document.activeElement?.blur());  // Enter on the focused tab would press it
  const hostileIndex = await mine.evaluateAll((items, subject) =>
    items.findIndex((item) => item.querySelector('.subject').textContent === subject), args.subject);
  for (let step = 0; step < hostileIndex; step += 1) await page.keyboard.press('j');
  await page.waitForFunction((index) => document.querySelectorAll('[data-testid=case-list] li')[index]
    ?.getAttribute('aria-selected') === 'true', hostileIndex);
  await page.keyboard.press('Enter');

  // The case view.
  await page.waitForURL(caseUrl);
  const subject = page.getByTestId('case-subject');
  await subject.waitFor();
  check((await subject.textContent()) === args.subject, 'Enter opens the selected case; its subject is text');
  await page.getByTestId('case-customer').filter({ hasText: args.customer }).waitFor();
  check(true, 'the case shows the customer name as text');
  const timeline = page.getByTestId('timeline');
  const customerMessage = timeline.locator('.message.kind-customer').first();
  await customerMessage.waitFor();
  check((await customerMessage.locator('.body b').count()) === 1, 'the customer\'s HTML message shows the sanitised rendering (bold kept)');
  check((await timeline.locator('script, [onerror], iframe').count()) === 0, 'nothing executable is in the conversation');
  await shoot(page, 'case');

  // A draft survives the session ending.
  await page.getByTestId('composer-text').fill(args.draft);
  await context.clearCookies();
  await page.getByTestId('priority').selectOption('urgent');
  await form.waitFor();
  check(new URL(page.url()).pathname === '/app/signin', 'a 401 takes the agent to sign-in', page.url());
  check(new URL(page.url()).searchParams.get('next') === new URL(caseUrl).pathname, 'sign-in knows where to come back to', page.url());
  await shoot(page, 'session-expired');
  await page.locator('input[name=email]').fill(args.email);
  await page.locator('input[name=password]').fill(args.password);
  await page.getByRole('button', { name: en['auth.sign_in'] }).click();
  await page.waitForURL(caseUrl);
  await subject.waitFor();
  check((await page.getByTestId('composer-text').inputValue()) === args.draft, 'back on the case, the typed draft is still there',
    await page.getByTestId('composer-text').inputValue());

  // A macro: preview, apply; the reply is in the conversation and the status is the macro's.
  const messagesBefore = await timeline.locator('.message').count();
  await page.getByTestId('macro').selectOption({ label: args.macro });
  const preview = page.getByTestId('macro-preview');
  await preview.waitFor();
  check((await page.getByTestId('macro-body').textContent()).includes(args['macro-text']),
    'the macro preview fills in its placeholders', await page.getByTestId('macro-body').textContent());
  await shoot(page, 'macro-preview');
  await page.getByTestId('macro-apply').click();
  await timeline.locator('.message.kind-reply', { hasText: args['macro-text'] }).waitFor();
  check((await timeline.locator('.message').count()) === messagesBefore + 1, 'applying the macro adds its reply to the conversation');
  check((await page.getByTestId('status').inputValue()) === 'pending', 'and sets the macro\'s status', await page.getByTestId('status').inputValue());
  check((await timeline.locator('.change').count()) > 0, 'the history of changes is in the timeline');

  // The draft goes out as a reply.
  await page.getByTestId('send').click();
  await timeline.locator('.message.kind-reply', { hasText: args.draft }).waitFor();
  check((await page.getByTestId('composer-text').inputValue()) === '', 'the sent draft leaves the box');
  check((await page.evaluate(() => Object.keys(sessionStorage).filter((key) => key.startsWith('tp.draft.')).length)) === 0,
    'and sessionStorage');
  await shoot(page, 'case-replied');

  // Czech: every English catalogue text on the screen is replaced by its Czech one.
  const translatable = Object.keys(en).filter((key) => en[key] !== cs[key] && !/\{\w+\}/.test(en[key]));
  const before = new Set(await chromeTexts(page));
  const shownKeys = translatable.filter((key) => before.has(en[key]));
  await page.getByTestId('language').selectOption('cs');
  await page.getByRole('button', { name: cs['auth.sign_out'] }).waitFor();
  const after = new Set(await chromeTexts(page));
  const stillEnglish = translatable.filter((key) => after.has(en[key]));
  const notCzech = shownKeys.filter((key) => !after.has(cs[key]));
  check(shownKeys.length >= 15, 'the case screen shows many catalogue texts', shownKeys.length);
  check(stillEnglish.length === 0, 'no English text is left after switching to Czech', stillEnglish.map((key) => en[key]).join(' | '));
  check(notCzech.length === 0, 'each text shown in English is now shown in Czech', notCzech.join(', '));
  const untranslated = [...after].filter((text) => !Object.values(cs).includes(text) && /[a-z]{4}/i.test(text));
  check(untranslated.length === 0, 'every text of the app on the screen comes from the Czech catalogue', untranslated.join(' | '));
  check((await page.locator('html').getAttribute('lang')) === 'cs', 'the page says it is Czech');
  await shoot(page, 'case-cs');
  await page.reload();
  await subject.waitFor();
  check((await page.getByTestId('language').inputValue()) === 'cs', 'the chosen language is remembered');

  // Phone width: the inbox in one column, nothing wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${args.url}/app/inbox?view=mine`);
  await list.waitFor();
  await list.locator('li').first().waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, 'the inbox fits a phone\'s width', `${overflow}px too wide`);
  await shoot(page, 'inbox-phone');

  // Sign-out: back to sign-in, and the app does not open again without signing in.
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.getByTestId('sign-out').click();
  await form.waitFor();
  await shoot(page, 'signed-out');
  await page.goto(`${args.url}/app/inbox`);
  await form.waitFor();
  // The form shows as soon as the app knows there is no session; moving to /app/signin follows a render later.
  await page.waitForURL((url) => url.pathname === '/app/signin', { timeout: 10000 }).catch(() => undefined);
  check(new URL(page.url()).pathname === '/app/signin', 'after sign-out the inbox asks for sign-in again', page.url());

  // An account with a second factor: the code is asked for after the password; a wrong one is refused
  // with the server's message. (The language is still Czech: the texts come from its catalogue.)
  await page.locator('input[name=email]').fill(args['totp-email']);
  await page.locator('input[name=password]').fill(args['totp-password']);
  await page.getByRole('button', { name: cs['auth.sign_in'] }).click();
  const codeBox = page.locator('input[name=totp_code]');
  await codeBox.waitFor();
  check((await page.locator('h1').textContent()) === cs['auth.totp_title'], 'the TOTP step follows the password');
  await codeBox.fill('000000');
  await page.getByRole('button', { name: cs['auth.verify'] }).click();
  await signinError.waitFor();
  check((await signinError.textContent()).length > 0, 'a wrong code is refused with the server\'s message', await signinError.textContent());
  await shoot(page, 'sign-in-totp');
  await codeBox.fill(nextTotpCode(args['totp-secret']));
  await page.getByRole('button', { name: cs['auth.verify'] }).click();
  await page.getByTestId('sign-out').waitFor();  // the manager's own view may be empty: no list then
  check(new URL(page.url()).pathname === '/app/inbox', 'the right code signs in', page.url());
  await page.getByTestId('sign-out').click();
  await form.waitFor();

  check(dialogs.length === 0, 'no dialog opened (no payload ran)', dialogs.join('\n'));
  check(seenViolations.length === 0, 'the Content-Security-Policy reported no violation', seenViolations.join('\n'));
  check(problems.length === 0, 'no console errors, page errors or requests to other servers', problems.join('\n'));

  await checkTheCspWatchWorks(page, seenViolations, check);
} catch (error) {
  check(false, 'the browser session ran to its end', error.stack);
} finally {
  await browser.close();
}
finish();
