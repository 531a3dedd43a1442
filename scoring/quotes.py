"""Which of the answer's own sentences the feedback may quote, per dimension.

A quoted strength must carry content: never a filler or stock phrase ("Sure.",
"Great question."), never a sentence the correctness check found wrong, and never a
hedged guess ("If I remember right, UDP loses most of its packets", "제 생각엔 …", "아마 …"):
a claim the candidate does not stand behind is no strength, and may be a wrong claim the
red flags missed.
"""

from __future__ import annotations

import re
from typing import Collection, Sequence

from . import features as F

_DIGIT = re.compile(r"\d")
#: Guesses: a sentence that opens with (or carries) one is not quoted as a strength.
_GUESS_EN = re.compile(r"\b(if i remember (right|correctly)|as far as i know|i think|i guess|i believe|maybe|"
                       r"probably|not sure|i don't (really )?(know|remember)|i'm not sure|if i'm not wrong|"
                       r"i suppose|i'd say|kind of|sort of)\b|^\s*(?:uh|um|er|erm|hmm)\b", re.I)
_GUESS_KO = re.compile(r"(제 생각엔|제 생각에는|아마|것 같|거 같|잘 모르|기억이 맞다면|기억으로는|듯합니다|듯해요|"
                       r"같아요|정확하진|정확하지는|확실하진|확실하지는|모르겠|정리가 안|기억이 안|기억나지|"
                       r"^\s*(?:어|음|으음|그|저|뭐)[,.\s])")


def has_content(sentence: str, lang: str) -> bool:
    """True for a sentence worth quoting: at least 4 content words (en) / 3 eojeol and 10
    Hangul-or-Latin letters (ko), no stock phrase and no guess (:data:`_GUESS_EN` / :data:`_GUESS_KO`)."""
    low = sentence.lower()
    if (_GUESS_KO if lang == "ko" else _GUESS_EN).search(sentence) or sentence.rstrip().endswith("?"):
        return False                     # a guess, or a question ("…you just buy more servers, right?")
    if lang == "ko":
        if any(g in low for g in F.GENERIC_KO):
            return False
        letters = sum(1 for c in sentence if c.isalpha())
        return len(sentence.split()) >= 3 and letters >= 10
    if any(g in low for g in F.GENERIC_EN):
        return False
    return len(F.content_units(sentence, lang)) >= 4


def pick(sents: Sequence[str], sent_rel: Sequence[float], lang: str, exclude: Collection[str] = ()) -> dict:
    """Per dimension, the sentence that best shows it, among sentences with content.

    Args:
        sents: the answer's sentences.
        sent_rel: per sentence relevance (any scale; higher is more relevant).
        exclude: sentences never to quote (wrong claims).

    Returns:
        ``{dimension: sentence}``; a dimension is missing when no sentence qualifies.
    """
    rel = list(sent_rel) + [0.0] * (len(sents) - len(sent_rel))
    ok = [i for i, s in enumerate(sents) if s not in exclude and has_content(s, lang)]
    if not ok:
        return {}
    by_rel = sents[max(ok, key=lambda i: rel[i])]
    fp = F.FIRST_PERSON_KO if lang == "ko" else F.FIRST_PERSON_EN
    spec = sents[max(ok, key=lambda i: (_DIGIT.search(sents[i]) is not None) * 2 + len(fp.findall(sents[i])))]
    star_re = F.STAR_KO if lang == "ko" else F.STAR_EN
    tech_re = F.TECH_KO if lang == "ko" else F.TECH_EN
    struct = next((sents[i] for i in ok if star_re["result"].search(sents[i]) or tech_re["tradeoff"].search(sents[i])),
                  by_rel)
    return {"relevance": by_rel, "depth": by_rel, "specificity": spec, "structure": struct}
