"""Validate a scorer against the hand-graded answers (``make eval``).

Usage::

    python -m scoring.evalrun [--scorer rubric|competitive] [--data PATH ...] [--json]
                              [--by-kind] [--no-fairness]

Sets (``tests/data``): ``v1`` = ``graded_answers.jsonl`` (224 answers to 32 questions of their
own), ``v2`` = ``graded_answers_v2.jsonl`` (answers to bank questions, ``qid``; kinds strong,
partial, off_topic, wrong), and ``combined``. ``--data`` replaces them with the given files.
Grading criteria: docs/evaluation.md.

All answers to a question are scored in one ``score_answers`` call (as in a room); a row with
a ``qid`` in the bank is scored against the bank question (with whatever rubric data the bank
holds), else against its own text and key points. For each set it prints Spearman's rank
correlation and quadratic weighted kappa (QWK) between the 0-100 scores and the 1-5 human
grades, overall and by language, category and split (``dev`` = even-numbered questions in file
order, ``holdout`` = odd-numbered), the mean score per grade, and the share of ``wrong``
answers (fluent but factually wrong) that are capped (score <= 45). Then the fairness figure
(:mod:`scoring.fairness`) and the issue's targets with PASS/FAIL. Formulas and cut points:
:mod:`scoring.metrics`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import OrderedDict
from pathlib import Path
from typing import Sequence

from rooms.questions import Question, QuestionBank, default_bank
from rooms.scoring import AnswerToScore

from . import fairness
from .metrics import (CAP, CUTS, agreement, capped_share, mean_by_grade, mean_by_kind,  # noqa: F401
                      quadratic_weighted_kappa, score_to_grade, sliced, spearman)

DATA_DIR = Path(__file__).resolve().parents[1] / "tests" / "data"
DEFAULT_DATA = DATA_DIR / "graded_answers.jsonl"
V2_DATA = DATA_DIR / "graded_answers_v2.jsonl"
DEFAULT_SETS = (("v1", DEFAULT_DATA), ("v2", V2_DATA))

# The targets (issue 9): calibration on the graded set (§1), no regression below
# Spearman 0.80 on the old set (§4), an answer asserting a misconception capped at 45 (§1),
# skill-5 AI candidates' median 75-90 (§2).
GRADE_TARGETS = {1: (None, 25.0), 3: (45.0, 65.0), 5: (80.0, None)}
OLD_SET_SPEARMAN = 0.80
WRONG_CAPPED_SHARE = 1.0
SKILL5_MEDIAN = (75.0, 90.0)


def load_rows(path: Path = DEFAULT_DATA) -> list[dict]:
    """Read a graded JSONL file (one object per line)."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def question_of(row: dict, qid: str) -> Question:
    """Build a Question from a graded row (its own text and key points, in its language)."""
    lang = row["lang"]
    return Question(id=qid, category=row["category"], topic="", difficulty=2,
                    text_by_lang={lang: row["question"], "en": row["question"]},
                    key_points_by_lang={lang: list(row["key_points"]), "en": list(row["key_points"])})


def question_for(row: dict, fallback_id: str, bank: QuestionBank | None = None) -> Question:
    """The bank question for a row with a known ``qid``, else :func:`question_of` the row."""
    qid = row.get("qid")
    if qid:
        try:
            return (bank or default_bank()).get(qid)
        except KeyError:
            pass
    return question_of(row, row.get("question_id") or fallback_id)


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


def score_rows(scorer, rows: list[dict], bank: QuestionBank | None = None) -> list[dict]:
    """Score every row; returns rows with ``score``, ``pred_grade``, ``split`` and ``feedback`` added."""
    groups: "OrderedDict[tuple, list[int]]" = OrderedDict()
    for i, r in enumerate(rows):
        groups.setdefault((r["lang"], r["question"]), []).append(i)
    out = [dict(r) for r in rows]
    for qi, (key, idxs) in enumerate(groups.items()):
        first = rows[idxs[0]]
        q = question_for(first, f"graded-{qi:03d}", bank)
        answers = [AnswerToScore(answer_id=str(i), participant_id=f"p{i}", text=rows[i]["answer"]) for i in idxs]
        res = scorer.score_answers(q, answers, first["lang"])
        for i in idxs:
            sr = res[str(i)]
            out[i].update(score=sr.score, pred_grade=score_to_grade(sr.score), feedback=sr.feedback,
                          dimensions=sr.dimensions, split="dev" if qi % 2 == 0 else "holdout")
    return out


