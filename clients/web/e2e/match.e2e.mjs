// End-to-end: a host and a player (two browser contexts) and two AI candidates play a full
// 3-question match in headless Chromium against a real server. A spectator (phone-sized)
// watches. The player's page is reloaded mid-match and must come back to its seat. The final
// ranking shown in the page must equal GET /api/v1/rooms/{id}/report's ranking.
//
//   node e2e/match.e2e.mjs                      # starts ../../.venv/bin/arena serve on a free port
//   E2E_BASE_URL=http://127.0.0.1:8090 node e2e/match.e2e.mjs
//   SCREENSHOTS=1 node e2e/match.e2e.mjs        # also writes docs/screenshots/*-{en,ko}.png
//
// Prints 'N passed, N failed' and exits non-zero on failure.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { launchBrowser, REPO_DIR, reporter, setLang, signIn, sleep, startServer } from './lib.mjs';

const ANSWER_SECONDS = Number(process.env.E2E_ANSWER_SECONDS ?? 15);
const QUESTIONS = 3;
const SHOTS = process.env.SCREENSHOTS === '1';
const SHOT_DIR = path.join(REPO_DIR, 'docs', 'screenshots');
const MATCH_TIMEOUT_MS = 8 * 60_000;

const t = reporter();
const run = `${Date.now() % 100000}`;

const ANSWERS = [
  'In my last team two seniors disagreed about a database migration. Situation: releases were blocked for a week. ' +
    'Task: I had to get a decision. Action: I wrote a one-page comparison with latency numbers from a load test, ' +
    'ran a 30 minute meeting, and we agreed on a phased rollout. Result: we shipped in 5 days and p99 latency dropped 40%.',
  'I would design it with a write-ahead queue and idempotent consumers. Trade-offs: a queue adds latency of about 20 ms ' +
    'but lets us absorb 10x traffic spikes. I measured this at my previous job where we handled 3,000 requests per second, ' +
    'and I would add monitoring on consumer lag and alerting at 5 seconds.',
  'I value ownership and user focus. For example I noticed our checkout error rate was 2%, I dug into logs myself, ' +
    'found a timeout in the payment client, fixed it and added a dashboard. Errors fell to 0.3% and conversion rose 4%. ' +
    'I want to bring that habit of measuring and fixing to your team.',
];

async function shot(page, name, { both = true } = {}) {
  if (!SHOTS) return;
  mkdirSync(SHOT_DIR, { recursive: true });
  const cur = await page.evaluate(() => document.documentElement.lang);
  const langs = both ? [cur, cur === 'ko' ? 'en' : 'ko'] : [cur];
  for (const l of langs) {
    if (l !== (await page.evaluate(() => document.documentElement.lang))) await setLang(page, l);
    await sleep(350); // let entry animations settle
    await page.screenshot({ path: path.join(SHOT_DIR, `${name}-${l}.png`), fullPage: false });
  }
  if (langs.length > 1) await setLang(page, cur);
}

