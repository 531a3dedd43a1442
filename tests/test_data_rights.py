"""Data rights over real HTTP and PostgreSQL: the JSON export holds what is yours and nothing of others';
deleting an account anonymises its answers in other people's reports and ends its sessions."""

from __future__ import annotations

from tests.accounts_kit import Api, answer_text, match_record


async def test_export_has_everything_of_yours_and_nothing_of_others(server):
    api = Api(server.base)
    me = await api.register(name="Ara")
    peer = await api.register(name="Bo")
    rec, rk = match_record([me["user_id"], peer["user_id"]], ["Ara", "Bo"])
    await server.app["results"].save_match(rec, rk)
    for who in (None,):
        assert (await api.call("GET", "/api/v1/me/export", token=who))[0] == 401
    st, data = await api.call("GET", "/api/v1/me/export", token=me["token"])
    assert st == 200
    assert data["account"]["user_id"] == me["user_id"] and "password_hash" not in data["account"]
    assert len(data["sessions"]) == 1 and data["sessions"][0]["ended"] is False
    [m] = data["matches"]
    assert m["room_id"] == rec["room_id"] and m["notes"] == [{"text": "note of Ara"}]
    assert {a["text"] for a in m["answers"]} == {answer_text(0, 0), answer_text(0, 1)}
    assert "note of Bo" not in str(data) and peer["user_id"] not in str(data)


async def test_delete_anonymises_answers_in_others_reports_and_ends_the_account(server):
    api = Api(server.base)
    me = await api.register(name="Chan Unique")
    peer = await api.register(name="Dee")
    coach = await api.register(name="Coach", role="coach")
    st, cohort = await api.call("POST", "/api/v1/cohorts", {"name": "c"}, coach["token"])
    await api.call("POST", "/api/v1/cohorts/join", {"invite_code": cohort["invite_code"]}, me["token"])
    rec, rk = match_record([me["user_id"], peer["user_id"]], ["Chan Unique", "Dee"], recording="/nonexistent/x.wav")
    await server.app["results"].save_match(rec, rk)
    await server.app["redis"].init_board(rec["room_id"], {me["user_id"]: "Chan Unique"})
    await server.app["redis"].add_score(rec["room_id"], me["user_id"], 50)
    assert (await api.call("DELETE", "/api/v1/me"))[0] == 401
    st, body = await api.call("DELETE", "/api/v1/me", token=me["token"])
    assert st == 200 and body == {"ok": True, "deleted_user_id": me["user_id"], "matches_anonymised": 1}
    # The peer's report: the answers are still there (text and score), but nobody can tell whose.
    rep = await server.app["results"].report(rec["room_id"])
    names = {p["display_name"] for p in rep["participants"]}
    assert names == {"Deleted user", "Dee", "Park"} and me["user_id"] not in str(rep) and "Chan Unique" not in str(rep)
    gone = [a for q in rep["questions"] for a in q["answers"] if a["participant_id"].startswith("x_")]
    assert len(gone) == 2 and all(a["recording"] is None for a in gone)
    assert {a["text"] for a in gone} == {answer_text(0, 0), answer_text(0, 1)}
    # Sessions end, the email is free again, the coach no longer sees them, the board forgets them.
    assert (await api.call("GET", "/api/v1/me", token=me["token"]))[0] == 401
    assert (await api.call("POST", "/api/v1/auth/refresh", {"refresh_token": me["refresh_token"]}))[0] == 401
    st, dash = await api.call("GET", f"/api/v1/cohorts/{cohort['cohort_id']}/dashboard", token=coach["token"])
    assert dash["candidates"] == []
    st, boards = await api.call("GET", "/api/v1/boards")
    assert st == 200 and me["user_id"] not in str(boards) and "Chan Unique" not in str(boards)
    again = await api.register(email=me["email"], name="New me")
    assert again["user_id"] != me["user_id"]
    st, data = await api.call("GET", "/api/v1/me/export", token=again["token"])
    assert data["matches"] == []
    # Another user's delete does not touch the peer.
    st, data = await api.call("GET", "/api/v1/me/export", token=peer["token"])
    assert len(data["matches"]) == 1


async def test_a_guest_can_delete_its_data_too(server):
    api = Api(server.base)
    g = await api.guest("Ghost")
    rec, rk = match_record([g["user_id"]], ["Ghost"])
    await server.app["results"].save_match(rec, rk)
    st, body = await api.call("DELETE", "/api/v1/me", token=g["token"])
    assert st == 200 and body["matches_anonymised"] == 1
    rep = await server.app["results"].report(rec["room_id"])
    assert "Ghost" not in str(rep)


async def test_me_routes_answer_only_about_the_caller_owner_other_coach_and_no_token(server):
    api = Api(server.base)
    owner = await api.register(name="Owner")
    other = await api.register(name="Other")
    coach = await api.register(name="Coach", role="coach")
    st, cohort = await api.call("POST", "/api/v1/cohorts", {"name": "c"}, coach["token"])
    await api.call("POST", "/api/v1/cohorts/join", {"invite_code": cohort["invite_code"]}, owner["token"])
    rec, rk = match_record([owner["user_id"]], ["Owner"])
    await server.app["results"].save_match(rec, rk)
    for who, n in ((owner, 1), (other, 0), (coach, 0)):      # even the owner's coach gets only their own
        st, me = await api.call("GET", "/api/v1/me", token=who["token"])
        assert st == 200 and me["user_id"] == who["user_id"]
        st, data = await api.call("GET", "/api/v1/me/export", token=who["token"])
        assert st == 200 and data["account"]["user_id"] == who["user_id"] and len(data["matches"]) == n
    for method, path in (("GET", "/api/v1/me"), ("GET", "/api/v1/me/export"), ("DELETE", "/api/v1/me")):
        st, body = await api.call(method, path)
        assert st == 401 and body["error"]["code"] == "unauthorized"
    # Another user's delete leaves the owner's match alone.
    assert (await api.call("DELETE", "/api/v1/me", token=other["token"]))[1]["matches_anonymised"] == 0
    assert "Owner" in {p["display_name"] for p in (await server.app["results"].report(rec["room_id"]))["participants"]}
