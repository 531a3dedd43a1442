"""Cohorts and the coach dashboard over real HTTP and PostgreSQL: who may do what (owner, another user,
the coach, no token), bad invite codes, the dashboard's matches/trends/transcripts, and its CSV."""

from __future__ import annotations

import csv
import io

import asyncpg

from server.store.cohorts import coach_sees
from tests.accounts_kit import Api, answer_text, match_record
from tests.conftest import DATABASE_URL


async def members(cohort_id: str) -> list[str]:
    c = await asyncpg.connect(DATABASE_URL)
    try:
        return [r["user_id"] for r in await c.fetch("SELECT user_id FROM cohort_members WHERE cohort_id=$1", cohort_id)]
    finally:
        await c.close()


async def setup_cohort(server):
    api = Api(server.base)
    coach = await api.register(name="Coach Han", role="coach")
    cand = await api.register(name="Dana")
    other = await api.register(name="Eli")
    other_coach = await api.register(name="Coach Two", role="coach")
    st, cohort = await api.call("POST", "/api/v1/cohorts", {"name": "Spring bootcamp"}, coach["token"])
    assert st == 200 and len(cohort["invite_code"]) == 8, cohort
    return api, coach, cand, other, other_coach, cohort


async def test_cohort_create_and_join_authorization(server):
    api, coach, cand, other, other_coach, cohort = await setup_cohort(server)
    # Only coaches create; guests and no token cannot.
    st, body = await api.call("POST", "/api/v1/cohorts", {"name": "x"}, cand["token"])
    assert st == 403 and body["error"]["code"] == "coach_only"
    g = await api.guest()
    st, body = await api.call("POST", "/api/v1/cohorts", {"name": "x"}, g["token"])
    assert st == 403 and body["error"]["code"] == "account_required"
    assert (await api.call("POST", "/api/v1/cohorts", {"name": "x"}))[0] == 401
    # Join with the code (any case, spaces): idempotent; a guest must register first; a bad code is 404 and changes nothing.
    code = cohort["invite_code"]
    st, body = await api.call("POST", "/api/v1/cohorts/join", {"invite_code": f" {code[:4].lower()} {code[4:]}"}, cand["token"])
    assert st == 200 and body == {"cohort_id": cohort["cohort_id"], "name": "Spring bootcamp", "coach_name": "Coach Han"}
    assert (await api.call("POST", "/api/v1/cohorts/join", {"invite_code": code}, cand["token"]))[0] == 200
    st, body = await api.call("POST", "/api/v1/cohorts/join", {"invite_code": "NOPE2345"}, other["token"])
    assert st == 404 and body["error"]["code"] == "invite_code_not_found"
    st, body = await api.call("POST", "/api/v1/cohorts/join", {"invite_code": code}, g["token"])
    assert st == 403 and body["error"]["code"] == "account_required"
    assert (await api.call("POST", "/api/v1/cohorts/join", {"invite_code": code}))[0] == 401
    assert await members(cohort["cohort_id"]) == [cand["user_id"]]
    # Lists: the coach sees the code and count, the member does not see the code.
    st, mine = await api.call("GET", "/api/v1/cohorts", token=coach["token"])
    assert mine["cohorts"] == [{"cohort_id": cohort["cohort_id"], "name": "Spring bootcamp", "role": "coach",
                                "invite_code": code, "coach_name": "Coach Han", "members": 1}]
    st, mine = await api.call("GET", "/api/v1/cohorts", token=cand["token"])
    assert [(c["role"], c["invite_code"]) for c in mine["cohorts"]] == [("member", None)]
    assert (await api.call("GET", "/api/v1/cohorts"))[0] == 401
    # The rule the report access uses.
    pool = server.app["results"].pool
    assert await coach_sees(pool, coach["user_id"], cand["user_id"]) is True
    assert await coach_sees(pool, coach["user_id"], other["user_id"]) is False
    assert await coach_sees(pool, other_coach["user_id"], cand["user_id"]) is False
    assert await coach_sees(pool, cand["user_id"], coach["user_id"]) is False
    # Leaving withdraws consent.
    assert (await api.call("POST", f"/api/v1/cohorts/{cohort['cohort_id']}/leave", token=other["token"]))[0] == 404
    assert (await api.call("POST", f"/api/v1/cohorts/{cohort['cohort_id']}/leave", token=cand["token"]))[0] == 200
    assert await coach_sees(pool, coach["user_id"], cand["user_id"]) is False


