"""CompetitiveEvaluator: rubric dimensions from embeddings + text features, answers compared per question.

Dimensions (each 0-100):

* relevance      - semantic similarity of the answer to the question and its key
                   points (MiniLM for English, multilingual-e5 for Korean), plus
                   lexical overlap (stems for English, character bigrams for Korean).
* structure      - STAR (Situation, Task, Action, Result, + reflection) for
                   behavioural questions; approach, trade-offs, reasoning and
                   verification for technical ones; the better of both for
                   culture-fit and company questions.
* specificity    - numbers and quantities, first-person actions ("I built",
                   "제가 ... 정리했습니다"), named tools and examples; minus stock phrases.
* depth          - coverage of the question's key points: per key point, the best
                   matching sentence (English) or the answer (Korean), blended
                   with lexical recall of the key point.
* communication  - length for the answer time (expected words or characters per
                   minute), filler words, repeated sentences, stock phrases.

The overall score is a category-weighted mean of the dimensions times penalty
factors for keyword stuffing, repeating the question, padding and low relevance.
Defined scores (no exception) for: skipped/empty 0, garbage (control or
unreadable characters) 2, over 8 KB 5, answer in the other language 6.

Weights, cut points and calibration ranges are ours, set on the even-numbered
questions of ``tests/data/graded_answers.jsonl`` (see docs/evaluation.md).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from rooms.questions import Question
from . import features as F
from rooms.scoring import AnswerToScore, ScoreResult, clamp_score
from .comparator import AnswerComparator
from .embeddings import get_encoder, warm_up as _warm_up
from .feedback import FeedbackGenerator

log = logging.getLogger(__name__)

MAX_SENTENCES = 10
DIMENSIONS = ("relevance", "structure", "specificity", "depth", "communication")

#: Category weights; each row sums to 1.
WEIGHTS = {
    "behavioural": {"relevance": 0.20, "structure": 0.25, "specificity": 0.25, "depth": 0.15, "communication": 0.15},
    "technical":   {"relevance": 0.20, "structure": 0.20, "specificity": 0.10, "depth": 0.35, "communication": 0.15},
    "culture_fit": {"relevance": 0.25, "structure": 0.15, "specificity": 0.20, "depth": 0.25, "communication": 0.15},
    "company":     {"relevance": 0.25, "structure": 0.15, "specificity": 0.15, "depth": 0.30, "communication": 0.15},
}

#: Defined scores for answers that are not scored on content.
FLAG_SCORES = {"skipped": 0, "empty": 0, "garbage": 2, "too_long": 5, "wrong_language": 6, "error": 0}

#: Cosine calibration per encoder: (low, high) -> mapped linearly to 0..1.
#: MiniLM cosines spread widely; e5 cosines sit in a narrow band near 0.8.
CALIB = {
    "all-MiniLM-L6-v2": {"q": (0.05, 0.50), "kp": (0.12, 0.55), "sent": 0.25},
    "multilingual-e5-small-q4": {"q": (0.80, 0.875), "kp": (0.79, 0.86), "sent": 0.0},
}

#: Expected answer rate: English words per minute, Korean non-space characters per minute.
#: ~140 wpm is conversational English speech; ~330 syllables/min for Korean speech.
RATE = {"en": 140.0, "ko": 330.0}

#: Weighted total that maps to 100 (see ``_score_one``).
STRETCH = {"en": 0.80, "ko": 0.70}


def _ramp(x: float, lo: float, hi: float) -> float:
    """Linear 0..1 ramp: 0 at ``lo``, 1 at ``hi``."""
    if hi == lo:
        return 1.0 if x >= hi else 0.0
    return float(min(1.0, max(0.0, (x - lo) / (hi - lo))))


@dataclass
class AnswerAnalysis:
    """The evaluator's working record of one answer.

    Attributes:
        answer_id / participant_id: ids from the AnswerToScore.
        flag: None, or why the answer got a defined score
            ("skipped" | "empty" | "garbage" | "too_long" | "wrong_language" | "error").
        dims: dimension -> 0-100.
        score: overall 0-100.
        quotes: dimension -> the answer's sentence that best shows it.
        penalty: the dominant penalty ("stuffing" | "repeat" | "padding") or None.
        missing_point: the least covered key point, for feedback.
        length_state: "short" | "ok" | "long".
        details: raw signals for debugging and the evaluation report.
    """

    answer_id: str
    participant_id: str
    text: str
    flag: str | None = None
    dims: dict = field(default_factory=dict)
    score: int = 0
    quotes: dict = field(default_factory=dict)
    penalty: str | None = None
    missing_point: str | None = None
    length_state: str = "ok"
    details: dict = field(default_factory=dict)


class CompetitiveEvaluator:
    """Scores all answers to one question, compares them, and writes feedback.

    Implements :class:`rooms.scoring.Scorer`.

    Args:
        answer_seconds: the room's answer time limit, in seconds (sets the
            expected length: ``RATE[lang] * answer_seconds / 60`` units).
        use_embeddings: False forces the lexical-only path (for tests of the
            fallback; the default uses the offline models).

    Models load lazily on first use, once per process; call :meth:`warm_up`
    at start-up to pay that cost early.
    """

    def __init__(self, answer_seconds: float = 90.0, use_embeddings: bool = True) -> None:
        self.answer_seconds = float(answer_seconds)
        self.use_embeddings = use_embeddings
        self.comparator = AnswerComparator()
        self.last_timing_ms: float = 0.0

    def warm_up(self) -> dict:
        """Load the encoders (English MiniLM, Korean e5). Returns ``{lang: model name or None}``."""
        return _warm_up(("en", "ko")) if self.use_embeddings else {"en": None, "ko": None}

    # ------------------------------------------------------------------ public
    def score_answers(self, question: Question, answers: Sequence[AnswerToScore],
                      lang: str) -> dict[str, ScoreResult]:
        """Score every answer to ``question`` in room language ``lang`` ("ko" | "en").

        Returns:
            ``{answer_id: ScoreResult}``, one per input answer; ``score`` and every
            dimension are 0-100 integers; ``feedback`` is one strength and one
            improvement that quotes the best competing answer. Never raises for
            odd input: empty, garbage, huge or wrong-language text gets a
            defined low score (``FLAG_SCORES``).
        """
        t0 = time.perf_counter()
        analyses = self.analyse(question, answers, lang)
        results = {a.answer_id: ScoreResult(score=a.score, dimensions={d: int(v) for d, v in a.dims.items()})
                   for a in analyses}
        ranked = self.comparator.rank(results)
        best_id = ranked[0].answer_id if ranked else None
        by_id = {a.answer_id: a for a in analyses}
        best = by_id.get(best_id) if best_id else None
        if best is not None and best.flag:
            best = None
        fb = FeedbackGenerator(lang, question.category)
        out = {}
        for a in analyses:
            try:
                text = fb.generate(a, best if best is not a else None)
            except Exception:  # feedback must never break scoring
                log.exception("feedback failed for %s", a.answer_id)
                text = ""
            out[a.answer_id] = ScoreResult(score=a.score, dimensions=results[a.answer_id].dimensions,
                                           feedback=text)
        # -- spoken delivery (media bridge): pace/pauses dimensions feed communication; see delivery.py
        from .delivery import apply_delivery
        out = apply_delivery(out, answers, WEIGHTS.get(question.category, WEIGHTS["behavioural"]), lang)
        self.last_timing_ms = (time.perf_counter() - t0) * 1000.0
        return out

    def analyse(self, question: Question, answers: Sequence[AnswerToScore], lang: str) -> list[AnswerAnalysis]:
        """Score answers and keep the working details (see :class:`AnswerAnalysis`)."""
        lang = lang if lang in ("ko", "en") else "en"
        qtext = question.text(lang)
        kps = [k for k in question.key_points(lang) if k.strip()]
        analyses: list[AnswerAnalysis] = []
        valid: list[tuple[AnswerAnalysis, str, F.TextFeatures]] = []
        for ans in answers:
            a = AnswerAnalysis(ans.answer_id, ans.participant_id, ans.text or "")
            analyses.append(a)
            try:
                flag, cleaned = self._screen(ans, lang)
                if flag:
                    self._flagged(a, flag)
                    continue
                valid.append((a, cleaned, F.extract(cleaned, lang)))
            except Exception:
                log.exception("screening failed for %s", ans.answer_id)
                self._flagged(a, "error")
        if valid:
            try:
                sims = self._similarities(qtext, kps, [c for _, c, _ in valid], [f for _, _, f in valid], lang)
            except Exception:
                log.exception("embedding failed; lexical scoring only")
                sims = [None] * len(valid)
            for (a, cleaned, feats), sim in zip(valid, sims):
                try:
                    self._score_one(a, cleaned, feats, sim, question, qtext, kps, lang)
                except Exception:
                    log.exception("scoring failed for %s", a.answer_id)
                    self._flagged(a, "error")
        return analyses

    # ---------------------------------------------------------------- screening
    def _screen(self, ans: AnswerToScore, lang: str) -> tuple[str | None, str]:
        raw = ans.text if isinstance(ans.text, str) else ""
        if ans.skipped:
            return "skipped", ""
        if len(raw.encode("utf-8", errors="replace")) > F.MAX_TEXT_BYTES:
            return "too_long", ""
        if F.garbage_ratio(raw) > 0.02:
            return "garbage", ""
        cleaned = F.clean(raw)
        if not cleaned or not any(c.isalnum() for c in cleaned):
            return "empty", ""
        if F.letter_ratio(cleaned) < 0.6:
            return "garbage", ""
        hr = F.hangul_ratio(cleaned)
        n_letters = sum(1 for c in cleaned if c.isalpha())
        if n_letters >= 12:
            if lang == "ko" and hr < 0.3:
                return "wrong_language", ""
            if lang == "en" and hr > 0.5:
                return "wrong_language", ""
        return None, cleaned

    def _flagged(self, a: AnswerAnalysis, flag: str) -> None:
        a.flag = flag
        s = FLAG_SCORES[flag]
        a.score = s
        a.dims = {d: s for d in DIMENSIONS}
        a.length_state = "short" if flag in ("empty", "skipped") else "ok"

    # -------------------------------------------------------------- embeddings
    def _similarities(self, qtext: str, kps: list[str], texts: list[str], feats: list[F.TextFeatures],
                      lang: str) -> list[dict | None]:
        """Batch-embed all answers to the question; per answer return cosine signals.

        English: each sentence of the answer (MiniLM; the answer vector is their
        normalised mean). Korean: the head of the answer only (e5 costs ~0.9 ms
        per token on this 2-core machine); key points also lexically.
        """
        enc = get_encoder(lang) if self.use_embeddings else None
        if enc is None:
            return [None] * len(texts)
        qv = enc.encode([qtext] + kps, "query")
        q, K = qv[0], qv[1:]
        batch: list[str] = []
        spans = []
        for text, f in zip(texts, feats):
            start = len(batch)
            if lang == "en" and f.sentences:
                batch.extend([x[:240] for x in f.sentences[:MAX_SENTENCES]])
            else:
                batch.append(text)
            spans.append((start, len(batch)))
        M = enc.encode(batch, "passage")
        out = []
        for (s, e) in spans:
            sents = M[s:e]
            whole = sents.mean(axis=0)
            whole = whole / max(float(np.linalg.norm(whole)), 1e-9)
            q_whole = float(whole @ q)
            q_sent = sents @ q
            kp_sent = (K @ sents.T) if len(K) else np.zeros((0, len(sents)))
            kp_whole = K @ whole if len(K) else np.zeros(0)
            out.append({"model": enc.name, "q_whole": q_whole, "q_sent": q_sent,
                        "kp_sent": kp_sent, "kp_whole": kp_whole})
        return out

    # ------------------------------------------------------------------ scoring
    def _score_one(self, a: AnswerAnalysis, text: str, f: F.TextFeatures, sim: dict | None,
                   question: Question, qtext: str, kps: list[str], lang: str) -> None:
        sents = list(f.sentences) or [text]
        # ---- lexical relevance / coverage
        a_bg = F.char_bigrams(text)
        a_units = set(F.content_units(text, lang))
        lex_kp = []
        for kp in kps:
            if lang == "ko":
                kb = F.char_bigrams(kp)
                lex_kp.append(len(kb & a_bg) / len(kb) if kb else 0.0)
            else:
                ku = set(F.content_units(kp, lang))
                lex_kp.append(len(ku & a_units) / len(ku) if ku else 0.0)
        q_bg = F.char_bigrams(qtext)
        if lang == "ko":
            lex_q = len(q_bg & a_bg) / len(q_bg) if q_bg else 0.0
        else:
            qu = set(F.content_units(qtext, lang))
            lex_q = len(qu & a_units) / len(qu) if qu else 0.0
        # ---- per-sentence relevance (for padding and quotes)
        if lang == "ko":
            ref = q_bg | set().union(*(F.char_bigrams(k) for k in kps)) if kps else q_bg
            sent_sets = [F.char_bigrams(s) for s in sents]
        else:
            ref = set(F.content_units(qtext + " " + " ".join(kps), lang))
            sent_sets = [set(F.content_units(s, lang)) for s in sents]
        sent_lex = [len(sb & ref) / len(sb) if sb else 0.0 for sb in sent_sets]
        if sim is not None:
            cal = CALIB.get(sim["model"], CALIB["all-MiniLM-L6-v2"])
            q_sent = np.asarray(sim["q_sent"], dtype=float)
            top = np.sort(q_sent)[::-1][:2]
            q_sem = max(sim["q_whole"], float(top.mean()) if len(top) else 0.0)
            sem_rel = _ramp(q_sem, *cal["q"])
            if len(kps):
                if lang == "en":
                    kp_best = sim["kp_sent"].max(axis=1)
                    kp_cov_sem = np.array([_ramp(x, *cal["kp"]) for x in kp_best])
                else:
                    kp_cov_sem = np.array([_ramp(x, *cal["kp"]) for x in sim["kp_whole"]])
            else:
                kp_cov_sem = np.zeros(0)
            if lang == "en" and len(sents) == len(q_sent):
                sent_rel = [max(float(qs), float(sim["kp_sent"][:, i].max()) if len(kps) else 0.0)
                            for i, qs in enumerate(q_sent)]
                relevant = [r >= cal["sent"] for r in sent_rel]
            else:
                sent_rel = sent_lex
                relevant = [r >= 0.12 for r in sent_lex]
        else:
            sem_rel = _ramp(lex_q, 0.05, 0.35)
            kp_cov_sem = np.zeros(len(kps))
            sent_rel = sent_lex
            relevant = [r >= 0.12 for r in sent_lex]
        lex_cov = np.array([_ramp(x, 0.05, 0.6 if lang == "ko" else 0.5) for x in lex_kp]) if kps else np.zeros(0)
        if len(kps):
            w_sem = (0.65 if lang == "en" else 0.4) if sim is not None else 0.0
            cov = w_sem * kp_cov_sem + (1 - w_sem) * lex_cov
        else:
            cov = np.zeros(0)
        lex_rel = _ramp(max(lex_q, float(np.mean(lex_kp)) if lex_kp else 0.0), 0.03, 0.30)
        w_q = (0.75 if lang == "en" else 0.55) if sim is not None else 0.0
        relevance = w_q * sem_rel + (1 - w_q) * max(lex_rel, float(cov.max()) if len(cov) else 0.0)

        # ---- length
        expected = RATE[lang] * self.answer_seconds / 60.0
        size = f.n_units if lang == "en" else f.n_chars
        ratio = size / expected if expected else 1.0
        # trapezoid: full marks between 30% and 110% of the expected length
        if ratio < 0.30:
            length = _ramp(ratio, 0.03, 0.30)
            a.length_state = "short"
        elif ratio <= 1.10:
            length = 1.0
        else:
            length = max(0.3, 1.0 - (ratio - 1.10) * 0.8)
            a.length_state = "long"
        dev = _ramp(ratio, 0.05, 0.45)      # how developed the answer is, for depth/structure

        # ---- depth
        if len(cov):
            srt = np.sort(cov)[::-1]
            depth = float(srt.mean()) * (0.5 + 0.5 * dev)
            a.missing_point = kps[int(np.argmin(cov))] if float(cov.min()) < 0.6 else None
        else:
            depth = relevance * dev

        # ---- structure
        n_sent_f = _ramp(len(sents), 1, 4)
        star = f.star
        star_s = (0.20 * star["situation"] + 0.10 * star["task"] + 0.30 * star["action"]
                  + 0.25 * star["result"] + 0.15 * star["reflection"])
        t = f.tech
        tech_s = (0.25 * min(1.0, t["approach"] / 3) + 0.30 * min(1.0, t["tradeoff"] / 2)
                  + 0.25 * min(1.0, t["reasoning"] / 2) + 0.10 * min(1.0, t["specific"] / 1)
                  + 0.10 * min(1.0, t["verify"] / 1))
        cat = question.category
        if cat == "behavioural":
            structure = 0.85 * star_s + 0.15 * tech_s
        elif cat == "technical":
            structure = 0.9 * tech_s + 0.1 * star_s
        else:
            structure = max(star_s, tech_s)
        structure *= 0.4 + 0.6 * n_sent_f

        # ---- specificity
        names = self._named_terms(text, lang)
        specificity = (0.35 * min(1.0, f.numbers / 3) + 0.30 * min(1.0, f.actions / 3)
                       + 0.10 * min(1.0, f.first_person / 3) + 0.25 * min(1.0, names / 4))
        specificity -= 0.08 * f.generic
        specificity = max(0.0, specificity) * (0.5 + 0.5 * dev)

        # ---- communication
        filler_rate = f.fillers / max(1, f.n_units)
        communication = length * (1 - min(0.6, filler_rate * 6)) * (1 - 0.8 * f.dup_sentence_ratio)
        communication *= 1 - min(0.4, 0.07 * f.generic)
        communication *= 0.6 + 0.4 * n_sent_f

        # ---- wandering: fillers and hedges per sentence (rambling answers)
        wander = _ramp((f.fillers + f.hedges) / max(1, len(sents)), 0.3, 1.2)
        communication *= 1 - 0.5 * wander

        # ---- penalties
        if lang == "ko":
            stuffing = _ramp(0.50 - f.function_ratio, 0.0, 0.30)
        else:
            stuffing = _ramp(0.32 - f.function_ratio, 0.0, 0.20)
        if f.comma_ratio > 0.25 and len(sents) <= 2:
            stuffing = max(stuffing, _ramp(f.comma_ratio, 0.25, 0.6))
        if f.n_units < 5:
            stuffing = 0.0
        novelty = F.overlap_novelty(text, qtext, lang)
        repeat = _ramp(0.55 - novelty, 0.0, 0.40)
        if len(sents) >= 3:
            irrelevant_share = 1.0 - (sum(relevant) / len(relevant))
        else:
            irrelevant_share = 0.0
        generic_density = f.generic / max(1, len(sents))
        padding = max(_ramp(irrelevant_share, 0.35, 0.85), _ramp(generic_density, 0.25, 0.8))
        padding = padding * _ramp(ratio, 0.25, 0.6)     # only long-ish answers can be padded

        cov_mean = float(cov.mean()) if len(cov) else relevance
        rel_gate = 0.2 + 0.8 * _ramp(0.5 * relevance + 0.5 * cov_mean, 0.15, 0.45)
        dims = {
            "relevance": relevance * (1 - 0.8 * stuffing) * (1 - 0.8 * repeat),
            "structure": structure,
            "specificity": specificity,
            "depth": depth * (1 - 0.8 * stuffing) * (1 - 0.8 * repeat) * (1 - 0.5 * padding),
            "communication": communication * (1 - 0.7 * stuffing),
        }
        w = WEIGHTS.get(cat, WEIGHTS["behavioural"])
        base = sum(w[d] * dims[d] for d in DIMENSIONS)
        total = (base * rel_gate * (1 - 0.85 * stuffing) * (1 - 0.85 * repeat) * (1 - 0.45 * padding)
                 * (1 - 0.35 * wander))
        # a full, on-topic answer deserves the top of the scale: stretch 0..STRETCH -> 0..100.
        # Korean surface cues are sparser (fewer markers per sentence), hence a lower stretch.
        a.score = clamp_score(100 * min(1.0, total / STRETCH[lang]))
        a.dims = {d: clamp_score(100 * v) for d, v in dims.items()}
        pen = {"stuffing": stuffing, "repeat": repeat, "padding": padding}
        top_pen = max(pen, key=pen.get)
        a.penalty = top_pen if pen[top_pen] >= 0.5 else None
        a.quotes = self._quotes(sents, sent_rel, f, lang)
        a.details = {"sem_rel": sem_rel, "lex_rel": lex_rel, "cov": [round(float(x), 3) for x in cov],
                     "length_ratio": round(ratio, 3), "stuffing": round(stuffing, 3),
                     "repeat": round(repeat, 3), "padding": round(padding, 3), "rel_gate": round(rel_gate, 3),
                     "wander": round(wander, 3),
                     "function_ratio": round(f.function_ratio, 3), "novelty": round(novelty, 3),
                     "q_sim": None if sim is None else round(float(sim["q_whole"]), 3)}

    @staticmethod
    def _named_terms(text: str, lang: str) -> int:
        """Count named tools/products/acronyms (capitalised or Latin words inside Korean)."""
        if lang == "ko":
            return len(set(re.findall(r"[A-Za-z][A-Za-z0-9+#.\-]{1,}", text)))
        toks = re.findall(r"(?<![.!?]\s)(?<!^)\b([A-Z][A-Za-z0-9+#\-]{1,}|[A-Z]{2,}[0-9]*)\b", text)
        return len({t for t in toks if t not in ("I", "I'd", "I've", "I'm")})

    @staticmethod
    def _quotes(sents: list[str], sent_rel: list[float], f: F.TextFeatures, lang: str) -> dict:
        """Pick, per dimension, the sentence that best shows it."""
        if not sents:
            return {}
        rel = list(sent_rel) + [0.0] * (len(sents) - len(sent_rel))
        by_rel = sents[int(np.argmax(rel))]
        num_re = re.compile(r"\d")
        spec = max(sents, key=lambda s: (len(num_re.findall(s)) > 0) * 2
                   + len(F.FIRST_PERSON_KO.findall(s) if lang == "ko" else F.FIRST_PERSON_EN.findall(s)))
        star_re = F.STAR_KO if lang == "ko" else F.STAR_EN
        tech_re = F.TECH_KO if lang == "ko" else F.TECH_EN
        struct = next((s for s in sents if star_re["result"].search(s) or tech_re["tradeoff"].search(s)), by_rel)
        return {"relevance": by_rel, "depth": by_rel, "specificity": spec, "structure": struct,
                "communication": sents[0]}
