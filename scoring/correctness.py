"""Correctness of an answer: does it assert a red flag or contradict a key point?

The model of the field is SemEval-2013 Task 7, "Student Response Analysis"
(Dzikovska et al., 2013), which labels a student answer against reference
answers as *correct*, *partially correct*, *contradictory* or *irrelevant*.
We keep those four labels (:data:`LABELS`) and, per rubric key point, say
whether the answer states it, contradicts it or leaves it out.

A question's red flags (``Question.red_flags(lang)``, data in
``rooms/data/questions``) are common misconceptions written as the wrong claim
("an index makes every query faster"). A sentence *asserts* a red flag when

1. it says the same thing: English MiniLM cosine of the sentence and the flag
   (vectors the evaluator already has) together with lexical recall of the
   flag's *distinctive* terms (its content words that are not in the
   question); Korean: recall of the flag's distinctive character bigrams
   (e5 per sentence would cost ~1 ms per token, over the budget);
2. with the same polarity: negation ("not", "never", "n't", 않/없/아니/못) is
   read in the clause that carries the flag's terms, so "a slow CPU does not
   cause deadlocks" does not assert "deadlocks are caused by a slow CPU";
3. with the same strength: a flag with an absolute quantifier ("every",
   "always", 모든/항상/무조건) needs one in the clause too ("indexes make reads
   faster" is not "an index makes every query faster");
4. and it is not a *mention*: a sentence that attributes the claim to others
   or calls it a misconception ("many people think…", "…is a myth",
   흔히/오해/착각) refutes rather than asserts.

A key point is *contradicted* when a clause restates it very closely with the
opposite plain negation (strict thresholds; red flags carry most of the load).
An answer with a wrong claim is capped (:data:`CAPS`): 39 for one, 29 for
two, 19 for three or more: the top of grade 2 and grade 1 under the graded
set's cut points (docs/evaluation.md, "Correctness before form"; the issue's
ceiling is 45). Thresholds are ours; docs/evaluation.md records what they
measured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from . import contrasts
from . import features as F
from .claims import NEG_EN, _HEDGE_EN, absolute as _absolute, clauses, is_mention, negated, terms as _terms

LABELS = ("correct", "partially_correct", "contradictory", "irrelevant")

#: Score cap by the number of distinct wrong claims (1, 2, 3+), 0-100: the top of grades 2 and 1.
CAPS = (39, 29, 19)

#: Key points that are themselves phrased negatively cannot be "negated" by a plain "not".
_NEGATIVE_MEANING = re.compile(r"\b(skip|avoid|without|not|no|never|prevent|break|lose|loss|miss|instead|"
                               r"versus|vs|limit|cost|risk|harder|slower|fewer|less)\w*|"
                               r"(않|없|못|대신|방지|막|비용|한계|위험|손실|느려|줄)", re.I)

#: Dismissal of a practice: "X isn't needed", "X is overkill", "굳이 X 할 필요 없습니다". Read with a key
#: point's terms in one major clause, it contradicts that key point (the commonest wrong-answer move:
#: waving away what a good answer relies on).
DISMISS_EN = re.compile(
    r"\b(?:(?:do|does|did|would|will)(?:n't| not) (?:really )?(?:need|matter|bother|help)|no (?:real )?need|"
    r"not (?:really )?(?:needed|necessary|required|worth|useful)|(?:is|are)n't (?:needed|necessary|required|worth)|"
    r"unnecessary|needless|overkill|outdated|obsolete|legacy|a waste of|pointless|useless|"
    r"mostly a thing for|only (?:matters|needed) for|nobody needs|never needed|skip (?:it|them|that)|"
    r"wouldn't (?:build|use|add|bother)|don't have to (?:worry|bother)|not something (?:a|an|we|you))\b", re.I)
DISMISS_KO = re.compile(r"(필요\s?[가는도]?\s?없|[할볼둘쓸넣만]\s?필요(?:[가는도]|까지)?\s?(?:없|않)|시간 낭비|낭비(?:일|입니|예요|라고)|"
                        r"쓰지 않겠|안 써도|안 해도|안 둬도|하지 않아도|없어도 (?:됩|돼|괜찮)|지워도|쓰면 안|"
                        r"소용(?:이)? 없|의미(?:가)? 없|상관(?:이)? 없)")
#: A Korean dismissal that is a reason or a condition, not the clause's conclusion: "바꿀 필요가 없어서
#: 가볍습니다", "안 해도 돼서 좋습니다", "필요 없으면 301" (the eojeol that ends the dismissal).
_KO_NOT_CONCLUSION = re.compile(r"^\S*?(?:서|니까|으니|니|으면|면|므로|는데|지만|는)(?=[\s,.]|$)")
#: An English dismissal of "one"/"it" is about the clause before ("…create false alarms, so I wouldn't build one").
_PRONOUN_OBJECT = re.compile(r"\b(?:one|it|them|that|those|this)\b", re.I)
_DISMISS_KP_MIN = 2          # key-point terms the dismissing clause must carry (one if it is a long term)

@dataclass(frozen=True)
class WrongClaim:
    """One wrong claim found in the answer.

    Attributes:
        sentence: the answer's sentence that makes it (as written).
        reference: the red flag it asserts, or the key point it contradicts.
        kind: "red_flag" | "contradicts_key_point" | "dismisses_key_point" (waves it away as unneeded) |
            "swapped" (a fact said of the wrong member of a contrast, :mod:`scoring.contrasts`;
            ``reference`` is the true fact) | "denies_fact" (a contrast's fact denied of its own member) |
            "evasion" (a premise denial, concepts.EVASIONS).
        strength: match strength 0-1 (for ordering).
    """

    sentence: str
    reference: str
    kind: str
    strength: float


@dataclass
class Correctness:
    """The correctness verdict of one answer.

    Attributes:
        label: one of :data:`LABELS`.
        key_points: per key point "stated" | "partial" | "missing" | "contradicted".
        wrong: wrong claims, strongest first.
        cap: the score cap (0-100) or None.
    """

    label: str = "partially_correct"
    key_points: list = field(default_factory=list)
    wrong: list = field(default_factory=list)
    cap: int | None = None

    @property
    def wrong_sentences(self) -> set:
        return {w.sentence for w in self.wrong}


def _recall(text: str, ref_terms: set, lang: str) -> float:
    return len(_terms(text, lang) & ref_terms) / len(ref_terms) if ref_terms else 0.0


def _best_clause(sentence: str, ref_terms: set, lang: str, major: bool = True,
                 subject: set = frozenset()) -> tuple[str, float]:
    """``(clause, recall 0-1)``: the clause with the highest recall of ``ref_terms``; on a tie the
    one with the claim's ``subject``, then the later one (a fronted phrase comes first:
    "With a good hash function, collisions can't happen")."""
    best, best_key = sentence, (-1.0, False)
    for c in clauses(sentence, lang, major):
        key = (_recall(c, ref_terms, lang), bool(subject & _terms(c, lang)))
        if key >= best_key:
            best, best_key = c, key
    return best, max(0.0, best_key[0])


def anchor(claim: str, lang: str) -> set:
    """The claim's subject: the terms of its first content word ("POST", "thread", "인덱스")."""
    units = [u for u in F.content_units(claim.replace("-", " "), lang)
             if not NEG_EN.fullmatch(u) and u not in _HEDGE_EN]
    if not units:
        return set()
    return _terms(units[0], lang) if lang == "ko" else {units[0]}


