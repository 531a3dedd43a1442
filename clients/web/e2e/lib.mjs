// Shared helpers for the browser tests: start the server, launch Debian's Chromium, small waits.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = path.resolve(WEB_DIR, '..', '..');

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumPath() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error('Chromium not found: apt-get install -y chromium (or set CHROMIUM_PATH)');
  return found;
}

export async function launchBrowser(extraArgs = []) {
  return chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS, ...extraArgs], headless: true });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Build dist/ if it is missing (the Makefile normally does this first). */
export function ensureBuilt() {
  if (existsSync(path.join(WEB_DIR, 'dist', 'index.html'))) return;
  console.log('# dist/ missing: building the web client');
  const r = spawnSync('npx', ['vite', 'build'], { cwd: WEB_DIR, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('vite build failed');
}

/**
 * Use E2E_BASE_URL, or start `arena serve` on a free port (environment passed through).
 * Returns {baseUrl, stop()}.
 */
export async function startServer() {
  if (process.env.E2E_BASE_URL) return { baseUrl: process.env.E2E_BASE_URL.replace(/\/$/, ''), stop: async () => {} };
  ensureBuilt();
  const port = await freePort();
  const bin = path.join(REPO_DIR, '.venv', 'bin', 'arena');
  if (!existsSync(bin)) throw new Error(`${bin} not found: run make install first, or set E2E_BASE_URL`);
  const env = {
    REDIS_URL: 'redis://127.0.0.1:6379/0',
    DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/test',
    // Keep the MiniLM ONNX export (~17 s to make) out of a per-run ARENA_DATA_DIR, which would redo it each run.
    ARENA_MODEL_CACHE: path.join(os.homedir(), '.cache', 'interview-arena'),
    ...process.env,
  };
  const child = spawn(bin, ['serve', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: REPO_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const baseUrl = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode != null) throw new Error(`server exited (${child.exitCode}):\n${log.slice(-3000)}`);
    try {
      const r = await fetch(`${baseUrl}/readyz`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() - t0 > 120_000) {
      child.kill('SIGTERM');
      throw new Error(`server not ready after 120 s:\n${log.slice(-3000)}`);
    }
    await sleep(300);
  }
  return {
    baseUrl,
    log: () => log,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode != null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => {
          if (child.exitCode == null) child.kill('SIGKILL');
        }, 5000);
      }),
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A tiny test reporter that ends with the 'N passed, N failed' line. */
export function reporter() {
  let passed = 0;
  let failed = 0;
  return {
    check(name, ok, detail = '') {
      if (ok) {
        passed++;
        console.log(`ok - ${name}`);
      } else {
        failed++;
        console.log(`not ok - ${name}${detail ? `\n  ${String(detail).split('\n').join('\n  ')}` : ''}`);
      }
      return ok;
    },
    async step(name, fn) {
      try {
        const out = await fn();
        passed++;
        console.log(`ok - ${name}`);
        return out;
      } catch (e) {
        failed++;
        console.log(`not ok - ${name}\n  ${String(e?.stack ?? e).split('\n').slice(0, 6).join('\n  ')}`);
        return undefined;
      }
    },
    get failed() {
      return failed;
    },
    summary() {
      console.log(`${passed} passed, ${failed} failed`);
      return failed === 0 && passed > 0 ? 0 : 1;
    },
  };
}

/** Sign in as a guest through the UI. */
export async function signIn(page, baseUrl, name) {
  await page.goto(baseUrl + '/');
  await page.locator('#display-name').fill(name);
  await page.locator('form.signin-card button[type=submit]').click();
  await page.getByTestId('create-room').waitFor({ state: 'visible', timeout: 15_000 });
  await page.waitForFunction(() => !document.querySelector('[data-testid=create-room]')?.hasAttribute('disabled'), null, { timeout: 15_000 });
}

/** Switch the UI language with the header toggle. */
export async function setLang(page, lang) {
  const btn = page.locator(`.seg button[lang=${lang}]`);
  // A modal dialog covers the header: switch through the app's store instead.
  if (await page.locator('.modal-backdrop').count()) await page.evaluate((l) => window.__arena.setLang(l), lang);
  else await btn.click();
  await page.waitForFunction((l) => document.documentElement.lang === l, lang);
}
