// End-to-end (headless Chromium, real server): a guest uploads a résumé PDF made here (fpdf2) on
// #/resume, watches the SSE progress bar reach 100, sees questions about their own projects, creates
// a room from it and plays the match (two AI candidates); then #/plan shows a plan whose reasons cite
// scores, and "Practise alone now" starts a solo match with the plan's questions.
//
//   node e2e/resume.e2e.mjs          (E2E_BASE_URL=… to use a running server; SCREENSHOTS=1 writes docs/screenshots/{resume,plan}-*.png)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser, REPO_DIR, reporter, setLang, signIn, sleep, startServer } from './lib.mjs';

const t = reporter();
const SHOTS = process.env.SCREENSHOTS === '1';
const ANSWER =
  'In Ledgerline I owned the transfer API. The problem was double postings on retries, so I designed idempotency keys ' +
  'stored in PostgreSQL with a unique index and cached recent keys in Redis. Reconciliation errors fell by 92% over a month, ' +
  'measured by the nightly reconciliation job. The trade-off was extra write latency of about 3 ms; today I would partition the key table.';

function makePdf() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'resume-e2e-'));
  const out = path.join(dir, 'jane-park-resume.pdf');
  const py = path.join(REPO_DIR, '.venv', 'bin', 'python');
  execFileSync(py, ['-c', `import sys; sys.path.insert(0, ${JSON.stringify(REPO_DIR)})
from tests.resume_helpers import make_pdf, resume_text
open(${JSON.stringify(out)}, 'wb').write(make_pdf(resume_text('en')))`], { cwd: REPO_DIR });
  return out;
}

async function shot(page, name) {
  if (!SHOTS) return;
  const dir = path.join(REPO_DIR, 'docs', 'screenshots');
  mkdirSync(dir, { recursive: true });
  for (const l of ['en', 'ko']) {
    await setLang(page, l);
    await sleep(600);
    await page.screenshot({ path: path.join(dir, `${name}-${l}.png`), fullPage: true });
  }
  await setLang(page, 'en');
}

async function playToResults(page, timeoutMs = 6 * 60_000) {
  const deadline = Date.now() + timeoutMs;
  const answered = new Set();
  while (Date.now() < deadline) {
    if (await page.getByTestId('final-ranking').isVisible().catch(() => false)) return answered.size;
    const phase = await page.locator('.match').getAttribute('data-phase', { timeout: 300 }).catch(() => null); // no .match (results loading): don't block 30 s
    const q = await page.locator('.q-index').first().textContent({ timeout: 200 }).catch(() => '');
    const submit = page.getByTestId('submit-answer');
    if (phase === 'answering' && !answered.has(q) && (await submit.isEnabled().catch(() => false))) {
      await page.locator('#answer-input').fill(ANSWER);
      await sleep(200);
      if (await submit.isEnabled().catch(() => false)) {
        await submit.click();
        answered.add(q);
      }
    }
    await sleep(250);
  }
  throw new Error('no results in time');
}

async function main() {
  let server;
  let browser;
  try {
    server = await startServer();
    browser = await launchBrowser();
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await signIn(page, server.baseUrl, 'Jane');
    await setLang(page, 'en');
    const pdf = makePdf();

    await t.step('upload a PDF on #/resume; the SSE progress bar reaches 100', async () => {
      await page.goto(server.baseUrl + '/#/resume');
      await page.getByTestId('resume-page').waitFor({ timeout: 15_000 });
      await page.getByTestId('resume-file').setInputFiles(pdf);
      await page.getByTestId('resume-upload').click();
      await page.waitForFunction(() => Number(document.querySelector('[data-testid=resume-progress]')?.getAttribute('value') ?? 0) === 100, null, { timeout: 60_000 });
    });
    await t.step('the generated questions are about its own projects', async () => {
      const list = page.getByTestId('resume-questions');
      await list.waitFor({ timeout: 15_000 });
      const text = await list.textContent();
      if (!text.includes('Ledgerline') || !text.includes('Searchlight')) throw new Error(`no project questions: ${text.slice(0, 300)}`);
      await shot(page, 'resume');
    });
    await t.step('create a room from my résumé and play it to the results', async () => {
      await page.getByTestId('resume-count').fill('2');      // two questions keep the run short
      await page.getByTestId('resume-create-room').click();
      await page.getByTestId('start-match').waitFor({ timeout: 15_000 });
      await page.getByTestId('start-match').click();
      await page.locator('.match').waitFor({ timeout: 20_000 });
      await page.waitForFunction(() => /Ledgerline/.test(document.querySelector('.match')?.textContent ?? ''), null, { timeout: 30_000 });
      const n = await playToResults(page);
      if (n < 1) throw new Error('never answered');
    });
    await t.step('#/plan cites scores, and a solo room starts in one click', async () => {
      await page.evaluate(() => window.__arena?.closeResults?.());
      await page.goto(server.baseUrl + '/#/plan');
      await page.getByTestId('plan-item').first().waitFor({ timeout: 20_000 });
      const reason = await page.getByTestId('plan-item').first().textContent();
      if (!/\d+(\.\d)?\/100/.test(reason)) throw new Error(`reason cites no score: ${reason}`);
      await shot(page, 'plan');
      await page.getByTestId('plan-solo').first().click();
      await page.locator('.match').waitFor({ timeout: 20_000 });
    });
    t.check('no page errors', errors.length === 0, errors.join('\n'));
  } catch (e) {
    t.check('run', false, e?.stack ?? e);
  } finally {
    if (browser) await browser.close();
    if (server) await server.stop();
  }
  process.exit(t.summary());
}

main();
