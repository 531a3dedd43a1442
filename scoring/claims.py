"""Reading claims in an answer's sentences: clauses, negation, absolute quantifiers, mentions, terms.

The text primitives shared by :mod:`scoring.correctness` (red flags, key points) and
:mod:`scoring.contrasts` (swapped facts). English terms are content-word stems; Korean terms are
character bigrams of eojeol with particles and endings stripped.
"""

from __future__ import annotations

import re
from functools import lru_cache

from . import features as F

NEG_EN = re.compile(r"\b(not|no|never|cannot|can't|won't|isn't|aren't|doesn't|don't|didn't|wasn't|weren't|"
                    r"shouldn't|wouldn't|without|neither|nor|none|nothing|nobody)\b|n't\b", re.I)
NEG_KO = re.compile(r"(않|안\s|없|아니|아닙|못\s|못하|못합|못했|말아야|금물|불가능)")
ABS_EN = re.compile(r"\b(every|always|all|never|any|anything|whatever|completely|entirely|guarantee[sd]?|"
                    r"alone|only|forever|exactly|nothing|everything)\b", re.I)
ABS_KO = re.compile(r"(모든|항상|무조건|절대|전혀|언제나|어떤|전부|완전히|만으로|[가-힣]만\s|뿐|그대로|영원히|바로)")
#: Attribution / refutation: the sentence talks *about* the claim.
MENTION_EN = re.compile(
    r"\b(misconceptions?|myths?|it is tempting|it's tempting|common mistake|a mistake to|is wrong|is false|"
    r"not true|untrue|used to (think|believe)|you might think|one might think|contrary to|mistakenly|"
    r"(people|many|some|others|they|everyone|folks|developers|engineers|juniors|teams|beginners)\b[^.]{0,30}?"
    r"\b(think|thinks|believe|believes|assume|assumes|say|says|claim|claims|expect|expects))\b", re.I)
MENTION_KO = re.compile(r"(오해|착각|흔히|잘못 알려|틀린 생각|통념|생각하기 쉽|라고들|사실이 아니|사실과 다르|"
                        r"잘못된 생각|믿는 경우|라고 생각하는 사람|는 말은 틀)")
#: Major clauses: a claim must be made inside one of them (";", contrastive connectives).
_MAJOR_EN = re.compile(r"\s*;\s+|,?\s+(?:but|however|whereas|although|though|while|yet)\s+|"
                       r"\s+(?=(?:rather than|instead of)\b)", re.I)
_MAJOR_KO = re.compile(r"\s*;\s*|(?<=지만)[,\s]+|(?<=는데)[,\s]+|(?<=으나)[,\s]+|(?<=반면)[,\s]+|\s+(?=대신)|"
                       r"(?<=아니라)[,\s]+")        # "double이 아니라 | 정수로 저장합니다": the first is negated
#: Minor clauses, where negation is read (commas, relative and causal clauses, Korean connective endings).
_MINOR_EN = re.compile(r",\s+|\s+(?:that|which|who|so|because|since|if|when|unless)\s+", re.I)
_MINOR_KO = re.compile(r",\s*|(?<!에서)(?<!재고)(?<!광고)(?<!최고)(?<!참고)(?<!사고)(?<=[고서면며])\s+")
# (not after the particle 에서 or nouns that end in 고: "여러 스레드에서 병렬로 실행되는 것은 아닙니다" is one clause)
_RATHER = re.compile(r"^\s*(rather than|instead of)\b", re.I)
#: Korean sentence-ending bigrams that carry no claim ("…니다", "…습니").
_KO_END_BIGRAMS = frozenset({"니다", "습니", "입니", "합니", "됩니", "있습", "없습", "해요", "어요", "아요", "이에", "에요"})
#: Adverbs that are never a claim's subject ("I don't *really* get stressed").
_HEDGE_EN = frozenset({"really", "honestly", "basically", "actually", "just", "usually", "generally", "simply",
                       "always", "ever", "never", "get", "think"})
#: Stopwords that carry a claim's meaning ("the same thing", "only", "all").
_KEEP_EN = frozenset({"same", "only", "all", "more", "most", "other", "own", "once", "again", "each", "any"})


def negated(clause: str, lang: str) -> bool:
    """True when ``clause`` carries a plain negation (an odd count reads as negated).

    Korean negation is read on the predicate (the last two eojeol: "되지 않습니다",
    "필요 없습니다"), so an adnominal "커밋 안 된 값" does not negate the clause.
    """
    if lang == "ko":
        return bool(NEG_KO.search(" ".join(clause.strip(" .,!?").split()[-2:]) + " "))
    n = len(NEG_EN.findall(clause))
    if _RATHER.search(clause):
        n += 1
    return n % 2 == 1


def clauses(sentence: str, lang: str, major: bool = True) -> list[str]:
    """Split a sentence into major clauses (``major=True``) or minor clauses."""
    if major:
        rx = _MAJOR_KO if lang == "ko" else _MAJOR_EN
    else:
        rx = _MINOR_KO if lang == "ko" else _MINOR_EN
    parts = [p for p in rx.split(sentence) if p and p.strip()]
    return parts or [sentence]


def is_mention(sentence: str, lang: str) -> bool:
    """True when the sentence talks about a claim (attributes or refutes it) rather than asserting it."""
    return bool((MENTION_KO if lang == "ko" else MENTION_EN).search(sentence))


@lru_cache(maxsize=4096)
def terms(text: str, lang: str) -> frozenset:
    """English: content-word stems. Korean: character bigrams of the eojeol with particles and
    endings stripped ("검색은" -> "검색"), so endings do not count as shared content."""
    if lang == "ko":
        return frozenset(F.char_bigrams(" ".join(F.content_units(text, lang))) - _KO_END_BIGRAMS)
    return frozenset(F._stem_en(u) for u in F.units(text.replace("-", " "), lang)
                     if (u not in F.EN_STOPWORDS or u in _KEEP_EN) and not NEG_EN.fullmatch(u))


def absolute(text: str, lang: str) -> bool:
    return bool((ABS_KO if lang == "ko" else ABS_EN).search(text))