def asserts(sentence: str, ref: str, ref_terms: set, sem: float | None, lang: str) -> float:
    """How strongly (0-1; 0 = not at all) ``sentence`` asserts the claim ``ref``.

    The claim must be made inside one major clause: its subject (:func:`anchor`)
    and enough of its distinctive terms, with the claim's polarity in the minor
    clause that carries them, and with an absolute quantifier if the claim has one.

    Args:
        ref_terms: the claim's distinctive terms (see :func:`distinctive_terms`).
        sem: cosine of the sentence and claim vectors (English), or None (Korean / no model).
    """
    if len(ref_terms) < 2 or is_mention(sentence, lang):
        return 0.0
    major, lex = _best_clause(sentence, ref_terms, lang)
    subject = anchor(ref, lang)
    if subject and not (subject & _terms(major, lang)) and not (sem is not None and sem >= 0.85):
        return 0.0
    minor, _ = _best_clause(major, ref_terms, lang, major=False, subject=subject)
    # the claim's own polarity: English in its first clause with the subject ("Locks are not involved
    # when…", "I fixed it and did not tell anyone, so nobody noticed" are negated); Korean on its predicate
    ref_minor = ref if lang == "ko" else next(
        (c for c in clauses(ref, lang, major=False) if subject & _terms(c, lang)), ref)
    if negated(minor, lang) != negated(ref_minor, lang):
        return 0.0
    absolute = _absolute(ref, lang)
    if absolute and not _absolute(major, lang) and not (sem is not None and sem >= 0.8):
        return 0.0
    if sem is not None:
        if sem >= 0.80 and lex >= 0.4:
            return sem
        if sem >= 0.75 and lex >= 0.4 and len(ref_terms) >= 3:
            return 0.5 * sem + 0.5 * lex
        if sem >= 0.5 and lex >= 0.6 and (len(ref_terms) >= 3 or lex == 1.0):
            return 0.5 * sem + 0.5 * lex
        if lex >= 0.8 and len(ref_terms) >= 3:
            return lex * 0.9
        return 0.0
    if len(ref_terms) >= 4 and (lex >= 0.5 or (absolute and lex >= 0.45)):
        return lex
    return 0.0


