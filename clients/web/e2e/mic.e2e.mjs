// End-to-end, spoken answer: headless Chromium with a fake microphone that plays a WAV made by
// espeak-ng. One player and one AI candidate, one question. On their turn the player presses the
// mic button; the words must appear in the answer box (WebRTC → media sidecar → transcript), and
// after the turn the answer must be scored (a score_update for that player with non-empty text).
//
//   node e2e/mic.e2e.mjs                       # starts ../../.venv/bin/arena serve (which starts arena media)
//   E2E_BASE_URL=http://127.0.0.1:8090 node e2e/mic.e2e.mjs
//   SCREENSHOTS=1 node e2e/mic.e2e.mjs         # also writes docs/screenshots/mic-{en,ko}.png
//
// If the server answers media_offer with media_unavailable (no sidecar), it prints
// "SKIP: …" with the reason and exits 0. MIC_E2E_REQUIRE=1 turns that skip into a failure.
// Prints 'N passed, N failed' and exits non-zero on failure.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser, REPO_DIR, reporter, setLang, signIn, sleep, startServer } from './lib.mjs';

const SHOTS = process.env.SCREENSHOTS === '1';
const SHOT_DIR = path.join(REPO_DIR, 'docs', 'screenshots');
const REQUIRE = process.env.MIC_E2E_REQUIRE === '1';
/** MIC_E2E_PCM=1: the same flow over the audio_chunk fallback (AudioWorklet, 16 kHz PCM) instead of WebRTC. */
const PCM = process.env.MIC_E2E_PCM === '1';
const WANT_PHASE = PCM ? 'live-pcm' : 'live';
// tiny.en is fragile on some phrases ("I led a team of four" comes out in several ways, see
// docs/media.md); these words come through at every cut we tried.
const SPOKEN = 'We rebuilt the search service and cut the response time in half. Then we added monitoring to every release.';
const KEYWORDS = ['search', 'service', 'response', 'time', 'half', 'monitoring', 'release'];
const hits = (text) => KEYWORDS.filter((k) => text.toLowerCase().includes(k)).length;
const t = reporter();
const t0 = Date.now();
const secs = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

function makeWav(dir) {
  const raw = path.join(dir, 'x.wav');
  const wav = path.join(dir, 'answer.wav');
  let r = spawnSync('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', raw, SPOKEN]);
  if (r.status !== 0) throw new Error(`espeak-ng failed: ${r.stderr}`);
  // 48 kHz mono 16-bit, with 0.5 s of silence before and 2.5 s after (Chromium loops the file:
  // the gap lets the sidecar's VAD close the utterance and send the final).
  r = spawnSync('sox', [raw, '-r', '48000', '-c', '1', '-b', '16', wav, 'pad', '0.5', '2.5']);
  if (r.status !== 0) throw new Error(`sox failed: ${r.stderr}`);
  return wav;
}

/** Wait until a media sidecar heartbeat exists in Redis (it warms up for a few seconds). */
async function waitSidecar(ms) {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const r = spawnSync('redis-cli', ['-u', url, '--scan', '--pattern', 'media:sidecar:*'], { encoding: 'utf8' });
    if (r.error) return null; // no redis-cli: just try
    if (r.stdout.trim()) return true;
    await sleep(500);
  }
  return false;
}

async function shot(page, name) {
  if (!SHOTS) return;
  mkdirSync(SHOT_DIR, { recursive: true });
  const cur = await page.evaluate(() => document.documentElement.lang);
  for (const l of [cur, cur === 'ko' ? 'en' : 'ko']) {
    if (l !== (await page.evaluate(() => document.documentElement.lang))) await setLang(page, l);
    await sleep(300);
    await page.screenshot({ path: path.join(SHOT_DIR, `${name}-${l}.png`), fullPage: false });
  }
  await setLang(page, cur);
}

