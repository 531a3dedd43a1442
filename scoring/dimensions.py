"""The surface dimensions of an answer (structure, specificity, communication) and its penalties.

Pure functions of :class:`features.TextFeatures` and a few evaluator signals;
``competitive.CompetitiveEvaluator`` combines them with the embedding-based
relevance and depth. All values are 0-1. Constants are ours, set on the
even-numbered questions of the graded set (docs/evaluation.md).
"""

from __future__ import annotations

import re

from . import features as F


def ramp(x: float, lo: float, hi: float) -> float:
    """Linear 0..1 ramp: 0 at ``lo``, 1 at ``hi``."""
    if hi == lo:
        return 1.0 if x >= hi else 0.0
    return float(min(1.0, max(0.0, (x - lo) / (hi - lo))))


#: Length fit: full marks from this share of the expected length; "developed" ramps over DEVELOPED.
LENGTH_FULL = 0.15
DEVELOPED = (0.03, 0.25)


def length_fit(ratio: float) -> tuple[float, str, float]:
    """``(length 0-1, "short" | "ok" | "long", developed 0-1)`` for size / expected size.

    Trapezoid: full marks between ``LENGTH_FULL`` (15 %) and 110 % of the expected length.
    ``developed`` (how far the answer is developed, for depth and specificity) ramps over
    ``DEVELOPED`` (3-25 %). Before the calib round: 30 % and 5-45 %, which cost a correct
    30-word answer about half its depth (docs/evaluation.md, "Calibration round").
    """
    if ratio < LENGTH_FULL:
        length, state = ramp(ratio, 0.03, LENGTH_FULL), "short"
    elif ratio <= 1.10:
        length, state = 1.0, "ok"
    else:
        length, state = max(0.3, 1.0 - (ratio - 1.10) * 0.8), "long"
    return length, state, ramp(ratio, *DEVELOPED)


def structure(f: F.TextFeatures, category: str, n_sents: int) -> float:
    """STAR for behavioural, approach/trade-off/reasoning/verification for technical, the better for others."""
    star = f.star
    star_s = (0.20 * star["situation"] + 0.10 * star["task"] + 0.30 * star["action"]
              + 0.25 * star["result"] + 0.15 * star["reflection"])
    t = f.tech
    tech_s = (0.25 * min(1.0, t["approach"] / 3) + 0.30 * min(1.0, t["tradeoff"] / 2)
              + 0.25 * min(1.0, t["reasoning"] / 2) + 0.10 * min(1.0, t["specific"] / 1)
              + 0.10 * min(1.0, t["verify"] / 1))
    if category == "behavioural":
        s = 0.85 * star_s + 0.15 * tech_s
    elif category == "technical":
        s = 0.9 * tech_s + 0.1 * star_s
    else:
        s = max(star_s, tech_s)
    return s * (0.4 + 0.6 * ramp(n_sents, 1, 4))


def named_terms(text: str, lang: str) -> int:
    """Count named tools/products/acronyms (capitalised words, or Latin words inside Korean)."""
    if lang == "ko":
        return len(set(re.findall(r"[A-Za-z][A-Za-z0-9+#.\-]{1,}", text)))
    toks = re.findall(r"(?<![.!?]\s)(?<!^)\b([A-Z][A-Za-z0-9+#\-]{1,}|[A-Z]{2,}[0-9]*)\b", text)
    return len({t for t in toks if t not in ("I", "I'd", "I've", "I'm")})


def specificity(f: F.TextFeatures, text: str, lang: str, developed: float) -> float:
    """Numbers, first-person actions, first person and named tools, minus stock phrases."""
    s = (0.35 * min(1.0, f.numbers / 3) + 0.30 * min(1.0, f.actions / 3)
         + 0.10 * min(1.0, f.first_person / 3) + 0.25 * min(1.0, named_terms(text, lang) / 4))
    s -= 0.08 * f.generic
    return max(0.0, s) * (0.5 + 0.5 * developed)


def communication(f: F.TextFeatures, length: float, n_sents: int) -> tuple[float, float]:
    """``(communication, wander)``: length fit, fillers, repeated sentences and stock phrases;
    ``wander`` is fillers+hedges per sentence (rambling), 0-1."""
    filler_rate = f.fillers / max(1, f.n_units)
    c = length * (1 - min(0.6, filler_rate * 6)) * (1 - 0.8 * f.dup_sentence_ratio)
    c *= 1 - min(0.4, 0.07 * f.generic)
    c *= 0.6 + 0.4 * ramp(n_sents, 1, 4)
    wander = ramp((f.fillers + f.hedges) / max(1, n_sents), 0.3, 1.2)
    return c * (1 - 0.5 * wander), wander


