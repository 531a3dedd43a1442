"""Smoke test of ``make bench-load``: 20 players for 5 s against the real server and the raw baseline.

It proves the driver (official ``socket.io-client`` over real sockets), both servers and the table
work; the figures themselves come from ``make bench-load`` on a quiet machine, never from here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATABASE_URL, REDIS_URL, free_port

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (ROOT / "clients/web/node_modules/socket.io-client").is_dir(),
    reason="needs node and clients/web/node_modules (make web)")


@pytest.mark.timeout(300)
def test_bench_load_smoke_prints_the_table(tmp_path):
    out, trace = tmp_path / "runs.json", tmp_path / "trace.jsonl"
    env = {**os.environ, "REDIS_URL": REDIS_URL, "DATABASE_URL": DATABASE_URL}
    p = subprocess.run([sys.executable, "-m", "loadtest.bench_load", "--players", "20", "--window", "5",
                        "--warmup", "2", "--stagger", "0", "--settle", "1", "--port", str(free_port()),
                        "--json", str(out), "--trace", str(trace)],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=280)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "| players | rooms | p99 own draft echoed as `answer_stream`" in p.stdout
    row = next(line for line in p.stdout.splitlines() if line.startswith("| 20 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "4" and cells[2].endswith(" ms") and "n/a" not in cells[:8], row
    runs = {r["kind"]: r for r in json.loads(out.read_text())}
    for kind in ("arena", "raw"):
        r = runs[kind]
        assert r["rooms"] == 4 and r["errors"] == {} and r["disconnects"] == 0, r
        assert r["samples"] > 0 and r["unmatched"] == 0, r            # own drafts came back, each one matched
        assert r["by_name"].get("answer_stream", 0) >= r["samples"], r
        assert r["cpu_s"] > 0 and r["us_per_event"] > 0, r
    # the trace feeds the compression report
    c = subprocess.run([sys.executable, "-m", "loadtest.compression", str(trace)], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert c.returncode == 0, c.stderr
    assert "answer_stream" in c.stdout and "deflate + inflate state per connection" in c.stdout
