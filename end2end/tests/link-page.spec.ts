import { expect, test } from '@playwright/test';
import { ownAddress, unique } from './people';

// A link's own page: its counts, the chart of visits and sign-ups, the sites that sent
// visitors, the 30/90-day switch and editing its label; hydrated and without JavaScript.


test('a link page shows what the link did and saves a new label', async ({ browser, javaScriptEnabled }, testInfo) => {
  const owner = await browser.newContext({ javaScriptEnabled, extraHTTPHeaders: ownAddress() });
  const page = await owner.newPage();
  await page.goto('/signup');
  await page.getByLabel('Username').fill(unique('page'));
  await page.getByLabel('Password').fill('password123');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page).toHaveURL(/\/links$/);
  await page.getByLabel('Label').fill('Newsletter');
  await page.getByRole('button', { name: 'Create link' }).click();
  const row = page.getByRole('row').filter({ hasText: 'Newsletter' });
  const url = await row.getByRole('textbox', { name: 'Link for Newsletter' }).inputValue();

  // Two visits from a site that links to it.
  const visitor = await browser.newContext({ javaScriptEnabled, extraHTTPHeaders: ownAddress() });
  const visit = await visitor.newPage();
  for (const from of ['https://news.example/post', 'https://www.news.example/other']) {
    await visit.goto(url, { referer: from });
  }
  await visitor.close();

  await page.reload();
  await page.getByRole('row').filter({ hasText: 'Newsletter' }).getByRole('link', { name: 'Newsletter' }).click();
  await expect(page.getByRole('heading', { name: 'Newsletter', level: 1 })).toBeVisible();
  await expect(page.locator('[data-stat="Hits"]')).toHaveText('2');
  await expect(page.getByRole('img', { name: /Visits and sign-ups per day: 2 visits and 0 sign-ups in 30 days/ })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'news.example' })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('link-page.png'), fullPage: true });

  await page.getByRole('link', { name: '90 days' }).click();
  await expect(page).toHaveURL(/\?days=90$/);
  await expect(page.getByRole('img', { name: /in 90 days/ })).toBeVisible();

  await page.getByLabel('Label').fill('Spring sale');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('heading', { name: 'Spring sale', level: 1 })).toBeVisible();
  await page.getByRole('button', { name: 'Disable Spring sale' }).click();
  await expect(page.getByRole('button', { name: 'Enable Spring sale' })).toBeVisible();
  await expect(page.getByText('Disabled', { exact: true })).toBeVisible();
  await owner.close();
});