async def test_dashboard_is_for_the_cohort_coach_only_and_shows_matches_trends_and_transcripts(server):
    api, coach, cand, other, other_coach, cohort = await setup_cohort(server)
    cid = cohort["cohort_id"]
    await api.call("POST", "/api/v1/cohorts/join", {"invite_code": cohort["invite_code"]}, cand["token"])
    results = server.app["results"]
    # Two matches, the later one better on relevance and worse on depth; `other` played the first too.
    r1, k1 = match_record([cand["user_id"], other["user_id"]], ["Dana", "Eli"], finished_ms=1_800_000_000_000,
                          dims=({"relevance": 50, "depth": 60}, {"relevance": 60, "depth": 60}), recording="/tmp/none.wav")
    r2, k2 = match_record([cand["user_id"]], ["Dana"], finished_ms=1_800_000_900_000,
                          dims=({"relevance": 80, "depth": 40}, {"relevance": 90, "depth": 40}))
    await results.save_match(r1, k1)
    await results.save_match(r2, k2)
    for path in (f"/api/v1/cohorts/{cid}/dashboard", f"/api/v1/cohorts/{cid}/dashboard.csv"):
        for who in (cand, other, other_coach):          # a member, a stranger, another coach
            st, body = await api.call("GET", path, token=who["token"])
            assert st == 404 and body["error"]["code"] == "cohort_not_found", (path, who["display_name"])
        assert (await api.call("GET", path))[0] == 401
        assert (await api.call("GET", path.replace(cid, "c_doesnotexist"), token=coach["token"]))[0] == 404
    st, dash = await api.call("GET", f"/api/v1/cohorts/{cid}/dashboard", token=coach["token"])
    assert st == 200 and dash["name"] == "Spring bootcamp"
    [c] = dash["candidates"]
    assert c["user_id"] == cand["user_id"] and c["email"] == cand["email"]
    assert [m["room_id"] for m in c["matches"]] == [r2["room_id"], r1["room_id"]]       # newest first
    m1 = c["matches"][1]
    assert m1["dimensions"] == {"depth": 60.0, "relevance": 55.0} and m1["players"] == 3
    # Only the candidate's own answers, with their transcripts and recording flags.
    assert {a["text"] for a in m1["answers"]} == {answer_text(0, 0), answer_text(0, 1)}
    assert all(a["has_recording"] for a in m1["answers"]) and not any(a["has_recording"] for a in c["matches"][0]["answers"])
    assert c["trend"]["relevance"] == {"mean": 70.0, "first": 55.0, "last": 85.0, "slope": 30.0, "series": [55.0, 85.0]}
    assert c["trend"]["depth"]["slope"] == -20.0
    st, text, headers = await api.call("GET", f"/api/v1/cohorts/{cid}/dashboard.csv", token=coach["token"], raw=True)
    assert st == 200 and headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 4 and {r["room_id"] for r in rows} == {r1["room_id"], r2["room_id"]}
    assert {r["display_name"] for r in rows} == {"Dana"} and rows[0]["answer"] == answer_text(0, 0)


async def test_dashboard_csv_defuses_formulas(server):
    api, coach, cand, *_rest, cohort = await setup_cohort(server)
    await api.call("POST", "/api/v1/cohorts/join", {"invite_code": cohort["invite_code"]}, cand["token"])
    rec, rk = match_record([cand["user_id"]], ["Dana"])
    rec["answers"][0]["text"] = "=HYPERLINK(\"http://evil\")"
    await server.app["results"].save_match(rec, rk)
    st, text, _ = await api.call("GET", f"/api/v1/cohorts/{cohort['cohort_id']}/dashboard.csv", token=coach["token"], raw=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert "'=HYPERLINK(\"http://evil\")" in {r["answer"] for r in rows}
