// The load driver of `make bench-load` and `make soak`: players on the official `socket.io-client`
// (resolved from clients/web/node_modules), in rooms of N humans + AI seats, playing real matches.
//
// Usage: node loadtest/driver.mjs '<json config>'   (loadtest/bench_load.py builds the config)
//
// Config keys: base (server URL, any host: a single process, a load balancer), players, group (humans
// per room), rampPerSec (connections per second at most), staggerSec (room starts spread over this
// long, so that rooms are in different phases), warmupSec (after the last room started), windowSec
// (measurement window), traceFile (write every event player 0 receives in the window, one Socket.IO
// payload a line, for loadtest/compression.py), intervalSec (0 = no interval lines; else one stats line per interval, for the
// soak), draftEveryMs, submitAfterMs, room (the create_room payload), loop (re-form a room when its match
// ends), deadlineSec (hard stop). The server must speak this subset of the protocol: POST
// /api/v1/auth/guest -> {token, user_id}; create_room -> {ok, room_id, join_code}; join_room {join_code};
// set_ready; start_match; answer_draft {text} -> `answer_stream {participant_id, text}` to the room;
// submit_answer; `turn_started {participant_id}`; `session_complete`.
//
// Output, one JSON object per stdout line: {"type":"ready"} when every room has started,
// {"type":"window_start"}, {"type":"interval", ...} (soak), {"type":"result", ...} at the end of the
// window; then it disconnects everyone and exits. Latency: from emitting `answer_draft` to receiving
// our own draft back as `answer_stream` (matched by text).
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";

const require = createRequire(new URL("../clients/web/package.json", import.meta.url));
const { io } = require("socket.io-client");

const cfg = {
  base: "http://127.0.0.1:8090", players: 20, group: 5, rampPerSec: 200, staggerSec: 0, warmupSec: 10, windowSec: 60,
  intervalSec: 0, draftEveryMs: 1000, submitAfterMs: 6500, loop: true, deadlineSec: 600,
  room: {
    title: "bench", language: "en", turn_mode: "round_robin", question_count: 10, answer_seconds: 20,
    max_humans: 5, private: true, personas: [{ id: "naver", skill: 3 }, { id: "kakao", skill: 4 }],
  },
  ...JSON.parse(process.argv[2] || "{}"),
};
const url = new URL(cfg.base);
if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname) && !cfg.allowRemote) {
  console.error("the load driver targets 127.0.0.1 only (allowRemote for a cluster you own)");
  process.exit(2);
}

const WORDS = ("When our checkout API slowed down at peak traffic I measured p99 latency per endpoint, found a "
  + "missing composite index on the orders table and added it after testing the write cost on a replica; "
  + "latency fell from 900 ms to 150 ms and I added a load test to CI so that it stays there").split(" ");
const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");

