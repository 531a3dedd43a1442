"""``make bench``: how long a whole simulated match takes (no server, ManualClock).

Plays a 5-question match with 3 scripted humans and 3 AI personas (the real
offline persona engine and the default scorer) and reports the median wall
time over several runs, plus the per-call cost of the two jobs.

Also times the offline persona engine over the whole question bank.

Usage: ``python -m benchmarks.match [--runs 7]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from rooms.clock import ManualClock
from scoring.factory import default_scorer
from rooms.questions import default_bank
from rooms.room import Phase, Room
from rooms.settings import PersonaSeat, RoomSettings
from rooms.sim import LocalRuntime

HUMAN_ANSWER = ("제가 결제 API 지연 문제를 맡았을 때 p99 지연을 측정하고 복합 인덱스를 추가해 800ms에서 120ms로 줄였습니다. "
                "쓰기 비용이 늘어나는 트레이드오프는 배치로 보완했고, 이후 성능 테스트를 배포 파이프라인에 넣었습니다.")


def persona_answerer():
    """The offline persona source the server uses (``personas.answerer.compose_job``)."""
    from personas.answerer import compose_job

    return compose_job


def simulate(seed: int, mode: str = "round_robin", scorer=None) -> tuple[float, Room]:
    """One match; returns (wall seconds, room). ``scorer`` defaults to :func:`default_scorer`."""
    t0 = time.perf_counter()
    clock = ManualClock()
    bank = default_bank()
    settings = RoomSettings(title="bench", personas=(PersonaSeat("naver", 5), PersonaSeat("kakao", 3),
                                                     PersonaSeat("toss", 1)), question_count=5, language="ko",
                            turn_mode=mode, answer_seconds=60, max_humans=3).validate()
    room = Room("bench", settings, "h1", "H1", clock, random.Random(seed), bank)
    for h in ("h2", "h3"):
        room.join(h, h.upper())
        room.set_ready(h, True)
    rt = LocalRuntime(room, scorer or default_scorer(60), bank, persona_answerer())
    room.start_match("h1")

    def humans_answer():
        if room.phase != Phase.ANSWERING:
            return
        for pid, turn in list(room.turns.items()):
            if pid.startswith("h") and not turn.done and (room.scheduler.simultaneous or
                                                          room.current_turn_pid() == pid):
                room.submit_answer(pid, HUMAN_ANSWER)

    rt.run_to_end(clock, on_tick=humans_answer)
    return time.perf_counter() - t0, room


def bench_personas() -> str:
    """Offline persona answers: every bank question x 6 personas x ko/en x skills 1, 3, 5."""
    from personas.catalog import persona_ids
    from personas.engine import AnswerRequest, compose_answer, warm_up

    warm_up()                       # catalogue, voices, note vectors: once per process, as at server start
    times = []
    for q in default_bank():
        for pid in persona_ids():
            for lang in ("ko", "en"):
                for skill in (1, 3, 5):
                    t0 = time.perf_counter()
                    compose_answer(AnswerRequest(persona_id=pid, question_text=q.text(lang), lang=lang, skill=skill,
                                                 category=q.category, question_id=q.id, seed=7))
                    times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return (f"persona compose(): {len(times)} answers, median {statistics.median(times):.2f} ms, "
            f"p99 {times[int(len(times) * 0.99)]:.2f} ms, max {times[-1]:.2f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    a = ap.parse_args()
    from scoring.rubric import RubricScorer

    # The engine alone (lexical rubric scorer) and the default offline scorer (embedding models),
    # whose 30 scorings dominate; in the server scoring runs in a worker thread, off the tick.
    for label, scorer in (("rubric scorer", RubricScorer(60)), ("default scorer", default_scorer(60))):
        simulate(0, scorer=scorer)                # warm-up: data files, models, caches
        for mode in ("round_robin", "simultaneous"):
            times = []
            for i in range(a.runs):
                dt, room = simulate(i + 1, mode, scorer)
                assert room.phase == Phase.FINISHED and len(room.answers) == 30
                times.append(dt)
            print(f"simulated match ({mode}, {label}, 6 participants, 5 questions, 30 answers): "
                  f"median {statistics.median(times) * 1000:.1f} ms over {a.runs} runs "
                  f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})")
    print(bench_personas())


if __name__ == "__main__":
    main()