async function main() {
  let server;
  let browser;
  let skipped = null;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'arena-mic-'));
  try {
    const wav = makeWav(dir);
    server = await startServer();
    console.log(`# server ${server.baseUrl} (${secs()})`);
    const up = await waitSidecar(45_000);
    console.log(`# media sidecar heartbeat: ${up === null ? 'unknown (no redis-cli)' : up ? 'yes' : 'no'} (${secs()})`);
    browser = await launchBrowser([
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${wav}`,
      '--autoplay-policy=no-user-gesture-required',
    ]);
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    await ctx.grantPermissions(['microphone', 'camera'], { origin: server.baseUrl });
    const page = await ctx.newPage();
    if (PCM) await page.addInitScript(() => localStorage.setItem('arena.mic.pcm', '1'));
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));

    await t.step('player signs in and creates a one-question room with one AI', async () => {
      await signIn(page, server.baseUrl, `Speaker ${Date.now() % 100000}`);
      const ok = await page.evaluate(async () => {
        const a = window.__arena;
        const ps = await a.http.personas('en');
        return a.createRoom({
          title: 'Mic e2e',
          personas: [{ id: ps[0].id, skill: 1 }],
          question_count: 1,
          language: 'en',
          turn_mode: 'round_robin',
          answer_seconds: 40,
          max_humans: 1,
          private: true,
          categories: ['behavioural'],
          difficulty: 'easy',
        });
      });
      if (!ok) throw new Error('createRoom failed');
    });

    // The sidecar loads models and warms up after `arena serve` is ready: wait until a real
    // offer is answered (another sidecar's heartbeat on the same Redis does not mean ours is up).
    const warm = await page.evaluate(async () => {
      const t0 = performance.now();
      let last = '';
      while (performance.now() - t0 < 25_000) {
        const s = await navigator.mediaDevices.getUserMedia({ audio: true });
        const pc = new RTCPeerConnection({ iceServers: [] });
        pc.addTrack(s.getAudioTracks()[0], s);
        await pc.setLocalDescription(await pc.createOffer());
        await new Promise((r) => {
          if (pc.iceGatheringState === 'complete') return r();
          pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r();
          setTimeout(r, 3000);
        });
        try {
          await window.__arena.emit('media_offer', { sdp: pc.localDescription.sdp, type: 'offer' });
          last = 'ok';
        } catch (e) {
          last = `${e.code}: ${e.message}`;
        }
        pc.close();
        s.getTracks().forEach((t) => t.stop());
        if (last === 'ok' || !/media_unavailable|timeout/.test(last)) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      return { last, ms: Math.round(performance.now() - t0) };
    });
    console.log(`# warm-up media_offer: ${warm.last} after ${warm.ms} ms (${secs()})`);
    if (/media_unavailable/.test(warm.last)) {
      skipped = `the server answers media_offer with "${warm.last}" for ${Math.round(warm.ms / 1000)} s — the media sidecar / bridge is not running, so there is no transcript to check`;
      throw Object.assign(new Error('skip'), { skip: true });
    }

    await t.step('the match starts', async () => {
      await page.getByTestId('start-match').click();
      await page.locator('.match').waitFor({ timeout: 15_000 });
    });

    const myTurn = await t.step('the player’s turn comes and the mic button is offered', async () => {
      await page.getByTestId('mic-toggle').waitFor({ state: 'visible', timeout: 60_000 });
      await page.waitForFunction(() => !document.querySelector('[data-testid=mic-toggle]')?.hasAttribute('disabled'), null, { timeout: 60_000 });
      return true;
    });
    if (!myTurn) throw new Error('no turn');

    await page.evaluate(() => {
      window.__heard = [];
      window.__arena.onMedia((name, p) => window.__heard.push(`${p.is_final ? 'final' : 'partial'} #${p.seq}: ${p.transcript}`));
    });
    await page.getByTestId('mic-toggle').click();
    const phase = await page
      .waitForFunction(() => {
        const p = document.querySelector('[data-testid=mic-panel]')?.getAttribute('data-phase');
        return p && !['starting', 'connecting'].includes(p) ? p : null;
      }, null, { timeout: 20_000 })
      .then((h) => h.jsonValue());
    const status = await page.getByTestId('mic-status').textContent();
    const code = await page.getByTestId('mic-panel').getAttribute('data-code');
    console.log(`# mic phase after the click: ${phase}${code ? ` (${code})` : ''} — "${status}" (${secs()})`);
    if (phase !== WANT_PHASE) {
      const reason = await page.evaluate(async () => {
        try {
          await window.__arena.emit('media_offer', { sdp: 'v=0', type: 'offer' });
          return 'media_offer with a dummy SDP was accepted';
        } catch (e) {
          return `${e.code}: ${e.message}`;
        }
      });
      if (/media_unavailable/.test(reason) || phase === 'unavailable') {
        skipped = `the server answers media_offer with ${reason} — the media sidecar / bridge is not running, so there is no transcript to check (the mic UI fell back to "${phase}")`;
        throw Object.assign(new Error('skip'), { skip: true });
      }
      throw new Error(`mic did not go ${WANT_PHASE}: ${phase}; media_offer probe: ${reason}`);
    }
    await t.step(`mic button is pressed (${PCM ? 'PCM audio_chunk' : 'WebRTC'} live) and the level meter shows the fake microphone`, async () => {
      await page.waitForFunction(() => Number(document.querySelector('[data-testid=mic-level]')?.getAttribute('aria-valuenow')) > 5, null, { timeout: 10_000 });
      const pressed = await page.getByTestId('mic-toggle').getAttribute('aria-pressed');
      if (pressed !== 'true') throw new Error(`aria-pressed=${pressed}`);
    });

    const spoken = await t.step('the spoken answer appears in the answer box', async () => {
      const h = await page.waitForFunction(
        (kw) => {
          const v = document.querySelector('#answer-input')?.value ?? '';
          const n = kw.filter((k) => v.toLowerCase().includes(k)).length;
          return n >= 3 ? v : null;
        },
        KEYWORDS,
        { timeout: 30_000, polling: 200 },
      );
      const v = await h.jsonValue();
      console.log(`# transcript (${secs()}): ${v}`);
      return v;
    });
    await t.step('the camera toggle turns the camera on mid-answer (preview shown, audio stays live)', async () => {
      await page.getByTestId('camera-toggle').click();
      await page.locator('video.cam-preview').waitFor({ timeout: 10_000 });
      await page.waitForFunction(() => document.querySelector('video.cam-preview')?.readyState >= 2, null, { timeout: 10_000 });
      const p = await page.getByTestId('mic-panel').getAttribute('data-phase');
      if (p !== WANT_PHASE) throw new Error(`mic phase ${p} after the camera toggle`);
    });
    if (!PCM) await shot(page, 'mic');

    await t.step('after the turn the spoken answer is scored (score_update with non-empty text)', async () => {
      // Submit once the first utterance is final (or after 12 s: then the partial is submitted).
      const gotFinal = await page
        .waitForFunction(() => window.__heard.some((x) => x.startsWith('final')), null, { timeout: 12_000, polling: 200 })
        .then(() => true, () => false);
      console.log(`# final transcript before submit: ${gotFinal ? 'yes' : 'no (submitting the partial)'} (${secs()})`);
      await page.getByTestId('submit-answer').click();
      const released = await page.waitForFunction(() => !document.querySelector('[data-testid=mic-panel]'), null, { timeout: 5_000 }).then(() => true, () => false);
      if (!released) throw new Error('mic panel still shown after submit');
      const h = await page.waitForFunction(
        () => {
          const a = window.__arena;
          const me = a.myId();
          const ans = a.getState().sync.room?.answers?.find((x) => x.participant_id === me);
          return ans && typeof ans.score === 'number' && ans.text.trim() ? { score: ans.score, text: ans.text } : null;
        },
        null,
        { timeout: 60_000, polling: 250 },
      );
      const { score, text } = await h.jsonValue();
      const heard = await page.evaluate(() => window.__heard);
      console.log(`# audio_processed: ${heard.length} (${heard.filter((x) => x.startsWith('final')).length} finals); last: ${heard.slice(-3).join(' | ')}`);
      console.log(`# scored ${score} (${secs()}): ${text}`);
      if (hits(text) < 3) throw new Error(`scored text is not the spoken one: ${text}`);
    });
    t.check('no uncaught errors in the page', errors.length === 0, errors.join('\n'));
  } catch (e) {
    if (e?.skip || skipped) {
      console.log(`SKIP: ${skipped}`);
    } else {
      t.check('mic e2e run', false, e?.stack ?? e);
      if (server?.log) console.log(server.log().slice(-3000));
    }
  } finally {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`# mic e2e took ${secs()}`);
  if (skipped) {
    console.log(`${REQUIRE ? 'not ok' : 'ok'} - mic e2e skipped`);
    process.exit(REQUIRE ? 1 : 0);
  }
  process.exit(t.summary());
}

main();
