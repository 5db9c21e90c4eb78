// What a browser fetches of the site's wasm and JS on a first visit (empty cache) to each kind
// of page, gzipped (-9) as a server would send it. Run by bench/wasm.sh against the release
// server: node bench/first-load.mjs BASE_URL SITE_PKG_DIR ADMIN_USER ADMIN_PASSWORD
// Prints one line per page: path, wasm files fetched, wasm bytes gzipped, JS bytes gzipped.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const require = createRequire(new URL('../end2end/package.json', import.meta.url));
const { chromium } = require('@playwright/test');

const [base, pkgDir, user, password] = process.argv.slice(2);
const pages = [
  ['/', false],
  ['/login', false],
  ['/signup', false],
  ['/links', true],
  ['/rewards', true],
  ['/admin', true],
  ['/admin/hits', true],
  ['/admin/referrals', true],
  ['/admin/links', true],
  ['/admin/users', true],
  ['/admin/audit', true],
];
const gz = (file) => gzipSync(readFileSync(join(pkgDir, file)), { level: 9 }).length;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
let failed = false;
for (const [path, signedIn] of pages) {
  const context = await browser.newContext();
  if (signedIn) {
    const login = await context.request.post(`${base}/api/login`, {
      form: { username: user, password },
      maxRedirects: 0,
    });
    if (login.status() >= 400) throw new Error(`login failed: ${login.status()}`);
  }
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const files = new Set();
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (url.pathname.startsWith('/pkg/') && /\.(wasm|js)$/.test(url.pathname)) {
      files.add(url.pathname.slice('/pkg/'.length));
    }
  });
  await page.goto(base + path);
  await page.waitForLoadState('networkidle');
  const wasm = [...files].filter((f) => f.endsWith('.wasm')).sort();
  const js = [...files].filter((f) => f.endsWith('.js'));
  const sum = (list) => list.reduce((total, f) => total + gz(f), 0);
  console.log([path, wasm.join(','), sum(wasm), sum(js)].join('\t'));
  if (errors.length > 0 || !wasm.includes('hype.wasm')) {
    console.error(`${path}: not hydrated: ${errors.join('; ') || 'hype.wasm not fetched'}`);
    failed = true;
  }
  await context.close();
}
await browser.close();
process.exit(failed ? 1 : 0);
