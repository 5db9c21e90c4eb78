import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { unique } from './people';

// A forgotten password, end to end: the form, the mail (through MailDev, a real SMTP server),
// its link, a new password, and logging in with it. Then the account page: notices and the
// address's confirmation by its mailed link. Hydrated and with JavaScript off.

const mailApi = process.env.HYPE_E2E_MAIL_API ?? 'http://127.0.0.1:3212/api/email';

type Mail = { subject: string; text: string; to: { address: string }[] };

async function mailTo(request: APIRequestContext, address: string, subject: string): Promise<Mail> {
  let found: Mail | undefined;
  await expect
    .poll(
      async () => {
        const mails: Mail[] = await (await request.get(mailApi)).json();
        found = mails.find((m) => m.to.some((t) => t.address === address) && m.subject.includes(subject));
        return found !== undefined;
      },
      { message: `a mail to ${address} about "${subject}"`, timeout: 20_000 },
    )
    .toBe(true);
  return found!;
}

function linkIn(mail: Mail, path: string): string {
  const match = mail.text.match(new RegExp(`https?://\\S+${path}\\?token=\\S+`));
  expect(match, mail.text).not.toBeNull();
  return match![0];
}

async function signUp(page: Page, username: string, email: string, password: string) {
  await page.goto('/signup');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page).toHaveURL(/\/links$/);
}

async function logIn(page: Page, username: string, password: string) {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

test('a forgotten password is reset through the mailed link', async ({ page, request }, testInfo) => {
  const username = unique('forgot');
  const email = `${username}@example.com`;
  await page.setExtraHTTPHeaders({ 'X-Forwarded-For': '198.51.100.81' });
  await signUp(page, username, email, 'the first password');
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/$/);

  await page.goto('/login');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await page.getByLabel('Username or e-mail').fill(email);
  await page.screenshot({ path: testInfo.outputPath('forgot-password.png'), fullPage: true });
  await page.getByRole('button', { name: 'Mail me a link' }).click();
  await expect(page.getByTestId('reset-sent')).toBeVisible();

  const mail = await mailTo(request, email, 'Reset your password');
  await page.goto(linkIn(mail, '/reset-password'));
  await page.getByLabel('New password').fill('the second password');
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await expect(page).toHaveURL(/\/login\?reset=1$/);
  await expect(page.getByTestId('login-notice')).toContainText('Log in with the new one');

  await logIn(page, username, 'the first password');
  await expect(page.getByRole('alert')).toContainText('Wrong username or password');
  await page.goto('/login');
  await logIn(page, username, 'the second password');
  await expect(page).toHaveURL(/\/links$/);

  // The same link does not work twice.
  await page.goto(linkIn(mail, '/reset-password'));
  await page.getByLabel('New password').fill('a third password');
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await expect(page.getByRole('alert')).toContainText('invalid, used or expired');
});

test('the account page confirms the address and keeps notice settings', async ({ page, request }, testInfo) => {
  const username = unique('acct');
  const email = `${username}@example.com`;
  await page.setExtraHTTPHeaders({ 'X-Forwarded-For': '198.51.100.82' });
  await signUp(page, username, email, 'account password');

  await page.getByRole('link', { name: username }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole('heading', { name: 'Your account', exact: true })).toBeVisible();
  await expect(page.getByText('Not confirmed')).toBeVisible();

  const mail = await mailTo(request, email, 'Confirm your e-mail address');
  await page.goto(linkIn(mail, '/confirm-email'));
  await page.getByRole('button', { name: 'Confirm my address' }).click();
  await expect(page.getByTestId('email-confirmed')).toBeVisible();

  await page.goto('/account');
  await expect(page.getByText('Confirmed', { exact: true })).toBeVisible();
  const joins = page.getByLabel('When someone joins through my link');
  await expect(joins).toBeChecked();
  await joins.uncheck();
  await page.getByRole('button', { name: 'Save notices' }).click();
  await expect(page.getByTestId('account-done')).toContainText('notice settings were saved');
  await page.reload();
  await expect(page.getByLabel('When someone joins through my link')).not.toBeChecked();
  await expect(page.getByLabel('When a referral of mine is confirmed and credited')).toBeChecked();

  // A wrong current password changes nothing and says so.
  await page.getByLabel('Current password').fill('not my password');
  await page.getByLabel('New password').fill('another password');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('alert').first()).toContainText('current password is not right');
  await page.screenshot({ path: testInfo.outputPath('account.png'), fullPage: true });
});
