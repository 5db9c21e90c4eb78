import { expect, test } from '@playwright/test';
import { newPage, shots, signUp, unique } from './people';

// My links, twenty to a page: the pager takes the user through them, and a link made from a
// later page is shown on the first, where the newest are. Hydrated and without JavaScript, at
// desktop width and at 360 px.

test('my links pages twenty at a time', async ({ browser, javaScriptEnabled }, testInfo) => {
  const page = await newPage(browser, javaScriptEnabled);
  const name = unique('pager');
  await signUp(page, name);
  // Twenty-one links, made as the page's form would, with the user's session.
  for (let i = 0; i < 21; i++) {
    const made = await page.request.post('/api/create_link', {
      form: { identifier: `${name}-${String(i).padStart(2, '0')}`, label: '' },
      headers: { Accept: 'application/json' },
    });
    expect(made.ok()).toBeTruthy();
  }

  await page.goto('/links');
  await expect(page.getByTestId('link-count')).toHaveText('21 links · page 1 of 2');
  await expect(page.locator('tbody tr')).toHaveCount(20);
  await expect(page.locator('tbody tr').first()).toHaveAttribute('data-identifier', `${name}-20`);
  await page.getByRole('link', { name: 'Older ›' }).click();
  await expect(page).toHaveURL(/\/links\?page=2$/);
  await expect(page.getByTestId('link-count')).toHaveText('21 links · page 2 of 2');
  await expect(page.locator('tbody tr')).toHaveCount(1);
  await expect(page.locator('tbody tr')).toHaveAttribute('data-identifier', `${name}-00`);
  await shots(page, testInfo, 'my-links-page-2');

  // Made from page 2, the new link is shown at the top of the first page.
  await page.getByLabel('Identifier').fill(`${name}-new`);
  await page.getByRole('button', { name: 'Create link' }).click();
  await expect(page).toHaveURL(/\/links$/);
  await expect(page.getByTestId('link-count')).toHaveText('22 links · page 1 of 2');
  await expect(page.locator('tbody tr').first()).toHaveAttribute('data-identifier', `${name}-new`);
  await page.getByRole('link', { name: 'Oldest »' }).click();
  await expect(page.locator('tbody tr')).toHaveCount(2);
  await page.getByRole('link', { name: '« Newest' }).click();
  await expect(page).toHaveURL(/\/links$/);
  await page.context().close();
});
