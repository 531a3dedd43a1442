"""Agreement figures between 0-100 scores and 1-5 human grades (used by ``scoring.evalrun``).

Scores map to grades by fixed cut points (not fitted per run)::

    score  0-19 -> 1,  20-39 -> 2,  40-59 -> 3,  60-79 -> 4,  80-100 -> 5

Formulas:
* Spearman's rho = Pearson correlation of the average ranks (ties get the mean
  rank), as in Spearman (1904) / any statistics text.
* QWK = 1 - sum(W*O) / sum(W*E), with W_ij = (i-j)^2/(N-1)^2, O the observed
  grade confusion matrix and E the outer product of the marginals scaled to
  the same total (Cohen 1968, "Weighted kappa", Psychological Bulletin 70(4)).

A scored row is a dict with at least ``score`` (0-100), ``pred_grade`` (1-5) and
``grade`` (1-5, the human grade); ``lang`` and ``kind`` are used where named.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from statistics import mean
from typing import Iterable, Sequence

import numpy as np

CUTS = (20, 40, 60, 80)
CAP = 45  # the cap for an answer that asserts a misconception (score <= 45)


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


def agreement(rows: Iterable[dict]) -> dict:
    """``{"n", "spearman", "qwk"}`` over scored rows (score vs grade, pred_grade vs grade)."""
    rows = list(rows)
    return {"n": len(rows),
            "spearman": spearman([r["score"] for r in rows], [r["grade"] for r in rows]),
            "qwk": quadratic_weighted_kappa([r["pred_grade"] for r in rows], [r["grade"] for r in rows])}


def sliced(rows: Sequence[dict], fields: Sequence[str] = ("lang", "category", "split")) -> "OrderedDict[str, dict]":
    """:func:`agreement` overall and per value of each field: keys ``overall``, ``lang=en``, ..."""
    table: "OrderedDict[str, dict]" = OrderedDict()
    table["overall"] = agreement(rows)
    for field in fields:
        groups = defaultdict(list)
        for r in rows:
            if field in r:
                groups[r[field]].append(r)
        for k in sorted(groups):
            table[f"{field}={k}"] = agreement(groups[k])
    return table


def mean_by_grade(rows: Iterable[dict]) -> "OrderedDict[str, dict]":
    """Mean score per human grade: ``{"all"|"en"|"ko": {"1": {"n", "mean"}, ...}}``; grades with no row are left out."""
    groups: dict = defaultdict(list)
    for r in rows:
        for key in ("all", r.get("lang", "?")):
            groups[(key, int(r["grade"]))].append(float(r["score"]))
    out: "OrderedDict[str, dict]" = OrderedDict()
    for key in ("all", "en", "ko"):
        per = {str(g): {"n": len(groups[(key, g)]), "mean": mean(groups[(key, g)])}
               for g in range(1, 6) if groups.get((key, g))}
        if per:
            out[key] = per
    return out


def capped_share(rows: Iterable[dict], kind: str = "wrong", cap: float = CAP) -> "OrderedDict[str, dict]":
    """Share of rows of ``kind`` whose score is <= ``cap``: ``{"all"|"en"|"ko": {"n", "capped", "share"}}``.

    ``share`` is NaN when there is no such row.
    """
    out: "OrderedDict[str, dict]" = OrderedDict()
    rows = [r for r in rows if r.get("kind") == kind]
    for key in ("all", "en", "ko"):
        sel = [r for r in rows if key == "all" or r.get("lang") == key]
        capped = sum(1 for r in sel if r["score"] <= cap)
        out[key] = {"n": len(sel), "capped": capped, "share": capped / len(sel) if sel else float("nan")}
    return out


def mean_by_kind(rows: Iterable[dict]) -> "OrderedDict[str, dict]":
    """``{"en/strong": {"n", "mean", "min", "max"}, ...}`` sorted by key."""
    kinds: dict = defaultdict(list)
    for r in rows:
        kinds[f"{r['lang']}/{r['kind']}"].append(r["score"])
    return OrderedDict((k, {"n": len(v), "mean": mean(v), "min": min(v), "max": max(v)})
                       for k, v in sorted(kinds.items()))
