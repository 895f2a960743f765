// Drives the admin area in headless Chromium as programme staff would, for
// tests/it/admin_browser.rs. Two steps, because the job (`pantau run`) runs between them:
//
//   node admin.mjs upload BASE_URL USERNAME PASSWORD ROSTER_FILE
//       a wrong password first (the error shown), then the right one; the imports page; the
//       roster uploaded through the file input; the import's summary page it lands on.
//   node admin.mjs report BASE_URL USERNAME PASSWORD OUTDIR SCREENSHOT
//       log in; the reports page; the manager workbook downloaded by clicking its link and
//       saved into OUTDIR; the dashboard at a phone's 360 x 640 viewport, saved as SCREENSHOT.
//
// Prints one JSON object with what it saw. It asserts nothing itself: the Rust test does, so a
// failure names what was wrong in the test's message.

import { basename, join } from 'node:path';
import { chromium } from 'playwright-core';

const [step, baseUrl, username, password, ...rest] = process.argv.slice(2);
if (!['upload', 'report'].includes(step) || !baseUrl || !username || !password) {
  console.error('usage: node admin.mjs upload|report BASE_URL USERNAME PASSWORD ...');
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
  } else {
    await report(browser, page, rest[0], rest[1]);
  }
} catch (err) {
  seen.failure = String(err && err.stack ? err.stack : err);
} finally {
  if (browser) await browser.close();
}
console.log(JSON.stringify(seen));
