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
factors for keyword stuffing, repeating the question, padding and low relevance,
then capped when the answer makes a wrong claim (``correctness.py``: red flags,
contradicted key points, premise denials; SemEval-2013 Task 7 labels).
Stories (behavioural, culture-fit, company) also get credit for competencies
shown in their own words (``concepts.py``).
Defined scores (no exception) for: skipped/empty 0, garbage (control or
unreadable characters) 2, over 8 KB 5, answer in the other language 6.

Weights, cut points and calibration ranges are ours, set on the even-numbered
questions of ``tests/data/graded_answers.jsonl`` (see docs/evaluation.md).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from rooms.questions import Question
from . import dimensions as D
from . import features as F
from rooms.scoring import AnswerToScore, ScoreResult, clamp_score
from .comparator import AnswerComparator
from .concepts import CREDIT as CONCEPT_CREDIT, EVASIONS, concept_coverage, story_share
from .correctness import Correctness, assess as assess_correctness
from .embeddings import E5_PASSAGE_CHARS, get_encoder, warm_up as _warm_up
from .feedback import FeedbackGenerator
from .quotes import pick as pick_quotes

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

#: Coverage gate (mean key-point coverage, low -> high) for Korean answers and English technical
#: ones, see ``_score_one``.
COV_GATE = (0.12, 0.32)

#: Weighted total that maps to 100 (see ``_score_one``).
STRETCH = {"en": 0.80, "ko": 0.70}


