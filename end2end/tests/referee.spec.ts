import { expect, test } from '@playwright/test';
import { ownAddress, unique } from './people';

// The referred user's side on /account: who invited them, declining the pending referral and
// erasing their visit data; hydrated and without JavaScript.


test('a referred user sees who invited them, declines, and erases their visits', async ({ browser, javaScriptEnabled }, testInfo) => {
  const referrer = unique('inv');
  const owner = await browser.newContext({ javaScriptEnabled, extraHTTPHeaders: ownAddress() });
  const page = await owner.newPage();
  await page.goto('/signup');
  await page.getByLabel('Username').fill(referrer);
  await page.getByLabel('Password').fill('password123');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page).toHaveURL(/\/links$/);
  await page.getByRole('button', { name: 'Create link' }).click();
  const url = await page.getByRole('textbox', { name: /^Link for / }).first().inputValue();

  const friendContext = await browser.newContext({ javaScriptEnabled, extraHTTPHeaders: ownAddress() });
  const friend = await friendContext.newPage();
  await friend.goto(url);
  await friend.goto('/signup');
  await friend.getByLabel('Username').fill(unique('guest'));
  await friend.getByLabel('Password').fill('password123');
  await friend.getByRole('button', { name: 'Sign up' }).click();
  await expect(friend).toHaveURL(/\/links$/);

  await friend.goto('/account');
  await expect(friend.getByTestId('my-referral')).toContainText(`You joined through ${referrer}'s link on`);
  await friend.getByRole('button', { name: 'Decline the referral' }).click();
  await expect(friend.getByTestId('account-done')).toHaveText(/You declined the referral/);
  await expect(friend.getByTestId('my-referral')).toContainText('You declined it.');
  await friend.getByRole('button', { name: 'Erase my visit data' }).click();
  await expect(friend.getByTestId('account-done')).toHaveText(/were erased/);
  await friend.screenshot({ path: testInfo.outputPath('referee.png'), fullPage: true });

  await page.goto('/rewards');
  await expect(page.getByRole('heading', { name: 'Declined by the person you invited' })).toBeVisible();
  await owner.close();
  await friendContext.close();
});
