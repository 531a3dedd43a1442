"""Private reports: the report, its replay, exports, recordings and share links.

Every route here asks :func:`server.access.report_access` first; whoever may not see the report
gets ``404 room_not_found``, exactly as for a room that never existed. A share-link holder passes
the token as ``?share=<token>`` (or the ``X-Share-Token`` header). The coach check is
``app["coach_sees"]`` (see :data:`server.access.CoachSees`; set by ``server.api.setup_api`` from the cohorts).

| route | who | → |
|---|---|---|
| ``GET /api/v1/rooms/{room_id}/report`` | viewers | the report (+ ``viewer``, the owner's ``notes``) |
| ``GET /api/v1/rooms/{room_id}/replay[?participant=]`` | viewers | :func:`server.replay.build_replay` |
| ``GET /api/v1/rooms/{room_id}/report.{pdf,csv,json}`` | viewers | a download |
| ``GET /api/v1/rooms/{room_id}/answers/{answer_id}/recording`` | viewers | ``audio/wav`` |
| ``POST /api/v1/rooms/{room_id}/share`` | participants | ``{share_url, token, link_id, created_at}`` |
| ``GET /api/v1/rooms/{room_id}/share`` | participants | ``{links: [{link_id, created_at, revoked_at}]}`` (their own) |
| ``DELETE /api/v1/rooms/{room_id}/share/{token}`` | the link's owner | ``{ok: true}`` (token or link_id) |
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from aiohttp import web

from ..access import PARTICIPANT, Access, report_access
from ..exports import FontMissing, to_csv, to_json, to_pdf
from ..replay import build_replay, recording_url
from ..store.history import HistoryStore
from .docs import ReportOut
from .registry import registry_of
from .common import err, unauthorized, user_id

#: Room ids are lowercase hex (``RoomManager.create_room``); anything else has no report (404).
ROOM_ID = re.compile(r"[0-9a-f]{1,32}")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8",
                 "pdf": "application/pdf"}


def _not_found() -> web.Response:
    return err(404, "room_not_found", "no finished match for this room")


def share_token(request: web.Request) -> str | None:
    tok = request.query.get("share") or request.headers.get("X-Share-Token")
    return tok[:200] if tok else None


async def _access(request: web.Request) -> Access | None:
    if not ROOM_ID.fullmatch(request.match_info["room_id"]):
        return None
    return await report_access(request.app["history"], request.match_info["room_id"], await user_id(request),
                               share_token(request), request.app.get("coach_sees"))


def public_report(rep: dict, acc: Access, share: str | None, notes: list[dict] | None) -> dict:
    """The stored report as this viewer gets it: recording paths become ``recording_url``s (served
    only to viewers), the viewer's own ``notes`` are added for a participant."""
    out = dict(rep)
    out["questions"] = []
    for q in rep["questions"]:
        answers = []
        for a in q["answers"]:
            a = dict(a)
            path = a.pop("recording", None)
            a["recording_url"] = recording_url(rep["room_id"], a["answer_id"], share) if path else None
            answers.append(a)
        out["questions"].append({**q, "answers": answers})
    out["viewer"] = {"via": acc.via, "subject_id": acc.subject_id, "user_id": acc.viewer_id}
    if notes is not None:
        out["notes"] = notes
    return out


async def viewer_report(request: web.Request, acc: Access) -> dict | None:
    rep = await request.app["results"].report(acc.room_id)
    if rep is None:
        return None
    notes = await request.app["history"].notes(acc.match_id, acc.notes_of) if acc.notes_of else None
    return public_report(rep, acc, share_token(request) if acc.via != PARTICIPANT else None, notes)


async def _replay(request: web.Request, acc: Access, rep: dict) -> dict:
    subject = request.query.get("participant") or acc.subject_id
    if subject not in {p["participant_id"] for p in rep["participants"]}:
        subject = acc.subject_id
    share = share_token(request) if acc.via != PARTICIPANT else None
    out = await build_replay(rep, subject, request.app["manager"].bank, share=share)
    if subject == acc.notes_of:
        out["notes"] = rep.get("notes", [])
    out["viewer"] = rep["viewer"]
    return out