/** Answer whenever it is this page's turn, until the results screen shows. */
async function playUntilResults(page, label, opts = {}) {
  const deadline = Date.now() + MATCH_TIMEOUT_MS;
  const answered = new Set();
  let reloaded = false;
  let shotMatch = false;
  let shotReveal = false;
  while (Date.now() < deadline) {
    if (await page.getByTestId('final-ranking').isVisible().catch(() => false)) return { answered: answered.size, reloaded };
    const phase = await page.locator('.match').getAttribute('data-phase', { timeout: 300 }).catch(() => null); // no .match (results loading): don't block 30 s
    const qIndex = await page
      .locator('.q-index')
      .first()
      .textContent({ timeout: 200 })
      .then((s) => Number((s ?? '').match(/(\d+)/)?.[1] ?? 0))
      .catch(() => 0);
    if (opts.onQuestion) {
      const r = await opts.onQuestion({ qIndex, phase, reloaded });
      if (r === 'reloaded') reloaded = true;
    }
    if (opts.shots && !shotMatch && phase === 'answering' && (await page.locator('.answer-text.streaming').count()) > 0) {
      shotMatch = true;
      await shot(page, 'match');
    }
    if (opts.shots && !shotReveal && phase === 'reveal' && (await page.locator('.score-badge').count()) > 0) {
      shotReveal = true;
      await sleep(800);
      await shot(page, 'reveal');
    }
    const submit = page.getByTestId('submit-answer');
    if (phase === 'answering' && (await submit.isEnabled().catch(() => false)) && !answered.has(qIndex)) {
      const box = page.locator('#answer-input');
      const text = `${ANSWERS[(qIndex - 1 + ANSWERS.length) % ANSWERS.length]} (${label})`;
      // Type a little first so live drafts stream, then fill the rest and submit.
      await box.pressSequentially(text.slice(0, 24), { delay: 15 });
      await box.fill(text);
      await sleep(350);
      if (await submit.isEnabled().catch(() => false)) {
        await submit.click();
        answered.add(qIndex);
      }
    }
    await sleep(250);
  }
  throw new Error(`${label}: no results within ${MATCH_TIMEOUT_MS / 1000} s`);
}

async function pageRanking(page) {
  return page.$$eval('[data-testid=final-ranking] li', (lis) =>
    lis.map((li) => ({ participant_id: li.getAttribute('data-participant'), rank: Number(li.getAttribute('data-rank')) })),
  );
}

