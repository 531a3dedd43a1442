"""Offline follow-up questions: a template picked from the answer's content.

Deterministic: the same (answer, lang) always gives the same question. Rules are
tried in order and the first that fits wins:

1. answer empty or under 8 words  -> ask for a concrete example;
2. a number in the answer          -> how was it measured (quotes the number);
3. a technology name               -> why that one over alternatives (quotes it);
4. trade-off words                 -> which alternative was rejected;
5. conflict/team words             -> how the others reacted;
6. "we" but no "I"                 -> what was your own part;
7. otherwise                       -> what did you learn / do differently.
"""

from __future__ import annotations

import re

# A number with its unit: "40%", "1.2s", "3 days", "300건", "0.8%".
_NUM = re.compile(r"\d[\d,.]*\d|\d")
_UNIT = re.compile(r"\s?%|(?:ms|s|x)\b|\s(?:[A-Za-z]{2,12})|[\uac00-\ud7a3]{1,2}")
_EN_UNIT_STOP = {"and", "or", "to", "in", "on", "of", "the", "a", "for", "with", "at", "by", "from", "but"}
_LATIN_TERM = re.compile(r"\b[A-Za-z][A-Za-z0-9+#.\-]{1,30}\b")
_EN_STOP = {"i", "we", "my", "our", "the", "a", "an", "so", "and", "but", "when", "then", "at", "in",
            "on", "it", "this", "that", "there", "first", "after", "as", "for", "if", "thank", "thanks",
            "sure", "yes", "well", "let", "me", "one", "to", "of", "because", "however", "finally",
            "also", "ok", "okay", "star", "ai"}
_TRADEOFF = {"ko": r"트레이드오프|장단점|대신|반면|단점|비용|대안", "en": r"trade-?off|instead|downside|alternative|\bcost\b|\bvs\.?\b"}
_TEAM = {"ko": r"갈등|반대|설득|팀원|동료|의견", "en": r"conflict|disagree|persuad|convinc|teammate|colleague|push ?back"}
_WE = {"ko": r"우리|저희", "en": r"\bwe\b|\bour\b"}
_I = {"ko": r"제가|저는|직접", "en": r"\bI\b|\bmy\b"}

TEMPLATES = {
    "ko": {
        "short": "구체적인 사례를 하나 들어서 다시 설명해 주시겠어요?",
        "number": "'{x}'라는 수치를 말씀하셨는데, 어떻게 측정하셨고 비교 기준은 무엇이었나요?",
        "term": "{x}을(를) 선택하신 이유는 무엇이고, 다른 대안과 비교하면 어떤 장단점이 있었나요?",
        "tradeoff": "그때 고려하셨던 다른 대안은 무엇이었고, 왜 선택하지 않으셨나요?",
        "team": "그 과정에서 다른 분들은 어떻게 반응했고, 다시 한다면 무엇을 다르게 하시겠어요?",
        "we": "팀이 아니라 본인이 직접 기여한 부분은 정확히 무엇이었나요?",
        "default": "그 경험에서 가장 크게 배운 점은 무엇이고, 다음에는 무엇을 다르게 하시겠어요?",
    },
    "en": {
        "short": "Could you walk me through one concrete example?",
        "number": "You mentioned '{x}'. How did you measure that, and what was the baseline?",
        "term": "Why did you choose {x}, and what did it cost you compared with the alternatives?",
        "tradeoff": "What alternative did you consider, and why did you reject it?",
        "team": "How did the others react, and what would you do differently next time?",
        "we": "What exactly was your own contribution, as opposed to the team's?",
        "default": "What was the biggest lesson from that, and what would you do differently next time?",
    },
}


def _term(answer: str, lang: str, question: str) -> str | None:
    q = question.lower()
    for m in _LATIN_TERM.finditer(answer):
        w = m.group(0).rstrip(".-")
        lw = w.lower()
        if len(w) < 2 or lw in _EN_STOP or lw in q:
            continue
        if lang == "ko":
            return w                      # any Latin word in a Korean answer is a term (Kafka, MSA, ...)
        # English: a capitalised word not at a sentence start, or one with inner caps/digits (gRPC, S3).
        before = answer[:m.start()].rstrip()
        sentence_start = not before or before[-1] in ".!?:"
        if (w[0].isupper() and not sentence_start) or any(c.isupper() for c in w[1:]) or any(c.isdigit() for c in w):
            return w
    return None


def offline_follow_up(question: str, answer: str, lang: str) -> str:
    """A follow-up question for ``answer`` in ``lang`` (``ko``/``en``; others -> en). Never empty."""
    lang = lang if lang in TEMPLATES else "en"
    t = TEMPLATES[lang]
    text = " ".join((answer or "").split())
    if len(text.split()) < 8:
        return t["short"]
    m = _NUM.search(text)
    if m:
        num = m.group(0)
        u = _UNIT.match(text, m.end())
        if u and u.group(0).strip().lower() not in _EN_UNIT_STOP:
            unit = u.group(0)
            if lang == "ko" and re.fullmatch(r"[\uac00-\ud7a3]+", unit):
                unit = unit[:1]            # "3일에서" -> "3일", "300건을" -> "300건"
            num += unit
        return t["number"].format(x=num.strip())
    term = _term(text, lang, question or "")
    if term:
        return t["term"].format(x=term)
    if re.search(_TRADEOFF[lang], text, re.I):
        return t["tradeoff"]
    if re.search(_TEAM[lang], text, re.I):
        return t["team"]
    if re.search(_WE[lang], text, re.I) and not re.search(_I[lang], text):
        return t["we"]
    return t["default"]
