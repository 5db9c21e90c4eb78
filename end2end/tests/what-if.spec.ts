import { expect, test } from '@playwright/test';
import { logInAsAdmin } from './people';

// An admin replays attribution under another rule on /admin/what-if: the form is a plain GET,
// the page loads whole with the result, and nothing changes. At desktop width and at 360 px.

test('an admin replays attribution under first click', async ({ browser, javaScriptEnabled }, testInfo) => {
  const context = await browser.newContext({
    javaScriptEnabled,
    extraHTTPHeaders: { 'X-Forwarded-For': javaScriptEnabled ? '192.0.2.51' : '192.0.2.52' },
  });
  const admin = await context.newPage();
  await logInAsAdmin(admin);
  await admin.goto('/admin');
  await admin.getByRole('link', { name: 'What-if', exact: true }).click();
  await expect(admin.getByRole('heading', { name: 'What-if' })).toBeVisible();
  await expect(admin.getByText('Attribution now: last-click, 365-day window.')).toBeVisible();
  await admin.getByLabel('Model').selectOption('first-click');
  await admin.getByLabel('Window (days)').fill('30');
  await admin.getByRole('button', { name: 'Replay' }).click();
  await expect(admin).toHaveURL(/\/admin\/what-if\?model=first-click&days=30$/);
  await expect(admin.getByTestId('what-if-summary')).toContainText('Under first-click, 30-day window:');
  await expect(admin.getByTestId('what-if-summary')).toContainText('hits read in');
  for (const [width, suffix] of [[1280, 'desktop'], [360, 'phone']] as const) {
    await admin.setViewportSize({ width, height: 900 });
    await admin.screenshot({ path: testInfo.outputPath(`what-if-${suffix}.png`), fullPage: true });
    const overflow = await admin.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `what-if fits ${width} px`).toBeLessThanOrEqual(0);
  }
  await context.close();
});
