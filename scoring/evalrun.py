"""Validate a scorer against the hand-graded answers.

Usage::

    python -m scoring.evalrun [--scorer rubric|competitive] [--data PATH] [--json]

All answers to a question are scored in one ``score_answers`` call (as in a
room). Prints Spearman's rank correlation and quadratic weighted kappa (QWK)
between the 0-100 scores and the 1-5 human grades, overall, by language, by
category and by split (``dev`` = even-numbered questions in file order, used
to set the evaluator's constants; ``holdout`` = odd-numbered, not tuned on).

Scores map to grades by fixed cut points (not fitted per run)::

    score  0-19 -> 1,  20-39 -> 2,  40-59 -> 3,  60-79 -> 4,  80-100 -> 5

Formulas:
* Spearman's rho = Pearson correlation of the average ranks (ties get the mean
  rank), as in Spearman (1904) / any statistics text.
* QWK = 1 - sum(W*O) / sum(W*E), with W_ij = (i-j)^2/(N-1)^2, O the observed
  grade confusion matrix and E the outer product of the marginals scaled to
  the same total (Cohen 1968, "Weighted kappa", Psychological Bulletin 70(4)).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import OrderedDict, defaultdict
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from rooms.questions import Question
from rooms.scoring import AnswerToScore

DEFAULT_DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "graded_answers.jsonl"
CUTS = (20, 40, 60, 80)


def score_to_grade(score: float) -> int:
    """Map a 0-100 score to a 1-5 grade with the fixed cut points ``CUTS`` (20/40/60/80)."""
    return 1 + sum(1 for c in CUTS if score >= c)


def _avg_ranks(x: Sequence[float]) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x), dtype=float)
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and x[order[j + 1]] == x[order[i]]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rho of two equal-length sequences (ties: average ranks). NaN if undefined."""
    if len(x) != len(y) or len(x) < 2:
        return float("nan")
    rx, ry = _avg_ranks(x), _avg_ranks(y)
    if rx.std() == 0 or ry.std() == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])


def quadratic_weighted_kappa(a: Sequence[int], b: Sequence[int], min_rating: int = 1, max_rating: int = 5) -> float:
    """Cohen's quadratic weighted kappa between two integer ratings on [min_rating, max_rating].

    Returns 1.0 for perfect agreement, ~0 for chance; NaN for empty input.
    Source: Cohen, J. (1968), Weighted kappa, Psychological Bulletin 70(4):213-220.
    """
    if len(a) != len(b) or not len(a):
        return float("nan")
    n = max_rating - min_rating + 1
    O = np.zeros((n, n))
    for i, j in zip(a, b):
        O[int(i) - min_rating, int(j) - min_rating] += 1
    ha, hb = O.sum(axis=1), O.sum(axis=0)
    E = np.outer(ha, hb) / O.sum()
    W = np.array([[(i - j) ** 2 / (n - 1) ** 2 for j in range(n)] for i in range(n)])
    denom = (W * E).sum()
    if denom == 0:
        return 1.0
    return float(1.0 - (W * O).sum() / denom)


def load_rows(path: Path = DEFAULT_DATA) -> list[dict]:
    """Read the graded JSONL (one object per line)."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def question_of(row: dict, qid: str) -> Question:
    """Build a Question from a graded row (its own text and key points, in its language)."""
    lang = row["lang"]
    return Question(id=qid, category=row["category"], topic="", difficulty=2,
                    text_by_lang={lang: row["question"], "en": row["question"]},
                    key_points_by_lang={lang: list(row["key_points"]), "en": list(row["key_points"])})


def make_scorer(name: str):
    """``"competitive"`` -> CompetitiveEvaluator (warmed up); ``"rubric"`` -> RubricScorer.

    Raises:
        ValueError: for an unknown name.
    """
    if name == "competitive":
        from .competitive import CompetitiveEvaluator
        s = CompetitiveEvaluator()
        s.warm_up()
        return s
    if name == "rubric":
        from .rubric import RubricScorer
        return RubricScorer()
    raise ValueError(f"unknown scorer {name!r}")


def score_rows(scorer, rows: list[dict]) -> list[dict]:
    """Score every row; returns rows with ``score``, ``pred_grade``, ``split`` and ``feedback`` added."""
    groups: "OrderedDict[tuple, list[int]]" = OrderedDict()
    for i, r in enumerate(rows):
        groups.setdefault((r["lang"], r["question"]), []).append(i)
    out = [dict(r) for r in rows]
    for qi, (key, idxs) in enumerate(groups.items()):
        first = rows[idxs[0]]
        q = question_of(first, first.get("question_id") or f"graded-{qi:03d}")
        answers = [AnswerToScore(answer_id=str(i), participant_id=f"p{i}", text=rows[i]["answer"]) for i in idxs]
        res = scorer.score_answers(q, answers, first["lang"])
        for i in idxs:
            sr = res[str(i)]
            out[i].update(score=sr.score, pred_grade=score_to_grade(sr.score), feedback=sr.feedback,
                          dimensions=sr.dimensions, split="dev" if qi % 2 == 0 else "holdout")
    return out


def metrics(rows: Iterable[dict]) -> dict:
    """``{"n", "spearman", "qwk"}`` over scored rows."""
    rows = list(rows)
    return {"n": len(rows),
            "spearman": spearman([r["score"] for r in rows], [r["grade"] for r in rows]),
            "qwk": quadratic_weighted_kappa([r["pred_grade"] for r in rows], [r["grade"] for r in rows])}


def report(scored: list[dict]) -> "OrderedDict[str, dict]":
    """Metrics overall, by language, by category and by split."""
    table: "OrderedDict[str, dict]" = OrderedDict()
    table["overall"] = metrics(scored)
    for field in ("lang", "category", "split"):
        groups = defaultdict(list)
        for r in scored:
            groups[r[field]].append(r)
        for k in sorted(groups):
            table[f"{field}={k}"] = metrics(groups[k])
    return table


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scorer", choices=("rubric", "competitive"), default="competitive")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--json", action="store_true", help="print the table as JSON")
    ap.add_argument("--by-kind", action="store_true", help="also print the mean score per answer kind")
    args = ap.parse_args(argv)
    rows = load_rows(args.data)
    scored = score_rows(make_scorer(args.scorer), rows)
    table = report(scored)
    if args.json:
        print(json.dumps(table, indent=2))
        return 0
    print(f"scorer={args.scorer}  answers={len(rows)}  cut points 20/40/60/80 -> grades 1..5")
    print(f"{'slice':<24}{'n':>5}{'spearman':>10}{'qwk':>8}")
    for k, m in table.items():
        print(f"{k:<24}{m['n']:>5}{m['spearman']:>10.3f}{m['qwk']:>8.3f}")
    if args.by_kind:
        kinds = defaultdict(list)
        for r in scored:
            kinds[(r["lang"], r["kind"])].append(r["score"])
        print(f"\n{'lang/kind':<24}{'n':>5}{'mean':>8}{'min':>6}{'max':>6}")
        for k in sorted(kinds):
            v = kinds[k]
            print(f"{k[0] + '/' + k[1]:<24}{len(v):>5}{np.mean(v):>8.1f}{min(v):>6}{max(v):>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
