// Performance numbers for the web client:
//  1. initial JS, gzipped: every script and modulepreload that dist/index.html loads, gzip -9.
//  2. lobby time-to-interactive on localhost: navigation start → the lobby's "Create room"
//     button is enabled (socket connected, rooms listed), for a signed-in user, N cold loads.
//
//   node e2e/perf.mjs                 # starts its own server, like the e2e test
//   E2E_BASE_URL=http://127.0.0.1:8090 PERF_RUNS=20 node e2e/perf.mjs
//
// Prints a Markdown block to paste into PERF.md.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { launchBrowser, signIn, startServer, WEB_DIR, ensureBuilt } from './lib.mjs';

const RUNS = Number(process.env.PERF_RUNS ?? 15);

function initialJs() {
  ensureBuilt();
  const dist = path.join(WEB_DIR, 'dist');
  const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  const srcs = [...html.matchAll(/<script[^>]+src="([^"]+)"/g), ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g)].map((m) => m[1]);
  const css = [...html.matchAll(/<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"/g)].map((m) => m[1]);
  const size = (files) =>
    files.reduce(
      (acc, f) => {
        const buf = readFileSync(path.join(dist, f.replace(/^\//, '')));
        acc.raw += buf.length;
        acc.gz += gzipSync(buf, { level: 9 }).length;
        acc.br += brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
        return acc;
      },
      { raw: 0, gz: 0, br: 0 },
    );
  return { js: size(srcs), css: size(css), files: srcs };
}

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function main() {
  const sizes = initialJs();
  const server = await startServer();
  const browser = await launchBrowser();
  const times = [];
  const dcl = [];
  try {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    const page = await ctx.newPage();
    await signIn(page, server.baseUrl, 'Perf probe');
    const state = await ctx.storageState();
    await ctx.close();
    for (let i = 0; i < RUNS + 1; i++) {
      // A fresh context each time: cold HTTP cache, token already in localStorage.
      const c = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', storageState: state });
      const p = await c.newPage();
      await p.goto(server.baseUrl + '/', { waitUntil: 'commit' });
      await p.waitForFunction(() => {
        const b = document.querySelector('[data-testid=create-room]');
        return b && !b.hasAttribute('disabled') && document.querySelector('.room-list, .empty');
      }, null, { timeout: 30_000, polling: 'raf' });
      const ms = await p.evaluate(() => performance.now());
      const d = await p.evaluate(() => performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd ?? 0);
      if (i > 0) {
        times.push(ms); // the first load warms the server, not the browser
        dcl.push(d);
      }
      await c.close();
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  const kb = (n) => (n / 1024).toFixed(1);
  const median = pct(times, 50);
  const p95 = pct(times, 95);
  console.log(`initial JS: ${kb(sizes.js.raw)} KB raw, ${kb(sizes.js.gz)} KB gzip -9, ${kb(sizes.js.br)} KB brotli (${sizes.files.join(', ')})`);
  console.log(`initial CSS: ${kb(sizes.css.raw)} KB raw, ${kb(sizes.css.gz)} KB gzip`);
  console.log(`lobby TTI over ${times.length} cold loads: median ${median.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms, min ${Math.min(...times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms`);
  console.log(`DOMContentLoaded (JS parsed and run): median ${pct(dcl, 50).toFixed(0)} ms; the rest is the Socket.IO connect + list_rooms round trip`);
  console.log(JSON.stringify({ js_gzip_bytes: sizes.js.gz, js_br_bytes: sizes.js.br, js_raw_bytes: sizes.js.raw, css_gzip_bytes: sizes.css.gz, tti_ms: { median, p95, runs: times.length } }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
