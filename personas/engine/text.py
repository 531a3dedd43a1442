"""Sentence helpers for the answer engine: slot filling with Korean particles, casing, splitting.

Sentence frames in ``personas/data/voices/*.json`` have ``{name}`` slots; ``{name}{을}``
appends the Korean particle that fits the value (``josa``), and a ``_l`` suffix
(``{gist_l}``) lower-cases the value's first letter for use mid-sentence.
"""

from __future__ import annotations

import re

from ..lexicon import josa

_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+")
_FMT_FIELD = re.compile(r"\{(\w+)\}(\{[^{}]+\})?")
_PARTICLE_BASE = {"는": "은", "가": "이", "를": "을", "와": "과", "로": "으로", "라": "이라", "나": "이나"}
# Words that keep their capital inside an English sentence.
PROPER_NOUNS = frozenset("""redis kafka elasticsearch lucene java kotlin spring python go rails ruby postgresql mysql
dynamodb spark airflow hadoop kubernetes istio vault junit jpa naver kakao kakaotalk toss coupang baemin daangn karrot
woowa aws linux i tcp udp http https tls dns api rest cpu sql""".split())


def lower_first(s: str) -> str:
    """Lower-case the first letter for use mid-sentence, unless it starts a name (``I``, ``Redis``, ``TCP``)."""
    if not s or s.startswith(("I ", "I'")):
        return s
    first = re.split(r"[\s,:;.]", s, maxsplit=1)[0]
    if first.lower().strip("'\"") in PROPER_NOUNS or any(c.isupper() for c in first[1:]):
        return s
    return s[0].lower() + s[1:] if s[0].isupper() else s


def upper_first(s: str) -> str:
    return s[:1].upper() + s[1:]


def sentences(text: str) -> list[str]:
    """``text`` split after ``.``/``!``/``?`` followed by white space."""
    return [s for s in _SENT_SPLIT.split((text or "").strip()) if s]


def fill(template: str, **kw: str) -> str:
    """Fill ``{name}`` slots; ``{name}{을}`` appends the right Korean particle to the value.

    Raises:
        KeyError: a slot with no value (a data error in a voice file).
    """

    def rep(m: re.Match) -> str:
        name, particle = m.group(1), m.group(2)
        if name.endswith("_l") and name not in kw:
            val = lower_first(kw[name[:-2]])
        else:
            val = kw[name]
        if not particle:
            return val
        p = particle[1:-1]
        base = _PARTICLE_BASE.get(p, p)
        if base == "이라면":
            return josa(val, "이라") + "면"
        return josa(val, base)

    return _FMT_FIELD.sub(rep, template)


def drop_lead(sentence: str, leads) -> str:
    """``sentence`` without a leading connective that points back at a sentence not said
    (``"그래서 요즘은…"`` -> ``"요즘은…"``, ``"So I…"`` -> ``"I…"``); ``leads``: the connectives with their
    trailing space (``common.json``'s ``dangling_leads``)."""
    for lead in leads:
        if sentence.startswith(lead) and len(sentence) > len(lead):
            rest = sentence[len(lead):]
            return upper_first(rest) if lead[:1].isascii() and not rest.startswith(("I ", "I'")) and \
                rest.split(" ", 1)[0].lower() not in PROPER_NOUNS else rest
    return sentence


def first_clause(sentence: str, lang: str) -> str:
    """The first clause of a sentence, closed as a sentence: how a half-remembered fact sounds.

    ``"A deadlock needs four conditions at once, and breaking one prevents it."`` ->
    ``"A deadlock needs four conditions at once."``; Korean cuts after a comma at ``-고``/``-며``/``-지만``
    (and, but), ``-해서``/``-라서`` (so) and ``-기 때문에`` (because), only where the clause ends in a stem
    it can close politely (``구조라서,`` -> ``구조입니다.``, ``좁히고,`` -> ``좁힙니다.``), else the sentence
    is kept.
    """
    s = sentence.strip()
    if lang == "en":
        m = re.match(r"(.{25,}?)(, and |, but |, so |, which |; | because )", s)
        return (m.group(1).rstrip(" ,;") + ".") if m else s
    m = re.match(r"(.{12,}?)(하고|하며|하지만|되고|되며|이고|이며|해서|돼서|되어서|라서|하기 때문에|되기 때문에|이기 때문에),\s", s)
    g = re.match(r"(.{12,}?[가-힣])(?<![라다자])고,\s", s)     # any verb stem + "-고," ("좁히고," -> "좁힙니다.")
    if g and (not m or g.end() < m.end()):
        return _polite(g.group(1)) + "."
    if not m:
        return s
    stem, ending = m.group(1), m.group(2)
    close = {"하고": "합니다.", "하며": "합니다.", "하지만": "합니다.", "되고": "됩니다.", "되며": "됩니다.",
             "이고": "입니다.", "이며": "입니다.", "해서": "합니다.", "돼서": "됩니다.", "되어서": "됩니다.",
             "라서": "입니다.", "하기 때문에": "합니다.", "되기 때문에": "됩니다.", "이기 때문에": "입니다."}[ending]
    if ending == "라서" and stem.endswith("아니"):        # "…아니라서" -> "…아닙니다"
        return stem[:-1] + "닙니다."
    if ending == "라서" and stem.endswith("이"):          # "…것이라서" -> "…것입니다"
        stem = stem[:-1]
    return stem + close


def _polite(stem: str) -> str:
    """A verb stem closed with the polite ending: ``좁히`` -> ``좁힙니다``, ``세우`` -> ``세웁니다``,
    ``만들`` -> ``만듭니다`` (ㄹ drops), ``있`` -> ``있습니다``."""
    last = ord(stem[-1]) - 0xAC00
    final = last % 28
    if final == 0 or final == 8:                     # no final consonant, or ㄹ: it becomes ㅂ
        return stem[:-1] + chr(0xAC00 + last - final + 17) + "니다"
    return stem + "습니다"
