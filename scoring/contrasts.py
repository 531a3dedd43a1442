"""Swapped claims: a fact said of the wrong member of a contrast ("UDP guarantees ordering").

Interview questions that ask to tell two things apart (TCP and UDP, a process and a thread,
normalisation and denormalisation, isolation levels…) are most often failed by *swapping* them:
fluent, on-topic sentences with the right vocabulary attached to the wrong subject, which neither
embeddings nor red flags see. ``data/contrasts.json`` holds contrast groups: their members'
aliases per language and short true facts about each member (textbook knowledge, not graded
answers). A group is active for a question that names at least two of its members.

A sentence *swaps* a fact when one of its minor clauses carries every term of the fact that is not
a member's name (:func:`fact_terms`), the member it is said of (:func:`_said_of`: named before the
terms in that clause, else the subject of the major clause) is one the fact is false for, and the
clause has the fact's polarity (a plain negation or "prevents"/"막" flips it).
It is a wrong claim like a red flag (``correctness.assess``, kind ``"swapped"``). Mentions ("many
think…") do not count.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .claims import clauses, is_mention, negated, terms

DATA = Path(__file__).with_name("data") / "contrasts.json"

#: Verbs that turn a fact around without a plain negation ("Read Committed *prevents* dirty reads").
FLIP_EN = re.compile(r"\b(prevent\w*|avoid\w*|eliminat\w*|stops?|block\w*|rules? out)\b", re.I)
FLIP_KO = re.compile(r"(방지|막아|막습|막을|막는|막고|없앱|없애|제거)")


@dataclass(frozen=True)
class Fact:
    """A true fact about ``about``, false for each of ``false_for`` (member ids)."""

    about: str
    text: str
    false_for: tuple
    terms: frozenset


@dataclass(frozen=True)
class Group:
    """A contrast group in one language: member id -> aliases, and its facts."""

    aliases: dict
    facts: tuple


@lru_cache(maxsize=512)
def _alias_rx(alias: str, lang: str) -> re.Pattern:
    if lang == "ko":
        return re.compile(re.escape(alias), re.I)
    return re.compile(r"(?<![\w-])" + re.escape(alias).replace(r"\ ", r"[\s-]") + r"(?:e?s)?(?![\w-])", re.I)


def fact_terms(fact: str, aliases: dict, lang: str) -> frozenset:
    """The fact's content terms without its members' names (stems en; ending-stripped bigrams ko)."""
    names = set()
    for al in aliases.values():
        for a in al:
            names |= terms(a, lang)
    return frozenset(terms(fact, lang) - names)


@lru_cache(maxsize=2)
def groups(lang: str) -> tuple:
    """The contrast groups for ``lang`` (``"en"`` | ``"ko"``), loaded once from ``data/contrasts.json``."""
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    out = []
    for g in raw["groups"]:
        aliases = {eid: tuple(a[lang]) for eid, a in g["entities"].items() if a.get(lang)}
        facts = []
        for item in g["facts"].get(lang, []):
            about, text = item[0], item[1]
            false_for = tuple(item[2]) if len(item) > 2 else tuple(e for e in aliases if e != about)
            ft = fact_terms(text, aliases, lang)
            if ft:
                facts.append(Fact(about, text, false_for, ft))
        out.append(Group(aliases, tuple(facts)))
    return tuple(out)


def mentions(text: str, aliases: dict, lang: str) -> list[tuple[int, int, str]]:
    """``(start, end, member id)`` of every member named in ``text``, longest alias first, no overlaps
    ("반정규화" is not also "정규화")."""
    found: list[tuple[int, int, str]] = []
    pairs = sorted(((a, eid) for eid, al in aliases.items() for a in al), key=lambda p: -len(p[0]))
    for alias, eid in pairs:
        for m in _alias_rx(alias, lang).finditer(text):
            if all(m.end() <= s or m.start() >= e for s, e, _ in found):
                found.append((m.start(), m.end(), eid))
    return sorted(found)


@lru_cache(maxsize=256)
def active(question: str, lang: str) -> tuple:
    """The groups with at least two members named in ``question`` (the question's text, and its key
    points when the caller adds them); cached, as every answer to a question asks the same."""
    return tuple(g for g in groups(lang) if len({e for _, _, e in mentions(question, g.aliases, lang)}) >= 2)


def _first_term_at(clause: str, wanted: frozenset, lang: str) -> int:
    """Offset in ``clause`` of the earliest occurrence of one of ``terms`` (-1 if none is found)."""
    low = clause.lower()
    pos = []
    for t in wanted:
        i = low.find(t) if lang == "ko" else (m.start() if (m := re.search(r"\b" + re.escape(t), low)) else -1)
        if i >= 0:
            pos.append(i)
    return min(pos) if pos else -1


def _has_terms(wanted: frozenset, have: frozenset, lang: str) -> bool:
    """Every wanted term is in ``have``; an English stem also matches a longer or shorter form of five
    letters or more ("guarante" and "guarantee")."""
    if lang == "ko":
        return wanted <= have
    return all(t in have or any(len(t) >= 5 and len(u) >= 5 and (u.startswith(t) or t.startswith(u))
                                for u in have) for t in wanted)


def _in_order(clause: str, fact: Fact, lang: str) -> bool:
    """True when the fact's terms come in the clause in the fact's order ("메모리를 공유" is not "공유
    메모리", the IPC mechanism)."""
    low_fact, low = fact.text.lower(), clause.lower()
    order = sorted(fact.terms, key=lambda t: (low_fact.find(t) if low_fact.find(t) >= 0 else 1 << 30))
    at = 0
    for t in order:
        i = low.find(t, at)
        if i < 0:
            return lang != "ko" and t in low        # an English stem may sit inside a longer form
        at = i + 1                                  # bigrams of one word overlap
    return True


def _terms_end(clause: str, fact: Fact) -> int:
    """Offset in ``clause`` just past the word holding the last of the fact's (English) terms."""
    low = clause.lower()
    ends = [m.end() for t in fact.terms for m in [re.search(r"\b" + re.escape(t[:5]) + r"\w*", low)] if m]
    return max(ends) if ends else len(clause)


def _polarity(clause: str, own: frozenset, lang: str) -> bool:
    flip = (FLIP_KO if lang == "ko" else FLIP_EN).search(clause)
    flipped = bool(flip) and not any(t in flip.group(0).lower() for t in own)
    return negated(clause, lang) != flipped


def swaps(sentence: str, question: str, lang: str, groups_: "tuple[Group, ...] | None" = None) -> list[tuple[Fact, str]]:
    """The facts ``sentence`` gets wrong: said of a member they are false for ("UDP guarantees
    ordering"), or denied of their own member ("TCP does not guarantee ordering").
    ``[(fact, member id it was said of)]``.

    Args:
        groups_: the active groups (:func:`active` of the question), computed by the caller once.
    """
    gs = active(question, lang) if groups_ is None else groups_
    if not gs or is_mention(sentence, lang):
        return []
    out = []
    for g in gs:
        named = mentions(sentence, g.aliases, lang)
        if not named:
            continue
        cursor = 0
        for major in clauses(sentence, lang):
            m0 = sentence.find(major, cursor)
            m0 = cursor if m0 < 0 else m0
            cursor = m0 + len(major)
            subject = next(((st, e) for st, _, e in named if m0 <= st < cursor), None)
            mc = 0
            for c in clauses(major, lang, major=False):
                start = major.find(c, mc)
                start = mc if start < 0 else start
                mc = start + len(c)
                ct = terms(c, lang)
                for fact in g.facts:
                    if not _has_terms(fact.terms, ct, lang) or not _in_order(c, fact, lang):
                        continue
                    c0 = m0 + start
                    at = c0 + max(_first_term_at(c, fact.terms, lang), 0)
                    said_of, pos = _said_of(sentence, named, c0, at, subject, lang)
                    if said_of is None:
                        continue
                    span = c
                    if lang != "ko":       # English polarity is read from the member to the next member
                        s0 = pos if pos is not None and pos >= c0 else c0
                        s1 = next((st for st, _, _ in named if at < st < c0 + len(c)), c0 + len(c))
                        s1 = min(s1, c0 + _terms_end(c, fact))    # "UDP is connectionless: no handshake"
                        span = sentence[s0:s1]
                    same = _polarity(span, fact.terms, lang) == _polarity(fact.text, fact.terms, lang)
                    denied = (said_of == fact.about and negated(span, lang) != negated(fact.text, lang)
                              and not (FLIP_KO if lang == "ko" else FLIP_EN).search(span))
                    if (said_of in fact.false_for and same) or denied:
                        out.append((fact, said_of))
    return out


def _said_of(sentence: str, named: list, clause_start: int, at: int, subject: tuple | None,
             lang: str) -> tuple[str | None, int | None]:
    """Who a property at offset ``at`` is said of: ``(member id, offset of the mention)``.

    Korean: the member named last before it with a subject or topic particle ("스레드는", not "한
    프로세스 안에서", "UDP 위에", "TCP처럼"), else one that is its clause's predicate ("기본값도
    SERIALIZABLE입니다"), else no one (a Korean clause about something else says nothing of a member). English: the member named last before it in its minor clause, skipping those
    after a preposition ("Threads live inside one process and share its heap"). Else the subject of
    its major clause (its first member: "Threads share the heap, so *they* need locks"), else the
    sentence's first member ("A semaphore… looks like a mutex but has no owner").
    """
    if lang == "ko":
        roles = {s: _ko_role(sentence, end) for s, end, _ in named}
        marked = [(s, e) for s, _, e in named if s < at and roles[s] == "subject"]
        if marked:
            return marked[-1][1], marked[-1][0]
        copula = [(s, e) for s, _, e in named if s >= clause_start and roles[s] == "copula"]
        return (copula[0][1], copula[0][0]) if copula else (None, None)
    own = [(s, e) for s, _, e in named if clause_start <= s < at]
    if lang != "ko":
        own = [(s, e) for s, e in own if not _PREP_BEFORE.search(sentence[max(clause_start, s - 30):s])]
    if own:
        return own[-1][1], own[-1][0]
    if subject is not None:
        return subject[1], subject[0]
    first = [(s, e) for s, _, e in named if not _PREP_BEFORE.search(sentence[max(0, s - 30):s])]
    return (first[0][1], first[0][0]) if first else (None, None)


#: A member right after a preposition is not what the clause is about ("inside one process").
_PREP_BEFORE = re.compile(r"\b(?:in|inside|within|of|from|to|than|with|by|on|over|per|across|between|into|like|unlike|"
                          r"under|atop|via)(?:\s+(?:a|an|the|one|each|its|their|every|same|this|that|single|"
                          r"separate|different|other|plain|raw))*\s+$", re.I)
#: Korean particles that mark a member as what the clause is about, and endings that make it something
#: else (a comparison, a place, an object: "프로세스 전환보다", "한 프로세스 안에서", "스레드와").
_KO_SUBJECT = re.compile(r"(?:은|는|이|가|도)$")
_KO_COPULA = re.compile(r"^(?:이다|입니다|이고|이며|이에요|예요|이죠|죠|다|였|이었)")
_KO_OTHER = re.compile(r"(?:보다|보다는|보다도|처럼|만큼|와|과|와는|과는|의|에서|에|을|를|로|으로|안에서|안에|끼리)$")


def _ko_role(sentence: str, end: int) -> str:
    """``"subject"`` | ``"copula"`` | ``"other"`` | ``"unknown"``: the role of a member named up to ``end``, read on the
    rest of its eojeol, or on the next eojeol when it stands bare in a compound ("프로세스 전환보다")."""
    tail = re.match(r"\S*", sentence[end:]).group(0)
    if not tail:
        nxt = sentence[end:].split(None, 1)
        tail = nxt[0] if nxt else ""
    tail = tail.rstrip(".,!?")
    if _KO_OTHER.search(tail):
        return "other"
    if _KO_COPULA.match(tail):
        return "copula"
    return "subject" if _KO_SUBJECT.search(tail) else "unknown"
