"""Surface text features of an interview answer (no models; pure functions).

Everything here works on one answer string and returns plain numbers, so the
evaluator can combine them with embedding similarities. Korean and English are
both handled: English is tokenised into words, Korean into eojeol (space
separated units) plus character bigrams, since Korean content words carry
particles and endings (``캐시를``, ``캐시는``) that defeat word matching.

The cue lists (STAR markers, trade-off words, fillers) are ours, written from
common interview-coaching rubrics (STAR: Situation, Task, Action, Result, as
taught e.g. by the US Department of Veterans Affairs' "STAR method" guides).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Sequence

MAX_TEXT_BYTES = 8 * 1024

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LATIN = re.compile(r"[A-Za-z]")
_WORD_EN = re.compile(r"[A-Za-z][A-Za-z'\-]*|\d+(?:[.,]\d+)?%?")
#: Sentence ends: punctuation, or a Korean final ending ("…니다", "…요", "…죠") followed by a new
#: sentence. Not after "…까" ("…니까" is "because") nor after a noun ending in 요 ("필요 없습니다").
_SENT_SPLIT = re.compile(r"(?<=[.!?。])\s+|\n+|(?:(?<=니다)|(?<=[어아여해세네군데지]요)|(?<=죠))\.?\s+(?=[가-힣A-Z])")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?\s*(?:%|ms|s|x|배|건|명|개|분|초|시간|일|주|개월|년|만|천|억|점)?")
_EN_NUMBER_WORDS = {"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve",
                    "fifteen", "twenty", "thirty", "forty", "fifty", "hundred", "thousand", "million",
                    "half", "dozen", "twice", "double"}
_KO_NUMBER_WORDS = ("두 ", "세 ", "네 ", "다섯", "여섯", "일곱", "여덟", "아홉", "열 ", "스무", "서른", "절반", "배로")

EN_STOPWORDS = frozenset("""a an the and or but if so because as of to in on at by for with from into about over
after before during than then that this these those it its it's is are was were be been being am do does did
done have has had having i me my mine we our us you your he she they them their his her there here what which
who whom when where why how not no yes can could would should will shall may might must just very also too
up down out off more most some any all each both such only own same other again further once one""".split())

# Korean particles and verbal endings that close an eojeol in running text.
_KO_ENDINGS = ("은", "는", "이", "가", "을", "를", "에", "의", "로", "고", "서", "도", "와", "과", "며",
               "다", "요", "면", "게", "지", "니다", "습니다", "했", "해", "한", "할", "된", "되", "인",
               "던", "만", "께", "랑", "죠", "까", "데", "며", "여", "어", "아")

FILLERS_EN = ("um", "uh", "erm", "hmm", "like", "you know", "basically", "actually", "sort of", "kind of",
              "i mean", "honestly", "literally", "anyway", "so yeah", "or something", "whatever", "yeah",
              "well,", "right,", "haha")
FILLERS_KO = ("음", "어", "그니까", "뭔가", "약간", "아무튼", "그냥", "막", "이제", "뭐", "그런 것", "그런거",
              "좀", "있잖아요", "거든요", "같아요", "일단", "근데", "그리고요")
#: Hedges that signal a wandering, unsure answer ("I think", "maybe", "것 같").
HEDGES_EN = ("i think", "maybe", "i guess", "probably", "i don't remember", "not sure", "or maybe",
             "i remember", "and also", "or something")
HEDGES_KO = ("것 같", "거 같", "같습니다", "잘 모르", "기억이", "아마", "했었고", "그랬", "그런 것도", "이런 것")

GENERIC_EN = ("is very important", "is important", "is key", "i always try", "i believe", "i think it is",
              "great question", "good question", "as we all know", "at the end of the day",
              "every day", "lifelong", "no silver bullet", "i am a very", "i am someone who",
              "i would say that", "in general", "everyone")
GENERIC_KO = ("중요하다고 생각", "중요합니다", "좋은 질문", "노력하겠습니다", "최선을 다", "열심히 하겠",
              "생각합니다", "믿습니다", "노력하고 있", "시대", "누구나", "항상", "감사합니다")

FIRST_PERSON_EN = re.compile(r"\b(i|i'd|i've|i'm|my|me|myself)\b", re.I)
FIRST_PERSON_KO = re.compile(r"(제가|저는|저희|제\s|나는|내가|저도|저를|제게)")
ACTION_EN = re.compile(r"\b(i|we)\s+(?:\w+ly\s+)?(built|wrote|led|proposed|ran|asked|designed|implemented|"
                       r"created|measured|analy[sz]ed|changed|set|took|started|moved|fixed|added|split|"
                       r"migrated|reduced|presented|collected|shared|told|reviewed|pulled|organi[sz]ed|"
                       r"introduced|made|decided|worked|tested|rolled|posted|gave|learned|used|suggested|"
                       r"instrumented|rewrote|broke|agreed|paired|compared|cut|listed|sorted|drove|owned|"
                       r"would|will|start|use|put|check|look|choose|store|add|keep|measure|build|run|"
                       r"first|then)\b", re.I)
ACTION_KO = re.compile(r"(제가|저는|직접)[^.]{0,60}?(했습니다|했고|만들|정리|제안|분석|작성|도입|바꿨|"
                       r"요청|공유|설계|구현|측정|개선|추렸|넣었|열었|나가서|관찰|운영|진행|맡|하겠습니다|"
                       r"두겠습니다|쓰겠습니다|보겠습니다|만들겠습니다)")

STAR_EN = {
    "situation": re.compile(r"\b(last (year|spring|summer|autumn|fall|winter|month|quarter)|at my (last|previous|"
                            r"current|first)|in my (last|previous|current|first)|when i was|years? ago|"
                            r"once|during|in \d{4}|at the time|our team|we had)\b", re.I),
    "task": re.compile(r"\b(my (role|job|task|goal)|i (had|needed|was asked|was responsible)|the goal|"
                       r"we needed|had to|deadline|responsible for|wanted to)\b", re.I),
    "action": ACTION_EN,
    "result": re.compile(r"\b(result|as a result|outcome|in the end|finally|eventually|ended up|shipped|"
                         r"launched|reduced|increased|improved|dropped|fell|cut|saved|grew|went from|"
                         r"succeeded|signed|delivered|passed|on time|early)\b|\d+\s*%", re.I),
    "reflection": re.compile(r"\b(learn(ed|t)|lesson|taught me|since then|now i|next time|would do "
                             r"differently|i realised|i realized|changed how)\b", re.I),
}
STAR_KO = {
    "situation": re.compile(r"(작년|재작년|당시|때\s|전에|이전 회사|예전에|지난|신입|입사|년 차|프로젝트에서|"
                            r"상황|에서\s)"),
    "task": re.compile(r"(맡|목표|해야 했|역할|담당|책임|마감|일정)"),
    "action": ACTION_KO,
    "result": re.compile(r"(결과|결국|덕분에|줄었|줄였|늘었|개선|단축|통과|마쳤|완료|성공|달성|도입되|"
                         r"지켰|\d+\s*%|에서\s*\d+[^ ]*\s*(로|으로))"),
    "reflection": re.compile(r"(배웠|배운|깨달|교훈|이후로|그 뒤로|지금은|습관이|다음에는|느꼈)"),
}
TECH_EN = {
    "approach": re.compile(r"\b(first|then|next|finally|start(ing)? (with|by)|step|i would|i'd|the way|"
                           r"approach|design|use|choose)\b", re.I),
    "tradeoff": re.compile(r"\b(trade-?offs?|but|however|at the cost|downside|cost of|whereas|instead|"
                           r"rather than|on the other hand|drawback|pros?|cons?|depends|if\b|unless|"
                           r"while|although|risk)\b", re.I),
    "reasoning": re.compile(r"\b(because|so that|since|which means|in order to|so the|therefore|to avoid|"
                            r"to prevent)\b", re.I),
    "specific": re.compile(r"\b(for example|e\.g\.|such as|like a|for instance|in practice|in my last|"
                           r"we did|i did)\b", re.I),
    "verify": re.compile(r"\b(measure|monitor|metric|alert|test|benchmark|a/b|dashboard|validate|"
                         r"evaluate|percentile|p99|p95)\w*", re.I),
}
TECH_KO = {
    "approach": re.compile(r"(먼저|우선|그다음|다음으로|마지막으로|단계|방식|구조|설계|하겠습니다|합니다)"),
    "tradeoff": re.compile(r"(트레이드오프|대신|하지만|반면|단점|장점|다만|그러나|비용|병목|위험|부담|"
                           r"면\s|경우|보다)"),
    "reasoning": re.compile(r"(때문에|므로|이라서|라서|위해|하도록|도록|그래서|따라서)"),
    "specific": re.compile(r"(예를 들어|예컨대|실제로|이전 회사|경험이|사례|처럼)"),
    "verify": re.compile(r"(측정|모니터링|지표|알람|테스트|벤치마크|대시보드|검증|확인|점검|실행 계획)"),
}


@dataclass(frozen=True)
class TextFeatures:
    """Surface features of one answer.

    Attributes:
        n_units: words (en) or eojeol (ko) in the answer.
        n_chars: non-space characters.
        sentences: the answer split into sentences (at most 40).
        hangul_ratio: share of letters that are Hangul, 0-1.
        function_ratio: share of units that look like running text (stopwords in
            English; eojeol ending in a particle or verbal ending in Korean), 0-1.
        distinct_ratio: distinct units / units, 0-1.
        dup_sentence_ratio: share of sentences that repeat an earlier one, 0-1.
        numbers: count of numbers and quantities.
        first_person: count of first-person references.
        actions: count of first-person action phrases.
        fillers: count of filler words.
        hedges: count of hedges ("I think", "maybe", "것 같").
        generic: count of generic, content-free stock phrases.
        comma_ratio: commas per unit.
        star: STAR component -> present (bool).
        tech: technical-structure cue -> count.
    """

    n_units: int
    n_chars: int
    sentences: tuple
    hangul_ratio: float
    function_ratio: float
    distinct_ratio: float
    dup_sentence_ratio: float
    numbers: int
    first_person: int
    actions: int
    fillers: int
    hedges: int
    generic: int
    comma_ratio: float
    star: dict
    tech: dict


def garbage_ratio(text: str) -> float:
    """Share (0-1) of characters that are control, private-use, replacement or unassigned.

    Tabs and newlines do not count.
    """
    if not text:
        return 0.0
    bad = 0
    for ch in text:
        if ch in "\t\n\r":
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Co", "Cn", "Cs") or ch == "\ufffd":
            bad += 1
    return bad / len(text)


def letter_ratio(text: str) -> float:
    """Share (0-1) of non-space characters that are letters or digits."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    return sum(1 for c in chars if c.isalnum()) / len(chars)