def penalties(f: F.TextFeatures, lang: str, n_sents: int, relevant: list, ratio: float,
              novelty: float) -> dict:
    """``{"stuffing", "repeat", "padding"}``, each 0-1.

    stuffing: share of running-text function words/particles too low (a keyword list);
    repeat: little answer content outside the question (``novelty``, see ``features.overlap_novelty``);
    padding: share of sentences off the point (``relevant`` flags) or stock phrases, long answers only.
    """
    if lang == "ko":
        stuffing = ramp(0.50 - f.function_ratio, 0.0, 0.30)
    else:
        stuffing = ramp(0.32 - f.function_ratio, 0.0, 0.20)
    if f.comma_ratio > 0.25 and n_sents <= 2:
        stuffing = max(stuffing, ramp(f.comma_ratio, 0.25, 0.6))
    if f.n_units < 5:
        stuffing = 0.0
    repeat = ramp(0.55 - novelty, 0.0, 0.40)
    irrelevant_share = 1.0 - (sum(relevant) / len(relevant)) if n_sents >= 3 and relevant else 0.0
    generic_density = f.generic / max(1, n_sents)
    padding = max(ramp(irrelevant_share, 0.35, 0.85), ramp(generic_density, 0.25, 0.8))
    padding *= ramp(ratio, 0.25, 0.6)     # only long-ish answers can be padded
    return {"stuffing": stuffing, "repeat": repeat, "padding": padding}


#: Korean past tense or experience ("했습니다", "넘어갔고", "적이 있습니다").
_KO_PAST = re.compile(r"(았|었|였|했|됐|웠|줬|봤|왔|갔|냈|셨|렸|썼|졌)(습니다|고|는데|지만|어요|죠|던|다|으나|더니|을 때)|적이 있")


def narrative(sentence: str, lang: str) -> bool:
    """A sentence that moves a story on: a person acting, with an action, a number or an outcome,
    and no stock phrase ("We agreed to let numbers decide: I profiled the service")."""
    low = sentence.lower()
    if lang == "ko":                        # subjects are often dropped in Korean: no person needed
        if any(g in low for g in F.GENERIC_KO):
            return False
        return bool(_KO_PAST.search(sentence) or re.search(r"\d", sentence) or F.ACTION_KO.search(sentence)
                    or F.STAR_KO["result"].search(sentence))
    if any(g in low for g in F.GENERIC_EN):
        return False
    person = re.search(r"\b(i|we|my|our|she|he|they)\b", low)
    return bool(person) and bool(re.search(r"\d", sentence) or F.ACTION_EN.search(sentence)
                                 or F.STAR_EN["result"].search(sentence) or re.search(r"\b\w{3,}ed\b", low))


#: Self-description, platitudes, promises and perks: sentences that tell the interviewer nothing about
#: the situation asked ("I'm a very organised person", "I love remote work", "성실하다는 말을 많이 들었습니다",
#: "연봉이 높고 복지가 좋은 팀"). Grading criteria, grades 1-2 (docs/evaluation.md).
_PLATITUDE_EN = re.compile(
    r"\b(i'?m|i am)\s+(honestly\s+|really\s+|just\s+|naturally\s+)?(a|an)\s+(very\s+|really\s+|big\s+|huge\s+|quite\s+)?"
    r"(\w+[\s-])?(person|fan|believer|learner|player|worker)\b|"
    r"\b(i'?m|i am)\s+(very|really|so|naturally|honestly|extremely)\s+[\w-]+\b|"
    r"\bi\s+(really\s+)?(love|admire|enjoy|adore)\b|\bi'?d love to\b|\bi (strongly )?believe in\b|"
    r"\b(is|are) (really |very |so )?important to me\b|\bi'?m (very |really )?(comfortable|passionate|good) (with|about|at)\b|"
    r"\b(salary|salaries|perks|benefits|free (lunch|snacks)|work-life balance|team lunch(es)?|bowling|"
    r"standing desk|hobby|hobbies)\b|\bi (always )?(try|like) to\b|\bi'?ve read a lot\b|\bi('m| am) known for\b",
    re.I)
_PLATITUDE_KO = re.compile(
    r"(성격이라|성격입니다|성격이어서|편입니다|편이고|편이라|자부합니다|열심히 하겠|최선을 다하겠|되겠습니다|"
    r"좋겠습니다|연봉|복지|재택근무|식대|회식|야식|분위기 메이커|말을 많이 들었|평가를 들었|마음에 듭니다|"
    r"선호하는 편|좋아합니다|취미|적응을 잘|자신 있습니다|감사합니다)")


def platitude_share(sentences: list, lang: str) -> float:
    """Share (0-1) of the sentences that are self-description, platitudes, promises or perks."""
    if not sentences:
        return 0.0
    rx = _PLATITUDE_KO if lang == "ko" else _PLATITUDE_EN
    return sum(1 for s in sentences if rx.search(s)) / len(sentences)


#: Share of platitude sentences -> penalty 0-1 (ramp), and its weight on the total (0-1).
PLATITUDE_RAMP = (0.3, 0.7)
PLATITUDE_WEIGHT = 0.6


def platitude(sentences: list, lang: str, category: str) -> tuple[float, float]:
    """``(share, penalty)``, both 0-1: :func:`platitude_share` and its penalty; technical answers 0, 0
    (they are judged on key points and red flags). The total is multiplied by
    ``1 - PLATITUDE_WEIGHT * penalty``. Constants set on the dev split (docs/evaluation.md)."""
    if category == "technical":
        return 0.0, 0.0
    share = platitude_share(sentences, lang)
    return share, ramp(share, *PLATITUDE_RAMP)
