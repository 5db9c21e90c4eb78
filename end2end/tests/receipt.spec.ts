import { expect, test } from '@playwright/test';
import { logInAsAdmin, newPage, shots, signUp, unique } from './people';

// A referral's receipt from each side: the person referred opens it from /account and hides
// their name from the referrer; an admin confirms and reads it in full; the referrer opens it
// from Rewards and sees "a friend", without addresses or browsers. Hydrated and without
// JavaScript, at desktop width and at 360 px.

test('a receipt, from the referred, the admin and the referrer', async ({ browser, javaScriptEnabled }, testInfo) => {
  const referrer = unique('rcpt');
  const friend = unique('pal');
  const last = javaScriptEnabled ? '41' : '42';
  const owner = await newPage(browser, javaScriptEnabled, `192.0.2.${last}`);
  await signUp(owner, referrer);
  await owner.getByRole('button', { name: 'Create link' }).click();
  const url = await owner.getByRole('textbox', { name: /^Link for / }).first().inputValue();

  const guest = await newPage(browser, javaScriptEnabled, `198.51.100.${last}`);
  await guest.goto(url);
  await signUp(guest, friend);
  await guest.goto('/account');
  await guest.getByTestId('my-receipt').click();
  await expect(guest).toHaveURL(/\/referrals\/\d+$/);
  const receiptUrl = guest.url();
  await expect(guest.getByRole('heading', { level: 1 })).toContainText(`${referrer} invited ${friend}`);
  await expect(guest.getByTestId('receipt-status')).toHaveText('pending');
  await expect(guest.getByTestId('receipt-rule')).toHaveText('last click, 365-day window');
  await expect(guest.getByTestId('receipt-journey').getByText('won')).toBeVisible();
  await expect(guest.getByTestId('receipt-journey')).toContainText(`198.51.100.${last}`);
  await shots(guest, testInfo, 'receipt-referee');

  await guest.goto('/account');
  await guest.getByRole('button', { name: 'Show me as "a friend" instead' }).click();
  await expect(guest.getByTestId('account-done')).toHaveText(/now sees "a friend"/);
  await expect(guest.getByTestId('my-referral')).toContainText('sees you as "a friend"');

  const admin = await newPage(browser, javaScriptEnabled, `203.0.113.${last}`);
  await logInAsAdmin(admin);
  await admin.goto('/admin/referrals');
  const row = admin.getByRole('row').filter({ hasText: friend });
  await row.getByRole('button', { name: `Confirm referral of ${friend}` }).click();
  await expect(admin.getByRole('row').filter({ hasText: friend })).toHaveCount(0);
  await admin.goto(receiptUrl);
  await expect(admin.getByRole('heading', { level: 1 })).toContainText(`${referrer} invited ${friend}`);
  await expect(admin.getByTestId('receipt-status')).toHaveText('confirmed');
  await expect(admin.getByTestId('receipt-decisions')).toContainText('e2eadmin');
  await expect(admin.getByTestId('receipt-ledger')).toContainText('+100');
  await shots(admin, testInfo, 'receipt-admin');

  // The referrer: Rewards names "a friend" and links to the receipt, which shows no address.
  await owner.goto('/rewards');
  await owner.getByRole('link', { name: 'a friend' }).first().click();
  await expect(owner).toHaveURL(receiptUrl);
  await expect(owner.getByRole('heading', { level: 1 })).toContainText(`${referrer} invited a friend`);
  await expect(owner.getByTestId('receipt-decisions')).toContainText('an admin');
  await expect(owner.getByTestId('receipt-journey')).not.toContainText(`198.51.100.${last}`);
  await expect(owner.getByText(friend)).toHaveCount(0);
  await shots(owner, testInfo, 'receipt-referrer');

  // Printed: no navigation, the facts only.
  await owner.emulateMedia({ media: 'print' });
  await expect(owner.locator('.topbar')).toBeHidden();
  await owner.screenshot({ path: testInfo.outputPath('receipt-print.png'), fullPage: true });
  await owner.emulateMedia({ media: 'screen' });

  // Someone else gets no receipt.
  const stranger = await newPage(browser, javaScriptEnabled, `192.0.2.${Number(last) + 100}`);
  await signUp(stranger, unique('other'));
  await stranger.goto(receiptUrl);
  await expect(stranger.getByRole('alert')).toHaveText('No such referral.');
});