def hangul_ratio(text: str) -> float:
    """Share (0-1) of Hangul among Hangul+Latin letters; 0.5 when there are none."""
    h = len(_HANGUL.findall(text))
    la = len(_LATIN.findall(text))
    if h + la == 0:
        return 0.5
    return h / (h + la)


def screen(raw: str, skipped: bool, lang: str) -> tuple[str | None, str]:
    """``(flag, cleaned text)``: why an answer gets a defined score instead of being scored, or None.

    Flags: "skipped", "too_long" (over ``MAX_TEXT_BYTES``), "garbage" (control/unreadable
    characters, or under 60 % letters and digits), "empty", "wrong_language" (a Korean room
    with under 30 % Hangul letters, an English room with over 50 %; 12+ letters only).
    """
    if skipped:
        return "skipped", ""
    if len(raw.encode("utf-8", errors="replace")) > MAX_TEXT_BYTES:
        return "too_long", ""
    if garbage_ratio(raw) > 0.02:
        return "garbage", ""
    cleaned = clean(raw)
    if not cleaned or not any(c.isalnum() for c in cleaned):
        return "empty", ""
    if letter_ratio(cleaned) < 0.6:
        return "garbage", ""
    hr = hangul_ratio(cleaned)
    if sum(1 for c in cleaned if c.isalpha()) >= 12:
        if lang == "ko" and hr < 0.3:
            return "wrong_language", ""
        if lang == "en" and hr > 0.5:
            return "wrong_language", ""
    return None, cleaned


