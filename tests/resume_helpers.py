"""Helpers for the résumé and learning-plan tests: make PDF/DOCX files, upload, follow a job over SSE,
and play a match to the end over a real Socket.IO connection."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import aiohttp

DATA = Path(__file__).parent / "data" / "resumes"


def resume_text(lang: str) -> str:
    return (DATA / f"{lang}_resume.txt").read_text(encoding="utf-8")


def make_pdf(text: str | None) -> bytes:
    """A real PDF (fpdf2, core font, latin-1 text); ``text=None`` gives a page with a drawing and no text."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    if text is None:
        pdf.rect(20, 20, 100, 60)
    else:
        pdf.set_font("Helvetica", size=11)
        for line in text.splitlines():
            pdf.multi_cell(0, 6, line.replace("—", "-").replace("–", "-").replace("·", "-") or " ",
                           new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def make_docx(text: str) -> bytes:
    import docx

    doc = docx.Document()
    for line in text.splitlines():
        doc.add_paragraph(line)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def auth(token: str | None) -> dict:
    return {"Authorization": f"Bearer {token}"} if token else {}


async def upload(base: str, token: str | None, data: bytes, filename: str) -> tuple[int, dict]:
    form = aiohttp.FormData()
    form.add_field("file", data, filename=filename, content_type="application/octet-stream")
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/api/v1/resumes", data=form, headers=auth(token)) as r:
            return r.status, await r.json()


async def request(base: str, method: str, path: str, token: str | None = None) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http:
        async with http.request(method, f"{base}{path}", headers=auth(token)) as r:
            return r.status, await r.json()


async def job_events(base: str, job_id: str, token: str | None, query_token: bool = False,
                     timeout: float = 60) -> list[dict]:
    """Every ``job`` event of ``/api/v1/jobs/{id}/events`` until the stream ends."""
    url = f"{base}/api/v1/jobs/{job_id}/events" + (f"?access_token={token}" if query_token else "")
    events, name = [], None
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers={} if query_token else auth(token),
                            timeout=aiohttp.ClientTimeout(total=timeout)) as r:
            assert r.status == 200, await r.text()
            assert r.headers["Content-Type"].startswith("text/event-stream")
            async for raw in r.content:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:") and name == "job":
                    events.append(json.loads(line[5:].strip()))
    return events


async def generated(base: str, token: str, data: bytes, filename: str) -> tuple[dict, list[dict], dict]:
    """Upload, follow the job to its end; returns ``(upload body, job events, questions body)``."""
    status, body = await upload(base, token, data, filename)
    assert status == 202, body
    events = await job_events(base, body["job_id"], token)
    assert events[-1]["state"] == "done", events
    status, qs = await request(base, "GET", f"/api/v1/resumes/{body['resume_id']}/questions", token)
    assert status == 200, qs
    return body, events, qs


async def play(players, answers: dict, timeout: float = 150) -> None:
    """Answer every own turn of ``players`` (round robin) with ``answers[player.name]`` (a str, or a
    function of the question text) until each got ``session_complete``."""
    stop = asyncio.Event()

    async def bot(p):
        done = set()
        while not stop.is_set():
            for d in p.of("turn_started"):
                key = (d["question_id"], d["participant_id"], d.get("follow_up", False))
                if d["participant_id"] == p.user_id and key not in done:
                    done.add(key)
                    asked = [q for q in p.of("question_asked") if q["question_id"] == d["question_id"]]
                    a = answers[p.name]
                    text = a(asked[-1]["text"] if asked else "") if callable(a) else a
                    ack = await p.call("submit_answer", {"text": text})
                    assert ack["ok"] or ack["error"]["code"] in ("wrong_phase", "not_your_turn"), ack
            p.changed.clear()
            try:
                await asyncio.wait_for(p.changed.wait(), 0.3)
            except asyncio.TimeoutError:
                pass

    tasks = [asyncio.create_task(bot(p)) for p in players]
    try:
        await asyncio.gather(*(p.wait_for(lambda p=p: p.of("session_complete"), timeout=timeout) for p in players))
    finally:
        stop.set()
        await asyncio.gather(*tasks)
