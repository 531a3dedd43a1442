// Accounts in headless Chromium against a real server: a guest upgrades to an account and keeps its
// user id, signs out and back in with the password; a coach registers, creates a cohort; the candidate joins
// it with the code; the coach's dashboard shows the candidate's matches and trends; Swagger UI renders at
// /api/docs with every request to another host blocked.
//
//   node e2e/accounts.e2e.mjs            # SCREENSHOTS=1 also writes docs/screenshots/coach-dashboard-{en,ko}.png
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser, REPO_DIR, reporter, setLang, signIn, startServer } from './lib.mjs';

const t = reporter();
const SHOTS = process.env.SCREENSHOTS === '1';
const run = `${Date.now() % 1_000_000}`;
process.env.ARENA_MEDIA ??= '0';
process.env.ARENA_DATA_DIR ??= mkdtempSync(path.join(os.tmpdir(), 'arena-acct-e2e-'));
const DB = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

const browser = await launchBrowser();
const server = await startServer();
const base = server.baseUrl;
try {
  const cand = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const coach = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
  await setLangBefore(cand, 'en');
  await setLangBefore(coach, 'en');
  const email = `dana${run}@example.com`;

  const guestId = await t.step('a guest signs in and upgrades to an account from #/account, keeping its user id', async () => {
    await signIn(cand, base, 'Dana');
    const before = await cand.evaluate(() => window.__arena.getState().auth.user_id);
    await cand.locator('a.me-name').click();
    await cand.getByTestId('account-page').waitFor();
    const form = cand.getByTestId('register-form');
    await form.locator('input[name=email]').fill(email);
    await form.locator('input[name=password]').fill('correct horse battery');
    await form.locator('button[type=submit]').click();
    await cand.waitForFunction(() => window.__arena.getState().auth?.kind === 'account', null, { timeout: 15_000 });
    const after = await cand.evaluate(() => window.__arena.getState().auth.user_id);
    if (after !== before) throw new Error(`user id changed: ${before} -> ${after}`);
    return after;
  });

  await t.step('sign out revokes the session; signing in with the password gives the same user', async () => {
    const refresh = await cand.evaluate(() => window.__arena.getState().auth.refresh_token);
    await cand.locator('.topbar button', { hasText: 'Sign out' }).click();
    await cand.locator('.signin-tabs').waitFor();
    const r = await fetch(`${base}/api/v1/auth/refresh`, { method: 'POST', body: JSON.stringify({ refresh_token: refresh }), headers: { 'Content-Type': 'application/json' } });
    if (r.status !== 401) throw new Error(`refresh after logout: ${r.status}`);
    await cand.locator('.signin-tabs button', { hasText: 'Sign in' }).click();
    const form = cand.getByTestId('login-form');
    await form.locator('input[name=email]').fill(email);
    await form.locator('input[name=password]').fill('wrong password');
    await form.locator('button[type=submit]').click();
    await cand.locator('.toast', { hasText: 'Wrong email or password' }).first().waitFor({ timeout: 10_000 });
    await form.locator('input[name=password]').fill('correct horse battery');
    await form.locator('button[type=submit]').click();
    await cand.getByTestId('create-room').waitFor({ timeout: 15_000 });
    const id = await cand.evaluate(() => window.__arena.getState().auth.user_id);
    if (id !== guestId) throw new Error(`signed in as ${id}, not ${guestId}`);
  });

  const code = await t.step('a coach registers and creates a cohort on #/coach', async () => {
    await coach.goto(base + '/');
    await coach.locator('.signin-tabs button', { hasText: 'Register' }).click();
    const form = coach.getByTestId('register-form');
    await form.locator('input[name=email]').fill(`coach${run}@example.com`);
    await form.locator('input[name=password]').fill('coach password 1');
    await form.locator('input[name=display_name]').fill('Coach Han');
    await form.locator('input[type=checkbox]').check();
    await form.locator('button[type=submit]').click();
    await coach.locator('a[href="#/coach"]').click();
    await coach.getByTestId('coach-page').waitFor();
    await coach.locator('#cohort-name').fill('Spring bootcamp');
    await coach.locator('button', { hasText: 'Create cohort' }).click();
    const text = await coach.getByTestId('invite-code').textContent({ timeout: 10_000 });
    return text.split(':').pop().trim();
  });

  await t.step('the candidate joins with the invite code; the dashboard shows their matches and trends', async () => {
    const seeded = spawnSync(path.join(REPO_DIR, '.venv', 'bin', 'python'), ['-m', 'tests.seed_matches', guestId, 'Dana', '3'],
      { cwd: REPO_DIR, env: { ...process.env, DATABASE_URL: DB }, encoding: 'utf8' });
    if (seeded.status !== 0) throw new Error(seeded.stderr);
    await cand.goto(base + '/#/account');
    await cand.locator('#invite-code').fill(code.toLowerCase());
    await cand.locator('button', { hasText: 'Join cohort' }).click();
    await cand.locator('.cohort-list li', { hasText: 'Spring bootcamp' }).waitFor({ timeout: 10_000 });
    await coach.reload();
    await coach.getByTestId('coach-candidate').waitFor({ timeout: 10_000 });
    const card = await coach.getByTestId('coach-candidate').textContent();
    if (!card.includes('Dana') || !card.includes('3 matches') || !card.includes('Relevance')) throw new Error(card);
    await coach.locator('.coach-match summary').first().click();
    if (SHOTS) {
      mkdirSync(path.join(REPO_DIR, 'docs', 'screenshots'), { recursive: true });
      for (const lang of ['en', 'ko']) {
        await setLang(coach, lang);
        await coach.screenshot({ path: path.join(REPO_DIR, 'docs', 'screenshots', `coach-dashboard-${lang}.png`), fullPage: true });
      }
    }
  });

  await t.step('Swagger UI renders /api/openapi.json with no request to another host', async () => {
    const page = await (await browser.newContext()).newPage();
    const foreign = [];
    await page.route('**/*', (route) => {
      const u = new URL(route.request().url());
      if (u.origin !== base) {
        foreign.push(u.href);
        return route.abort();
      }
      return route.continue();
    });
    await page.goto(base + '/api/docs');
    await page.locator('.opblock-summary-path', { hasText: '/api/v1/auth/login' }).first().waitFor({ timeout: 20_000 });
    if (foreign.length) throw new Error(`requests to other hosts: ${foreign.join(', ')}`);
  });
} finally {
  await browser.close();
  await server.stop();
}
process.exit(t.summary());

async function setLangBefore(page, lang) {
  await page.addInitScript((l) => window.localStorage.setItem('arena.lang', l), lang);
}
