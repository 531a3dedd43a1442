// One user's whole journey in headless Chromium against a real `arena serve` (real Redis, real PostgreSQL):
// a candidate registers with email and password, plays a match with an AI candidate to the results, finds it
// on #/history (score + charts) and in its replay (their answer, score, missed key points); a coach registers,
// creates a cohort, the candidate joins with the invite code, the coach's dashboard shows the match and the
// coach may read the report (200) while a third user gets 404; the candidate uploads a résumé PDF made here,
// sees questions about its own project, plays a room made from it; #/plan cites scores and starts a solo room.
//
//   node e2e/journey.e2e.mjs     (E2E_BASE_URL=… uses a running server; SCREENSHOTS=1 writes docs/screenshots/journey-*.png)
//
// Prints 'N passed, N failed' and exits non-zero on failure.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser, REPO_DIR, reporter, setLang, sleep, startServer } from './lib.mjs';

const t = reporter();
const timed = t.step.bind(t);
t.step = async (name, fn) => {   // each step's time, so a slow step shows
  const s = Date.now();
  const out = await timed(name, fn);
  console.log(`#   ${((Date.now() - s) / 1000).toFixed(1)} s`);
  return out;
};
const SHOTS = process.env.SCREENSHOTS === '1';
const run = `${Date.now() % 1_000_000}`;
const PROJECT = 'Quillmark';           // a project name only this test's résumé has
process.env.ARENA_MEDIA ??= '0';
process.env.ARENA_TIME_SCALE ??= '0.2'; // turn = answer_seconds x 0.2, shorter reveals and AI thinking: the run stays short
process.env.ARENA_DATA_DIR ??= mkdtempSync(path.join(os.tmpdir(), 'arena-journey-e2e-'));

// Short on purpose: it covers some key points and misses others.
const ANSWER =
  'In Quillmark I owned the transfer API. Retries caused double postings, so I added idempotency keys in PostgreSQL ' +
  'with a unique index. Errors fell by 92%.';

function makePdf() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'journey-e2e-'));
  const out = path.join(dir, 'dana-kim-resume.pdf');
  const py = path.join(REPO_DIR, '.venv', 'bin', 'python');
  execFileSync(py, ['-c', `import sys; sys.path.insert(0, ${JSON.stringify(REPO_DIR)})
from tests.resume_helpers import make_pdf, resume_text
text = resume_text('en').replace('Jane Park', 'Dana Kim').replace('Ledgerline', ${JSON.stringify(PROJECT)})
open(${JSON.stringify(out)}, 'wb').write(make_pdf(text))`], { cwd: REPO_DIR });
  return out;
}

async function shot(page, name) {
  if (!SHOTS) return;
  const dir = path.join(REPO_DIR, 'docs', 'screenshots');
  mkdirSync(dir, { recursive: true });
  for (const l of ['en', 'ko']) {
    await setLang(page, l);
    await sleep(500);
    await page.screenshot({ path: path.join(dir, `journey-${name}-${l}.png`), fullPage: true });
  }
  await setLang(page, 'en');
}

/** Answer each question once when it is this page's turn, until the results screen shows. */
async function playToResults(page, timeoutMs = 3 * 60_000) {
  const deadline = Date.now() + timeoutMs;
  const answered = new Set();
  while (Date.now() < deadline) {
    if (await page.getByTestId('final-ranking').isVisible().catch(() => false)) return answered.size;
    // A short timeout: without one, a missing .match (results loading) would block for playwright's 30 s.
    const phase = await page.locator('.match').getAttribute('data-phase', { timeout: 300 }).catch(() => null);
    const q = await page.locator('.q-index').first().textContent({ timeout: 200 }).catch(() => '');
    const submit = page.getByTestId('submit-answer');
    if (phase === 'answering' && !answered.has(q) && (await submit.isEnabled().catch(() => false))) {
      await page.locator('#answer-input').fill(ANSWER);
      await sleep(150);
      if (await submit.isEnabled().catch(() => false)) {
        await submit.click();
        answered.add(q);
      }
    }
    await sleep(200);
  }
  throw new Error('no results in time');
}

