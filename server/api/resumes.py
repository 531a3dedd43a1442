"""REST: résumé / job-posting upload, its tailored questions, the generation job and its SSE stream.

Routes (``Authorization: Bearer <token>``; the SSE route also takes ``?access_token=``, since a
browser's ``EventSource`` cannot set headers). Everything is owned by the token's ``user_id``: another
user's résumé or job is ``404``, no token ``401 unauthorized``. Errors are ``{"ok": false, "error":
{code, message}}``.

==========================================  ====================================================
``POST /api/v1/resumes``                    multipart field ``file`` → ``202 {resume_id, job_id, language, kind}``
``GET /api/v1/resumes``                     → ``{resumes: [{resume_id, filename, …, questions}]}``
``GET /api/v1/resumes/{resume_id}``         → the résumé's metadata and parsed ``profile``
``GET /api/v1/resumes/{resume_id}/questions``  ``?lang=ko|en`` → ``{resume_id, language, questions: [{question_id, text, category, key_points, red_flags, source, …}]}``
``DELETE /api/v1/resumes/{resume_id}``      → ``{ok, resume_id}``; the questions go with it
``GET /api/v1/jobs/{job_id}``               → ``{job_id, kind, state: queued|running|done|failed, progress, error, result}``
``GET /api/v1/jobs/{job_id}/events``        SSE: ``event: job`` ``data: {job_id, state, progress}`` until done/failed
==========================================  ====================================================

Upload refusals (nothing is stored): see :mod:`resumes.extract` (``file_too_large`` 413, ``type_mismatch``
/ ``unsupported_type`` 415, ``unreadable_file`` / ``no_text`` 422, ``empty_file`` / ``missing_file`` 400).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Awaitable

from aiohttp import web
from aiohttp_sse import sse_response

from rooms.errors import ErrorCode, RoomError
from rooms.questions import Question

from ..job_runner import TERMINAL, JobRunner
from ..resumework import DEADLINE_S, ResumeQuestionsJob, generate_questions
from ..resumework import KIND as RESUME_KIND
from ..store.jobs import JobStore
from ..store.resumes import ResumeStore, export_of
from ..wire import clean_line

ID = re.compile(r"[0-9a-z_]{1,40}")
SSE_PING_S = 15.0
SSE_POLL_S = 2.0


def err(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": {"code": code, "message": message}}, status=status)


async def user_of(request: web.Request, allow_query: bool = False) -> dict | None:
    """``{user_id, display_name}`` of the caller, or None: the bearer token (``?access_token=`` too with
    ``allow_query``), checked like every API route (:func:`server.api.common.principal`: a logged-out
    session or an upgraded guest's old token is refused)."""
    from .common import ApiError, bearer, principal

    if allow_query and bearer(request) is None and request.query.get("access_token"):
        request = request.clone(headers={**request.headers, "Authorization": f"Bearer {request.query['access_token']}"})
    try:
        p = await principal(request)
    except ApiError:
        return None
    return {"user_id": p.user_id, "display_name": p.display_name}


def _lang(request: web.Request, default: str) -> str:
    lang = request.query.get("lang")
    return lang if lang in ("ko", "en") else default


async def _read_file(request: web.Request, limit: int) -> tuple[str, bytes] | web.Response:
    """The multipart field ``file`` as ``(filename, bytes)``, read at most ``limit`` + 1 bytes."""
    if not request.content_type.startswith("multipart/"):
        return err(400, "missing_file", "send multipart/form-data with a field named 'file'")
    try:
        reader = await request.multipart()
        async for part in reader:
            if part.name != "file":
                await part.release()
                continue
            buf = bytearray()
            while chunk := await part.read_chunk(64 * 1024):
                buf += chunk
                if len(buf) > limit:
                    return err(413, "file_too_large", f"the file is over {limit // (1024 * 1024)} MB")
            return clean_line(part.filename, 200, "upload"), bytes(buf)
    except (ValueError, AssertionError) as e:        # malformed multipart
        return err(400, "bad_request", f"malformed multipart body ({str(e)[:100]})")
    return err(400, "missing_file", "no field named 'file'")


def setup(app: web.Application) -> None:
    """Register the routes, the job runner and ``create_room``'s question source on ``app``."""
    from resumes.extract import MAX_BYTES, UploadError, extract
    from resumes.generate import public, to_question
    from resumes.parse import parse

    pool = app["results"].pool
    store, jobs = ResumeStore(pool), JobRunner(JobStore(pool))
    app["resumes"], app["jobs"] = store, jobs
    #: ``{"llm_chain": LLMChain | None}``: None uses the process chain (environment); tests put a chain here.
    app["resume_options"] = options = {"llm_chain": None}
    r = app.router

    async def upload(request: web.Request) -> web.Response:
        user = await user_of(request)
        if user is None:
            return err(401, "unauthorized", "a bearer token is required")
        got = await _read_file(request, MAX_BYTES)
        if isinstance(got, web.Response):
            return got
        filename, data = got
        loop = asyncio.get_running_loop()
        try:
            ex = await loop.run_in_executor(None, extract, data, filename)
        except UploadError as e:
            return err(e.status, e.code, e.message)
        profile = await loop.run_in_executor(None, parse, ex.text)
        resume_id = "r_" + uuid.uuid4().hex[:12]
        await store.create(resume_id, user["user_id"], filename, ex.kind, len(data), profile.language,
                           profile.kind, ex.text)
        job_id = await jobs.submit(user["user_id"], RESUME_KIND, resume_id, _job(resume_id, user["user_id"]))
        return web.json_response({"resume_id": resume_id, "job_id": job_id, "language": profile.language,
                                  "kind": profile.kind}, status=202)

    def _job(resume_id: str, owner_id: str):
        """The generation job: on the job queue when a worker is up, else (or with an injected
        ``llm_chain``, which exists only in this process) inline, like a room job (docs/workers.md)."""
        job = ResumeQuestionsJob(resume_id, resume_id, owner_id)

        async def run(progress) -> dict:
            def inline() -> Awaitable[dict]:
                return generate_questions(store, job, progress, chain=options["llm_chain"])

            queue = app.get("job_queue")
            if queue is None or options["llm_chain"] is not None:
                return await inline()
            return await queue.run(job, {}, DEADLINE_S, inline, on_progress=progress)
        return run

    async def owned(request: web.Request):
        user = await user_of(request)
        if user is None:
            return None, err(401, "unauthorized", "a bearer token is required")
        rid = request.match_info["resume_id"]
        return (user, rid), None

    async def list_resumes(request: web.Request) -> web.Response:
        user = await user_of(request)
        if user is None:
            return err(401, "unauthorized", "a bearer token is required")
        return web.json_response({"resumes": await store.list(user["user_id"])})

    async def owned_resume(request: web.Request) -> tuple[tuple | None, web.Response | None]:
        """``((user_id, resume_id, résumé row), None)`` for the caller's own résumé, else ``(None, error)``:
        401 without a token, 404 ``resume_not_found`` for a bad id or someone else's."""
        who, bad = await owned(request)
        if bad:
            return None, bad
        res = await store.get(who[1], who[0]["user_id"]) if ID.fullmatch(who[1]) else None
        if res is None:
            return None, err(404, "resume_not_found", "no such résumé")
        return (who[0]["user_id"], who[1], res), None

    async def get_resume(request: web.Request) -> web.Response:
        found, bad = await owned_resume(request)
        if bad:
            return bad
        res = found[2]
        res.pop("text", None)
        return web.json_response(res)

    async def questions(request: web.Request) -> web.Response:
        found, bad = await owned_resume(request)
        if bad:
            return bad
        uid, rid, res = found
        qs = await store.questions(rid, uid) or []
        lang = _lang(request, res["language"])
        return web.json_response({"resume_id": rid, "language": lang, "kind": res["doc_kind"],
                                  "ready": res["profile"] is not None, "questions": [public(q, lang) for q in qs]})

    async def delete(request: web.Request) -> web.Response:
        who, bad = await owned(request)
        if bad:
            return bad
        if not (ID.fullmatch(who[1]) and await store.delete(who[1], who[0]["user_id"])):
            return err(404, "resume_not_found", "no such résumé")
        return web.json_response({"ok": True, "resume_id": who[1]})

    async def job(request: web.Request) -> web.Response:
        user = await user_of(request)
        if user is None:
            return err(401, "unauthorized", "a bearer token is required")
        jid = request.match_info["job_id"]
        row = await jobs.store.get(jid, user["user_id"]) if ID.fullmatch(jid) else None
        if row is None:
            return err(404, "job_not_found", "no such job")
        return web.json_response(row)

    async def job_events(request: web.Request) -> web.StreamResponse:
        user = await user_of(request, allow_query=True)
        if user is None:
            return err(401, "unauthorized", "a bearer token is required")
        jid = request.match_info["job_id"]
        if not ID.fullmatch(jid):
            return err(404, "job_not_found", "no such job")
        q = jobs.subscribe(jid)                # before reading the row: no change can fall in between
        try:
            row = await jobs.store.get(jid, user["user_id"])
            if row is None:
                return err(404, "job_not_found", "no such job")
            async with sse_response(request) as sse:
                sse.ping_interval = SSE_PING_S
                state = {"job_id": jid, "state": row["state"], "progress": row["progress"]}
                if row["error"]:
                    state["error"] = row["error"]
                await sse.send(json.dumps(state), event="job")
                while state["state"] not in TERMINAL:
                    try:
                        ev = await asyncio.wait_for(q.get(), SSE_POLL_S)
                    except asyncio.TimeoutError:      # a job run elsewhere (another process): read its row
                        row = await jobs.store.get(jid, user["user_id"])
                        if row is None:
                            break
                        ev = {"job_id": jid, "state": row["state"], "progress": row["progress"]}
                        if row["error"]:
                            ev["error"] = row["error"]
                        if ev["state"] == state["state"] and ev["progress"] == state["progress"]:
                            continue
                    if ev["state"] not in TERMINAL and ev["progress"] <= state["progress"]:
                        continue              # queued before the row was read: already reflected
                    state = ev
                    await sse.send(json.dumps(state), event="job")
            return sse
        finally:
            jobs.unsubscribe(jid, q)

    async def question_source(user_id: str, src) -> list[Question]:
        from rooms.questions import default_bank

        if src.question_ids is not None:            # bank ids, or the caller's own résumé questions
            bank = default_bank()
            known = {q.id for q in bank}
            own = await store.owned_questions([q for q in src.question_ids if q not in known], user_id)
            out = []
            for qid in src.question_ids:
                if qid in known:
                    out.append(bank.get(qid))
                elif qid in own:
                    out.append(to_question(own[qid]))
                else:
                    raise RoomError(ErrorCode.INVALID_SETTINGS, f"unknown question id {qid!r}")
            return out
        rid = src.resume_id
        qs = await store.questions(rid, user_id) if ID.fullmatch(rid) else None
        if qs is None:
            raise RoomError(ErrorCode.RESUME_NOT_FOUND, "no such résumé (only your own résumé can be used)")
        if not qs:
            raise RoomError(ErrorCode.QUESTIONS_NOT_READY, "the résumé's questions are still being generated")
        return [to_question(q) for q in qs]

    app["gateway"].question_source = question_source

    async def on_account_deleted(c, user_id: str, pseudonym: str) -> None:
        """Data rights: deleting an account deletes its résumés (questions cascade) and its jobs."""
        await c.execute("DELETE FROM resumes WHERE owner_id=$1", user_id)
        await c.execute("DELETE FROM jobs WHERE owner_id=$1", user_id)

    async def on_export(c, user_id: str) -> dict:
        """Data rights: the export (``GET /api/v1/me/export``) holds the user's résumés and their questions."""
        return {"resumes": await export_of(c, user_id)}

    app.setdefault("account_delete_hooks", []).append(on_account_deleted)
    app.setdefault("account_export_hooks", []).append(on_export)
    r.add_post("/api/v1/resumes", upload)
    r.add_get("/api/v1/resumes", list_resumes)
    r.add_get("/api/v1/resumes/{resume_id}", get_resume)
    r.add_get("/api/v1/resumes/{resume_id}/questions", questions)
    r.add_delete("/api/v1/resumes/{resume_id}", delete)
    r.add_get("/api/v1/jobs/{job_id}", job)
    r.add_get("/api/v1/jobs/{job_id}/events", job_events)

    async def on_startup(app: web.Application) -> None:
        await jobs.start()

    async def on_cleanup(app: web.Application) -> None:
        await jobs.stop()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
