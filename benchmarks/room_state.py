"""What saving a room's state tree costs (failover: the runtime saves it at every transition).

Plays a 10-question Korean match (5 scripted humans, 2 AI candidates, the lexical scorer, canned AI
answers) on a ManualClock and times, on the finished room (70 answers, the largest tree a match
makes) and at question 5:

- ``to_json`` as the runtime calls it (answers to earlier questions encoded once per question),
- ``to_json`` cold (that cache dropped every call: the first save of a question),
- ``Room.from_json`` (a restore),
- for scale, ``json.dumps`` of the public ``room_state`` snapshot (already written on phase changes),

as medians over ``--runs`` repetitions, with the tree's size.

Usage: ``python -m benchmarks.room_state [--runs 300]``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time

from rooms.clock import ManualClock
from rooms.questions import default_bank
from rooms.room import Phase, Room
from rooms.settings import PersonaSeat, RoomSettings, Timings
from rooms.sim import LocalRuntime
from scoring.rubric import RubricScorer

ANSWER = ("제가 결제 API 지연 문제를 맡았을 때 p99 지연을 측정하고 복합 인덱스를 추가해 800ms에서 120ms로 줄였습니다. "
          "쓰기 비용이 늘어나는 트레이드오프는 배치로 보완했고, 이후 성능 테스트를 배포 파이프라인에 넣었습니다.")
HUMANS = ("h1", "h2", "h3", "h4", "h5")


def play(stop_at_question: int | None) -> Room:
    clock = ManualClock()
    bank = default_bank()
    settings = RoomSettings(title="Bench", personas=(PersonaSeat("naver", 3), PersonaSeat("kakao", 4)),
                            question_count=10, language="ko", answer_seconds=20, max_humans=5,
                            timings=Timings(countdown_ms=300, question_read_ms=200, reveal_ms=300)).validate()
    room = Room("bench", settings, "h1", "H1", clock, random.Random(1), bank, join_code="ABC123",
                fallback_scorer=RubricScorer(20))
    for h in HUMANS[1:]:
        room.join(h, h.upper())
        room.set_ready(h, True)
    rt = LocalRuntime(room, RubricScorer(20), bank, lambda job: (ANSWER, 500, 400, None))
    room.start_match("h1")

    def act():
        if room.phase != Phase.ANSWERING:
            return
        pid = room.current_turn_pid()
        if pid in HUMANS and not room.turns[pid].done:
            room.submit_answer(pid, ANSWER)

    done = (lambda: room.phase == Phase.FINISHED) if stop_at_question is None else \
        (lambda: len(room.questions) == stop_at_question and room.phase == Phase.ANSWERING)
    rt.run_until(clock, done, on_tick=act)
    rt.pump()
    return room


def median_us(fn, runs: int) -> float:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out) * 1e6


def measure(room: Room, runs: int) -> dict:
    text = room.to_json()
    bank = default_bank()
    st = room.state

    def cold():
        st.__dict__.pop("_past_answers", None)
        room.to_json()

    snap = room.snapshot(None)
    return {
        "answers": len(room.answers), "tree_kb": round(len(text.encode()) / 1024, 1),
        "to_json_us": round(median_us(room.to_json, runs)), "to_json_cold_us": round(median_us(cold, runs)),
        "from_json_us": round(median_us(lambda: Room.from_json(text, clock=room.clock, bank=bank), runs)),
        "snapshot_dumps_us": round(median_us(lambda: json.dumps(snap, ensure_ascii=False), runs)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=300)
    a = ap.parse_args()
    print("| room | answers | tree KB | to_json µs | to_json cold µs | from_json µs | snapshot json.dumps µs |")
    print("|---|---|---|---|---|---|---|")
    for label, q in (("question 5, answering", 5), ("finished (10 questions)", None)):
        m = measure(play(q), a.runs)
        print(f"| {label} | {m['answers']} | {m['tree_kb']} | {m['to_json_us']} | {m['to_json_cold_us']} | "
              f"{m['from_json_us']} | {m['snapshot_dumps_us']} |")


if __name__ == "__main__":
    main()