_ramp = D.ramp


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
        penalty: the dominant penalty ("stuffing" | "repeat" | "padding" | "platitude") or None.
        missing_point: the least covered key point, for feedback.
        length_state: "short" | "ok" | "long".
        correctness: the correctness verdict (label, key point status, wrong claims, cap).
        numbers / actions: counts of numbers and first-person actions (features.TextFeatures).
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
    correctness: Correctness | None = None
    numbers: int = 0
    actions: int = 0


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
                sims = self._similarities(qtext, kps, [c for _, c, _ in valid], [f for _, _, f in valid], lang,
                                          question.red_flags(lang))
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
    @staticmethod
    def _screen(ans: AnswerToScore, lang: str) -> tuple[str | None, str]:
        return F.screen(ans.text if isinstance(ans.text, str) else "", ans.skipped, lang)

    def _flagged(self, a: AnswerAnalysis, flag: str) -> None:
        a.flag = flag
        s = FLAG_SCORES[flag]
        a.score = s
        a.dims = {d: s for d in DIMENSIONS}
        a.length_state = "short" if flag in ("empty", "skipped") else "ok"

    # -------------------------------------------------------------- embeddings
    def _similarities(self, qtext: str, kps: list[str], texts: list[str], feats: list[F.TextFeatures],
                      lang: str, flags: list[str] = ()) -> list[dict | None]:
        """Batch-embed all answers to the question; per answer return cosine signals.

        English: each sentence of the answer (MiniLM; the answer vector is their
        normalised mean). Korean: the head of the answer only (e5 costs ~0.9 ms
        per token on this 2-core machine); key points also lexically.
        """
        enc = get_encoder(lang) if self.use_embeddings else None
        if enc is None:
            return [None] * len(texts)
        n_flags = len(flags) if lang == "en" else 0      # Korean flags are matched lexically
        qv = enc.encode([qtext] + kps + list(flags[:n_flags]), "query")
        q, K, R = qv[0], qv[1:1 + len(kps)], qv[1 + len(kps):]
        batch: list[str] = []
        spans = []
        for text, f in zip(texts, feats):
            start = len(batch)
            if lang == "en" and f.sentences:
                batch.extend([x[:240] for x in f.sentences[:MAX_SENTENCES]])
            else:
                batch.append(text[:E5_PASSAGE_CHARS] if lang == "ko" else text)
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
                        "kp_sent": kp_sent, "kp_whole": kp_whole,
                        "sent_vecs": sents if lang == "en" else None, "kp_vecs": K if lang == "en" else None,
                        "flag_vecs": R if n_flags else None})
        return out

    # ------------------------------------------------------------------ scoring
    def _score_one(self, a: AnswerAnalysis, text: str, f: F.TextFeatures, sim: dict | None,
                   question: Question, qtext: str, kps: list[str], lang: str) -> None:
        sents = list(f.sentences) or [text]
        # ---- lexical relevance / coverage
        lex_q, lex_kp = F.lexical_recall(text, qtext, kps, lang)
        q_bg = F.char_bigrams(qtext)
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
        # ---- stories: competencies shown in the answer's own words count as coverage, and
        # relevance is judged on the whole story (docs/evaluation.md, "Stories")
        story = story_share(sents, lang)
        extra_flags: list[str] = []
        if question.category in CONCEPT_CREDIT and len(kps):
            ccov = concept_coverage(kps, text, lang, f.actions, question.category)
            if question.category == "behavioural" and story < 0.34:
                # "Tell me about a time…" answered without a story: self-description, opinions
                ccov, relevance = 0.5 * ccov, 0.7 * relevance
                extra_flags = EVASIONS[lang]
            cov = np.maximum(cov, ccov)
            story_rel = min(1.0, 0.5 * sem_rel + 0.5 * float(cov.mean()) / 0.75)
            relevance = max(relevance, story_rel)
            if relevance >= 0.5:
                relevant = [r or D.narrative(s_, lang) for r, s_ in zip(relevant, sents)]

        # ---- length, depth and the surface dimensions (dimensions.py)
        expected = RATE[lang] * self.answer_seconds / 60.0
        ratio = (f.n_units if lang == "en" else f.n_chars) / expected if expected else 1.0
        length, a.length_state, dev = D.length_fit(ratio)
        if len(cov):
            depth = float(cov.mean()) * (0.5 + 0.5 * dev)
            a.missing_point = kps[int(np.argmin(cov))] if float(cov.min()) < 0.6 else None
        else:
            depth = relevance * dev
        cat = question.category
        structure = D.structure(f, cat, len(sents))
        specificity = D.specificity(f, text, lang, dev)
        communication, wander = D.communication(f, length, len(sents))
        novelty = F.overlap_novelty(text, qtext, lang)
        pen = D.penalties(f, lang, len(sents), relevant, ratio, novelty)
        stuffing, repeat, padding = pen["stuffing"], pen["repeat"], pen["padding"]

        cov_mean = float(cov.mean()) if len(cov) else relevance
        rel_gate = 0.2 + 0.8 * _ramp(0.5 * relevance + 0.5 * cov_mean, 0.15, 0.45)
        if len(cov) and (lang == "ko" or cat == "technical"):
            # e5's question similarity saturates for any on-domain Korean text (off-topic 0.886 vs
            # strong 0.876 on v2), and an English technical answer can stay on the question's subject
            # ("URL shorteners are everywhere…") without explaining anything: such answers must also
            # cover the key points themselves
            rel_gate = min(rel_gate, 0.2 + 0.8 * _ramp(cov_mean, COV_GATE[0], COV_GATE[1]))
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
        # stories and motivation told in self-description, platitudes or perks say nothing of the
        # situation asked, however close to the question's subject (graded grades 1-2)
        plat, plat_pen = D.platitude(sents, lang, cat)
        total *= 1 - D.PLATITUDE_WEIGHT * plat_pen
        # a full, on-topic answer deserves the top of the scale: stretch 0..STRETCH -> 0..100.
        # Korean surface cues are sparser (fewer markers per sentence), hence a lower stretch.
        a.score = clamp_score(100 * min(1.0, total / STRETCH[lang]))
        # ---- correctness (SemEval-2013 Task 7 labels): a wrong claim caps the score
        a.correctness = assess_correctness(
            sents, qtext, kps, question.red_flags(lang), list(cov), relevance, lang, extra_flags=extra_flags,
            sent_vecs=sim.get("sent_vecs") if sim is not None else None,
            flag_vecs=sim.get("flag_vecs") if sim is not None else None,
            kp_vecs=sim.get("kp_vecs") if sim is not None else None)
        if a.correctness.cap is not None:
            a.score = min(a.score, a.correctness.cap)
        a.dims = {d: clamp_score(100 * v) for d, v in dims.items()}
        top_pen = max(pen, key=pen.get)
        a.penalty = top_pen if pen[top_pen] >= 0.5 else None
        if plat_pen >= 0.5 and plat_pen > pen[top_pen]:
            a.penalty = "platitude"
        a.numbers, a.actions = f.numbers, f.actions
        a.quotes = pick_quotes(sents, sent_rel, lang, exclude=a.correctness.wrong_sentences)
        a.details = {"sem_rel": sem_rel, "lex_rel": lex_rel, "cov": [round(float(x), 3) for x in cov],
                     "length_ratio": round(ratio, 3), "stuffing": round(stuffing, 3),
                     "repeat": round(repeat, 3), "padding": round(padding, 3), "rel_gate": round(rel_gate, 3),
                     "wander": round(wander, 3), "platitude": round(plat, 3), "label": a.correctness.label,
                     "key_points": a.correctness.key_points,
                     "function_ratio": round(f.function_ratio, 3), "novelty": round(novelty, 3),
                     "q_sim": None if sim is None else round(float(sim["q_whole"]), 3)}
