// Completes a whole participant survey in headless Chromium with JavaScript disabled in the
// page, as a cheap phone without script would, and checks every kind of screen on the way.
//
// Usage: node survey.mjs BASE_URL TOKEN OUTDIR [closed=TOKEN] [decline=TOKEN]
//
//   TOKEN           a fresh invitation of a follow-up wave (consent not yet given)
//   closed=TOKEN    an invitation whose window has closed
//   decline=TOKEN   a fresh invitation to decline (and then reconsider)
//
// Prints one JSON object on standard output: what each screen looked like (axe-core
// violations, font size, tap targets, page width) and what the flow saw (statuses, values
// shown back). It asserts nothing itself: tests/it/browser.rs does, so that a failure names
// the screen in the Rust test's message.
//
// How axe runs although the survey page has no script: axe-core needs timers, which Chromium
// does not run in a page whose script execution is disabled (not even for code evaluated
// through DevTools). So every screen is checked as follows: the survey page (JavaScript off)
// hands its current DOM (`page.content()`) to a second page in a JavaScript-enabled context
// with the same viewport, which shows that markup on the same origin (so the same stylesheet
// and policy apply) and runs axe-core there. The markup checked is exactly what the participant
// got, including the answers and errors of a POST that cannot be fetched again; the size
// checks run in the survey page itself.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const [baseUrl, token, outdir, ...extra] = process.argv.slice(2);
if (!baseUrl || !token || !outdir) {
  console.error('usage: node survey.mjs BASE_URL TOKEN OUTDIR [closed=TOKEN] [decline=TOKEN]');
  process.exit(2);
}
const extras = Object.fromEntries(extra.map((arg) => arg.split('=', 2)));

const WIDTH = 360;
const HEIGHT = 640;

/// What one screen looked like.
const screens = [];
/// What the flow observed, for the Rust test to assert.
const flow = {};

/// The JavaScript-enabled page axe-core runs in (see the top of this file).
let axePage;

async function axe(page) {
  const html = await page.content();
  // Any page of the server gives the origin; the not-found page is the cheapest.
  await axePage.goto(new URL('/s/AAAAAAAAAAAAAAAAAAAAAAAA', baseUrl).href, { waitUntil: 'load' });
  await axePage.setContent(html, { waitUntil: 'load' });
  await axePage.evaluate(AXE_SOURCE);
  const result = await axePage.evaluate(async () => {
    // The 2.x WCAG rules plus best practices; colour contrast included.
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
  return result;
}

async function styles(page) {
  return page.evaluate((width) => {
    const px = (el, prop) => parseFloat(getComputedStyle(el)[prop]);
    const visible = (el) => {
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
    };
    const describe = (el) => {
      const id = el.id ? `#${el.id}` : '';
      const name = el.getAttribute('name') ? `[name=${el.getAttribute('name')}]` : '';
      const text = (el.textContent || '').trim().slice(0, 30);
      return `${el.tagName.toLowerCase()}${id}${name}${text ? ` "${text}"` : ''}`;
    };
    // A radio button or checkbox is tapped through the label around it: that label is its
    // tap target. Every other input, button, label and link is its own.
    const small = [];
    for (const el of document.querySelectorAll('input:not([type=hidden]), button, label, textarea, select, a[href]')) {
      if (!visible(el)) continue;
      const target = el.tagName === 'INPUT' && el.closest('label') ? el.closest('label') : el;
      const height = target.getBoundingClientRect().height;
      if (height < 44) small.push({ element: describe(el), height });
    }
    // The smallest computed font size of any visible text.
    let smallestText = Infinity;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const parent = walker.currentNode.parentElement;
      if (walker.currentNode.textContent.trim() && parent && visible(parent)) {
        smallestText = Math.min(smallestText, px(parent, 'fontSize'));
      }
    }
    return {
      bodyFontPx: px(document.body, 'fontSize'),
      smallestTextPx: smallestText === Infinity ? null : smallestText,
      smallTargets: small,
      scrollWidth: document.documentElement.scrollWidth,
      viewportWidth: width,
      scripts: document.querySelectorAll('script').length,
    };
  }, WIDTH);
}

async function check(page, kind, response) {
  const screen = {
    kind,
    status: response ? response.status() : null,
    title: await page.title(),
    lang: await page.getAttribute('html', 'lang'),
    styles: await styles(page),
    violations: await axe(page),
  };
  screens.push(screen);
  return screen;
}

/// Clicks a submit button (or link) and waits for the page it leads to; returns its response.
async function press(page, locator) {
  const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), locator.click()]);
  return response;
}