def distinctive_terms(claim: str, question: str, lang: str) -> set:
    """The claim's terms that are not in the question (stems in English, bigrams in Korean);
    all its terms when fewer than two are left ("PUT and PATCH are the same thing")."""
    own = _terms(claim, lang)
    rest = own - _terms(question, lang)
    return rest if len(rest) >= 2 else own


def contradicts(sentence: str, kp: str, kp_terms: set, sem: float | None, lang: str) -> float:
    """How strongly (0-1) ``sentence`` states key point ``kp`` negated (strict; 0 = no)."""
    if len(kp_terms) < 3 or _NEGATIVE_MEANING.search(kp) or is_mention(sentence, lang):
        return 0.0
    major, lex = _best_clause(sentence, kp_terms, lang)
    minor, _ = _best_clause(major, kp_terms, lang, major=False)
    if not negated(minor, lang):
        return 0.0
    if sem is not None:
        return 0.5 * sem + 0.5 * lex if sem >= 0.75 and lex >= 0.6 else 0.0
    return lex if lex >= 0.8 and len(kp_terms) >= 5 else 0.0


def dismisses(sentence: str, kp: str, kp_terms: set, lang: str) -> float:
    """How strongly (0-1; 0 = no) ``sentence`` waves away key point ``kp`` as unneeded.

    One clause (Korean: major; English: minor, with the clause before when it dismisses "one"/"it")
    must carry a dismissal (:data:`DISMISS_EN` / :data:`DISMISS_KO`, not a Korean reason, condition or
    adnominal: "필요 없으니", "필요 없는 이벤트") and at least :data:`_DISMISS_KP_MIN` of the key point's
    distinctive terms (one suffices when it is a long,
    specific term: "reconciliation", "멱등성"). Key points phrased negatively, mentions ("many think
    … isn't needed") and conditional dismissals ("if …", "만약") are not dismissals.
    """
    if len(kp_terms) < 2 or _NEGATIVE_MEANING.search(kp) or is_mention(sentence, lang):
        return 0.0
    rx = DISMISS_KO if lang == "ko" else DISMISS_EN
    best = 0.0
    for major in clauses(sentence, lang):
        # Korean: the major clause (its topic comes first); English: the minor clause of the dismissal
        # ("…in memory, because history is not needed" dismisses history, not memory)
        parts = [major] if lang == "ko" else clauses(major, lang, major=False)
        for k, c in enumerate(parts):
            if _CONDITIONAL.search(c) or not any(lang != "ko" or not _ko_reason(c[m.end():]) for m in rx.finditer(c)):
                continue
            have = _terms(c, lang)
            if lang != "ko" and k > 0 and _PRONOUN_OBJECT.search(c):
                have = have | _terms(parts[k - 1], lang)
            best = max(best, _dismissal_strength(have & kp_terms, kp_terms, lang))
    return best


def _dismissal_strength(hit: set, kp_terms: set, lang: str) -> float:
    """0-1 from the key-point terms a dismissing clause carries (see :func:`dismisses`)."""
    long_hit = any(len(t) >= (2 if lang == "ko" else 8) for t in hit) and (lang != "ko" or len(hit) >= 2)
    if len(hit) >= _DISMISS_KP_MIN and (long_hit or len(hit) >= 3) or (lang == "en" and long_hit):
        return min(1.0, 0.5 + len(hit) / (2 * len(kp_terms)))
    return 0.0


def _ko_reason(rest: str) -> bool:
    """True when the Korean dismissal ending at ``rest`` is a reason or condition (:data:`_KO_NOT_CONCLUSION`):
    read on the rest of its eojeol, or on the next one when the match ended at a space ("안 해도 돼서")."""
    if rest[:1].isspace():
        nxt = rest.split(None, 1)
        if nxt and re.match(r"^(?:될|된)$", nxt[0]):
            return True                 # adnominal: "하지 않아도 될 선택" (a choice one need not make)
        return bool(nxt) and bool(re.match(r"^(?:돼|되|됐|괜찮)", nxt[0])) and bool(_KO_NOT_CONCLUSION.match(nxt[0]))
    return bool(_KO_NOT_CONCLUSION.match(rest))


