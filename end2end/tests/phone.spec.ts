import { expect, test, type Browser, type Page, type TestInfo } from '@playwright/test';
import { unique } from './people';

// Every page on a 360 x 740 phone screen, hydrated and with JavaScript off: the page never
// scrolls sideways, the navigation stays on screen, and on "My links" the share URL and its
// Copy button are within reach.

const phone = { width: 360, height: 740 };

async function shot(page: Page, testInfo: TestInfo, name: string) {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
}

async function phonePage(browser: Browser, javaScriptEnabled: boolean, ip: string): Promise<Page> {
  const context = await browser.newContext({
    javaScriptEnabled,
    viewport: phone,
    isMobile: true,
    hasTouch: true,
    extraHTTPHeaders: { 'X-Forwarded-For': ip },
  });
  if (javaScriptEnabled) {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  }
  return context.newPage();
}

/// The document is no wider than the screen, and every link of the top bar is on it.
async function fitsTheScreen(page: Page, path: string) {
  const widths = await page.evaluate(() => ({
    document: document.documentElement.scrollWidth,
    body: document.body.scrollWidth,
    viewport: window.innerWidth,
  }));
  expect(widths.viewport, path).toBe(phone.width);
  expect(widths.document, `${path} is wider than the screen`).toBeLessThanOrEqual(phone.width);
  expect(widths.body, `${path} is wider than the screen`).toBeLessThanOrEqual(phone.width);
  const nav = page.getByRole('navigation', { name: 'Account' });
  for (const link of await nav.getByRole('link').all()) {
    await expect(link, path).toBeInViewport();
  }
}

async function logIn(page: Page, username: string, password: string) {
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/links$/);
}

test('every page fits a phone and the share link is within reach', async ({ browser, javaScriptEnabled }, testInfo) => {
  const kind = javaScriptEnabled ? 'hydrated' : 'no-js';
  const referrer = unique('phone');

  // Public pages.
  const visitor = await phonePage(browser, javaScriptEnabled, '198.51.100.60');
  for (const path of ['/', '/signup', '/login', '/forgot-password', '/no-such-page']) {
    await visitor.goto(path);
    await fitsTheScreen(visitor, path);
  }
  await visitor.goto('/signup');
  await shot(visitor, testInfo, `phone-signup-${kind}`);

  // A referrer signs up on the phone, makes a link with a long label, and shares it.
  await visitor.getByLabel('Username').fill(referrer);
  await visitor.getByLabel('Password').fill('password123');
  await visitor.getByRole('button', { name: 'Sign up' }).click();
  await expect(visitor).toHaveURL(/\/links$/);
  const label = 'The spring newsletter for everyone on the list';
  await visitor.getByLabel('Label').fill(label);
  await visitor.getByRole('button', { name: 'Create link' }).click();
  const row = visitor.getByRole('row').filter({ hasText: label });
  await expect(row).toBeVisible();
  await fitsTheScreen(visitor, '/links');
  const field = row.getByRole('textbox', { name: `Link for ${label}` });
  await expect(field).toBeInViewport();
  const url = await field.inputValue();
  expect(url).toMatch(/\/ref\/[a-z0-9]{8}$/);
  const copy = row.getByRole('button', { name: `Copy link for ${label}` });
  if (javaScriptEnabled) {
    await expect(copy).toBeInViewport();
    await copy.click();
    await expect(copy).toHaveText('Copied!');
    expect(await visitor.evaluate(() => navigator.clipboard.readText())).toBe(url);
  } else {
    // Without JavaScript there is nothing to copy with: the URL is there to select.
    await expect(copy).toBeHidden();
  }
  await shot(visitor, testInfo, `phone-links-${kind}`);
  // The link's own page, its share panel open, and the leaderboard.
  const identifier = url.split('/').pop();
  await visitor.goto(`/links/${identifier}`);
  await expect(visitor.getByRole('heading', { name: label, level: 1 })).toBeVisible();
  await visitor.locator('summary').click();
  await expect(visitor.getByRole('img', { name: `QR code of ${url}` })).toBeVisible();
  await fitsTheScreen(visitor, `/links/${identifier}`);
  await shot(visitor, testInfo, `phone-link-page-${kind}`);
  await visitor.goto('/leaderboard');
  await expect(visitor.getByRole('heading', { name: 'Leaderboard', level: 1 })).toBeVisible();
  await fitsTheScreen(visitor, '/leaderboard');
  await shot(visitor, testInfo, `phone-leaderboard-${kind}`);
  await visitor.goto('/rewards');
  await fitsTheScreen(visitor, '/rewards');
  await visitor.goto('/account');
  await expect(visitor.getByRole('heading', { name: 'Your account', exact: true })).toBeVisible();
  await fitsTheScreen(visitor, '/account');
  await shot(visitor, testInfo, `phone-account-${kind}`);

  // A friend follows the link, so the admin pages have a hit and a referral to show.
  const friend = await phonePage(browser, javaScriptEnabled, '198.51.100.61');
  await friend.goto(url);
  await friend.goto('/signup');
  await friend.getByLabel('Username').fill(unique('pal'));
  await friend.getByLabel('Password').fill('password123');
  await friend.getByRole('button', { name: 'Sign up' }).click();
  await expect(friend).toHaveURL(/\/links$/);

  // Every admin page.
  const admin = await phonePage(browser, javaScriptEnabled, '192.0.2.60');
  await logIn(admin, 'e2eadmin', 'admin-password');
  for (const path of [
    '/admin',
    '/admin/hits',
    '/admin/referrals',
    '/admin/referrals?status=confirmed',
    '/admin/links',
    '/admin/users',
    `/admin/users?q=${referrer}`,
    '/admin/webhooks',
    '/admin/api-keys',
    '/admin/audit',
  ]) {
    await admin.goto(path);
    await expect(admin.getByRole('heading').first()).toBeVisible();
    await fitsTheScreen(admin, path);
  }
  await admin.goto('/admin/hits');
  await expect(admin.getByRole('cell', { name: referrer }).first()).toBeVisible();
  await shot(admin, testInfo, `phone-admin-hits-${kind}`);

  await visitor.context().close();
  await friend.context().close();
  await admin.context().close();
});