async function open(page, path) {
  return page.goto(new URL(path, baseUrl).href, { waitUntil: 'load' });
}

/// Describes the question screen on show: its field names and kinds of input.
async function screenShape(page) {
  return page.evaluate(() => {
    const inputs = [...document.querySelectorAll('main form input:not([type=hidden]), main form textarea')];
    const names = [...new Set(inputs.map((i) => i.name))];
    const types = [...new Set(inputs.map((i) => i.type))];
    return {
      key: document.querySelector('input[name=_screen]')?.value ?? null,
      isReview: !!document.querySelector('input[name=submission_id]'),
      names,
      types,
      hasGroupHeading: !!document.querySelector('main > h1'),
    };
  });
}

/// Fills the screen on show: the answer in `answers` where one is given, else the first choice,
/// 1000000 for numbers, nothing for free text.
async function fill(page, shape, answers) {
  for (const name of shape.names) {
    const field = page.locator(`[name="${name}"]`);
    const first = field.first();
    const type = await first.getAttribute('type');
    const wanted = answers[name];
    if (type === 'radio' || type === 'checkbox') {
      const value = wanted ?? (await first.getAttribute('value'));
      await page.locator(`[name="${name}"][value="${value}"]`).check();
    } else if (type === 'date') {
      await first.fill(wanted ?? '2026-01-15');
    } else {
      const mode = await first.getAttribute('inputmode');
      await first.fill(wanted ?? (mode ? '1000000' : ''));
    }
  }
}