def metrics(rows) -> dict:
    """``{"n", "spearman", "qwk"}`` over scored rows (see :func:`scoring.metrics.agreement`)."""
    return agreement(rows)


def report(scored: list[dict]) -> "OrderedDict[str, dict]":
    """Metrics overall, by language, by category and by split."""
    return sliced(scored)


def summarise_set(scored: list[dict]) -> dict:
    """Everything printed for one set: slices, mean per grade and kind, wrong answers capped."""
    out = {"n": len(scored), "questions": len({(r["lang"], r["question"]) for r in scored}),
           "slices": report(scored), "mean_by_grade": mean_by_grade(scored), "by_kind": mean_by_kind(scored)}
    if any(r.get("kind") == "wrong" for r in scored):
        out["wrong_capped"] = capped_share(scored)
    return out


def _band(value: float, lo: float | None, hi: float | None) -> bool:
    return not math.isnan(value) and (lo is None or value >= lo) and (hi is None or value <= hi)


def _band_text(lo: float | None, hi: float | None) -> str:
    if lo is None:
        return f"<= {hi:g}"
    if hi is None:
        return f">= {lo:g}"
    return f"{lo:g}-{hi:g}"


def targets(sets: dict, fair: dict | None) -> list[dict]:
    """The issue's targets beside the figures: ``[{"name", "value", "shown", "target", "pass"}]``
    (``shown``: the value as printed; ``pass``: False also when the value is NaN)."""
    out = []

    def add(name, value, lo, hi, fmt="{:.1f}", target=None):
        out.append({"name": name, "value": value, "shown": fmt.format(value) if not math.isnan(value) else "n/a",
                    "target": target or _band_text(lo, hi), "pass": _band(value, lo, hi)})

    if "v1" in sets:
        add("v1 (old set) Spearman", sets["v1"]["slices"]["overall"]["spearman"], OLD_SET_SPEARMAN, None, "{:.3f}")
    for name, s in sets.items():
        for g, (lo, hi) in GRADE_TARGETS.items():
            m = s["mean_by_grade"].get("all", {}).get(str(g))
            if m:
                add(f"{name} mean score, grade {g}", m["mean"], lo, hi)
        if "wrong_capped" in s and name != "combined":
            w = s["wrong_capped"]["all"]
            add(f"{name} wrong answers capped (<= {CAP}), {w['capped']}/{w['n']}", w["share"],
                WRONG_CAPPED_SHARE, None, "{:.0%}", f"{WRONG_CAPPED_SHARE:.0%}")
    for lang, summ in ((fair or {}).get("summary") or {}).items():
        if lang != "all":
            add(f"skill-5 AI median score ({lang})", summ["ai_all_median"], *SKILL5_MEDIAN)
    return out


def build_report(scorer, sets: "Sequence[tuple[str, list[dict]]]", composer: "fairness.Composer | None" = None,
                 bank: QuestionBank | None = None) -> dict:
    """Score every set (and ``combined`` when there are two or more) and run the fairness figure.

    Returns ``{"sets": {name: summarise_set(...)}, "fairness": fairness.run(...) | None,
    "targets": targets(...)}`` plus ``"scored"`` (name -> scored rows, not printed).
    """
    scored = OrderedDict((name, score_rows(scorer, rows, bank)) for name, rows in sets)
    if len(scored) > 1:
        scored["combined"] = [r for rows in list(scored.values()) for r in rows]
    summaries = OrderedDict((name, summarise_set(rows)) for name, rows in scored.items())
    fair = None
    if composer is not None:
        fair = fairness.run(scorer, [r for name, rows in sets for r in rows], composer, bank)
    return {"sets": summaries, "fairness": fair, "targets": targets(summaries, fair), "scored": scored}


def _nan_to_none(obj):
    if isinstance(obj, float) and math.isnan(obj):
        return None
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_nan_to_none(v) for v in obj]
    return obj


