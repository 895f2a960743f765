// Drives the admin area in headless Chromium as programme staff would, for
// tests/it/admin_browser.rs. Two steps, because the job (`pantau run`) runs between them:
//
//   node admin.mjs upload BASE_URL USERNAME PASSWORD ROSTER_FILE
//       a wrong password first (the error shown), then the right one; the imports page; the
//       roster uploaded through the file input; the import's summary page it lands on.
//   node admin.mjs report BASE_URL USERNAME PASSWORD OUTDIR SCREENSHOT
//       log in; the reports page; the manager workbook downloaded by clicking its link and
//       saved into OUTDIR; the dashboard at a phone's 360 x 640 viewport, saved as SCREENSHOT.
//   node admin.mjs audit BASE_URL USERNAME PASSWORD
//       axe-core on each kind of admin page (login, dashboard, participants, one participant's
//       timeline, imports, one import, forms, one form's preview, reports, outbox, call list),
//       in Indonesian and in English; then, at a phone's width, the keyboard alone: Tab until
//       a wide table's scroll area has focus, its outline, and the arrow keys scrolling it.
//
// axe-core runs in the admin page itself: the admin pages carry no script of their own, but
// (unlike the survey test's pages) JavaScript is not turned off in the browser, and code
// evaluated through DevTools is not subject to the page's Content-Security-Policy.
//
// Prints one JSON object with what it saw. It asserts nothing itself: the Rust test does, so a
// failure names what was wrong in the test's message.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const [step, baseUrl, username, password, ...rest] = process.argv.slice(2);
if (!['upload', 'report', 'audit'].includes(step) || !baseUrl || !username || !password) {
  console.error('usage: node admin.mjs upload|report|audit BASE_URL USERNAME PASSWORD ...');
  process.exit(2);
}

const seen = { failure: null, consoleErrors: [], failedResponses: [] };
const url = (path) => new URL(path, baseUrl).href;

/// Responses of 400 and more are listed with their method and path (the Rust test decides
/// which are expected); other console errors are listed as they are.
function watch(page) {
  page.on('response', (r) => {
    if (r.status() >= 400) {
      seen.failedResponses.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
    }
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
      seen.consoleErrors.push(m.text());
    }
  });
}

async function logIn(page, secret) {
  await page.goto(url('/admin/login'));
  await page.fill('#username', username);
  await page.fill('#password', secret);
  const [response] = await Promise.all([
    page.waitForNavigation(),
    page.click('button[type=submit]'),
  ]);
  return response;
}

async function upload(page, rosterFile) {
  const wrong = await logIn(page, `${password} but wrong`);
  seen.wrongPasswordStatus = wrong.status();
  seen.wrongPasswordPath = new URL(page.url()).pathname;
  seen.wrongPasswordAlert = await page.textContent('[role=alert]').catch(() => null);

  await logIn(page, password);
  seen.afterLoginPath = new URL(page.url()).pathname;

  await page.goto(url('/admin/imports'));
  await page.setInputFiles('#roster', rosterFile);
  const [response] = await Promise.all([
    page.waitForNavigation(),
    page.click('form[enctype="multipart/form-data"] button[type=submit]'),
  ]);
  seen.uploadStatus = response.status();
  seen.summaryPath = new URL(page.url()).pathname;
  seen.importStatus = await page.textContent('#status');
  seen.importRows = await page.textContent('#rows');
  seen.fileName = basename(rosterFile);
  seen.summaryText = await page.textContent('main');
}

async function report(browser, page, outdir, screenshot) {
  await logIn(page, password);
  const reports = await page.goto(url('/admin/reports'));
  seen.reportsStatus = reports.status();
  const links = await page.$$eval('a[href^="/admin/reports/files/"]', (as) =>
    as.map((a) => a.getAttribute('href')),
  );
  seen.workbookLinks = links;
  const manager = links.find((href) => href.includes('pantau-manager-'));
  if (!manager) {
    throw new Error(`no manager workbook link on the reports page: ${JSON.stringify(links)}`);
  }
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click(`a[href="${manager}"]`),
  ]);
  seen.downloadName = download.suggestedFilename();
  seen.downloadFailure = await download.failure();
  seen.downloadPath = join(outdir, download.suggestedFilename());
  await download.saveAs(seen.downloadPath);

  // The dashboard on a phone: the same session, a phone-sized context.
  const cookies = await page.context().cookies();
  const phone = await browser.newContext({
    viewport: { width: 360, height: 640 },
    deviceScaleFactor: 1,
    isMobile: true,
    hasTouch: true,
    locale: 'en-US',
  });
  await phone.addCookies(cookies);
  const small = await phone.newPage();
  watch(small);
  const dashboard = await small.goto(url('/admin'));
  seen.phoneDashboardStatus = dashboard.status();
  seen.phoneDashboardPath = new URL(small.url()).pathname;
  seen.phoneScrollWidth = await small.evaluate(() => document.documentElement.scrollWidth);
  seen.phoneHeading = await small.textContent('h1');
  await small.screenshot({ path: screenshot, fullPage: true });
  seen.screenshot = screenshot;
}

