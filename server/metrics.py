"""Prometheus metrics of the game server (exposed at ``GET /metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CONNECTED_CLIENTS = Gauge("arena_connected_clients", "Socket.IO clients connected to this process")
ACTIVE_ROOMS = Gauge("arena_active_rooms", "Rooms alive in this process")
ACTIVE_MATCHES = Gauge("arena_active_matches", "Rooms with a match running")
TICK_SECONDS = Histogram("arena_tick_duration_seconds", "Time spent in one room tick (room.tick + flush)",
                         buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25))
FLUSH_FAILURES = Counter("arena_room_flush_failures_total",
                         "Room flushes that failed (e.g. on Redis); their events are retried by the next flush")
EVENTS_IN = Counter("arena_events_in_total", "Client-to-server events received", ["event", "outcome"])
RATE_LIMITED = Counter("arena_rate_limited_total", "Client events refused with rate_limited (server/ratelimit.py)",
                       ["event", "scope"])
EVENTS_OUT = Counter("arena_events_out_total", "Server-to-client room events broadcast", ["event"])
JOB_SECONDS = Histogram("arena_job_duration_seconds", "Duration of room jobs run off the loop", ["job"],
                        buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
MATCHES_FINISHED = Counter("arena_matches_finished_total", "Matches finished", ["reason"])
JOBS_RUN = Counter("arena_jobs_total", "Room jobs run, by where they ran: a worker process or inline in this one",
                   ["kind", "runner"])
JOB_FALLBACKS = Counter("arena_job_fallbacks_total",
                        "Room jobs run inline instead of in a worker: no_worker, not_taken (no worker took it "
                        "in time), worker_lost (its worker stopped heartbeating mid-job)", ["kind", "reason"])
ROOM_WRITES = Counter("arena_room_writes_total", "Room event/state writes to Redis, one Lua call each "
                      "(server/store/group_commit.py)")
ROOM_WRITE_BATCHES = Counter("arena_room_write_batches_total", "Redis pipelines that carried the room writes "
                             "(group commit: calls / batches is the batch size)")