def print_set(name: str, path: str, s: dict, by_kind: bool) -> None:
    print(f"\n== {name}: {path} ({s['n']} answers, {s['questions']} question texts) ==")
    print(f"{'slice':<24}{'n':>5}{'spearman':>10}{'qwk':>8}")
    for k, m in s["slices"].items():
        print(f"{k:<24}{m['n']:>5}{m['spearman']:>10.3f}{m['qwk']:>8.3f}")
    print(f"\n{'mean score (n) by grade':<24}" + "".join(f"{g:>13}" for g in range(1, 6)))
    for lang, per in s["mean_by_grade"].items():
        cells = "".join(f"{per[str(g)]['mean']:>7.1f} ({per[str(g)]['n']:>3})" if str(g) in per else f"{'-':>13}"
                        for g in range(1, 6))
        print(f"{lang:<24}{cells}")
    if "wrong_capped" in s:
        parts = [f"{k} {v['capped']}/{v['n']}" + (f" ({v['share']:.0%})" if v["n"] else "")
                 for k, v in s["wrong_capped"].items()]
        print(f"\nwrong answers capped (score <= {CAP}): " + ", ".join(parts))
    if by_kind:
        print(f"\n{'lang/kind':<24}{'n':>5}{'mean':>8}{'min':>6}{'max':>6}")
        for k, v in s["by_kind"].items():
            print(f"{k:<24}{v['n']:>5}{v['mean']:>8.1f}{v['min']:>6}{v['max']:>6}")


def print_fairness(fair: dict) -> None:
    print("\n== fairness: a strong (grade-5) human answer vs the six skill-5 AI candidates, one score_answers "
          f"call per question, matches of {fairness.MATCH_QUESTIONS} questions ==")
    print(f"{'lang':<5}{'question':<10}{'match':>6}{'human':>7}{'AI median':>11}{'AI max':>8}{'rank':>7}")
    for q in fair["questions"]:
        print(f"{q['lang']:<5}{q['qid']:<10}{q['match']:>6}{q['human']:>7}{q['ai_median']:>11.1f}{q['ai_max']:>8}"
              f"{q['human_rank']:>5}/{len(q['ai']) + 1}")
    print(f"\n{'':<5}{'n':>4}{'human >= AI median':>20}{'human >= AI max':>17}{'human med':>11}"
          f"{'AI med':>8}{'gap med':>9}{'all AI med':>12}")
    for k, v in fair["summary"].items():
        print(f"{k:<5}{v['n']:>4}{v['at_or_above_median']:>20.0%}{v['at_or_above_max']:>17.0%}"
              f"{v['human_median']:>11.1f}{v['ai_median']:>8.1f}{v['gap_median']:>+9.1f}{v['ai_all_median']:>12.1f}")
    for e in fair.get("errors", [])[:10]:
        print(f"persona error: {e}")


def main(argv: Sequence[str] | None = None, composer: "fairness.Composer | None" = None) -> int:
    """The CLI. ``composer``: the AI candidates for the fairness figure (``benchmarks/eval.py`` passes the
    persona engine; without one, or with ``--no-fairness``, the figure is left out)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scorer", choices=("rubric", "competitive"), default="competitive")
    ap.add_argument("--data", type=Path, action="append", help="graded JSONL file(s) instead of v1 and v2")
    ap.add_argument("--json", action="store_true", help="print the whole report as JSON")
    ap.add_argument("--by-kind", action="store_true", help="also print the mean score per answer kind")
    ap.add_argument("--no-fairness", action="store_true", help="skip the fairness figure (personas)")
    args = ap.parse_args(argv)
    paths = [(p.stem, p) for p in args.data] if args.data else list(DEFAULT_SETS)
    sets = [(name, load_rows(path)) for name, path in paths]
    rep = build_report(make_scorer(args.scorer), sets, None if args.no_fairness else composer)
    rep.pop("scored")
    if args.json:
        print(json.dumps(_nan_to_none({"scorer": args.scorer, **rep}), indent=2, ensure_ascii=False))
        return 0
    print(f"scorer={args.scorer}  cut points {'/'.join(map(str, CUTS))} -> grades 1..5")
    where = dict((n, str(p.relative_to(DATA_DIR.parents[1])) if p.is_relative_to(DATA_DIR.parents[1]) else str(p))
                 for n, p in paths)
    for name, s in rep["sets"].items():
        print_set(name, where.get(name, " + ".join(where.values())), s, args.by_kind)
    if rep["fairness"] is not None:
        print_fairness(rep["fairness"])
    print("\n== targets (issue 9) ==")
    for t in rep["targets"]:
        print(f"{'PASS' if t['pass'] else 'FAIL'}  {t['name']:<52}{t['shown']:>8}   target {t['target']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
