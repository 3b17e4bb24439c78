// pages.mjs - the status page in a real browser: Debian's chromium,
// driven by playwright-core (web/package.json), headless. Started by
// test_pages.py against a server it fed with the 3 April 2024 evening;
// checks what a person would look at, saves screenshots, and prints the
// bytes a service page costs. Exits non-zero on the first failed check.
//
//   node pages.mjs  (env: DW_URL, DW_SHOTS, DW_INCIDENT, DW_UPDATE, DW_SOURCE_DIR)
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const SRC = process.env.DW_SOURCE_DIR;
const URL = process.env.DW_URL;
const SHOTS = process.env.DW_SHOTS;
const INCIDENT = process.env.DW_INCIDENT;
const UPDATE = process.env.DW_UPDATE;
const require = createRequire(join(SRC, 'web', 'package.json'));
const { chromium } = require('playwright-core');

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const BENGALI = /[\u0980-\u09FF]/;
mkdirSync(SHOTS, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.DW_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
let failures = 0;
const problems = [];

async function context(opts = {}) {
  const ctx = await browser.newContext({
    viewport: DESKTOP, locale: 'en-IN', timezoneId: 'Asia/Kolkata', ...opts,
  });
  return ctx;
}

// A page that fails the test on any console error (a CSP violation is
// one), uncaught exception or failed request.
async function open(ctx, path) {
  const page = await ctx.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`${path}: console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`${path}: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`${path}: failed ${r.url()}: ${r.failure().errorText}`));
  await page.goto(URL + path, { waitUntil: 'networkidle' });
  await page.waitForSelector('main[aria-busy=false]');
  return page;
}

// Desktop pages whole; on a phone, the first screen (what one sees first).
async function shot(page, name, fullPage = true) {
  await page.screenshot({ path: join(SHOTS, name + '.png'), fullPage });
}

async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}: ${e.stack || e}`);
  }
}

await check('the home page lists WhatsApp in outage, first, grouped with the other Meta services', async () => {
  const ctx = await context();
  const page = await open(ctx, '/');
  const rows = await page.$$eval('#services > li', (ls) => ls.map((l) => [l.dataset.service, l.dataset.status]));
  const wa = rows.find((r) => r[0] === 'whatsapp');
  assert.deepEqual(wa, ['whatsapp', 'outage']);
  const firstOk = rows.findIndex((r) => r[1] === 'ok');
  assert.ok(rows.findIndex((r) => r[0] === 'whatsapp') < firstOk, 'services in trouble come first');
  const events = await page.$$eval('.event', (es) => es.map((e) => e.textContent));
  const meta = events.find((e) => e.includes('Meta services'));
  assert.ok(meta, 'an event names the Meta services: ' + JSON.stringify(events));
  for (const name of ['WhatsApp', 'Instagram', 'Messenger', 'Facebook']) assert.ok(meta.includes(name), name + ' in ' + meta);
  assert.equal(events.filter((e) => e.includes('WhatsApp')).length, 1, 'one event, not one per service');
  const trending = await page.$$eval('.trend .stretch', (as) => as.map((a) => a.textContent));
  assert.equal(trending[0], 'WhatsApp');
  await shot(page, 'home-desktop-en');
  await page.fill('#search', 'insta');
  const shown = await page.$$eval('#services > li:not([hidden])', (ls) => ls.map((l) => l.dataset.service));
  assert.deepEqual(shown, ['instagram']);
  await ctx.close();
});

let weight = null;
await check('the WhatsApp page shows the banner, a chart with the spike, top problems and BR, GB, IN', async () => {
  const ctx = await context();
  const sizes = [];
  ctx.on('requestfinished', async (r) => { sizes.push((await r.sizes()).responseBodySize + (await r.sizes()).responseHeadersSize); });
  const page = await open(ctx, '/s/whatsapp');
  await page.waitForSelector('#map-box svg');
  const banner = await page.$eval('#banner', (b) => [b.dataset.status, b.textContent]);
  assert.equal(banner[0], 'outage');
  assert.match(banner[1], /WhatsApp is down/);
  // The spike, in the picture itself: the tallest bar is far taller than a
  // typical one, is drawn above the normal band, and is marked as such.
  const bars = await page.$$eval('svg.chart rect.bar', (rs) => rs.map((r) => ({
    h: Number(r.getAttribute('height')), reports: Number(r.dataset.reports), upper: Number(r.dataset.upper), hot: r.classList.contains('hot'),
  })));
  assert.ok(bars.length >= 90 && bars.length <= 97, `${bars.length} bars of 15 minutes in 24 h`);
  const heights = bars.map((b) => b.h).sort((a, b) => a - b);
  const median = heights[Math.floor(heights.length / 2)], tallest = heights[heights.length - 1];
  assert.ok(tallest > 8 * median, `tallest bar ${tallest}px against a median of ${median}px`);
  const peak = bars.find((b) => b.h === tallest);
  assert.ok(peak.hot && peak.reports > 3 * peak.upper, 'the peak is above the band: ' + JSON.stringify(peak));
  const bandTop = await page.$eval('svg.chart path.band', (p) => p.getBBox().y);
  const chartBottom = await page.$eval('svg.chart line.axis', (l) => Number(l.getAttribute('y1')));
  assert.ok(chartBottom - bandTop < tallest, 'the band is lower than the spike');
  assert.ok((await page.$$('svg.chart text.xlabel')).length >= 4, 'hours on the x axis');
  const problemsShown = await page.$$eval('#problems li', (ls) => ls.map((l) => l.dataset.problem));
  assert.ok(problemsShown.length >= 2, 'top problems: ' + problemsShown);
  const countries = await page.$$eval('#countries tbody tr', (rs) => rs.map((r) => r.dataset.cc));
  for (const cc of ['BR', 'GB', 'IN']) assert.ok(countries.includes(cc), `${cc} in ${countries}`);
  for (const cc of ['BR', 'GB', 'IN']) {
    assert.match(await page.$eval(`#map-box path[data-cc=${cc}]`, (p) => p.getAttribute('class') || ''), /^l[1-5]$/, cc + ' shaded');
  }
  await shot(page, 'service-desktop-en');
  weight = sizes.reduce((a, b) => a + b, 0);
  await ctx.close();
});

