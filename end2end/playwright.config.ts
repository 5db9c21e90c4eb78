import { defineConfig } from '@playwright/test';
import * as os from 'node:os';
import * as path from 'node:path';

// The site under test, on a fresh SQLite file: the debug build that `cargo leptos build --split` made,
// or with HYPE_E2E_PROFILE=release the split release build of `make release`. Both write their
// wasm to target/site, so the last build made is the one served.
const profile = process.env.HYPE_E2E_PROFILE === 'release' ? 'release' : 'debug';
const server = `./target/${profile}/hype-server`;
const port = Number(process.env.HYPE_E2E_PORT ?? 3210);
const baseURL = `http://127.0.0.1:${port}`;
const dbFile = path.join(os.tmpdir(), `hype-e2e-${process.pid}.db`);
// MailDev (from npm) receives the site's mail over SMTP; specs read it from its API.
const smtpPort = port + 1;
const mailWebPort = port + 2;
process.env.HYPE_E2E_MAIL_API = `http://127.0.0.1:${mailWebPort}/api/email`;

// A person's browser: headless Chromium calls itself HeadlessChrome, which hype records as a
// bot's visit and counts nowhere. Set for the browser and for every context.
const personsBrowser =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

const chromium = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--headless',
    `--user-agent=${personsBrowser}`,
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  timeout: 60_000,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL,
    userAgent: personsBrowser,
    launchOptions: chromium,
    screenshot: 'only-on-failure',
  },
  projects: [
    { name: 'hydrated', use: { javaScriptEnabled: true } },
    { name: 'no-js', use: { javaScriptEnabled: false }, testIgnore: /hydration\.spec\.ts/ },
  ],
  webServer: [
   {
    command: `npx maildev --smtp ${smtpPort} --ip 127.0.0.1 --web ${mailWebPort} --web-ip 127.0.0.1`,
    url: `http://127.0.0.1:${mailWebPort}/api/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
   },
   {
    // A fresh database with one admin (the way an operator bootstraps a site), then serve.
    command:
      `rm -f "${dbFile}" "${dbFile}-wal" "${dbFile}-shm"` +
      ` && ${server} create-user e2eadmin --admin` +
      ` && exec ${server} serve`,
    cwd: '..',
    url: `${baseURL}/`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      DATABASE_URL: `sqlite://${dbFile}?mode=rwc`,
      HYPE_ADDR: `127.0.0.1:${port}`,
      HYPE_PUBLIC_URL: baseURL,
      LEPTOS_SITE_ROOT: 'target/site',
      RUST_LOG: 'warn',
      HYPE_PASSWORD: 'admin-password',
      // Specs give each person an address of their own through X-Forwarded-For.
      HYPE_TRUSTED_PROXIES: '127.0.0.1',
      HYPE_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      HYPE_MAIL_FROM: 'hype <noreply@refer.example>',
    },
   },
  ],
});
