import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { unique } from './people';

// One referral, end to end, as two people in two browsers: run once hydrated and once with
// JavaScript off (the `no-js` project), where every form must still work as plain HTML.

async function shot(page: Page, testInfo: TestInfo, name: string) {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
}

async function signUp(page: Page, username: string) {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('password123');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page).toHaveURL(/\/links$/);
  await expect(page.getByRole('heading', { name: 'My links' })).toBeVisible();
}

test('a shared link counts the visit and the sign-up it brought', async ({ browser, javaScriptEnabled }, testInfo) => {
  const referrer = unique('ref');
  const friend = unique('friend');

  // The referrer signs up and creates a link.
  const owner = await browser.newContext({ javaScriptEnabled });
  if (javaScriptEnabled) {
    await owner.grantPermissions(['clipboard-read', 'clipboard-write']);
  }
  const page = await owner.newPage();
  await page.goto('/');
  await shot(page, testInfo, 'home');
  await page.getByRole('link', { name: 'Sign up' }).first().click();
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
  await shot(page, testInfo, 'signup');
  await signUp(page, referrer);
  await expect(page.getByText('You have no links yet')).toBeVisible();

  await page.getByLabel('Label').fill('My newsletter');
  await page.getByRole('button', { name: 'Create link' }).click();
  const row = page.getByRole('row').filter({ hasText: 'My newsletter' });
  await expect(row).toBeVisible();

  // Its full URL: from the clipboard when hydrated, as selectable text without JavaScript.
  const field = row.getByRole('textbox', { name: 'Link for My newsletter' });
  const shown = await field.inputValue();
  expect(shown).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ref\/[a-z0-9]{8}$/);
  let url = shown;
  if (javaScriptEnabled) {
    await row.getByRole('button', { name: 'Copy link for My newsletter' }).click();
    await expect(row.getByRole('button', { name: 'Copy link for My newsletter' })).toHaveText('Copied!');
    url = await page.evaluate(() => navigator.clipboard.readText());
    expect(url).toBe(shown);
  } else {
    await expect(row.getByRole('button', { name: 'Copy link for My newsletter' })).toBeHidden();
  }

  // Share: the QR code (drawn by the server) and plain share links, with JavaScript or not.
  await row.locator('summary').click();
  const qr = row.getByRole('img', { name: `QR code of ${shown}` });
  await expect(qr).toBeVisible();
  await expect.poll(() => qr.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  await expect(row.getByRole('link', { name: 'WhatsApp' })).toHaveAttribute(
    'href', `https://wa.me/?text=Join%20me%20on%20hype%20${encodeURIComponent(shown).replace(/[.\-]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())}`);
  const pngHref = await row.getByRole('link', { name: 'PNG' }).getAttribute('href');
  const png = await page.request.get(pngHref!);
  expect(png.headers()['content-type']).toBe('image/png');
  await shot(page, testInfo, 'links');

  // A friend opens it in a browser of their own and signs up.
  const visitor = await browser.newContext({ javaScriptEnabled });
  const friendPage = await visitor.newPage();
  await friendPage.goto(url);
  await expect(friendPage).toHaveURL(/\/$/);
  await friendPage.getByRole('link', { name: 'Sign up' }).first().click();
  await expect(friendPage.getByRole('status')).toHaveText(`You were invited by ${referrer}.`);
  await shot(friendPage, testInfo, 'signup-invited');
  await signUp(friendPage, friend);

  // The referrer sees one hit, one visitor, one sign-up.
  await page.reload();
  const counted = page.getByRole('row').filter({ hasText: 'My newsletter' });
  await expect(counted.locator('[data-stat="hits"]')).toHaveText('1');
  await expect(counted.locator('[data-stat="visitors"]')).toHaveText('1');
  await expect(counted.locator('[data-stat="signups"]')).toHaveText('1');
  await shot(page, testInfo, 'links-counted');

  // Disabling the link stops it counting.
  await counted.getByRole('button', { name: 'Disable My newsletter' }).click();
  await expect(page.getByRole('row').filter({ hasText: 'My newsletter' }).getByText('Disabled')).toBeVisible();

  await owner.close();
  await visitor.close();
});

test('a wrong password gets one clear message', async ({ page }, testInfo) => {
  await page.goto('/login');
  await page.getByLabel('Username').fill('nobody-here');
  await page.getByLabel('Password').fill('wrong-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong username or password.');
  await shot(page, testInfo, 'login-error');
});