def setup(app: web.Application) -> None:
    """Register the report routes on ``app`` (needs ``app["results"]``; adds ``app["history"]``)."""
    app["history"] = HistoryStore(app["results"])

    async def forget(conn, uid: str, pseudonym: str) -> None:
        """Account deletion (``app["account_delete_hooks"]``): their share links go, and so do the word
        timings of their spoken answers (the recordings are removed by the deletion itself)."""
        await conn.execute("DELETE FROM share_links WHERE owner_id=$1", uid)
        await conn.execute("UPDATE answers SET words=NULL WHERE participant_id = ANY($1::text[])", [uid, pseudonym])

    app.setdefault("account_delete_hooks", []).append(forget)

    async def report(request: web.Request) -> web.Response:
        acc = await _access(request)
        rep = await viewer_report(request, acc) if acc else None
        return web.json_response(rep) if rep else _not_found()

    async def replay(request: web.Request) -> web.Response:
        acc = await _access(request)
        rep = await viewer_report(request, acc) if acc else None
        if rep is None:
            return _not_found()
        return web.json_response(await _replay(request, acc, rep))

    async def export(request: web.Request) -> web.Response:
        acc = await _access(request)
        rep = await viewer_report(request, acc) if acc else None
        if rep is None:
            return _not_found()
        fmt = request.match_info["fmt"]
        if fmt == "csv":
            body = to_csv(rep)
        else:
            rp = await _replay(request, acc, rep)
            if fmt == "json":
                body = to_json(rep, rp)
            else:
                try:
                    body = await asyncio.get_running_loop().run_in_executor(None, to_pdf, rep, rp, rp.get("notes"))
                except FontMissing as e:
                    return err(503, "pdf_font_missing", str(e))
        name = f"report-{acc.room_id}.{fmt}"
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPES[fmt],
                                                "Content-Disposition": f'attachment; filename="{name}"',
                                                "Cache-Control": "private, no-store"})

    async def recording(request: web.Request) -> web.StreamResponse:
        acc = await _access(request)
        if acc is None:
            return _not_found()
        media = await request.app["history"].answer_media(acc.match_id, request.match_info["answer_id"][:64])
        path = Path(media[0]) if media and media[0] else None
        if path is None or not path.is_file():
            return err(404, "recording_not_found", "this answer has no recording (typed, or deleted)")
        return web.FileResponse(path, headers={"Content-Type": "audio/wav", "Cache-Control": "private, no-store"})

    async def _own(request: web.Request) -> tuple[str | None, Access | None]:
        uid, rid = await user_id(request), request.match_info["room_id"]
        acc = await report_access(request.app["history"], rid, uid, None) if uid and ROOM_ID.fullmatch(rid) else None
        return uid, acc

    async def share_create(request: web.Request) -> web.Response:
        uid, acc = await _own(request)
        if uid is None:
            return unauthorized()
        if acc is None:                       # only a participant makes links (a link holder cannot)
            return _not_found()
        link = await request.app["history"].share_create(acc.match_id, uid)
        path = f"/#/replay/{acc.room_id}?share={link['token']}"
        return web.json_response({**link, "share_url": f"{request.url.origin()}{path}", "share_path": path},
                                 status=201)

    async def share_list(request: web.Request) -> web.Response:
        uid, acc = await _own(request)
        if uid is None:
            return unauthorized()
        if acc is None:
            return _not_found()
        return web.json_response({"links": await request.app["history"].share_list(acc.match_id, uid)})

    async def share_revoke(request: web.Request) -> web.Response:
        uid, acc = await _own(request)
        if uid is None:
            return unauthorized()
        if acc is None:
            return _not_found()
        if not await request.app["history"].share_revoke(acc.match_id, uid, request.match_info["token"][:200]):
            return err(404, "share_not_found", "no share link of yours with this token")
        return web.json_response({"ok": True})

    base = "/api/v1/rooms/{room_id}"
    api = registry_of(app)
    viewers = ("participants, the cohort's coach, or a share link (`?share=` or `X-Share-Token`); "
               "anyone else gets 404 (docs/reports.md)")
    nf = {404: "room_not_found"}
    api.add("GET", f"{base}/report", report, "A finished match's report", tags=["reports"], description=viewers, response=ReportOut,
            errors=nf, query={"share": "a share link's token"})
    api.add("GET", f"{base}/replay", replay, "Replay a past match question by question", tags=["reports"],
            description=viewers, errors=nf, query={"participant": "whose answers (default: the caller)"})
    api.add("GET", base + "/report.{fmt:(pdf|csv|json)}", export, "Export the report (PDF, CSV or JSON)",
            tags=["reports"], description=viewers, errors={**nf, 503: "pdf_font_missing"})
    api.add("GET", base + "/answers/{answer_id}/recording", recording, "A spoken answer's recording (audio/wav)",
            tags=["reports"], description=viewers, media_type="audio/wav", errors={404: "recording_not_found"})
    api.add("POST", f"{base}/share", share_create, "Create a share link (participants)", tags=["reports"],
            auth=True, errors={401: "unauthorized", **nf})
    api.add("GET", f"{base}/share", share_list, "My share links for this report", tags=["reports"], auth=True,
            errors={401: "unauthorized", **nf})
    api.add("DELETE", base + "/share/{token}", share_revoke, "Revoke a share link", tags=["reports"], auth=True,
            errors={401: "unauthorized", 404: "share_not_found"})
