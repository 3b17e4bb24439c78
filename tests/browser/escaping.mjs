// escaping.mjs - outside text on the status page is text: started by
// test_escaping.py against a server whose catalog names a service with
// markup and whose incident has an official update with a script tag.
// On each page: the literal text is visible, no element the markup would
// have made exists, and window.__pwned was never set. Exits non-zero on
// the first failed check.
//
//   node escaping.mjs  (env: DW_URL, DW_INCIDENT, DW_NAME, DW_OWNER, DW_UPDATE, DW_SOURCE_DIR)
import { createRequire } from 'node:module';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const env = process.env;
const require = createRequire(join(env.DW_SOURCE_DIR, 'web', 'package.json'));
const { chromium } = require('playwright-core');

const browser = await chromium.launch({
  executablePath: env.DW_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
let failures = 0;

async function page(path) {
  const ctx = await browser.newContext({ locale: 'en-GB', timezoneId: 'UTC' });
  const p = await ctx.newPage();
  await p.goto(env.DW_URL + path, { waitUntil: 'networkidle' });
  await p.waitForSelector('main[aria-busy=false]');
  return p;
}

async function shownAsText(path, texts) {
  try {
    const p = await page(path);
    const body = await p.evaluate(() => document.body.innerText);
    for (const t of texts) assert.ok(body.includes(t), `${path}: "${t}" is not shown as text`);
    assert.equal(await p.evaluate(() => window.__pwned), undefined, `${path}: injected script ran`);
    const injected = await p.evaluate(() => document.querySelectorAll('main script, main img[src=x], main b').length);
    assert.equal(injected, 0, `${path}: injected elements exist`);
    console.log(`ok   ${path}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${e.message}`);
  }
}

await shownAsText('/', [env.DW_NAME]);
await shownAsText('/s/evil', [env.DW_NAME, env.DW_OWNER]);
await shownAsText('/i/' + env.DW_INCIDENT, [env.DW_NAME, env.DW_UPDATE]);
await browser.close();
process.exit(failures ? 1 : 0);