await check('pressing the report button posts a report and the count shown rises', async () => {
  const ctx = await context();
  const page = await open(ctx, '/s/whatsapp');
  // The count of the current 15 minutes (and its bar) is what a report
  // raises; should the quarter hour turn meanwhile, the new one counts it.
  const recent = () => page.$eval('#recent', (r) => ({ t: r.dataset.t, n: Number(r.dataset.count) }));
  const bar = (t) => page.$eval(`svg.chart rect[data-t="${t}"]`, (r) => Number(r.dataset.reports));
  const before = await recent();
  const barBefore = await bar(before.t);
  assert.equal(barBefore, before.n);
  await page.check('input[name=problem][value=login]');
  const posted = page.waitForResponse((r) => r.url().endsWith('/api/v1/reports') && r.request().method() === 'POST');
  await page.click('#report-button');
  const response = await posted;
  assert.equal(response.status(), 202);
  const sent = JSON.parse(response.request().postData());
  assert.equal(sent.service, 'whatsapp');
  assert.equal(sent.problem, 'login');
  assert.match(sent.client, /^[0-9a-f]{16}$/);
  await page.waitForFunction((b) => {
    const r = document.getElementById('recent');
    return r.dataset.t !== b.t || Number(r.dataset.count) > b.n;
  }, before);
  const after = await recent();
  if (after.t === before.t) {
    assert.equal(after.n, before.n + 1, `${before.n} → ${after.n}`);
    assert.equal(await bar(after.t), barBefore + 1, 'its bar grew too');
  } else {
    assert.ok(after.n >= 1);
  }
  assert.match(await page.textContent('#report-status'), /counted/);
  await ctx.close();
});

await check('the incident page shows the timeline and the official update', async () => {
  const ctx = await context();
  const page = await open(ctx, '/i/' + encodeURIComponent(INCIDENT));
  const kinds = await page.$$eval('#timeline .moment', (ms) => ms.map((m) => m.dataset.kind));
  assert.equal(kinds[0], 'opened');
  assert.ok(kinds.includes('peak'), 'a peak: ' + kinds);
  const updates = await page.$$eval('#updates .update', (us) => us.map((u) => u.textContent));
  assert.ok(updates.some((u) => u.includes(UPDATE)), JSON.stringify(updates));
  const time = await page.$eval('#updates .update time', (t) => [t.textContent, t.title]);
  assert.match(time[0], /IST/);
  assert.match(time[1], /UTC$/);
  const related = await page.$$eval('#related li a', (as) => as.map((a) => a.textContent));
  for (const name of ['Instagram', 'Messenger', 'Facebook']) assert.ok(related.includes(name), name);
  await shot(page, 'incident-desktop-en');
  await ctx.close();
});

