// The people of a spec: unique names, a browser of their own, signing up, and screenshots.
import { expect, type Browser, type Page, type TestInfo } from '@playwright/test';

// Each person in a spec gets an address of their own (the server trusts X-Forwarded-For from
// 127.0.0.1), so the sign-up throttle counts them apart and nobody looks like a self-referral.
export function ownAddress(): { 'X-Forwarded-For': string } {
  const n = () => Math.floor(Math.random() * 250) + 1;
  return { 'X-Forwarded-For': `198.18.${n()}.${n()}` };
}

// A name no earlier run of the spec used (they share the database).
export function unique(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

// A page in a browser of its own, from `ip` (default: an address of its own).
export async function newPage(browser: Browser, javaScriptEnabled: boolean, ip?: string): Promise<Page> {
  const context = await browser.newContext({
    javaScriptEnabled,
    extraHTTPHeaders: ip ? { 'X-Forwarded-For': ip } : ownAddress(),
  });
  return context.newPage();
}

// Signs `username` up with password123; they land on My links.
export async function signUp(page: Page, username: string) {
  await page.goto('/signup');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('password123');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page).toHaveURL(/\/links$/);
}

// Logs the spec's admin (created by the test server's set-up) in; they land on My links.
export async function logInAsAdmin(page: Page) {
  await page.goto('/login');
  await page.getByLabel('Username').fill('e2eadmin');
  await page.getByLabel('Password').fill('admin-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/links$/);
}

// Full-page screenshots at desktop width and at 360 px, each checked for sideways scrolling.
export async function shots(page: Page, testInfo: TestInfo, name: string) {
  for (const [width, suffix] of [[1280, 'desktop'], [360, 'phone']] as const) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: testInfo.outputPath(`${name}-${suffix}.png`), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${name} fits ${width} px`).toBeLessThanOrEqual(0);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}