// ------------------------------------------------------------------ stats
const stats = {
  measuring: false, lat: [], deliveries: 0, byName: {}, sizes: {}, errors: {}, disconnects: 0, matches: 0,
  drafts: 0, unmatched: 0,
};
let intervalLat = [], intervalDeliveries = 0;
const trace = [];                               // traceFile: every event player 0 got in the window, as sent
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
function err(kind) { stats.errors[kind] = (stats.errors[kind] || 0) + 1; }
function pct(a, p) {
  if (!a.length) return null;
  const s = Float64Array.from(a).sort();
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

// ----------------------------------------------------------------- player
class Player {
  constructor(i) { this.i = i; this.pending = new Map(); this.turn = 0; this.roomDone = null; }

  async connect() {
    const r = await fetch(new URL("/api/v1/auth/guest", cfg.base), {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ display_name: `bot${this.i}` }),
    });
    if (!r.ok) throw new Error(`auth ${r.status}`);
    const { token, user_id } = await r.json();
    this.id = user_id;
    this.sock = io(cfg.base, { transports: ["websocket"], auth: { token }, reconnection: false, forceNew: true,
      timeout: 20000 });
    await new Promise((res, rej) => {
      this.sock.once("connect", res);
      this.sock.once("connect_error", (e) => rej(new Error(`connect_error ${e.message}`)));
    });
    this.sock.on("disconnect", (why) => { if (!stopping) { stats.disconnects++; err(`disconnect:${why}`); } });
    let sample = 0;
    this.sock.onAny((name, data) => {
      if (stats.measuring && this.i === 0 && cfg.traceFile) trace.push(JSON.stringify([name, data]));
      if (stats.measuring) {
        stats.deliveries++; intervalDeliveries++;
        stats.byName[name] = (stats.byName[name] || 0) + 1;
        if ((++sample & 31) === 0) {            // 1 in 32: wire size of the Socket.IO payload
          const s = (stats.sizes[name] ||= { n: 0, bytes: 0 });
          s.n++; s.bytes += JSON.stringify([name, data]).length;
        }
      }
      if (name === "answer_stream" && data.participant_id === this.id) this.echo(data.text);
      else if (name === "turn_started" && data.participant_id === this.id) this.play(data);
      else if (name === "session_complete" && this.roomDone) this.roomDone();
    });
  }

  call(name, payload) {
    return this.sock.timeout(20000).emitWithAck(name, payload).catch(() => ({ ok: false, error: { code: "timeout" } }));
  }

  echo(text) {
    const t0 = this.pending.get(text);
    if (t0 === undefined) { if (stats.measuring) stats.unmatched++; return; }
    this.pending.delete(text);
    if (t0.measured) { const ms = now() - t0.at; stats.lat.push(ms); intervalLat.push(ms); }
  }

  async play(data) {
    const turn = ++this.turn;
    this.pending.clear();
    const t0 = now();
    const submitAt = cfg.submitAfterMs + (Math.random() - 0.5) * 600;
    let k = 0;
    while (!stopping && this.turn === turn) {
      await sleep(cfg.draftEveryMs - ((now() - t0) % cfg.draftEveryMs));
      if (stopping || this.turn !== turn) return;
      if (now() - t0 >= submitAt) break;
      k += 3;
      const text = `${WORDS.slice(0, k).join(" ")} (${turn})`;
      this.pending.set(text, { at: now(), measured: stats.measuring });
      if (stats.measuring) stats.drafts++;
      const ack = await this.call("answer_draft", { text });
      if (!ack.ok) { err(`answer_draft:${ack.error?.code}`); this.pending.delete(text); }
    }
    if (this.turn !== turn || stopping) return;
    await sleep(Math.max(0, submitAt - (now() - t0)));
    const ack = await this.call("submit_answer", { text: WORDS.join(" ") });
    if (!ack.ok) err(`submit_answer:${ack.error?.code}`);
  }
}

// ------------------------------------------------------------------ rooms
let stopping = false;
let started = 0;
async function runGroup(members) {
  const [host, ...rest] = members;
  let first = true;
  while (!stopping) {
    const made = await host.call("create_room", cfg.room);
    if (!made.ok) { err(`create_room:${made.error?.code}`); await sleep(1000); continue; }
    await host.call("join_room", { room_id: made.room_id });
    await Promise.all(rest.map(async (p) => {
      const j = await p.call("join_room", { join_code: made.join_code });
      if (!j.ok) err(`join_room:${j.error?.code}`);
      const r = await p.call("set_ready", { ready: true });
      if (!r.ok) err(`set_ready:${r.error?.code}`);
    }));
    const done = new Promise((res) => { host.roomDone = res; });
    for (let n = 0; n < 20 && !stopping; n++) {
      const s = await host.call("start_match", {});
      if (s.ok) break;
      if (n === 19) err(`start_match:${s.error?.code}`);
      await sleep(300);
    }
    if (first) { started++; first = false; }
    if (!cfg.loop) return;
    await Promise.race([done, stopped]);
    if (stopping) return;
    if (stats.measuring) stats.matches++;
    for (const p of members) { p.turn++; await p.call("leave_room", {}); }
  }
}

