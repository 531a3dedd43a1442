"""Résumé question generation on the job queue (docs/resumes.md, docs/workers.md): with a real
``arena worker`` subprocess up the worker does the parsing, embedding and generation, and the game
process's SSE stream still shows its progress; with no worker it runs inline and completes. The data
export holds the user's résumés. Real server, Redis, PostgreSQL."""

from __future__ import annotations

import asyncio
import signal

from server.jobqueue import claim_key
from tests.accounts_kit import Api
from tests.conftest import running_server
from tests.resume_helpers import generated, job_events, request, resume_text, upload
from tests.test_workers import start_worker, stop, wait_beating

KIND = "resume_questions"


async def test_generation_runs_in_the_worker_and_its_progress_streams_over_sse():
    async with running_server(job_pickup_ms=3000) as srv:
        queue = srv.app["job_queue"]
        proc = start_worker(srv.prefix)
        try:
            await wait_beating(queue, proc)
            p = await srv.player("Jane")
            body, events, qs = await generated(srv.base, p.token, resume_text("en").encode(), "jane.txt")
        finally:
            stop(proc)
        assert queue.ran == {(KIND, f"worker:{proc.pid}"): 1}, queue.ran      # the worker's pid, never inline
        assert not queue.fallbacks, queue.fallbacks
        progress = [e["progress"] for e in events]
        assert progress == sorted(progress) and progress[-1] == 100, events
        # progress the worker reported (the runner itself only sets 1 and 100)
        assert [p for p in progress if 1 < p < 100], events
        assert events[-1]["state"] == "done"
        questions = qs["questions"]
        assert qs["ready"] and any(q["source"]["kind"] == "project" and q["source"]["ref"] == "Ledgerline"
                                   for q in questions)
        st, job = await request(srv.base, "GET", f"/api/v1/jobs/{body['job_id']}", p.token)
        assert st == 200 and job["state"] == "done" and job["progress"] == 100
        assert job["result"] == {"resume_id": body["resume_id"], "questions": len(questions), "llm_questions": 0}
        assert proc.returncode == 0


async def test_a_worker_killed_mid_generation_loses_nothing():
    # The worker holds every job 3 s before its work (fault injection): it is killed holding the claim.
    async with running_server(job_pickup_ms=1000) as srv:
        queue, r = srv.app["job_queue"], srv.app["redis"].r
        proc = start_worker(srv.prefix, ARENA_WORKER_DELAY_MS="3000")
        try:
            worker_id = await wait_beating(queue, proc)
            p = await srv.player("Kim")
            st, body = await upload(srv.base, p.token, resume_text("en").encode(), "cv.txt")
            assert st == 202, body
            claim = claim_key(srv.prefix, body["resume_id"], queue.reply_channel)
            for _ in range(200):
                if await r.get(claim) == worker_id:
                    break
                await asyncio.sleep(0.02)
            else:
                raise AssertionError(("the worker never claimed the generation", queue.ran, queue.fallbacks))
            proc.send_signal(signal.SIGKILL)
            events = await job_events(srv.base, body["job_id"], p.token)
        finally:
            stop(proc)
        assert proc.returncode == -signal.SIGKILL
        assert queue.fallbacks == {(KIND, "worker_lost"): 1} and queue.ran == {(KIND, "inline"): 1}
        assert events[-1]["state"] == "done", events
        st, qs = await request(srv.base, "GET", f"/api/v1/resumes/{body['resume_id']}/questions", p.token)
        assert st == 200 and qs["ready"] and qs["questions"]


async def test_with_no_worker_generation_runs_inline_and_completes(server):
    queue = server.app["job_queue"]
    p = await server.player("Solo")
    body, events, qs = await generated(server.base, p.token, resume_text("ko").encode(), "cv.txt")
    assert queue.ran == {(KIND, "inline"): 1} and queue.fallbacks == {(KIND, "no_worker"): 1}
    assert events[-1] == {"job_id": body["job_id"], "state": "done", "progress": 100}
    assert [e for e in events if 1 < e["progress"] < 100], "the inline run streams its progress too"
    assert qs["ready"] and qs["questions"]


async def test_the_export_holds_my_resumes_and_not_others(server):
    api = Api(server.base)
    me, other = await api.register(name="Ara"), await api.register(name="Bo")
    body, _, qs = await generated(server.base, me["token"], resume_text("en").encode(), "ara.txt")
    await generated(server.base, other["token"], resume_text("ko").encode(), "bo.txt")
    st, data = await api.call("GET", "/api/v1/me/export", token=me["token"])
    assert st == 200
    [r] = data["resumes"]
    assert r["resume_id"] == body["resume_id"] and r["filename"] == "ara.txt" and r["doc_kind"] == "resume"
    assert r["language"] == "en" and r["file_kind"] == "text" and r["size_bytes"] == len(resume_text("en").encode())
    assert "Ledgerline" in r["text"]
    assert r["profile"]["language"] == "en" and r["profile"]["skills"]
    assert {e["name"] for e in r["profile"]["projects"]} >= {"Ledgerline", "Searchlight"}
    assert [q["id"] for q in r["questions"]] == [q["question_id"] for q in qs["questions"]]
    assert "bo.txt" not in str(data) and other["user_id"] not in str(data)
    from server.api.models import ExportOut
    ExportOut.model_validate(data)
    st, data = await api.call("GET", "/api/v1/me/export", token=other["token"])
    assert [r["filename"] for r in data["resumes"]] == ["bo.txt"]
    # a deleted résumé leaves the export
    assert (await request(server.base, "DELETE", f"/api/v1/resumes/{body['resume_id']}", me["token"]))[0] == 200
    st, data = await api.call("GET", "/api/v1/me/export", token=me["token"])
    assert data["resumes"] == []