async function main() {
  let server;
  let browser;
  try {
    server = await startServer();
    console.log(`# server ${server.baseUrl}`);
    browser = await launchBrowser();
    const desktop = { viewport: { width: 1280, height: 860 } };
    const hostCtx = await browser.newContext({ ...desktop, locale: 'en-US' });
    const playerCtx = await browser.newContext({ ...desktop, locale: 'ko-KR' });
    const specCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US', isMobile: true, hasTouch: true });
    const host = await hostCtx.newPage();
    const player = await playerCtx.newPage();
    const spec = await specCtx.newPage();
    const pageErrors = [];
    for (const [name, p] of [['host', host], ['player', player], ['spectator', spec]]) {
      p.on('pageerror', (e) => pageErrors.push(`${name}: ${e.message}`));
    }

    // ---- sign-in ----------------------------------------------------------------------------
    await t.step('sign-in screen renders in the browser language', async () => {
      await host.goto(server.baseUrl + '/');
      await host.locator('#display-name').waitFor();
      await player.goto(server.baseUrl + '/');
      const koTitle = await player.locator('.signin-card h2').textContent();
      if (koTitle !== '아레나 입장') throw new Error(`player (ko-KR) sees ${koTitle}`);
      await shot(host, 'signin');
    });
    await t.step('host and player sign in as guests', async () => {
      await signIn(host, server.baseUrl, `Host ${run}`);
      await signIn(player, server.baseUrl, `Player ${run}`);
      await signIn(spec, server.baseUrl, `Coach ${run}`);
    });

    // ---- create ------------------------------------------------------------------------------
    const title = `E2E match ${run}`;
    await t.step('host creates a room with 2 AI candidates, 3 questions, 15 s answers', async () => {
      await host.getByTestId('create-room').click();
      const dlg = host.getByRole('dialog');
      await dlg.locator('.persona-card').first().waitFor();
      await shot(host, 'create-room');
      await dlg.locator('#room-title').fill(title);
      const picked = await dlg.locator('.persona-toggle[aria-pressed=true]').count();
      if (picked !== 2) throw new Error(`expected 2 pre-picked personas, got ${picked}`);
      await dlg.locator('#q-count').fill(String(QUESTIONS));
      await dlg.locator('#a-secs').fill(String(ANSWER_SECONDS));
      await dlg.locator('#max-humans').fill('2');
      await dlg.locator('button[type=submit]').click();
      await host.getByTestId('join-code').waitFor({ timeout: 15_000 });
    });
    const joinCode = (await host.getByTestId('join-code').textContent().catch(() => ''))?.trim();
    t.check('join code is shown to the host', !!joinCode && joinCode.length >= 4, joinCode);

    // ---- lobby is live -----------------------------------------------------------------------
    await t.step('the new room appears live in the other lobbies', async () => {
      await player.locator('.room-card', { hasText: title }).waitFor({ timeout: 10_000 });
      await shot(player, 'lobby');
    });

    // ---- join, ready, start ------------------------------------------------------------------
    await t.step('player joins by code and marks ready', async () => {
      await player.locator('#join-code').fill(joinCode);
      await player.locator('form.code-card button[type=submit]').click();
      await player.getByTestId('ready-toggle').waitFor({ timeout: 10_000 });
      await player.getByTestId('ready-toggle').click();
      await host.locator(`.seat-ready`, { hasText: `Player ${run}` }).waitFor({ timeout: 10_000 });
      await shot(host, 'waiting-room');
    });
    await t.step('spectator watches from the lobby (read-only)', async () => {
      await spec.locator('.room-card', { hasText: title }).waitFor({ timeout: 10_000 });
      await shot(spec, 'lobby-mobile');
      await spec.locator('.room-card', { hasText: title }).locator('button', { hasText: 'Watch' }).click();
      await spec.locator('.waiting').waitFor({ timeout: 10_000 });
      if (await spec.getByTestId('ready-toggle').count()) throw new Error('spectator has a ready button');
    });
    await t.step('host starts the match', async () => {
      await host.getByTestId('start-match').click();
      await host.locator('.match').waitFor({ timeout: 15_000 });
      await player.locator('.match').waitFor({ timeout: 15_000 });
    });

    const roomId = await host.evaluate(() => JSON.parse(localStorage.getItem('arena.room') || '{}').room_id);
    const playerId = await player.evaluate(() => JSON.parse(localStorage.getItem('arena.user') || '{}').user_id);
    t.check('room id is remembered for reconnects', !!roomId, roomId);

    // ---- play --------------------------------------------------------------------------------
    let reloadCheck = null;
    const onPlayerQuestion = async ({ qIndex, phase, reloaded }) => {
      if (reloaded || qIndex < 2 || !['question', 'answering'].includes(phase)) return;
      // Mid-match reload: the player must come back to the same seat.
      await player.reload();
      reloadCheck = (async () => {
        await player.locator('.match').waitFor({ timeout: 20_000 });
        await player.locator(`[data-testid=leaderboard] li.me[data-participant="${playerId}"]`).waitFor({ timeout: 10_000 });
        const stored = await player.evaluate(() => JSON.parse(localStorage.getItem('arena.room') || '{}').room_id);
        if (stored !== roomId) throw new Error(`stored room ${stored} != ${roomId}`);
        return true;
      })();
      await reloadCheck.catch(() => undefined);
      return 'reloaded';
    };
    const specShots = (async () => {
      await spec.locator('.match[data-phase=answering]').waitFor({ timeout: 60_000 });
      await spec.locator('.answer-text').first().waitFor({ timeout: 60_000 }).catch(() => undefined);
      if (SHOTS) await shot(spec, 'spectator-mobile');
      const ro = (await spec.locator('#answer-input').count()) === 0;
      return ro;
    })().catch((e) => {
      console.log(`# spectator: ${e.message.split('\n')[0]}`);
      return false;
    });
    const [hostRes, playerRes] = await Promise.all([
      playUntilResults(host, 'host', { shots: true }).catch((e) => ({ error: e })),
      playUntilResults(player, 'player', { onQuestion: onPlayerQuestion }).catch((e) => ({ error: e })),
    ]);
    t.check('host played to the results screen', !hostRes.error, hostRes.error);
    t.check('player played to the results screen', !playerRes.error, playerRes.error);
    t.check('host answered every question', hostRes.answered === QUESTIONS, `answered ${hostRes.answered}`);
    t.check('player answered questions after the reload too', playerRes.answered >= QUESTIONS - 1, `answered ${playerRes.answered}`);
    t.check('player page was reloaded mid-match', !!playerRes.reloaded);
    t.check(
      'after the reload the player is back in their seat',
      reloadCheck ? await reloadCheck.then(() => true).catch(() => false) : false,
    );
    t.check('spectator view is read-only', await specShots.catch(() => false));

    // ---- results -----------------------------------------------------------------------------
    const report = await t.step('report is served by GET /api/v1/rooms/{id}/report', async () => {
      const token = await host.evaluate(() => localStorage.getItem('arena.token'));
      const anon = await fetch(`${server.baseUrl}/api/v1/rooms/${roomId}/report`);
      if (anon.status !== 404) throw new Error(`without a token: HTTP ${anon.status} (the report is private)`);
      const r = await fetch(`${server.baseUrl}/api/v1/rooms/${roomId}/report`, { headers: { Authorization: `Bearer ${token}` } });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      const body = await r.json();
      if (!Array.isArray(body.ranking) || body.ranking.length !== 4) throw new Error(`ranking: ${JSON.stringify(body.ranking)}`);
      if (body.questions?.length !== QUESTIONS) throw new Error(`questions: ${body.questions?.length}`);
      return body;
    });
    if (report) {
      const want = report.ranking.map((e) => ({ participant_id: e.participant_id, rank: e.rank }));
      for (const [name, p] of [['host', host], ['player', player]]) {
        const got = await pageRanking(p);
        t.check(`${name} page ranking matches the report`, JSON.stringify(got) === JSON.stringify(want), `page ${JSON.stringify(got)}\nreport ${JSON.stringify(want)}`);
      }
      const chartLines = await host.locator('[data-testid=score-chart] polyline').count();
      t.check('results chart draws one line per participant', chartLines === 4, `lines ${chartLines}`);
      const compare = await player.locator('.compare-q').count();
      t.check('results compare each of your answers with the best', compare === QUESTIONS, `compare ${compare}`);
    }
    if (SHOTS) {
      await host.evaluate(() => window.scrollTo(0, 0));
      await shot(host, 'results');
      await host.locator('.compare').scrollIntoViewIfNeeded();
      await shot(host, 'results-compare');
    }
    // ---- second, short scenario: errors in plain words, kick, simultaneous mode ------------
    // ---- history, replay, share links (issue 12) ----------------------------------------------
    await t.step('the host replays the match: key points, a model answer, exports', async () => {
      await host.getByTestId('open-replay').click();
      await host.getByTestId('replay').waitFor({ timeout: 20_000 });
      const qs = await host.locator('.replay .compare-q').count();
      if (qs !== QUESTIONS) throw new Error(`replay questions: ${qs}`);
      await host.getByTestId('key-points').first().waitFor();
      await host.getByTestId('model-answer').first().waitFor();
      const [download] = await Promise.all([host.waitForEvent('download'), host.getByTestId('export-csv').click()]);
      if (!download.suggestedFilename().endsWith('.csv')) throw new Error(download.suggestedFilename());
      if (SHOTS) await shot(host, 'replay');
    });
    await t.step('a share link opens the replay without signing in, until it is revoked', async () => {
      await host.getByTestId('share-create').click();
      const url = await host.getByTestId('share-url').inputValue();
      const anonCtx = await browser.newContext({ ...desktop, locale: 'en-US' });
      const anon = await anonCtx.newPage();
      await anon.goto(url);
      await anon.getByTestId('replay').waitFor({ timeout: 20_000 });
      await host.getByTestId('share-revoke').click();
      await sleep(500);
      await anon.reload();
      await anon.getByTestId('replay-error').waitFor({ timeout: 20_000 });
      await anonCtx.close();
    });
    await t.step('the history page charts scores by dimension and by category', async () => {
      await host.evaluate(() => { location.hash = '#/history'; });
      await host.getByTestId('history').waitFor({ timeout: 20_000 });
      await host.locator('[data-testid=chart-dimensions] .recharts-surface').first().waitFor({ timeout: 20_000 });
      await host.locator('[data-testid=chart-categories] .recharts-surface').first().waitFor();
      const rows = await host.locator(`[data-testid=history-matches] tr[data-room-id="${roomId}"]`).count();
      if (rows !== 1) throw new Error(`history rows for the room: ${rows}`);
      if (SHOTS) await shot(host, 'history');
    });
    await t.step('both return to the lobby, which shows the boards', async () => {
      await host.evaluate(() => { location.hash = ''; });
      await player.getByTestId('back-to-lobby').click();
      await host.getByRole('heading', { name: 'Lobby' }).waitFor();
      await player.getByRole('heading', { name: '로비' }).waitFor();
      await host.getByTestId('boards').waitFor({ timeout: 20_000 });
      await host.locator('[data-testid=boards] .board-row').first().waitFor({ timeout: 20_000 });
    });
    await t.step('a wrong join code is explained in plain words (Korean UI)', async () => {
      await player.locator('#join-code').fill('ZZZZZZ');
      await player.locator('form.code-card button[type=submit]').click();
      await player.locator('.toast-error', { hasText: '방을 찾을 수 없습니다' }).waitFor({ timeout: 10_000 });
    });
    const simTitle = `E2E simultaneous ${run}`;
    await t.step('host creates a simultaneous 1-question room; player joins and is removed by the host', async () => {
      await host.getByTestId('create-room').click();
      const dlg = host.getByRole('dialog');
      await dlg.locator('.persona-card').first().waitFor();
      await dlg.locator('#room-title').fill(simTitle);
      await dlg.locator('.persona-toggle[aria-pressed=true]').nth(1).click(); // keep one AI
      await dlg.locator('#q-count').fill('1');
      await dlg.locator('#a-secs').fill('10');
      await dlg.getByLabel('Simultaneous').check();
      await dlg.locator('button[type=submit]').click();
      const code = (await host.getByTestId('join-code').textContent({ timeout: 15_000 })).trim();
      await player.locator('#join-code').fill(code);
      await player.locator('form.code-card button[type=submit]').click();
      await player.locator('.waiting').waitFor({ timeout: 10_000 });
      await host.getByRole('button', { name: `Remove Player ${run} from the room` }).click();
      await player.getByRole('heading', { name: '로비' }).waitFor({ timeout: 10_000 });
      await player.locator('.toast', { hasText: '방장이 나를 방에서 내보냈습니다' }).waitFor({ timeout: 10_000 });
    });
    await t.step('simultaneous mode hides answers until the reveal, then scores them', async () => {
      await host.getByTestId('start-match').click();
      await host.locator('.match[data-phase=answering]').waitFor({ timeout: 20_000 });
      await host.getByText('Answers stay hidden until the reveal.').waitFor();
      await host.locator('#answer-input').fill(ANSWERS[0]);
      await sleep(1500);
      const visibleOthers = await host.locator('.answer:not(.answer-me) .answer-text').count();
      if (visibleOthers) throw new Error('another answer was visible before the reveal');
      await host.getByTestId('submit-answer').click();
      await host.locator('.match[data-phase=reveal]').waitFor({ timeout: 30_000 });
      await host.locator('.answer .score-badge').nth(1).waitFor({ timeout: 10_000 });
      await host.getByTestId('final-ranking').waitFor({ timeout: 30_000 });
    });
    t.check('no uncaught errors in the pages', pageErrors.length === 0, pageErrors.join('\n'));
  } catch (e) {
    t.check('e2e run', false, e?.stack ?? e);
    if (server?.log) console.log(server.log().slice(-2000));
  } finally {
    await browser?.close().catch(() => undefined);
    await server?.stop();
  }
  process.exit(t.summary());
}

main();