_CONDITIONAL = re.compile(r"^\s*(?:if|unless|when|only if)\b|\b(?:if|unless) you\b|(?:만약|경우에만|라면\s)", re.I)


def assess(sentences: Sequence[str], question: str, key_points: Sequence[str], red_flags: Sequence[str],
           coverage: Sequence[float], relevance: float, lang: str,
           sent_vecs: np.ndarray | None = None, flag_vecs: np.ndarray | None = None,
           kp_vecs: np.ndarray | None = None, extra_flags: Sequence[str] = ()) -> Correctness:
    """Judge one answer.

    Args:
        sentences: the answer's sentences (as split by ``features.split_sentences``).
        question: the question text in ``lang``.
        key_points / red_flags: the rubric's key points and red flags in ``lang``.
        coverage: per key point 0-1 (the evaluator's depth signal).
        relevance: the answer's relevance 0-1.
        sent_vecs / flag_vecs / kp_vecs: unit vectors (English MiniLM) of the
            sentences, flags and key points, or None for the lexical path.
        extra_flags: more wrong claims checked lexically (``concepts.EVASIONS`` for
            behavioural answers that tell no story); asserting one labels the answer irrelevant.

    Returns:
        :class:`Correctness`; ``cap`` is set when there is at least one wrong claim.
    """
    out = Correctness()
    sem_f = sent_vecs @ flag_vecs.T if sent_vecs is not None and flag_vecs is not None and len(flag_vecs) else None
    sem_k = sent_vecs @ kp_vecs.T if sent_vecs is not None and kp_vecs is not None and len(kp_vecs) else None
    found: dict[str, WrongClaim] = {}
    for j, rf in enumerate(list(red_flags) + list(extra_flags)):
        terms = distinctive_terms(rf, question, lang)
        for i, s in enumerate(sentences):
            sem = float(sem_f[i, j]) if sem_f is not None and i < sem_f.shape[0] and j < sem_f.shape[1] else None
            st = asserts(s, rf, terms, sem, lang)
            if st > 0 and (rf not in found or st > found[rf].strength):
                found[rf] = WrongClaim(s, rf, "red_flag" if j < len(red_flags) else "evasion", st)
    groups = contrasts.active(" ".join([question, *key_points]), lang)
    for s in sentences if groups else ():
        for fact, said_of in contrasts.swaps(s, question, lang, groups):
            kind = "denies_fact" if said_of == fact.about else "swapped"
            found.setdefault("fact:" + fact.text, WrongClaim(s, fact.text, kind, 0.8))
    status = []
    for j, kp in enumerate(key_points):
        terms = distinctive_terms(kp, question, lang)
        hit = None
        for i, s in enumerate(sentences):
            sem = float(sem_k[i, j]) if sem_k is not None and i < sem_k.shape[0] else None
            st = contradicts(s, kp, terms, sem, lang)
            if st > 0 and (hit is None or st > hit.strength):
                hit = WrongClaim(s, kp, "contradicts_key_point", st)
        if hit is None:
            for s in sentences:
                st = dismisses(s, kp, terms, lang)
                if st > 0 and (hit is None or st > hit.strength):
                    hit = WrongClaim(s, kp, "dismisses_key_point", st)
        c = float(coverage[j]) if j < len(coverage) else 0.0
        if hit is not None:
            found[kp] = hit
            status.append("contradicted")
        else:
            status.append("stated" if c >= 0.6 else "partial" if c >= 0.3 else "missing")
    out.key_points = status
    out.wrong = sorted(found.values(), key=lambda w: -w.strength)
    if out.wrong and all(w.kind == "evasion" for w in out.wrong):
        out.label, out.cap = "irrelevant", CAPS[-1]           # the question was dodged
    elif out.wrong:
        out.label = "contradictory"
        n_claims = len({w.sentence for w in out.wrong})      # one sentence may assert two flags
        out.cap = CAPS[min(n_claims, len(CAPS)) - 1]
    elif relevance < 0.3:
        out.label = "irrelevant"
    elif status and sum(s == "stated" for s in status) >= max(1, round(0.6 * len(status))):
        out.label = "correct"
    else:
        out.label = "partially_correct"
    return out
