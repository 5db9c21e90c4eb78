import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { logInAsAdmin, newPage, shots, signUp, unique } from './people';

// The admin's day: watch hits arrive, filter them, confirm a referral, and the referrer sees
// the credit. Runs hydrated and with JavaScript off (plain forms and links only).

async function shot(page: Page, testInfo: TestInfo, name: string) {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
}

test('an admin confirms a referral and the referrer is credited', async ({ browser, javaScriptEnabled }, testInfo) => {
  const referrer = unique('owner');
  const friend = unique('friend');
  const identifier = unique('link');

  // A referrer with a vanity link, and a friend who signs up through it.
  const owner = await newPage(browser, javaScriptEnabled, '203.0.113.10');
  await signUp(owner, referrer);
  await owner.getByLabel('Identifier').fill(identifier);
  await owner.getByRole('button', { name: 'Create link' }).click();
  await expect(owner.getByRole('row').filter({ hasText: identifier })).toBeVisible();
  const visitor = await newPage(browser, javaScriptEnabled, '198.51.100.20');
  await visitor.goto(`/ref/${identifier}`);
  await signUp(visitor, friend);

  // The admin logs in and filters the hits by the link.
  const admin = await newPage(browser, javaScriptEnabled, '192.0.2.30');
  await logInAsAdmin(admin);
  await admin.getByRole('link', { name: 'Admin', exact: true }).click();
  await expect(admin.getByText('Top referrers')).toBeVisible();
  await shot(admin, testInfo, 'admin-overview');

  await admin.getByRole('link', { name: 'Hits' }).click();
  await admin.getByLabel('Link').fill(identifier);
  await admin.getByRole('button', { name: 'Filter' }).click();
  await expect(admin).toHaveURL(new RegExp(`link=${identifier}`));
  const rows = admin.locator('table.data tbody tr');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(`${friend} (claimed)`);

  if (javaScriptEnabled) {
    // A new visit shows up without reloading the page.
    const stranger = await newPage(browser, false, '192.0.2.99');
    await stranger.goto(`/ref/${identifier}`);
    await expect(rows).toHaveCount(2, { timeout: 10_000 });
    await expect(rows.first()).toContainText('anonymous');
  }
  await shot(admin, testInfo, 'admin-hits');

  // Confirm the pending referral.
  await admin.getByRole('link', { name: 'Referrals' }).click();
  const pending = admin.getByRole('row').filter({ hasText: friend });
  await expect(pending).toBeVisible();
  await shot(admin, testInfo, 'admin-referrals');
  // A bulk decision with nothing selected is refused with a message, and changes nothing.
  await admin.getByRole('button', { name: 'Apply' }).click();
  await expect(admin.getByRole('alert')).toHaveText('Select at least one referral.');
  if (javaScriptEnabled) {
    // Hydrated, the form was posted in place (a plain form comes back with `?error=`).
    await expect(admin).not.toHaveURL(/error=/);
  }
  await expect(pending).toBeVisible();
  await pending.getByRole('button', { name: `Confirm referral of ${friend}` }).click();
  if (javaScriptEnabled) {
    await expect(admin.getByRole('status')).toHaveText('Referral confirmed.');
  }
  await expect(admin.getByRole('row').filter({ hasText: friend })).toHaveCount(0);
  await admin.getByRole('link', { name: 'Confirmed' }).click();
  await expect(admin.getByRole('row').filter({ hasText: friend })).toContainText('e2eadmin');

  // The other admin pages.
  for (const [tab, name] of [['Links', 'admin-links'], ['Users', 'admin-users'], ['Audit log', 'admin-audit']]) {
    await admin.getByRole('link', { name: tab, exact: true }).click();
    await expect(admin.getByRole('link', { name: tab, exact: true })).toHaveAttribute('aria-current', 'page');
    await shot(admin, testInfo, name);
  }
  await expect(admin.getByRole('row').filter({ hasText: 'confirm referral' }).first()).toBeVisible();

  // The referrer sees the credit.
  await owner.goto('/rewards');
  await expect(owner.getByTestId('balance')).toHaveText('100');
  await shot(owner, testInfo, 'rewards');

  // A regular user gets no admin page.
  await owner.goto('/admin/hits');
  await expect(owner.getByRole('heading', { name: 'Admins only' })).toBeVisible();
});

test('an admin creates an API key and sees it once', async ({ browser, javaScriptEnabled }, testInfo) => {
  const admin = await newPage(browser, javaScriptEnabled);
  await logInAsAdmin(admin);
  await admin.goto('/admin/api-keys');
  const name = unique('Shop backend ');
  await admin.getByLabel('Name').fill(name);
  await admin.getByLabel('Scopes').fill('referrals:read');
  await admin.getByRole('button', { name: 'Create key' }).click();
  const key = admin.getByTestId('new-api-key');
  await expect(key).toHaveText(/^hype_[0-9a-f]{48}$/);
  await expect(admin.getByRole('row').filter({ hasText: name })).toContainText('referrals:read');
  await shots(admin, testInfo, 'admin-api-key-created');
  // The key works, and the page forgets it.
  const secret = await key.textContent();
  const answer = await admin.request.get('/api/v1/referrals', { headers: { Authorization: `Bearer ${secret}` } });
  expect(answer.status()).toBe(200);
  await admin.reload();
  await expect(admin.getByRole('row').filter({ hasText: name })).toBeVisible();
  await expect(admin.getByTestId('new-api-key')).toHaveCount(0);
  await admin.context().close();
});