let markStopped;
const stopped = new Promise((r) => { markStopped = r; });

async function main() {
  const hard = setTimeout(() => { out({ type: "error", error: "deadline" }); process.exit(3); }, cfg.deadlineSec * 1000);
  hard.unref();
  const cpu0 = process.cpuUsage();
  const players = Array.from({ length: cfg.players }, (_, i) => new Player(i));
  const groups = [];
  const tRamp = now();
  const nGroups = Math.ceil(players.length / cfg.group);
  for (let g = 0; g < nGroups; g++) {
    const members = players.slice(g * cfg.group, (g + 1) * cfg.group);
    // rooms start spread over staggerSec (so their phases are not in step), never faster than rampPerSec
    const due = Math.max((g * cfg.group * 1000) / cfg.rampPerSec, (g / nGroups) * cfg.staggerSec * 1000);
    await sleep(Math.max(0, due - (now() - tRamp)));
    groups.push((async () => {
      await Promise.all(members.map((p) => p.connect()));
      await runGroup(members);
    })().catch((e) => { err(`group:${e.message}`); }));
  }
  while (started < groups.length && now() - tRamp < 120000 + cfg.staggerSec * 1000 && Object.keys(stats.errors).every((k) => !k.startsWith("group"))) {
    await sleep(100);
  }
  out({ type: "ready", rooms: started, groups: groups.length, ramp_s: (now() - tRamp) / 1000, errors: stats.errors });
  await sleep(cfg.warmupSec * 1000);

  loopDelay.enable();
  const cpuW = process.cpuUsage();
  stats.measuring = true;
  const tW = now();
  out({ type: "window_start" });
  let ticker = null;
  if (cfg.intervalSec > 0) {
    ticker = setInterval(() => {
      out({ type: "interval", t: (now() - tW) / 1000, n: intervalLat.length, p50_ms: pct(intervalLat, 0.5),
        p99_ms: pct(intervalLat, 0.99), deliveries: intervalDeliveries, disconnects: stats.disconnects });
      intervalLat = []; intervalDeliveries = 0;
    }, cfg.intervalSec * 1000);
  }
  await sleep(cfg.windowSec * 1000);
  stats.measuring = false;
  const wall = (now() - tW) / 1000;
  if (ticker) clearInterval(ticker);
  const cpu = process.cpuUsage(cpuW);
  loopDelay.disable();
  out({
    type: "result", window_s: wall, players: cfg.players, rooms: started,
    samples: stats.lat.length, p50_ms: pct(stats.lat, 0.5), p99_ms: pct(stats.lat, 0.99), max_ms: pct(stats.lat, 1),
    drafts: stats.drafts, unmatched: stats.unmatched, deliveries: stats.deliveries, by_name: stats.byName,
    sizes: Object.fromEntries(Object.entries(stats.sizes).map(([k, v]) => [k, Math.round(v.bytes / v.n)])),
    matches_completed: stats.matches, disconnects: stats.disconnects, errors: stats.errors,
    driver_cpu_pct: (100 * (cpu.user + cpu.system)) / 1e6 / wall,
    driver_loop_delay_p99_ms: loopDelay.percentile(99) / 1e6,
    driver_cpu_total_s: (() => { const c = process.cpuUsage(cpu0); return (c.user + c.system) / 1e6; })(),
  });
  if (cfg.traceFile) writeFileSync(cfg.traceFile, trace.join("\n") + "\n");
  stopping = true;
  markStopped();
  for (const p of players) p.sock?.disconnect();
  await sleep(200);
  process.exit(0);
}

main().catch((e) => { out({ type: "error", error: String(e?.stack || e) }); process.exit(1); });