let browser;
try {
  // Playwright starts Chromium with a new, empty profile (--user-data-dir in a temporary
  // folder) and removes it on close. No calls home: this machine's network is closed, and a
  // test must depend on nothing but the server on loopback.
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const phone = {
    viewport: { width: WIDTH, height: HEIGHT },
    deviceScaleFactor: 1,
    isMobile: true,
    hasTouch: true,
    locale: 'id-ID',
  };
  const survey = await browser.newContext({ ...phone, javaScriptEnabled: false });
  const checker = await browser.newContext({ ...phone, javaScriptEnabled: true });
  axePage = await checker.newPage();
  const page = await survey.newPage();
  // Anything the browser refused under the content security policy, or failed to load.
  flow.consoleErrors = [];
  // (A page answered with 404 or 422 is logged by Chromium as a failed load; that is the
  // page itself, not something it needed, so only subresources are counted.)
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error' && !text.startsWith('Failed to load resource: the server responded')) {
      flow.consoleErrors.push(text);
    }
  });
  page.on('response', (response) => {
    if (response.request().resourceType() !== 'document' && response.status() >= 400) {
      flow.consoleErrors.push(`${response.status()}: ${new URL(response.url()).pathname}`);
    }
  });
  page.on('requestfailed', (request) => {
    flow.consoleErrors.push(`failed: ${new URL(request.url()).pathname}`);
  });
  // Proof that page script is off: a page whose script would retitle it keeps its title.
  await page.goto('data:text/html,<title>off</title><script>document.title="ran"</script>');
  flow.pageScriptTitle = await page.title();

  // Consent, in Indonesian, then the English switch and back.
  let response = await open(page, `/s/${token}`);
  await check(page, 'consent', response);
  response = await press(page, page.locator('p.lang a'));
  const english = await check(page, 'english', response);
  flow.englishTitle = english.title;
  response = await press(page, page.locator('p.lang a'));
  flow.backToIndonesianLang = await page.getAttribute('html', 'lang');

  // Accept: the first question screen.
  response = await press(page, page.locator('button[value=accept]'));
  flow.firstScreenStatus = response.status();

  const answers = { work_status: 'wage', still_resell: 'no' };
  const seen = [];
  const kinds = new Set();
  for (let step = 0; step < 80; step += 1) {
    const shape = await screenShape(page);
    if (shape.isReview) break;
    seen.push(shape.key);
    // One check per kind of screen; the first question screen is also photographed.
    let kind = null;
    if (shape.names.length > 1 || (shape.hasGroupHeading && shape.names.length > 0)) kind = 'field_list';
    else if (shape.types.includes('radio')) kind = 'select_one';
    else if (shape.types.includes('checkbox') && shape.names.length === 1) kind = 'select_multiple';
    else if (shape.names.length === 1) kind = 'question';
    else kind = 'note';
    if (!kinds.has(kind)) {
      kinds.add(kind);
      await check(page, kind, response);
    }
    if (kind === 'select_one' && !flow.questionScreenshot) {
      flow.questionScreenshot = join(outdir, 'question.png');
      await page.screenshot({ path: flow.questionScreenshot, fullPage: true });
    }

    if (shape.names.includes('income_wage')) {
      // A refused answer: the error screen, with the typed value kept.
      await fill(page, shape, { ...answers, income_wage: '-5' });
      response = await press(page, page.locator('button[value=next]'));
      const refused = await check(page, 'validation_error', response);
      flow.errorStatus = refused.status;
      flow.errorSummary = (await page.locator('.summary').textContent()) ?? '';
      flow.errorKeptValue = await page.inputValue('[name=income_wage]');
      flow.errorFocusLink = await page.getAttribute('.summary a', 'href');
      // Rupiah as people write it.
      await page.fill('[name=income_wage]', '3,5 juta');
      response = await press(page, page.locator('button[value=next]'));
      flow.afterRupiahStatus = response.status();
      // Back: the amount comes back read and formatted.
      response = await press(page, page.locator('button[value=back]'));
      flow.backStatus = response.status();
      flow.backValue = await page.inputValue('[name=income_wage]');
      flow.backAmountShown = (await page.locator('#f-income_wage ~ p.amount').first().textContent()) ?? '';
      response = await press(page, page.locator('button[value=next]'));
      continue;
    }
    await fill(page, shape, answers);
    response = await press(page, page.locator('button[value=next]'));
    if (response.status() !== 200) {
      flow.refusedScreen = { key: shape.key, status: response.status(), body: await page.locator('main').innerText() };
      break;
    }
  }
  flow.screensSeen = seen;

  // Review, then submit: the thank-you page.
  const review = await check(page, 'review', response);
  flow.reviewText = await page.locator('main').innerText();
  flow.reviewIsReview = (await screenShape(page)).isReview;
  void review;
  response = await press(page, page.locator('form[action$="/submit"] button'));
  await check(page, 'thanks', response);
  flow.thanksText = await page.locator('main').innerText();
  flow.thanksScreenshot = join(outdir, 'thanks.png');
  await page.screenshot({ path: flow.thanksScreenshot, fullPage: true });
  // Opening the link again says the answers were received.
  response = await open(page, `/s/${token}`);
  flow.reopenedText = await page.locator('main').innerText();

  // Declining, then coming back to reconsider.
  if (extras.decline) {
    response = await open(page, `/s/${extras.decline}`);
    response = await press(page, page.locator('button[value=decline]'));
    await check(page, 'declined', response);
    flow.declinedText = await page.locator('main').innerText();
    response = await open(page, `/s/${extras.decline}`);
    const again = page.locator('a.reconsider');
    flow.reconsiderOffered = (await again.count()) === 1;
    if (flow.reconsiderOffered) {
      response = await press(page, again);
      await check(page, 'reconsider', response);
      response = await press(page, page.locator('button[value=accept]'));
      flow.afterReconsiderStatus = response.status();
      flow.afterReconsiderScreen = (await screenShape(page)).key;
    }
  }

  if (extras.closed) {
    response = await open(page, `/s/${extras.closed}`);
    await check(page, 'closed', response);
    flow.closedText = await page.locator('main').innerText();
  }

  response = await open(page, '/s/AAAAAAAAAAAAAAAAAAAAAAAA');
  await check(page, 'not_found', response);

} catch (err) {
  flow.failure = String(err && err.stack ? err.stack : err);
} finally {
  if (browser) await browser.close();
}

for (const screen of screens) {
  for (const v of screen.violations) {
    console.error(`axe ${screen.kind}: ${v.impact} ${v.id} (${v.help}) at ${v.targets.join(', ')}`);
  }
}
console.log(JSON.stringify({ screens, flow }, null, 2));
