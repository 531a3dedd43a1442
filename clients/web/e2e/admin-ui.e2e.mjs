// The Socket.IO Admin UI in headless Chromium (docs/operators.md): `arena serve` with an admin user and
// password; the browser asks for the HTTP Basic credential, loads every file from our server (a request
// to another host fails the test), logs in to the /admin namespace with the same user and password and
// shows the server, its connected client and the icon font.
//
//   node e2e/admin-ui.e2e.mjs            # SCREENSHOTS=1 also writes docs/screenshots/admin-ui-servers.png
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser, REPO_DIR, reporter, startServer } from './lib.mjs';

const t = reporter();
const USER = 'ops';
const PASSWORD = 'e2e-admin-password-0123456789';
process.env.ARENA_MEDIA ??= '0';
process.env.ARENA_WORKERS ??= '0';
process.env.ARENA_DATA_DIR ??= mkdtempSync(path.join(os.tmpdir(), 'arena-admin-e2e-'));
process.env.ARENA_KEY_PREFIX ??= `e2e:admin:${Date.now() % 1_000_000}:`;
process.env.ARENA_ADMIN_USER = USER;
process.env.ARENA_ADMIN_PASSWORD = PASSWORD;
delete process.env.ARENA_ADMIN_TOKEN;

const server = await startServer();
const base = server.baseUrl;
const browser = await launchBrowser();
try {
  await t.step('without the credential the page is refused (401, Basic challenge)', async () => {
    const r = await fetch(`${base}/admin/socketio/`);
    if (r.status !== 401 || !/^Basic/.test(r.headers.get('www-authenticate') ?? '')) {
      throw new Error(`got ${r.status} ${r.headers.get('www-authenticate')}`);
    }
  });

  await t.step('the Admin UI loads from our server only and logs in to /admin', async () => {
    const ctx = await browser.newContext({ httpCredentials: { username: USER, password: PASSWORD } });
    await ctx.addInitScript((url) => {
      if (!window.localStorage.getItem('server_url')) {
        window.localStorage.setItem('server_url', url);
        window.localStorage.setItem('ws_only', 'true');
      }
    }, base);
    const page = await ctx.newPage();
    const foreign = [];
    const failed = [];
    await page.route('**/*', (route) => {
      const u = new URL(route.request().url());
      if (u.origin !== base && !u.protocol.startsWith('ws')) {
        foreign.push(u.href);
        return route.abort();
      }
      return route.continue();
    });
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    await page.goto(`${base}/admin/socketio/`);
    await page.getByLabel('Username').fill(USER);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: /connect/i }).click();
    // connected: the dashboard lists this server (python-socketio's server_stats) with its client
    await page.getByText(/^\s*Connected\s*$/i).first().waitFor({ timeout: 15_000 });
    await page.goto(`${base}/admin/socketio/#/servers`);
    await page.locator('td', { hasText: /-\d+$/ }).first().waitFor({ timeout: 15_000 });
    const iconFont = await page.evaluate(async () => {
      await document.fonts.ready;
      return document.fonts.check('24px "Material Design Icons"');
    });
    if (process.env.SCREENSHOTS === '1') {
      await page.screenshot({ path: path.join(REPO_DIR, 'docs', 'screenshots', 'admin-ui-servers.png') });
    }
    if (!iconFont) throw new Error('the icon font (mdi) did not load');
    if (foreign.length) throw new Error(`requests to other hosts: ${foreign.join(', ')}`);
    if (failed.length) throw new Error(`failed requests: ${failed.join(', ')}`);
    await ctx.close();
  });

  await t.step('a wrong password is refused by the /admin namespace', async () => {
    const ctx = await browser.newContext({ httpCredentials: { username: USER, password: PASSWORD } });
    await ctx.addInitScript((url) => {
      window.localStorage.setItem('server_url', url);
      window.localStorage.setItem('ws_only', 'true');
    }, base);
    const page = await ctx.newPage();
    await page.goto(`${base}/admin/socketio/`);
    await page.getByLabel('Username').fill(USER);
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: /connect/i }).click();
    await page.getByText(/authentication failed/i).first().waitFor({ timeout: 15_000 });
    await page.getByText(/^\s*Disconnected\s*$/i).first().waitFor({ timeout: 5_000 });
    await ctx.close();
  });
} finally {
  await browser.close();
  await server.stop();
}
process.exit(t.summary());