/// axe-core's violations on the page shown, with the same rules as the survey test: the
/// WCAG 2.x A and AA rules plus best practices, colour contrast included.
async function axe(page) {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
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
}

/// The first link on the page whose address starts with `prefix` and continues with a name
/// or number (not a query), or null.
async function firstLink(page, prefix) {
  const links = await page.$$eval(`a[href^="${prefix}"]`, (as) => as.map((a) => a.getAttribute('href')));
  return links.find((href) => /^[^?]+$/.test(href.slice(prefix.length)) && href.length > prefix.length) || null;
}

async function audit(browser) {
  seen.pages = [];
  for (const lang of ['id', 'en']) {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    watch(page);
    const visit = async (kind, path) => {
      const response = await page.goto(url(path));
      seen.pages.push({
        kind,
        lang,
        path,
        status: response.status(),
        htmlLang: await page.getAttribute('html', 'lang'),
        violations: await axe(page),
      });
    };
    // The language is chosen on the login page (the cookie keeps it) and checked per page.
    await visit('login', `/admin/login?lang=${lang}`);
    await page.fill('#username', username);
    await page.fill('#password', password);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    await visit('dashboard', '/admin');
    await visit('participants', '/admin/participants');
    const participant = await firstLink(page, '/admin/participants/');
    if (!participant) throw new Error('no participant linked from the participants list');
    await visit('timeline', participant);
    await visit('imports', '/admin/imports');
    const rosterImport = await firstLink(page, '/admin/imports/');
    if (!rosterImport) throw new Error('no import linked from the imports page');
    await visit('import', rosterImport);
    await visit('forms', '/admin/forms');
    const form = await firstLink(page, '/admin/forms/');
    if (!form) throw new Error('no form linked from the forms page');
    await visit('form preview', form);
    await visit('reports', '/admin/reports');
    await visit('outbox', '/admin/outbox');
    await visit('call list', '/admin/calls');
    await context.close();
  }

  // The keyboard alone, on a phone: the dashboard's tables are wider than the screen.
  const phone = await browser.newContext({
    viewport: { width: 360, height: 640 },
    deviceScaleFactor: 1,
    isMobile: true,
    hasTouch: true,
    locale: 'en-US',
  });
  const small = await phone.newPage();
  watch(small);
  await small.goto(url('/admin/login'));
  await small.fill('#username', username);
  await small.fill('#password', password);
  await Promise.all([small.waitForNavigation(), small.click('button[type=submit]')]);
  await small.goto(url('/admin/participants?lang=en'));
  const keyboard = { tabs: 0, focused: null };
  for (let i = 0; i < 80; i++) {
    await small.keyboard.press('Tab');
    keyboard.tabs = i + 1;
    const focused = await small.evaluate(() => {
      const el = document.activeElement;
      if (!el || !el.classList.contains('scroll')) return null;
      const style = getComputedStyle(el);
      return {
        role: el.getAttribute('role'),
        label: el.getAttribute('aria-label'),
        outlineStyle: style.outlineStyle,
        outlineWidth: style.outlineWidth,
        scrollWidth: el.scrollWidth,
        clientWidth: el.clientWidth,
      };
    });
    if (focused) {
      keyboard.focused = focused;
      break;
    }
  }
  if (keyboard.focused) {
    for (let i = 0; i < 10; i++) await small.keyboard.press('ArrowRight');
    // Chromium scrolls smoothly: wait (up to 5 s) until the scroll has gone some way.
    await small
      .waitForFunction(() => document.activeElement.scrollLeft >= 40, null, { timeout: 5000 })
      .catch(() => {});
    keyboard.scrollLeftAfterArrows = await small.evaluate(() => document.activeElement.scrollLeft);
  }
  seen.keyboard = keyboard;
  await phone.close();
}

let browser;
try {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const context = await browser.newContext({ locale: 'en-US', acceptDownloads: true });
  const page = await context.newPage();
  watch(page);
  if (step === 'upload') {
    await upload(page, rest[0]);
  } else if (step === 'audit') {
    await audit(browser);
  } else {
    await report(browser, page, rest[0], rest[1]);
  }
} catch (err) {
  seen.failure = String(err && err.stack ? err.stack : err);
} finally {
  if (browser) await browser.close();
}
console.log(JSON.stringify(seen));