async function register(page, base, { email, password, name, coach = false }) {
  await page.goto(base + '/');
  await page.locator('.signin-tabs button', { hasText: 'Register' }).click();
  const form = page.getByTestId('register-form');
  await form.locator('input[name=email]').fill(email);
  await form.locator('input[name=password]').fill(password);
  await form.locator('input[name=display_name]').fill(name);
  if (coach) await form.locator('input[type=checkbox]').check();
  await form.locator('button[type=submit]').click();
  await page.waitForFunction(() => window.__arena.getState().auth?.kind === 'account', null, { timeout: 15_000 });
}

const token = (page) => page.evaluate(() => localStorage.getItem('arena.token'));

async function main() {
  let server;
  let browser;
  const t0 = Date.now();
  try {
    server = await startServer();
    console.log(`# server ready after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const base = server.baseUrl;
    browser = await launchBrowser();
    const newPage = async (height = 900) => {
      const ctx = await browser.newContext({ viewport: { width: 1280, height }, locale: 'en-US' });
      await ctx.addInitScript(() => window.localStorage.setItem('arena.lang', 'en'));
      return ctx.newPage();
    };
    const cand = await newPage();
    const coach = await newPage(1000);
    const errors = [];
    for (const [n, p] of [['candidate', cand], ['coach', coach]]) p.on('pageerror', (e) => errors.push(`${n}: ${e.message}`));
    const candName = `Dana ${run}`;
    const title = `Journey ${run}`;

    // 1 ---------------------------------------------------------------------------------------------
    const candId = await t.step('1. the candidate registers with email and password (an account, not a guest)', async () => {
      await register(cand, base, { email: `dana${run}@example.com`, password: 'journey password 1', name: candName });
      await cand.getByTestId('create-room').waitFor({ timeout: 15_000 });
      const me = await (await fetch(`${base}/api/v1/me`, { headers: { Authorization: `Bearer ${await token(cand)}` } })).json();
      if (me.email !== `dana${run}@example.com` || me.display_name !== candName) throw new Error(JSON.stringify(me));
      return me.user_id;
    });

    // 2 ---------------------------------------------------------------------------------------------
    const roomId = await t.step('2. they play a 2-question room with one AI candidate to the results screen', async () => {
      await cand.waitForFunction(() => !document.querySelector('[data-testid=create-room]')?.hasAttribute('disabled'), null, { timeout: 15_000 });
      await cand.getByTestId('create-room').click();
      const dlg = cand.getByRole('dialog');
      await dlg.locator('.persona-card').first().waitFor();
      await dlg.locator('#room-title').fill(title);
      await dlg.locator('.persona-toggle[aria-pressed=true]').nth(1).click(); // keep one AI
      await dlg.locator('#q-count').fill('2');
      await dlg.locator('#a-secs').fill('30');
      await dlg.locator('#max-humans').fill('1');
      await dlg.locator('button[type=submit]').click();
      await cand.getByTestId('start-match').click({ timeout: 15_000 });
      await cand.locator('.match').waitFor({ timeout: 15_000 });
      const id = await cand.evaluate(() => JSON.parse(localStorage.getItem('arena.room') || '{}').room_id);
      const n = await playToResults(cand);
      if (n !== 2) throw new Error(`answered ${n} of 2`);
      return id;
    });

    // 3 ---------------------------------------------------------------------------------------------
    let myScore = null;
    await t.step('3a. #/history lists that match with its score, and the charts render', async () => {
      const rep = await (await fetch(`${base}/api/v1/rooms/${roomId}/report`, { headers: { Authorization: `Bearer ${await token(cand)}` } })).json();
      myScore = rep.ranking.find((e) => e.participant_id === candId)?.score;
      if (myScore == null) throw new Error(`no score for ${candId}: ${JSON.stringify(rep.ranking)}`);
      await cand.evaluate(() => window.__arena?.closeResults?.());
      await cand.evaluate(() => { location.hash = '#/history'; });
      await cand.getByTestId('history').waitFor({ timeout: 20_000 });
      const row = cand.locator(`[data-testid=history-matches] tr[data-room-id="${roomId}"]`);
      await row.waitFor({ timeout: 20_000 });
      const text = await row.textContent();
      if (!text.includes(title)) throw new Error(`row has no title: ${text}`);
      const cell = (await row.locator('td').nth(2).textContent()).trim();
      if (cell !== String(Math.round(myScore))) throw new Error(`score cell "${cell}", report ${myScore}`);
      await cand.locator('[data-testid=chart-dimensions] .recharts-surface').first().waitFor({ timeout: 20_000 });
      await shot(cand, 'history');
    });
    await t.step('3b. its replay shows their answer, their score and the key points they missed', async () => {
      await cand.locator(`[data-testid=history-matches] tr[data-room-id="${roomId}"] a`).click();
      await cand.getByTestId('replay').waitFor({ timeout: 20_000 });
      const hash = await cand.evaluate(() => location.hash);
      if (hash !== `#/replay/${roomId}`) throw new Error(`on ${hash}, not #/replay/${roomId}`);
      const qs = await cand.locator('.replay .compare-q').count();
      if (qs !== 2) throw new Error(`replay questions: ${qs}`);
      const body = await cand.getByTestId('replay').textContent();
      if (!body.includes('Retries caused double postings')) throw new Error('their answer is not shown');
      const head = await cand.locator('.replay .results-head').textContent();
      if (!head.includes(String(myScore))) throw new Error(`score ${myScore} not in "${head}"`);
      const missed = await cand.locator('.replay .kp-missed').count();
      if (missed < 1) throw new Error('no missed key point is shown');
    });

    // 5 ---------------------------------------------------------------------------------------------
    const code = await t.step('5a. a coach registers (role coach) and creates a cohort on #/coach', async () => {
      await register(coach, base, { email: `coach${run}@example.com`, password: 'coach password 1', name: `Coach ${run}`, coach: true });
      await coach.locator('a[href="#/coach"]').click();
      await coach.getByTestId('coach-page').waitFor();
      await coach.locator('#cohort-name').fill(`Cohort ${run}`);
      await coach.locator('button', { hasText: 'Create cohort' }).click();
      const text = await coach.getByTestId('invite-code').textContent({ timeout: 10_000 });
      return text.split(':').pop().trim();
    });
    await t.step('5b. the candidate joins with the invite code on #/account', async () => {
      await cand.evaluate(() => { location.hash = '#/account'; });
      await cand.getByTestId('account-page').waitFor();
      await cand.locator('#invite-code').fill(code);
      await cand.locator('button', { hasText: 'Join cohort' }).click();
      await cand.locator('.cohort-list li', { hasText: `Cohort ${run}` }).waitFor({ timeout: 10_000 });
    });
    await t.step("5c. the coach's dashboard shows the candidate with the match", async () => {
      await coach.reload();
      const card = coach.getByTestId('coach-candidate').filter({ hasText: candName });
      await card.waitFor({ timeout: 15_000 });
      const text = await card.textContent();
      if (!text.includes(title)) throw new Error(`no match ${title} in: ${text.slice(0, 300)}`);
      await card.locator('.coach-match summary').first().click();
      await shot(coach, 'coach-dashboard');
    });
    await t.step("5d. the coach may open the candidate's report (200); a third user gets 404 on the same URL", async () => {
      const url = `${base}/api/v1/rooms/${roomId}/report`;
      const viaPage = await coach.evaluate(async (u) => {
        const r = await fetch(u, { headers: { Authorization: `Bearer ${localStorage.getItem('arena.token')}` } });
        return { status: r.status, body: r.ok ? await r.json() : null };
      }, url);
      if (viaPage.status !== 200) throw new Error(`coach: HTTP ${viaPage.status}`);
      if (viaPage.body.viewer?.via !== 'coach') throw new Error(`viewer: ${JSON.stringify(viaPage.body.viewer)}`);
      const reg = await fetch(`${base}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: `eve${run}@example.com`, password: 'eve password 123', display_name: 'Eve' }),
      });
      if (!reg.ok) throw new Error(`register third user: HTTP ${reg.status} ${await reg.text()}`);
      const eve = (await reg.json()).access_token;
      const r = await fetch(url, { headers: { Authorization: `Bearer ${eve}` } });
      if (r.status !== 404) throw new Error(`third user: HTTP ${r.status}`);
      const replay = await fetch(`${base}/api/v1/rooms/${roomId}/replay`, { headers: { Authorization: `Bearer ${eve}` } });
      if (replay.status !== 404) throw new Error(`third user, replay: HTTP ${replay.status}`);
    });

    // 6 ---------------------------------------------------------------------------------------------
    const pdf = makePdf();
    await t.step(`6a. the candidate uploads a résumé PDF on #/resume and sees questions about ${PROJECT}`, async () => {
      await cand.evaluate(() => { location.hash = '#/resume'; });
      await cand.getByTestId('resume-page').waitFor({ timeout: 15_000 });
      await cand.getByTestId('resume-file').setInputFiles(pdf);
      await cand.getByTestId('resume-upload').click();
      const list = cand.getByTestId('resume-questions');
      await list.waitFor({ timeout: 60_000 });
      const text = await list.textContent();
      if (!text.includes(PROJECT)) throw new Error(`no question about ${PROJECT}: ${text.slice(0, 300)}`);
      await shot(cand, 'resume-questions');
    });
    await t.step('6b. they create a room from the résumé and play it to the results', async () => {
      await cand.getByTestId('resume-count').fill('2');
      await cand.getByTestId('resume-create-room').click();
      await cand.getByTestId('start-match').click({ timeout: 15_000 });
      await cand.locator('.match').waitFor({ timeout: 20_000 });
      await cand.waitForFunction((p) => (document.querySelector('.match')?.textContent ?? '').includes(p), PROJECT, { timeout: 30_000 });
      const n = await playToResults(cand);
      if (n < 1) throw new Error('never answered');
    });

    // 4 ---------------------------------------------------------------------------------------------
    // Last: its one-click solo room starts a match the run does not play out (it leaves it).
    await t.step('4. #/plan shows items that cite scores, and "practise alone" starts a solo room in one click', async () => {
      await cand.evaluate(() => window.__arena?.closeResults?.());
      await cand.evaluate(() => { location.hash = '#/plan'; });
      await cand.getByTestId('plan-item').first().waitFor({ timeout: 20_000 });
      const items = await cand.getByTestId('plan-item').allTextContents();
      if (!items.every((s) => /\d+(\.\d+)?\/100/.test(s))) throw new Error(`an item cites no score: ${items.join(' | ')}`);
      await shot(cand, 'plan');
      await cand.getByTestId('plan-solo').first().click();
      await cand.locator('.match').waitFor({ timeout: 20_000 });
      const seats = await cand.locator('[data-testid=leaderboard] li').count();
      if (seats !== 1) throw new Error(`solo room has ${seats} seats`);
      // Leave it (confirming the dialog), so no half-played room is left for the next server to restore.
      cand.once('dialog', (d) => d.accept());
      await cand.locator('.match button', { hasText: 'Leave' }).click();
      await cand.locator('.match').waitFor({ state: 'detached', timeout: 15_000 });
      await cand.getByTestId('plan-page').waitFor({ timeout: 15_000 }); // back on #/plan
    });
    t.check('no uncaught errors in the pages', errors.length === 0, errors.join('\n'));
  } catch (e) {
    t.check('journey run', false, e?.stack ?? e);
    if (server?.log) console.log(server.log().slice(-2000));
  } finally {
    if (process.env.E2E_SERVER_LOG && server?.log) console.log(server.log());
    await browser?.close().catch(() => undefined);
    await server?.stop();
  }
  console.log(`# journey took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  process.exit(t.summary());
}

main();