def clean(text: str) -> str:
    """NFC-normalise, drop control characters, collapse whitespace."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(ch if (ch in "\n\t" or unicodedata.category(ch)[0] != "C") else " " for ch in text)
    return re.sub(r"[ \t]+", " ", text).strip()


def split_sentences(text: str, limit: int = 40) -> list[str]:
    """Split into sentences (English punctuation, Korean sentence endings); at most ``limit``."""
    parts = [p.strip() for p in _SENT_SPLIT.split(text) if p and p.strip()]
    parts = [p for p in parts if len(p) > 1]
    return parts[:limit]


def units(text: str, lang: str) -> list[str]:
    """Words (en, lower-cased) or eojeol (ko, with punctuation stripped)."""
    if lang == "ko":
        return [u for u in (re.sub(r"[^\w%]", "", t) for t in text.split()) if u]
    return [w.lower() for w in _WORD_EN.findall(text)]


def content_units(text: str, lang: str) -> list[str]:
    """Units without English stopwords; Korean eojeol with common endings stripped."""
    out = []
    for u in units(text, lang):
        if lang == "ko":
            out.append(_strip_ko_ending(u))
        elif u not in EN_STOPWORDS:
            out.append(_stem_en(u))
    return [u for u in out if u]


def _stem_en(w: str) -> str:
    for suf in ("ing", "ed", "es", "s", "ly"):
        if len(w) > len(suf) + 3 and w.endswith(suf):
            return w[: -len(suf)]
    return w


_KO_ENDINGS_LONGEST_FIRST = tuple(sorted(set(_KO_ENDINGS), key=len, reverse=True))


def _strip_ko_ending(u: str) -> str:
    for suf in _KO_ENDINGS_LONGEST_FIRST:
        if len(u) > len(suf) + 1 and u.endswith(suf):
            return u[: -len(suf)]
    return u


def char_bigrams(text: str) -> set[str]:
    """Set of character bigrams inside each token (Hangul, Latin lower-cased, digits).

    Bigrams never cross a space, so particles glued to a word still share the
    word's bigrams (``캐시를`` and ``캐시`` share ``캐시``).
    """
    grams: set[str] = set()
    for tok in re.findall(r"[0-9a-z\uac00-\ud7a3]+", (text or "").lower()):
        if len(tok) == 1:
            continue
        grams.update(tok[i:i + 2] for i in range(len(tok) - 1))
    return grams


def _count_any(text_l: str, phrases: tuple) -> int:
    n = 0
    for p in phrases:
        if " " in p or len(p) > 2:
            n += text_l.count(p)
        else:
            n += len(re.findall(rf"(?<![\w]){re.escape(p)}(?![\w])", text_l))
    return n


def extract(text: str, lang: str) -> TextFeatures:
    """Compute :class:`TextFeatures` of a cleaned answer in room language ``lang`` ("ko" | "en")."""
    us = units(text, lang)
    n = len(us)
    sents = split_sentences(text)
    text_l = text.lower()
    if lang == "ko":
        func = sum(1 for u in us if u.endswith(_KO_ENDINGS)) / n if n else 0.0
        fillers = _count_any(text_l, FILLERS_KO)
        hedges = sum(text_l.count(p) for p in HEDGES_KO)
        generic = sum(text_l.count(p) for p in GENERIC_KO)
        first = len(FIRST_PERSON_KO.findall(text))
        actions = len(ACTION_KO.findall(text))
        numbers = len(_NUMBER.findall(text)) + sum(text.count(w) for w in _KO_NUMBER_WORDS)
        star = {k: bool(r.search(text)) for k, r in STAR_KO.items()}
        tech = {k: len(r.findall(text)) for k, r in TECH_KO.items()}
    else:
        func = sum(1 for u in us if u in EN_STOPWORDS) / n if n else 0.0
        fillers = _count_any(text_l, FILLERS_EN)
        hedges = sum(len(re.findall(rf"\b{re.escape(p)}\b", text_l)) for p in HEDGES_EN)
        generic = sum(text_l.count(p) for p in GENERIC_EN)
        first = len(FIRST_PERSON_EN.findall(text))
        actions = len(ACTION_EN.findall(text))
        numbers = len(_NUMBER.findall(text)) + sum(1 for u in us if u in _EN_NUMBER_WORDS)
        star = {k: bool(r.search(text)) for k, r in STAR_EN.items()}
        tech = {k: len(r.findall(text)) for k, r in TECH_EN.items()}
    norm_sents = [re.sub(r"\W+", "", s.lower()) for s in sents]
    dup = len(norm_sents) - len(set(norm_sents))
    return TextFeatures(
        n_units=n,
        n_chars=sum(1 for c in text if not c.isspace()),
        sentences=tuple(sents),
        hangul_ratio=hangul_ratio(text),
        function_ratio=func,
        distinct_ratio=(len(set(us)) / n) if n else 0.0,
        dup_sentence_ratio=(dup / len(sents)) if sents else 0.0,
        numbers=numbers,
        first_person=first,
        actions=actions,
        fillers=fillers,
        hedges=hedges,
        generic=generic,
        comma_ratio=(text.count(",") + text.count("、")) / n if n else 0.0,
        star=star,
        tech=tech,
    )


def overlap_novelty(answer: str, question: str, lang: str) -> float:
    """Share (0-1) of the answer's content units that do NOT occur in the question.

    Near 0 for an answer that only repeats the question. Korean compares
    ending-stripped eojeol and falls back to character bigrams.
    """
    a = content_units(answer, lang)
    if not a:
        return 0.0
    qset = set(content_units(question, lang))
    if lang == "ko":
        qb = char_bigrams(question)
        novel = 0
        for u in a:
            if u in qset:
                continue
            bg = char_bigrams(u)
            if bg and len(bg & qb) / len(bg) >= 0.75:
                continue
            novel += 1
        return novel / len(a)
    return sum(1 for u in a if u not in qset) / len(a)


def lexical_recall(text: str, question: str, key_points: Sequence[str], lang: str) -> tuple[float, list]:
    """``(question recall, [key point recall])``, each 0-1: the share of the question's content units
    (English stems; Korean character bigrams) found in ``text``, and per key point the share of its
    *own* units, those not in the question, that any answer on the general subject repeats
    ("데드락", "URL 단축"); all its units when fewer than two are left."""
    if lang == "ko":
        a, q = char_bigrams(text), char_bigrams(question)
        kp_sets = [char_bigrams(k) for k in key_points]
    else:
        a, q = set(content_units(text, lang)), set(content_units(question, lang))
        kp_sets = [set(content_units(k, lang)) for k in key_points]
    lex_kp = []
    for ku in kp_sets:
        ku = (ku - q) if len(ku - q) >= 2 else ku
        lex_kp.append(len(ku & a) / len(ku) if ku else 0.0)
    return (len(q & a) / len(q) if q else 0.0), lex_kp
