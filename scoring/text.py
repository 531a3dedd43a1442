"""Language-aware text features shared by the scorers (Korean and English).

Korean words carry particles ("인덱스를", "인덱스는"), so Korean text is matched
on Hangul character bigrams; English on lower-cased word stems (first 5 letters).
"""

from __future__ import annotations

import re

HANGUL = re.compile(r"[\uac00-\ud7a3]")
LATIN = re.compile(r"[A-Za-z]")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9+#.\-]*|[\uac00-\ud7a3]+|\d+(?:[.,]\d+)?")
NUMBER = re.compile(r"\d+(?:[.,]\d+)?\s*(?:%|ms|s|초|분|시간|배|명|건|개|만|천|억|x|k|m|QPS|TPS|rps)?", re.I)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

EN_STOP = set("""a an the and or but if of to in on at for with by from as is are was were be been being it its this that
these those i me my we our you your he she they them their what which who whom how why when where do does did have has
had not no so than too very can will just about into over also there here then""".split())


def lang_of(text: str) -> str | None:
    """'ko' when Hangul dominates the letters, 'en' when Latin does, None if neither."""
    h = len(HANGUL.findall(text))
    l = len(LATIN.findall(text))
    if h == 0 and l == 0:
        return None
    return "ko" if h >= l * 0.5 else "en"


def terms(text: str) -> set[str]:
    """Matching units of ``text``: Hangul bigrams plus English word stems (5 chars)."""
    out: set[str] = set()
    for w in WORD.findall(text.lower()):
        if HANGUL.match(w):
            if len(w) == 1:
                out.add(w)
            out.update(w[i:i + 2] for i in range(len(w) - 1))
        elif w[0].isalpha():
            if w not in EN_STOP and len(w) > 1:
                out.add(w[:5])
    return out


def words(text: str) -> list[str]:
    """Whitespace tokens (Korean eojeol or English words)."""
    return text.split()


def coverage(needle: str, hay: set[str]) -> float:
    """Share (0-1) of ``needle``'s terms present in ``hay``."""
    t = terms(needle)
    if not t:
        return 0.0
    return len(t & hay) / len(t)


def is_garbage(text: str) -> bool:
    """True for binary/control-character text or text without letters."""
    if not text.strip():
        return True
    if CONTROL.search(text) and len(CONTROL.findall(text)) > 2:
        return True
    letters = len(HANGUL.findall(text)) + len(LATIN.findall(text))
    return letters < max(3, len(text) * 0.3)
