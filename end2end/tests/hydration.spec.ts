import { expect, test, type Page } from '@playwright/test';

// Every page hydrates without an error. The signed-in pages are lazy routes: their code is in
// wasm chunks of their own, so a visitor's first page fetches none of them, and each one is
// fetched when its page is first shown, in the browser, without a reload. Hydrated only (the
// no-js project leaves this file out).

type Seen = { errors: string[]; chunks: Set<string> };

function watch(page: Page): Seen {
  const seen: Seen = { errors: [], chunks: new Set() };
  page.on('pageerror', (error) => seen.errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') seen.errors.push(message.text());
  });
  page.on('request', (request) => {
    const file = new URL(request.url()).pathname.split('/').pop() ?? '';
    // A page's own chunk is named after its view, e.g. split___hits_page_view_<hash>.wasm.
    const page = /^split___(\w+?)_view_\d+\.wasm$/.exec(file);
    if (page) seen.chunks.add(page[1]);
  });
  return seen;
}

// A mark on the window survives only client-side navigation: a reload would wipe it.
async function mark(page: Page) {
  await page.evaluate(() => ((window as unknown as { hypeMark: number }).hypeMark = 1));
}

async function stillMarked(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { hypeMark?: number }).hypeMark === 1);
}

// Wait until the page's wasm has been fetched and run.
async function hydrated(page: Page) {
  await page.waitForFunction(() => document.readyState === 'complete');
  await page.waitForLoadState('networkidle');
}

test('pages hydrate, and the signed-in pages load their code only when shown', async ({ page }) => {
  const seen = watch(page);

  await page.goto('/');
  await hydrated(page);
  await mark(page);
  await page.getByRole('link', { name: 'Log in', exact: true }).first().click();
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await page.getByRole('link', { name: 'Sign up', exact: true }).first().click();
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
  expect(await stillMarked(page), 'public pages change without a reload').toBe(true);
  expect([...seen.chunks], 'a visitor fetches no signed-in page code').toEqual([]);

  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Username').fill('e2eadmin');
  await page.getByLabel('Password').fill('admin-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/links$/);
  await expect(page.getByRole('heading', { name: 'My links' })).toBeVisible();
  await hydrated(page);
  await mark(page);

  // Forms post in place: a new link appears, and disabling it shows, without a reload.
  const identifier = `inplace${Date.now().toString(36)}`;
  await page.getByLabel('Identifier').fill(identifier);
  await page.getByRole('button', { name: 'Create link' }).click();
  const row = page.locator(`tr[data-identifier="${identifier}"]`);
  await expect(row).toContainText('Active');
  await row.getByRole('button', { name: 'Disable' }).click();
  await expect(row).toContainText('Disabled');
  expect(await stillMarked(page), 'forms post without a reload').toBe(true);

  const steps: [string, RegExp, string][] = [
    ['Rewards', /\/rewards$/, 'rewards_page'],
    ['Admin', /\/admin$/, 'overview_page'],
    ['Hits', /\/admin\/hits$/, 'hits_page'],
    ['Referrals', /\/admin\/referrals$/, 'referrals_page'],
    ['Links', /\/admin\/links$/, 'admin_links_page'],
    ['Users', /\/admin\/users$/, 'admin_users_page'],
    ['Audit log', /\/admin\/audit$/, 'audit_page'],
  ];
  for (const [link, url, chunk] of steps) {
    await page.getByRole('link', { name: link, exact: true }).first().click();
    await expect(page).toHaveURL(url);
    await expect(page.locator('main .card').first()).toBeVisible();
    await expect.poll(() => seen.chunks.has(chunk), { message: `${link} fetches its chunk` }).toBe(true);
  }
  expect(await stillMarked(page), 'signed-in pages change without a reload').toBe(true);

  // A signed-in page opened directly hydrates too: its tabs then work without a reload.
  await page.goto('/admin/hits');
  await hydrated(page);
  await mark(page);
  await page.getByRole('link', { name: 'Referrals', exact: true }).first().click();
  await expect(page.getByRole('heading', { name: 'Referrals' })).toBeVisible();
  expect(await stillMarked(page), 'a directly opened page hydrates').toBe(true);

  // Search and filter forms move to their new query in place.
  await page.getByRole('link', { name: 'Hits', exact: true }).first().click();
  await page.getByLabel('Link').fill('no-such-link');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/\/admin\/hits\?link=no-such-link&/);
  await expect(page.getByText('No hits match these filters.')).toBeVisible();
  await page.getByRole('link', { name: 'Users', exact: true }).first().click();
  await page.getByLabel('Search users').fill('e2eadmin');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/\/admin\/users\?q=e2eadmin$/);
  await expect(page.getByRole('row').filter({ hasText: 'e2eadmin' }).first()).toBeVisible();
  expect(await stillMarked(page), 'filtering and searching do not reload the page').toBe(true);

  expect(seen.errors, 'no errors in the browser console').toEqual([]);
});
