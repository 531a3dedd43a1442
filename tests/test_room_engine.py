"""Unit tests of the room engine: phases, rotation, deadlines, skips, reconnection, reveal, errors."""

from __future__ import annotations

import time

import pytest

from rooms.errors import RoomError
from rooms.ranking import rank_scores
from rooms.room import Phase
from rooms.settings import PersonaSeat, RoomSettings
from tests.enginekit import FAST, make_room


def names(rt, name):
    return [e for e in rt.events if e.name == name]


def answer_when_my_turn(room, text_for):
    """on_tick hook: each human submits as soon as it is their turn."""
    def hook():
        if room.phase != Phase.ANSWERING:
            return
        for pid, turn in list(room.turns.items()):
            p = room.participants[pid]
            if p.kind == "human" and not turn.done and (
                    room.scheduler.simultaneous or room.current_turn_pid() == pid):
                room.submit_answer(pid, text_for(pid))
    return hook


def test_full_round_robin_match_phases_and_seq():
    room, clock, rt = make_room()
    room.start_match("h1")
    rt.pump()
    rt.run_to_end(clock, on_tick=answer_when_my_turn(room, lambda pid: f"I measured latency and added an index ({pid})."))
    phases = [e.payload["phase"] for e in names(rt, "phase_changed")]
    assert phases == ["countdown"] + ["question", "answering", "scoring", "reveal"] * 3 + ["finished"]
    seqs = [e.seq for e in rt.events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "seq must increase by exactly one"
    assert len(names(rt, "question_asked")) == 3
    assert len(names(rt, "score_update")) == 9          # 3 participants x 3 questions
    assert names(rt, "session_complete")
    assert rt.finished_record is not None and len(rt.finished_record["answers"]) == 9


def test_round_robin_order_rotates_each_question():
    room, clock, rt = make_room(humans=("h1", "h2"), personas=("naver",))
    room.start_match("h1")
    rt.run_to_end(clock, on_tick=answer_when_my_turn(room, lambda pid: "An answer with an index."))
    orders = [e.payload["order"] for e in names(rt, "turn_order")]
    assert orders[0] == ["h1", "h2", "ai:naver"]
    assert orders[1] == ["h2", "ai:naver", "h1"]
    assert orders[2] == ["ai:naver", "h1", "h2"]
    firsts = [e.payload["participant_id"] for e in names(rt, "turn_started")][::3]
    assert firsts == ["h1", "h2", "ai:naver"]


def test_draft_is_auto_submitted_at_deadline():
    room, clock, rt = make_room(humans=("h1",), personas=("naver",), questions=1)
    room.start_match("h1")
    rt.run_until(clock, lambda: room.phase == Phase.ANSWERING)
    assert room.turn_order[0] == "h1"
    room.answer_draft("h1", "I would start by measuring")
    rt.pump()
    streams = names(rt, "answer_stream")
    assert streams and streams[-1].payload == {"room_id": "r1", "participant_id": "h1", "text": "I would start by measuring"}
    deadline = room.turns["h1"].deadline_ms
    rt.run_until(clock, lambda: any(e.payload["participant_id"] == "h1" for e in names(rt, "answer_submitted")))
    sub = [e for e in names(rt, "answer_submitted") if e.payload["participant_id"] == "h1"][0]
    assert sub.payload["auto_submitted"] is True and sub.payload["text"] == "I would start by measuring"
    assert clock.now_ms() >= deadline
    assert clock.now_ms() - deadline <= 100 + 1


def test_ai_answer_streams_and_finishes_before_deadline_even_when_long():
    room, clock, rt = make_room(humans=("h1",), personas=("naver",), questions=1, answer_seconds=10)
    long_text = " ".join(["word"] * 400)                       # 400 words at 120 wpm would take 200 s
    rt.ai_answerer = lambda job: (long_text, 2000, 120, None)
    room.start_match("h1")
    rt.run_until(clock, lambda: room.phase == Phase.ANSWERING)
    room.submit_answer("h1", "I measured latency.")
    rt.pump()
    turn_ev = [e for e in names(rt, "turn_started") if e.payload["participant_id"] == "ai:naver"][0]
    rt.run_until(clock, lambda: room.phase != Phase.ANSWERING)
    sub = [e for e in names(rt, "answer_submitted") if e.payload["participant_id"] == "ai:naver"][0]
    assert sub.payload["text"] == long_text and sub.payload["auto_submitted"] is False
    ai_streams = [e for e in names(rt, "answer_stream") if e.payload["participant_id"] == "ai:naver"]
    assert len(ai_streams) >= 5, "AI text must arrive progressively"
    lens = [len(e.payload["text"]) for e in ai_streams]
    assert lens == sorted(lens)
    submitted_at = room.answers[-1].submitted_ms
    assert submitted_at <= turn_ev.payload["deadline_ms"] - FAST.ai_margin_ms + 100


def test_absent_player_is_skipped_after_short_wait():
    room, clock, rt = make_room(humans=("h1", "h2"), personas=(), questions=1)
    room.start_match("h1")
    room.drop("h1")                                   # h1 disconnects before their turn
    rt.run_until(clock, lambda: room.phase == Phase.ANSWERING)
    start = clock.now_ms()
    rt.run_until(clock, lambda: room.turn_index >= 1)
    sub = names(rt, "answer_submitted")[0].payload
    assert sub["participant_id"] == "h1" and sub["skipped"] is True
    assert FAST.absent_wait_ms <= clock.now_ms() - start <= FAST.absent_wait_ms + 200
    assert room.turn_order[room.turn_index] == "h2"


def test_reconnect_within_wait_keeps_the_turn():
    room, clock, rt = make_room(humans=("h1", "h2"), personas=(), questions=1)
    room.start_match("h1")
    rt.run_until(clock, lambda: room.phase == Phase.ANSWERING)
    room.drop("h1")
    rt.step(clock, FAST.absent_wait_ms // 2)
    assert room.join("h1", "H1") == "reconnected"
    rt.step(clock, FAST.absent_wait_ms)
    assert room.turn_order[room.turn_index] == "h1", "turn must not be skipped after reconnecting"
    assert room.submit_answer("h1", "I am back and answering with numbers: 3 indexes.")


def test_reconnection_grace_keeps_seat_then_releases():
    room, clock, rt = make_room(humans=("h1", "h2"), personas=("naver",), questions=2)
    room.start_match("h1")
    rt.pump()
    room.drop("h2")
    rt.step(clock, FAST.reconnect_grace_ms - 100)
    assert room.participants["h2"].presence == "away"
    assert room.join("h2", "H2") == "reconnected"
    assert room.participants["h2"].presence == "online"
    room.drop("h2")
    rt.step(clock, FAST.reconnect_grace_ms + 10)
    rt.step(clock, 100)
    assert room.participants["h2"].presence == "left"
    with pytest.raises(RoomError) as e:
        room.join("h2", "H2")
    assert e.value.code == "wrong_phase"
    rt.run_to_end(clock, on_tick=answer_when_my_turn(room, lambda pid: "I added an index."))
    h2 = [a for a in room.answers if a.participant_id == "h2"]
    assert all(a.skipped for a in h2) and len(h2) <= 1   # at most the turn that was running when released
    assert room.snapshot("h1")["participants"]


def test_grace_expiry_in_lobby_removes_seat():
    room, clock, rt = make_room(humans=("h1", "h2"))
    room.drop("h2")
    rt.step(clock, FAST.reconnect_grace_ms + 100)
    assert "h2" not in room.participants
    assert names(rt, "participant_left")[-1].payload["participant_id"] == "h2"


def test_simultaneous_answers_hidden_until_reveal():
    room, clock, rt = make_room(humans=("h1", "h2"), personas=("naver",), mode="simultaneous", questions=1)
    room.start_match("h1")
    rt.run_until(clock, lambda: room.phase == Phase.ANSWERING)
    room.answer_draft("h1", "secret draft")
    room.submit_answer("h1", "My secret answer: I added an index and cut latency 40%.")
    rt.pump()
    assert not names(rt, "answer_submitted"), "answers are hidden before the reveal"
    assert not names(rt, "answer_stream"), "drafts are hidden in simultaneous mode"
    assert [e.payload["participant_id"] for e in names(rt, "answer_locked")] == ["h1"]
    snap_h2 = room.snapshot("h2")
    assert snap_h2["answers"] == [] and snap_h2["drafts"] == {}
    assert room.snapshot("h1")["answers"][0]["participant_id"] == "h1"
    reveal_seq = None
    room.submit_answer("h2", "Another answer about the index.")
    rt.run_until(clock, lambda: room.phase == Phase.REVEAL)
    rt.pump()
    reveal_seq = [e.seq for e in names(rt, "phase_changed") if e.payload["phase"] == "reveal"][0]
    subs = names(rt, "answer_submitted")
    assert len(subs) == 3 and all(e.seq > reveal_seq for e in subs)
    scores = names(rt, "score_update")
    assert len(scores) == 3 and min(e.seq for e in scores) > max(e.seq for e in subs)


def test_simultaneous_deadline_ends_answering_for_all():
    room, clock, rt = make_room(humans=("h1", "h2"), personas=(), mode="simultaneous", questions=1)
    room.start_match("h1")
    rt.run_until(clock, lambda: room.phase == Phase.ANSWERING)
    room.answer_draft("h2", "half an answer")
    rt.run_until(clock, lambda: room.phase != Phase.ANSWERING)
    by = {a.participant_id: a for a in room.answers}
    assert by["h1"].auto_submitted and by["h1"].text == ""
    assert by["h2"].auto_submitted and by["h2"].text == "half an answer"


def test_host_only_and_bad_input_errors():
    room, clock, rt = make_room(humans=("h1", "h2"))
    codes = {}
    for label, fn in {
        "start_by_non_host": lambda: room.start_match("h2"),
        "end_by_non_host": lambda: room.end_session("h2"),
        "submit_in_lobby": lambda: room.submit_answer("h1", "x"),
        "too_long": lambda: room.answer_draft("h1", "가" * 3000),
        "stranger": lambda: room.set_ready("nobody", True),
        "kick_by_non_host": lambda: room.kick("h2", "h1"),
    }.items():
        with pytest.raises(RoomError) as e:
            fn()
        codes[label] = e.value.code
    assert codes == {"start_by_non_host": "not_host", "end_by_non_host": "not_host",
                     "submit_in_lobby": "wrong_phase", "too_long": "text_too_long",
                     "stranger": "not_in_room", "kick_by_non_host": "not_host"}
    room.set_ready("h2", False)
    with pytest.raises(RoomError) as e:
        room.start_match("h1")
    assert e.value.code == "not_ready"
    room.set_ready("h2", True)
    room.start_match("h1")
    rt.run_until(clock, lambda: room.phase == Phase.ANSWERING)
    with pytest.raises(RoomError) as e:
        room.submit_answer("h2", "out of turn")
    assert e.value.code == "not_your_turn"
    room.check_can_speak("h1")                      # the speaker may send audio; nobody else may
    room.check_player("h2")
    for who, code in (("h2", "not_your_turn"), ("nobody", "not_in_room")):
        with pytest.raises(RoomError) as e:
            room.check_can_speak(who)
        assert e.value.code == code
    room.submit_answer("h1", "mine")
    with pytest.raises(RoomError) as e:
        room.submit_answer("h1", "again")
    assert e.value.code == "already_submitted"
    with pytest.raises(RoomError) as e:
        room.check_can_speak("h1")
    assert e.value.code == "already_submitted"
    # nothing already recorded is lost, and the room still works
    assert [a.text for a in room.answers] == ["mine"]
    room.submit_answer("h2", "now it is my turn")
    assert len(room.answers) == 2


def test_join_full_started_and_spectator():
    room, clock, rt = make_room(humans=("h1", "h2"), max_humans=2)
    with pytest.raises(RoomError) as e:
        room.join("h3", "H3")
    assert e.value.code == "room_full"
    assert room.join("s1", "S1", role="spectator") == "spectating"
    room.start_match("h1")
    with pytest.raises(RoomError) as e:
        room.join("h4", "H4")
    assert e.value.code == "wrong_phase"
    with pytest.raises(RoomError) as e:
        room.submit_answer("s1", "I am a spectator")
    assert e.value.code == "spectator_read_only"
    assert room.snapshot("s1")["you"] == {"participant_id": None, "role": "spectator"}


def test_host_leaving_transfers_host_and_session_end():
    room, clock, rt = make_room(humans=("h1", "h2"))
    room.leave("h1")
    assert room.host_id == "h2" and "h1" not in room.participants
    room.start_match("h2")
    rt.run_until(clock, lambda: room.phase == Phase.ANSWERING)
    room.end_session("h2")
    rt.pump()
    assert room.phase == Phase.FINISHED and room.end_reason == "ended_by_host"
    assert names(rt, "session_complete")


def test_scoring_timeout_falls_back_to_rubric():
    room, clock, rt = make_room(humans=("h1",), personas=("naver",), questions=1)
    rt.scorer = type("Silent", (), {})()            # a scorer that never answers
    rt.run_job = lambda job, _orig=rt.run_job: None if type(job).__name__ == "ScoreJob" else _orig(job)
    room.start_match("h1")
    rt.run_until(clock, lambda: room.phase == Phase.SCORING,
                 on_tick=answer_when_my_turn(room, lambda pid: "I measured latency and added an index."))
    entered = clock.now_ms()
    rt.run_until(clock, lambda: room.phase == Phase.REVEAL)
    assert clock.now_ms() - entered >= FAST.scoring_timeout_ms
    assert all(a.result is not None for a in room.answers)


def test_rank_ties_use_competition_ranking():
    assert rank_scores({"a": 90, "b": 80, "c": 80, "d": 70}) == [("a", 90, 1), ("b", 80, 2), ("c", 80, 2), ("d", 70, 4)]
    assert rank_scores({}) == []


def test_settings_validation():
    for bad in [dict(question_count=0), dict(language="fr"), dict(turn_mode="chaos"), dict(answer_seconds=2),
                dict(max_humans=0), dict(categories=("astrology",)), dict(title=" "),
                dict(personas=(PersonaSeat("naver", 9),)), dict(personas=(PersonaSeat("naver"), PersonaSeat("naver")))]:
        with pytest.raises(RoomError) as e:
            RoomSettings(**bad).validate(["naver"])
        assert e.value.code == "invalid_settings", bad
    with pytest.raises(RoomError) as e:
        RoomSettings(personas=(PersonaSeat("nexon"),)).validate(["naver"])
    assert e.value.code == "unknown_persona"


def test_six_participant_match_simulates_under_one_second():
    t0 = time.perf_counter()
    room, clock, rt = make_room(humans=("h1", "h2", "h3"), personas=("naver", "kakao", "toss"), questions=5)
    room.start_match("h1")
    rt.run_to_end(clock, on_tick=answer_when_my_turn(room, lambda pid: "I measured latency, added an index, 30% faster."))
    elapsed = time.perf_counter() - t0
    assert room.phase == Phase.FINISHED and len(room.answers) == 30
    assert elapsed < 1.0, f"simulated match took {elapsed:.3f} s"


def test_deterministic_given_seed():
    def run(seed):
        room, clock, rt = make_room(seed=seed, questions=3)
        room.start_match("h1")
        rt.run_to_end(clock, on_tick=answer_when_my_turn(room, lambda pid: "I added an index."))
        return [(e.name, e.payload.get("question_id")) for e in rt.events]
    assert run(1) == run(1)


def test_seated_player_can_rejoin_a_finished_room_but_strangers_cannot():
    room, clock, rt = make_room(humans=("h1", "h2"), questions=1)
    room.start_match("h1")
    rt.run_to_end(clock, on_tick=answer_when_my_turn(room, lambda pid: "I added an index."))
    assert room.join("h2", "H2") == "rejoined"
    assert room.snapshot("h2")["phase"] == "finished"
    for role in ("player", "spectator"):
        with pytest.raises(RoomError) as e:
            room.join("h9", "H9", role=role)
        assert e.value.code == "wrong_phase"


def test_follow_up_goes_to_one_candidate_and_counts_30_percent():
    from rooms.settings import RoomSettings
    room, clock, rt = make_room(humans=("h1", "h2"), personas=("naver",), questions=2)
    room.settings = RoomSettings(**{**room.settings.__dict__, "follow_ups": True})
    asked = []
    rt.follow_up_asker = lambda job: asked.append(job) or f"What was the result of that, {job.participant_id}?"
    room.start_match("h1")
    rt.run_to_end(clock, on_tick=answer_when_my_turn(room, lambda pid: f"I measured latency and added an index ({pid})."))
    fus = names(rt, "follow_up_asked")
    assert [e.payload["participant_id"] for e in fus] == ["h1", "h2"], "rotates over the seats"
    assert [j.participant_id for j in asked] == ["h1", "h2"] and asked[0].answer_text.startswith("I measured")
    for e in fus:
        turn = [t for t in names(rt, "turn_started") if t.payload.get("follow_up")]
        assert any(t.payload["participant_id"] == e.payload["participant_id"] for t in turn)
    scores = names(rt, "score_update")
    assert len(scores) == 6, "one score per main answer; the follow-up is folded in"
    with_fu = [e.payload for e in scores if "follow_up" in e.payload]
    assert len(with_fu) == 2
    for p in with_fu:
        assert p["score"] == round(0.7 * p["main_score"] + 0.3 * p["follow_up"]["score"])
    fu_answers = [a for a in room.answers if a.follow_up_of]
    assert len(fu_answers) == 2 and all(a.follow_up_question.startswith("What was") for a in fu_answers)
    board = rt.board
    assert board == room.totals(), "the leaderboard counts each question once"


def test_a_spoken_follow_up_is_scored_with_its_own_delivery():
    from rooms.settings import RoomSettings
    room, clock, rt = make_room(humans=("h1",), personas=("naver",), questions=1)
    room.settings = RoomSettings(**{**room.settings.__dict__, "follow_ups": True})
    rt.follow_up_asker = lambda job: "What was the result?"
    calm = {"wpm": 140, "word_count": 60, "speech_s": 25, "pauses": [], "long_pauses": [], "pause_ratio": 0.1}
    rushed = {**calm, "wpm": 230}
    jobs = []
    rt.run_job = lambda job, _orig=rt.run_job: jobs.append(job) or _orig(job)

    def speak():
        turn = room.turns.get("h1")
        if room.phase == Phase.ANSWERING and turn and not turn.done and room.current_turn_pid() == "h1":
            fu = turn.follow_up is not None
            assert room.set_delivery("h1", room.questions[-1].id, rushed if fu else calm, follow_up=fu)
            room.submit_answer("h1", "Latency fell by 40% after I added an index." if fu else
                               "I measured latency, found a missing index and added it.")

    room.start_match("h1")
    rt.run_to_end(clock, on_tick=speak)
    scored = {a.answer_id: a for j in jobs if type(j).__name__ == "ScoreJob" for a in j.answers}
    mine = [a for a in room.answers if a.participant_id == "h1"]
    main = next(a for a in mine if not a.follow_up_of)
    fu = next(a for a in mine if a.follow_up_of)
    assert scored[main.answer_id].spoken["wpm"] == 140
    assert scored[fu.answer_id].spoken["wpm"] == 230, "the follow-up is scored on how it was said"
    assert "pace" in fu.result.dimensions and fu.result.dimensions["pace"] < main.result.dimensions["pace"]


def test_follow_up_falls_back_to_a_stock_question_and_ai_answers_it():
    from rooms.settings import RoomSettings
    room, clock, rt = make_room(humans=("h1",), personas=("naver",), questions=2)
    room.settings = RoomSettings(**{**room.settings.__dict__, "follow_ups": True})
    rt.follow_up_asker = None                        # the interviewer never answers
    room.start_match("h1")
    rt.run_to_end(clock, on_tick=answer_when_my_turn(room, lambda pid: "I measured latency and added an index."))
    fus = names(rt, "follow_up_asked")
    assert [e.payload["participant_id"] for e in fus] == ["h1", "ai:naver"]
    assert all(e.payload["text"].startswith("Could you say more") for e in fus)
    ai_fu = [a for a in room.answers if a.follow_up_of and a.participant_id == "ai:naver"]
    assert ai_fu and ai_fu[0].text, "the AI candidate answers its follow-up"


def test_no_follow_ups_in_simultaneous_mode():
    from rooms.settings import RoomSettings
    room, clock, rt = make_room(humans=("h1", "h2"), personas=(), mode="simultaneous", questions=1)
    room.settings = RoomSettings(**{**room.settings.__dict__, "follow_ups": True})
    room.start_match("h1")
    rt.run_to_end(clock, on_tick=answer_when_my_turn(room, lambda pid: "An answer."))
    assert not names(rt, "follow_up_asked")


def test_expression_is_advisory_unless_the_host_opts_in():
    from rooms.scoring import ScoreResult
    from scoring.delivery import apply_delivery
    from rooms.settings import RoomSettings

    spoken = {"wpm": 140, "word_count": 60, "speech_s": 25, "pauses": [], "long_pauses": [], "pause_ratio": 0.1}
    tense = {"happy": 0.0, "neutral": 0.1, "fear": 0.7, "sad": 0.2}
    for opted_in in (False, True):
        room, clock, rt = make_room(humans=("h1",), personas=("naver",), questions=1)
        room.settings = RoomSettings(**{**room.settings.__dict__, "score_expression": opted_in})
        room.start_match("h1")
        rt.run_until(clock, lambda: room.phase == Phase.ANSWERING)
        qid = room.questions[-1].id
        assert room.set_expression("h1", tense) and room.set_expression("h1", {**tense, "fear": 0.5, "neutral": 0.3})
        summary = room.snapshot("h1")["expression"]["h1"]
        assert summary["dominant"] == "fear" and summary["samples"] == 2 and summary["emotions"]["neutral"] == 0.2
        room.set_delivery("h1", qid, spoken)
        room.submit_answer("h1", "I measured latency and added an index, and p99 fell by 40%.")
        scored = []
        rt.run_job = lambda job, _orig=rt.run_job: scored.append(job) or _orig(job)
        rt.run_until(clock, lambda: room.phase == Phase.REVEAL)
        job = next(j for j in scored if type(j).__name__ == "ScoreJob")
        mine = next(a for a in job.answers if a.participant_id == "h1")
        assert ("expression" in mine.spoken) is opted_in
        out = apply_delivery({mine.answer_id: ScoreResult(70, {"communication": 70}, "ok")}, [mine],
                             {"communication": 0.15})
        assert ("expression" in out[mine.answer_id].dimensions) is opted_in
        if opted_in:
            assert out[mine.answer_id].dimensions["expression"] == 20    # tense -> the floor
        rt.run_to_end(clock)
        rec = rt.finished_record["answers"]
        assert next(a for a in rec if a["participant_id"] == "h1")["expression"]["dominant"] == "fear"
    assert not room.set_expression("h1", tense), "no samples after the match"