await check('a browser asking for Bengali gets the pages in Bengali', async () => {
  const ctx = await context({ locale: 'bn-BD', timezoneId: 'Asia/Dhaka' });
  for (const [path, name] of [['/', 'home'], ['/s/whatsapp', 'service'], ['/i/' + encodeURIComponent(INCIDENT), 'incident']]) {
    const page = await open(ctx, path);
    if (path.startsWith('/s/')) await page.waitForSelector('#map-box svg');
    assert.equal(await page.getAttribute('html', 'lang'), 'bn');
    assert.match(await page.textContent(path.startsWith('/s/') ? '#banner h2' : 'h1'), BENGALI, path);
    assert.match(await page.textContent('main'), /[০-৯]/, 'Bengali digits on ' + path);
    await shot(page, `${name}-desktop-bn`);
    await page.close();
  }
  await ctx.close();
});

await check('the language switch changes the language and remembers it', async () => {
  const ctx = await context();
  const page = await open(ctx, '/s/whatsapp');
  await Promise.all([page.waitForNavigation(), page.selectOption('#lang', 'bn')]);
  await page.waitForSelector('main[aria-busy=false]');
  assert.match(await page.textContent('#banner h2'), BENGALI);
  await page.goto(URL + '/');
  await page.waitForSelector('main[aria-busy=false]');
  assert.equal(await page.getAttribute('html', 'lang'), 'bn');
  await ctx.close();
});

await check('pages fit a phone: no sideways scrolling', async () => {
  for (const [locale, lang] of [['en-IN', 'en'], ['bn-BD', 'bn']]) {
    const ctx = await context({ viewport: PHONE, locale, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    for (const [path, name] of [['/', 'home'], ['/s/whatsapp', 'service'], ['/i/' + encodeURIComponent(INCIDENT), 'incident']]) {
      const page = await open(ctx, path);
      if (path.startsWith('/s/')) await page.waitForSelector('#map-box svg');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${path} (${lang}) is ${overflow}px wider than the phone`);
      await shot(page, `${name}-phone-${lang}`, false);
      await page.close();
    }
    await ctx.close();
  }
});

await check('controls are labelled and reachable by keyboard', async () => {
  const ctx = await context();
  const page = await open(ctx, '/s/whatsapp');
  const unlabelled = await page.$$eval('input, select, button', (cs) => cs.filter((c) => {
    if (c.type === 'radio') return !c.closest('label');
    if (c.tagName === 'BUTTON') return !c.textContent.trim();
    return !(c.id && document.querySelector(`label[for="${c.id}"]`));
  }).map((c) => c.outerHTML));
  assert.deepEqual(unlabelled, []);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
  let reached = false;
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement.id === 'report-button');
  }
  assert.ok(reached, 'the report button is reachable with Tab');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.equal(outline, 'solid', 'focus is visible');
  await ctx.close();
});

await check('after the evening (the trace replayed as it is): resolved, in the trace\'s own last 24 hours', async () => {
  const ctx = await context();
  const AFTER = process.env.DW_URL_AFTER;
  const page = await ctx.newPage();
  page.on('pageerror', (e) => problems.push(`after: ${e.message}`));
  await page.goto(AFTER + '/i/' + encodeURIComponent(process.env.DW_RESOLVED), { waitUntil: 'networkidle' });
  await page.waitForSelector('main[aria-busy=false]');
  assert.match(await page.textContent('#banner h2'), /Resolved/);
  const kinds = await page.$$eval('#timeline .moment', (ms) => ms.map((m) => m.dataset.kind));
  assert.equal(kinds[0], 'opened');
  assert.equal(kinds[kinds.length - 1], 'resolved');
  // 16:30 UTC is 22:00 in India.
  assert.match(await page.textContent('#banner'), /3 Apr, 22:0\d IST/);
  await shot(page, 'incident-resolved-desktop-en');
  await page.goto(AFTER + '/s/whatsapp', { waitUntil: 'networkidle' });
  await page.waitForSelector('#map-box svg');
  assert.equal(await page.$eval('#banner', (b) => b.dataset.status), 'ok');
  const bars = await page.$$eval('svg.chart rect.bar', (rs) => rs.map((r) => ({ t: r.dataset.t, h: Number(r.getAttribute('height')) })));
  const peak = bars.reduce((a, b) => (b.h > a.h ? b : a));
  assert.match(peak.t, /^2024-04-03T1[67]:/, 'the spike of that evening: ' + peak.t);
  await shot(page, 'service-after-desktop-en');
  await ctx.close();
});

await browser.close();
for (const p of problems) { console.log('FAIL ' + p); failures++; }
if (weight !== null) console.log(`service page: ${weight} bytes transferred (${(weight / 1024).toFixed(1)} kB)`);
if (weight !== null && weight > 100 * 1024) { console.log('FAIL the service page is over 100 kB'); failures++; }
console.log(failures ? `${failures} failed` : 'all browser checks passed');
process.exit(failures ? 1 : 0);
