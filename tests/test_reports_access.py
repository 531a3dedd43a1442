"""Private reports over real HTTP after a real Socket.IO match (real Redis and PostgreSQL): who sees
the report, its replay, exports and recordings (participant, another participant, another user, a
share-link holder, a revoked link, a coach, no token), and a user's history and progress."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import wave

import aiohttp
import asyncpg
import pytest
from pypdf import PdfReader

from tests.accounts_kit import Api
from tests.conftest import DATABASE_URL, running_server
from tests.test_e2e_match import ANSWERS, bot

ROOM = {"title": "History 리포트", "personas": [{"id": "naver", "skill": 3}], "question_count": 2, "language": "en",
        "turn_mode": "round_robin", "answer_seconds": 20, "max_humans": 2, "private": False}
NOTE = "NOTE-ONLY-FOR-ARI remember the p99 numbers"
WORDS = [{"word": "I", "start": 0.1, "end": 0.2}, {"word": "measured", "start": 0.25, "end": 0.7}]


async def play(server, players, settings=ROOM, note: str | None = None) -> str:
    """Play a whole match with ``players`` (the first hosts); returns its room id once stored."""
    host = players[0]
    ack = await host.call("create_room", settings)
    assert ack["ok"], ack
    for p in players:
        j = await p.call("join_room", {"room_id": ack["room_id"]})
        assert j["ok"], j
    for p in players[1:]:
        assert (await p.call("set_ready", {"ready": True}))["ok"]
    stop = asyncio.Event()
    bots = [asyncio.create_task(bot(p, stop)) for p in players]
    assert (await host.call("start_match"))["ok"]
    if note:
        await host.wait_for(lambda: host.of("question_asked"), timeout=60)
        assert (await host.call("speaker_note", {"text": note}))["ok"]
    await asyncio.gather(*(p.wait_for(lambda p=p: p.of("session_complete"), timeout=150) for p in players))
    stop.set()
    await asyncio.gather(*bots)
    assert host.of("session_complete")[0]["report_url"]
    return ack["room_id"]


async def get(http, url: str, token: str | None = None, headers: dict | None = None):
    headers = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    async with http.get(url, headers=headers) as r:
        body = await r.read()
        return r.status, r.headers, body


def code_of(body: bytes) -> str:
    return json.loads(body)["error"]["code"]


async def test_report_visibility_share_links_exports_and_history(server, tmp_path):
    ari, bora = await server.player("Ari"), await server.player("Bora")
    stranger = await server.player("Stranger")
    rid = await play(server, [ari, bora], note=NOTE)
    b = server.base
    rep_url = f"{b}/api/v1/rooms/{rid}/report"

    # the lobby never lists a finished room (nor a private one)
    listed = await stranger.call("list_rooms")
    assert all(r["room_id"] != rid for r in listed["rooms"])

    # a spoken answer: Ari's first answer gets a recording and word timings, as the media bridge stores them
    wav = tmp_path / "turn.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000), w.writeframes(b"\x00\x01" * 1600)
    conn = await asyncpg.connect(DATABASE_URL)
    try:
        aid = await conn.fetchval("""SELECT a.answer_id FROM answers a JOIN matches m USING (match_id)
                                     WHERE m.room_id=$1 AND a.participant_id=$2 ORDER BY a.question_idx LIMIT 1""",
                                  rid, ari.user_id)
        await conn.execute("UPDATE answers SET recording=$1, words=$2::jsonb WHERE answer_id=$3",
                           str(wav), json.dumps(WORDS), aid)
    finally:
        await conn.close()
    rec_url = f"{b}/api/v1/rooms/{rid}/answers/{aid}/recording"

    async with aiohttp.ClientSession() as http:
        # participants: 200; the owner's notes only in the owner's report
        st, _, body = await get(http, rep_url, ari.token)
        assert st == 200
        rep = json.loads(body)
        assert rep["viewer"]["via"] == "participant" and [n["text"] for n in rep["notes"]] == [NOTE]
        assert all("recording" not in a for q in rep["questions"] for a in q["answers"]), "no server paths"
        assert any(a["recording_url"] for q in rep["questions"] for a in q["answers"])
        st, _, body = await get(http, rep_url, bora.token)
        assert st == 200 and NOTE not in body.decode() and json.loads(body)["notes"] == []
        # another user, no token, a bad token: 404 like a room that never existed
        for tok in (stranger.token, None, "not-a-token"):
            for url in (rep_url, f"{b}/api/v1/rooms/{rid}/replay", f"{b}/api/v1/rooms/{rid}/report.csv",
                        f"{b}/api/v1/rooms/{rid}/report.pdf", f"{b}/api/v1/rooms/{rid}/report.json", rec_url):
                st, _, body = await get(http, url, tok)
                assert st == 404 and code_of(body) == "room_not_found", (url, tok)
        st, _, body = await get(http, f"{b}/api/v1/rooms/0123456789/report", ari.token)
        assert st == 404 and code_of(body) == "room_not_found"

        # the replay: own answers, missed key points, a model answer, the recording with word timings
        st, _, body = await get(http, f"{b}/api/v1/rooms/{rid}/replay", ari.token)
        assert st == 200
        rp = json.loads(body)
        assert rp["subject"]["participant_id"] == ari.user_id and len(rp["questions"]) == 2
        for q in rp["questions"]:
            assert q["answer"]["text"] == ANSWERS["Ari"] and 0 <= q["answer"]["score"] <= 100 and q["answer"]["feedback"]
            assert 3 <= len(q["key_points"]) <= 5 and q["missed"] == [k["text"] for k in q["key_points"] if not k["covered"]]
            assert q["model_answer"]["text"] and q["model_answer"]["skill"] == 5
        spoken = next(q["answer"] for q in rp["questions"] if q["answer"]["answer_id"] == aid)
        assert spoken["spoken"] and spoken["words"] == WORDS and spoken["recording_url"].endswith("/recording")
        assert rp["notes"][0]["text"] == NOTE
        st, _, body = await get(http, f"{b}/api/v1/rooms/{rid}/replay?participant={bora.user_id}", ari.token)
        assert json.loads(body)["subject"]["participant_id"] == bora.user_id and "notes" not in json.loads(body)
        st, _, body = await get(http, f"{b}/api/v1/rooms/{rid}/replay", bora.token)
        assert NOTE not in body.decode()

        # recordings: participants only
        st, hdr, body = await get(http, rec_url, ari.token)
        assert st == 200 and hdr["Content-Type"] == "audio/wav" and body == wav.read_bytes()
        assert (await get(http, rec_url, bora.token))[0] == 200

        # exports
        st, hdr, body = await get(http, f"{b}/api/v1/rooms/{rid}/report.csv", ari.token)
        assert st == 200 and hdr["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        assert len(rows) == sum(len(q["answers"]) for q in rep["questions"]) == 6
        assert {r["display_name"] for r in rows} >= {"Ari", "Bora"} and all(r["score"].isdigit() for r in rows)
        st, _, body = await get(http, f"{b}/api/v1/rooms/{rid}/report.json", ari.token)
        exp = json.loads(body)
        assert exp["report"]["room_id"] == rid and exp["replay"]["subject"]["participant_id"] == ari.user_id
        st, hdr, body = await get(http, f"{b}/api/v1/rooms/{rid}/report.pdf", ari.token)
        assert st == 200 and hdr["Content-Type"] == "application/pdf" and body.startswith(b"%PDF")
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
        assert "History 리포트" in text and "Final ranking" in text and "Ari" in text and NOTE in text

        # share links: only a participant makes them; a holder sees the owner's report without notes
        async with http.post(f"{b}/api/v1/rooms/{rid}/share") as r:
            assert r.status == 401
        async with http.post(f"{b}/api/v1/rooms/{rid}/share", headers={"Authorization": f"Bearer {stranger.token}"}) as r:
            assert r.status == 404
        async with http.post(f"{b}/api/v1/rooms/{rid}/share", headers={"Authorization": f"Bearer {ari.token}"}) as r:
            assert r.status == 201
            link = await r.json()
        tok = link["token"]
        assert link["share_url"].endswith(f"#/replay/{rid}?share={tok}")
        for who in (None, stranger.token):
            st, _, body = await get(http, f"{rep_url}?share={tok}", who)
            assert st == 200 and json.loads(body)["viewer"]["via"] == "share" and NOTE not in body.decode()
        st, _, body = await get(http, f"{b}/api/v1/rooms/{rid}/replay", None, headers={"X-Share-Token": tok})
        shared = json.loads(body)
        assert st == 200 and shared["subject"]["participant_id"] == ari.user_id and "notes" not in shared
        assert NOTE not in body.decode()
        rec_shared = next(q["answer"] for q in shared["questions"] if q["answer"]["answer_id"] == aid)["recording_url"]
        assert (await get(http, b + rec_shared))[0] == 200
        st, _, body = await get(http, f"{b}/api/v1/rooms/{rid}/report.pdf?share={tok}")
        assert st == 200 and NOTE not in "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
        assert (await get(http, f"{rep_url}?share={tok[:-2]}xx"))[0] == 404       # a wrong token
        st, _, body = await get(http, f"{b}/api/v1/rooms/{rid}/share", ari.token)
        assert [x["link_id"] for x in json.loads(body)["links"]] == [link["link_id"]]
        assert (await get(http, f"{b}/api/v1/rooms/{rid}/share", stranger.token))[0] == 404

        # revoking: not by another participant, not without a token; by the owner, then the link is dead
        async with http.delete(f"{b}/api/v1/rooms/{rid}/share/{tok}", headers={"Authorization": f"Bearer {bora.token}"}) as r:
            assert r.status == 404 and (await r.json())["error"]["code"] == "share_not_found"
        async with http.delete(f"{b}/api/v1/rooms/{rid}/share/{tok}") as r:
            assert r.status == 401
        async with http.delete(f"{b}/api/v1/rooms/{rid}/share/{tok}", headers={"Authorization": f"Bearer {ari.token}"}) as r:
            assert r.status == 200
        for url in (f"{rep_url}?share={tok}", f"{b}/api/v1/rooms/{rid}/replay?share={tok}",
                    f"{b}/api/v1/rooms/{rid}/report.csv?share={tok}", b + rec_shared):
            st, _, body = await get(http, url)
            assert st == 404 and code_of(body) == "room_not_found", url
        assert (await get(http, rep_url, ari.token))[0] == 200

        # the coach of a cohort Bora joined (after upgrading her guest to an account, keeping her id) sees
        # the report, centred on Bora; a coach of another cohort does not
        api = Api(b)
        coach = await api.register(name="Coach", role="coach")
        other_coach = await api.register(name="Coach Two", role="coach")
        st, cohort = await api.call("POST", "/api/v1/cohorts", {"name": "Bootcamp"}, coach["token"])
        assert st == 200, cohort
        assert (await get(http, rep_url, coach["token"]))[0] == 404, "not before Bora joins"
        bora_acc = await api.register(name="Bora", token=bora.token)
        assert bora_acc["user_id"] == bora.user_id
        st, _ = await api.call("POST", "/api/v1/cohorts/join", {"invite_code": cohort["invite_code"]}, bora_acc["token"])
        assert st == 200
        st, _, body = await get(http, rep_url, coach["token"])
        assert st == 200 and json.loads(body)["viewer"] == {"via": "coach", "subject_id": bora.user_id,
                                                            "user_id": coach["user_id"]}
        assert NOTE not in body.decode()
        st, _, body = await get(http, f"{b}/api/v1/rooms/{rid}/replay", coach["token"])
        assert json.loads(body)["subject"]["participant_id"] == bora.user_id
        assert (await get(http, rec_url, coach["token"]))[0] == 200
        assert (await get(http, rep_url, other_coach["token"]))[0] == 404
        assert (await get(http, rep_url, stranger.token))[0] == 404
        async with http.post(f"{b}/api/v1/rooms/{rid}/share", headers={"Authorization": f"Bearer {coach['token']}"}) as r:
            assert r.status == 404, "a coach cannot share someone else's report"

        # history and progress: the owner's own, 401 without a token
        st, _, body = await get(http, f"{b}/api/v1/me/matches", ari.token)
        mine = json.loads(body)["matches"]
        assert st == 200 and mine[0]["room_id"] == rid and mine[0]["rank"] >= 1 and mine[0]["questions"] == 2
        assert mine[0]["score"] == next(e["score"] for e in rep["ranking"] if e["participant_id"] == ari.user_id)
        st, _, body = await get(http, f"{b}/api/v1/me/matches", stranger.token)
        assert st == 200 and json.loads(body)["matches"] == []
        for url in ("/api/v1/me/matches", "/api/v1/me/progress"):
            st, _, body = await get(http, b + url)
            assert st == 401 and code_of(body) == "unauthorized"
        st, _, body = await get(http, f"{b}/api/v1/me/matches?limit=x", ari.token)
        assert st == 400 and code_of(body) == "bad_request"
        st, _, body = await get(http, f"{b}/api/v1/me/progress", ari.token)
        prog = json.loads(body)
        assert [m["room_id"] for m in prog["matches"]] == [rid]
        assert set(prog["dimensions"]) >= {"relevance", "structure", "specificity", "depth", "communication"}
        assert all(0 <= v["mean"] <= 100 for v in prog["dimensions"].values())
        assert sum(v["answers"] for v in prog["categories"].values()) == 2
        st, _, body = await get(http, f"{b}/api/v1/me/progress", stranger.token)
        assert json.loads(body) == {"matches": [], "dimensions": {}, "categories": {}}


async def test_words_from_the_media_bridge_are_stored_with_the_answer():
    from server.store.results import ResultStore

    store = ResultStore(DATABASE_URL)
    await store.open()
    rid = "ab" + __import__("uuid").uuid4().hex[:8]
    store.recording_for = lambda room, pid, qid, fu: "/tmp/x.wav" if pid == "u1" else None
    store.words_for = lambda room, pid, qid, fu: WORDS if pid == "u1" else None
    rec = {"room_id": rid, "title": "t", "settings": {}, "language": "en", "started_ms": 1, "finished_ms": 2,
           "end_reason": None,
           "participants": [{"participant_id": "u1", "kind": "human", "display_name": "A", "persona_id": None,
                             "skill": None}],
           "questions": [{"index": 1, "question_id": "tech-001", "text": "q", "category": "technical", "difficulty": 1}],
           "answers": [{"answer_id": "a-" + rid, "question_index": 1, "question_id": "tech-001", "participant_id": "u1",
                        "text": "I measured", "auto_submitted": False, "skipped": False, "score": 50,
                        "dimensions": {}, "feedback": "", "submitted_ms": 2}]}
    try:
        await store.save_match(rec, [{"participant_id": "u1", "score": 50, "rank": 1}])
        rep = await store.report(rid)
        assert rep["questions"][0]["answers"][0]["words"] == WORDS
    finally:
        await store.close()


@pytest.fixture
async def fresh_db():
    """A PostgreSQL database of its own (the boards rank everyone in it)."""
    import uuid

    name = "test_boards_" + uuid.uuid4().hex[:8]
    admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    c = await asyncpg.connect(admin)
    await c.execute(f"CREATE DATABASE {name}")
    await c.close()
    yield DATABASE_URL.rsplit("/", 1)[0] + "/" + name
    c = await asyncpg.connect(admin)
    await c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await c.close()


async def test_boards_one_entry_per_account_and_ai_apart(fresh_db):
    import jwt
    import time

    async with running_server(database_url=fresh_db) as srv:
        a1, a2 = await srv.player("Dup"), await srv.player("Dup")          # two accounts, one name
        a1.name, a2.name = "Ari", "Bora"                                    # (which answers the bot gives)
        await play(srv, [a1, a2])
        # the first account plays again under a new name (same user id, a new token)
        now = int(time.time())
        tok = jwt.encode({"sub": a1.user_id, "name": "Dup Renamed", "iat": now, "exp": now + 3600, "kind": "guest"},
                         "test-secret", algorithm="HS256")
        from tests.conftest import Player

        again = Player(srv.base, "Ari")
        again.token, again.user_id = tok, a1.user_id
        await again.sio.connect(srv.base, auth={"token": tok}, transports=["websocket"], socketio_path="socket.io")
        srv.players.append(again)
        other = await srv.player("Bora")
        await play(srv, [again, other])
        async with aiohttp.ClientSession() as http:
            st, _, body = await get(http, f"{srv.base}/api/v1/boards")
            boards = json.loads(body)
            st2, _, body2 = await get(http, f"{srv.base}/api/v1/leaderboard")
    assert st == 200 and st2 == 200
    for board in (boards["humans"]["all"], boards["humans"]["week"]):
        ids = [e["participant_id"] for e in board]
        assert sorted(ids) == sorted({a1.user_id, a2.user_id, other.user_id}), "one entry per account, no AI"
        e1 = next(e for e in board if e["participant_id"] == a1.user_id)
        assert e1["matches"] == 2 and e1["display_name"] == "Dup Renamed", "the current name"
        assert next(e for e in board if e["participant_id"] == a2.user_id)["display_name"] == "Dup"
        assert [e["score"] for e in board] == sorted((e["score"] for e in board), reverse=True)
        assert board[0]["rank"] == 1
    assert json.loads(body2)["entries"] == boards["humans"]["all"]
    ai = boards["ai"]
    assert [(e["participant_id"], e["skill"], e["matches"]) for e in ai] == [("ai:naver", 3, 2)], \
        "one entry for the persona over both rooms"
    assert ai[0]["answers"] == 4 and 0 <= ai[0]["score"] <= 100 and ai[0]["company"]
