"""Persona score bands over the whole question bank, as the scorer on this branch sees them.

Every bank question x 6 personas x ko/en x skills 1, 3, 5, scored by ``default_scorer()``
together (as a room scores one question's answers). Prints the median, p10 and p90 per
language and skill, and the issue-9 bands (skill 5: 75-90, 3: 50-65, 1: <= 35).
About 2-4 minutes on one core. Usage: ``python -m benchmarks.personas [--lang en]``.
"""

from __future__ import annotations

import argparse
import statistics

BANDS = {5: (75, 90), 3: (50, 65), 1: (0, 35)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lang", choices=("ko", "en"), default=None)
    a = ap.parse_args()
    from personas.catalog import persona_ids
    from personas.engine import AnswerRequest, compose_answer
    from rooms.questions import default_bank
    from rooms.scoring import AnswerToScore
    from scoring.factory import default_scorer

    scorer = default_scorer(90)
    if hasattr(scorer, "warm_up"):
        scorer.warm_up()
    pids = persona_ids()
    for lang in ([a.lang] if a.lang else ["en", "ko"]):
        for skill in BANDS:
            scores = []
            for i, q in enumerate(default_bank()):
                texts = [compose_answer(AnswerRequest(pid, q.text(lang), lang, skill, seed=100 * i + j,
                                                      category=q.category, question_id=q.id)).text
                         for j, pid in enumerate(pids)]
                res = scorer.score_answers(q, [AnswerToScore(f"a{k}", f"p{k}", t) for k, t in enumerate(texts)], lang)
                scores += [res[f"a{k}"].score for k in range(len(texts))]
            scores.sort()
            lo, hi = BANDS[skill]
            med = statistics.median(scores)
            print(f"{lang} skill {skill}: median {med:.0f} (p10 {scores[len(scores) // 10]}, "
                  f"p90 {scores[len(scores) * 9 // 10]}, n={len(scores)}) band {lo}-{hi}: "
                  f"{'ok' if lo <= med <= hi else 'OUT'}", flush=True)


if __name__ == "__main__":
    main()
