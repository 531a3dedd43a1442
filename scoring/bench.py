"""Latency benchmark of the CompetitiveEvaluator (kept short: 2 shared cores).

Usage::

    python -m scoring.bench [--rounds 3] [--per-question 6]

Scores the graded answers question by question (all answers to a question in
one call, as a room does), after ``warm_up()``. Reports the median and p90 of
milliseconds per answer, by language, over ``rounds`` passes of a sample of
questions. Load average is printed because other processes share the CPU.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import OrderedDict

from rooms.scoring import AnswerToScore
from .competitive import CompetitiveEvaluator
from .evalrun import load_rows, question_for


def run(rounds: int = 3, per_question: int = 6, max_questions: int = 8, data=None) -> dict:
    """Measure ms per answer (``data``: a graded JSONL path, default the original set;
    rows with a bank ``qid`` are scored with that question's red flags).

    Returns ``{lang: {"median_ms", "p90_ms", "n", "cpu_median_ms"}}``: wall-clock
    and CPU (all threads of this process) milliseconds per answer.
    """
    rows = load_rows(data) if data else load_rows()
    groups: "OrderedDict[tuple, list[int]]" = OrderedDict()
    for i, r in enumerate(rows):
        groups.setdefault((r["lang"], r["question"]), []).append(i)
    ev = CompetitiveEvaluator()
    t = time.perf_counter()
    ev.warm_up()
    warm_ms = (time.perf_counter() - t) * 1000
    per_lang: dict[str, list[float]] = {"en": [], "ko": []}
    cpu: dict[str, list[float]] = {"en": [], "ko": []}
    picked = {"en": 0, "ko": 0}
    sample = []
    for (lang, _), idxs in groups.items():
        if picked[lang] < max_questions:
            picked[lang] += 1
            sample.append((lang, idxs[:per_question]))
    for _ in range(rounds):
        for qi, (lang, idxs) in enumerate(sample):
            q = question_for(rows[idxs[0]], f"bench-{qi}")
            answers = [AnswerToScore(str(i), f"p{i}", rows[i]["answer"]) for i in idxs]
            t, c = time.perf_counter(), time.process_time()
            ev.score_answers(q, answers, lang)
            per_lang[lang].append((time.perf_counter() - t) * 1000 / len(answers))
            cpu[lang].append((time.process_time() - c) * 1000 / len(answers))
    out = {"warm_up_ms": round(warm_ms)}
    for lang, v in per_lang.items():
        v = sorted(v)
        out[lang] = {"median_ms": round(statistics.median(v), 1),
                     "p90_ms": round(v[int(0.9 * (len(v) - 1))], 1), "n": len(v),
                     "cpu_median_ms": round(statistics.median(cpu[lang]), 1)}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="per-answer scoring latency")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--per-question", type=int, default=6)
    ap.add_argument("--questions", type=int, default=8, help="questions per language")
    ap.add_argument("--data", default=None, help="graded JSONL (default tests/data/graded_answers.jsonl)")
    a = ap.parse_args(argv)
    load = os.getloadavg()[0]
    res = run(a.rounds, a.per_question, a.questions, a.data)
    print(f"load average before: {load:.2f}, after: {os.getloadavg()[0]:.2f}  cpus: {os.cpu_count()}")
    print(f"warm-up (model load): {res['warm_up_ms']} ms")
    for lang in ("en", "ko"):
        r = res[lang]
        print(f"{lang}: median {r['median_ms']} ms/answer, p90 {r['p90_ms']} ms/answer "
              f"(CPU {r['cpu_median_ms']} ms/answer; {r['n']} questions x {a.per_question} answers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
