import { expect, test } from '@playwright/test';
import { ownAddress, unique } from './people';

// The leaderboard: a signed-in user sees their rank, chooses to appear under a display name,
// and finds themself on the board; hydrated and without JavaScript.


test('a user opts in to the leaderboard under a name of their choosing', async ({ browser, javaScriptEnabled }, testInfo) => {
  const context = await browser.newContext({ javaScriptEnabled, extraHTTPHeaders: ownAddress() });
  const page = await context.newPage();
  await page.goto('/signup');
  await page.getByLabel('Username').fill(unique('board'));
  await page.getByLabel('Password').fill('password123');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page).toHaveURL(/\/links$/);

  await page.getByRole('link', { name: 'Leaderboard' }).click();
  await expect(page.getByRole('heading', { name: 'Leaderboard', level: 1 })).toBeVisible();
  await expect(page.getByText('You have no confirmed referral in this period yet')).toBeVisible();
  const name = unique('Star ');
  await page.getByLabel('Show me on the leaderboard').check();
  await page.getByLabel('Display name').fill(name);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByLabel('Display name')).toHaveValue(name);
  await expect(page.getByLabel('Show me on the leaderboard')).toBeChecked();

  await page.getByRole('link', { name: 'This month' }).click();
  await expect(page).toHaveURL(/\?period=month$/);
  await expect(page.getByRole('link', { name: 'This month' })).toHaveClass(/active/);
  await page.screenshot({ path: testInfo.outputPath('leaderboard.png'), fullPage: true });
  await context.close();
});
