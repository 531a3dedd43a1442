"""Language helpers for the offline answer engine: matching and Korean particles.

Korean words carry particles (``갈등을``, ``갈등이``), so Korean matching is done
on substrings and character bigrams, never on whole words.
"""

from __future__ import annotations

import re
from typing import Iterable

HANGUL_RE = re.compile(r"[\uac00-\ud7a3]")
_HANGUL_RUN = re.compile(r"[\uac00-\ud7a3]+")
_EN_WORD = re.compile(r"[a-z][a-z0-9+#.-]*[a-z0-9+#]|[a-z]")

# Story / value themes -> question cue words. Korean cues match as substrings,
# English cues as word prefixes ("conflict" matches "conflicts").
TAG_KEYWORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "conflict": {"ko": ("갈등", "충돌", "의견 차이", "의견이 다", "반대", "대립", "불화", "마찰", "다툼"),
                 "en": ("conflict", "disagree", "disagreement", "clash", "tension", "dispute", "pushback", "oppos")},
    "persuasion": {"ko": ("설득", "합의", "동의", "협상", "조율"),
                   "en": ("persuad", "convinc", "consensus", "negotiat", "buy-in", "influence")},
    "communication": {"ko": ("소통", "커뮤니케이션", "설명", "공유", "전달", "피드백"),
                      "en": ("communicat", "explain", "feedback", "stakeholder", "share")},
    "collaboration": {"ko": ("협업", "협력", "다른 팀", "타 부서", "부서", "동료", "함께"),
                      "en": ("collaborat", "cross-team", "cross-functional", "other team", "colleague", "cooperat")},
    "teamwork": {"ko": ("팀워크", "팀원", "팀 ", "팀에", "팀을", "팀이", "함께 일", "동료"),
                 "en": ("teamwork", "team", "teammate", "together", "peer")},
    "leadership": {"ko": ("리더", "리딩", "주도", "이끌", "이끈", "책임자", "팀장", "방향", "권한"),
                   "en": ("lead", "leader", "leadership", "led ", "drove", "drive", "initiative", "took charge",
                          "authority")},
    "mentoring": {"ko": ("멘토", "후배", "신입", "온보딩", "코칭", "가르"),
                  "en": ("mentor", "junior", "onboard", "coach", "teach")},
    "failure": {"ko": ("실패", "실수", "잘못", "좌절", "후회", "실패한"),
                "en": ("fail", "mistake", "wrong", "setback", "regret", "error you made")},
    "incident": {"ko": ("장애", "사고", "위기", "긴급", "이슈 대응", "온콜"),
                 "en": ("incident", "outage", "crisis", "emergency", "on-call", "postmortem", "downtime")},
    "learning": {"ko": ("배운", "배움", "학습", "성장", "새로운 기술", "공부", "극복"),
                 "en": ("learn", "growth", "grow", "new technology", "study", "overcame", "overcome")},
    "scale": {"ko": ("대규모", "대용량", "트래픽", "확장", "스케일", "급증", "폭주"),
              "en": ("scale", "scaling", "large-scale", "traffic", "growth", "spike", "surge", "high load")},
    "performance": {"ko": ("성능", "속도", "지연", "최적화", "개선", "느린", "빠르"),
                    "en": ("performance", "latency", "speed", "optimi", "slow", "fast", "improv")},
    "ownership": {"ko": ("책임", "주인의식", "오너십", "자발", "스스로", "맡은"),
                  "en": ("ownership", "own", "responsib", "accountab", "proactive", "initiative")},
    "data": {"ko": ("데이터", "지표", "분석", "근거", "측정", "실험"),
             "en": ("data", "metric", "analy", "evidence", "measure", "experiment")},
    "architecture": {"ko": ("아키텍처", "설계", "구조", "시스템", "마이그레이션", "전환"),
                     "en": ("architect", "design", "system", "migrat", "structure")},
    "quality": {"ko": ("품질", "코드 리뷰", "테스트", "리팩터링", "리팩토링", "기술 부채", "클린"),
                "en": ("quality", "code review", "test", "refactor", "tech debt", "technical debt", "clean code")},
    "customer": {"ko": ("고객", "사용자", "유저", "이용자", "불만", "만족"),
                 "en": ("customer", "user", "client", "complain", "satisf")},
    "ux": {"ko": ("사용자 경험", "ux", "편의", "전환율", "이탈", "화면"),
           "en": ("user experience", "ux", "usability", "conversion", "churn", "friction")},
    "innovation": {"ko": ("혁신", "새로운 시도", "창의", "아이디어", "개선 제안", "도전"),
                   "en": ("innovat", "creative", "new idea", "idea", "challenge", "experiment")},
    "problem_solving": {"ko": ("문제 해결", "해결", "원인", "어려운 문제", "디버깅", "분석"),
                        "en": ("problem", "solve", "solving", "root cause", "debug", "difficult", "hardest")},
    "pressure": {"ko": ("압박", "스트레스", "촉박", "마감", "일정", "데드라인", "우선순위", "시간이 부족"),
                 "en": ("pressure", "stress", "deadline", "tight", "priorit", "time constraint", "short on time")},
    "deadline": {"ko": ("마감", "일정", "데드라인", "기한", "출시"),
                 "en": ("deadline", "schedule", "launch", "due", "timeline")},
    "security": {"ko": ("보안", "개인정보", "해킹", "취약점", "인증", "암호화", "부정"),
                 "en": ("security", "privacy", "vulnerab", "attack", "auth", "encrypt", "fraud")},
    "trust": {"ko": ("신뢰", "믿음", "정직", "투명", "사기", "안전"),
              "en": ("trust", "honest", "transparen", "fraud", "scam", "safety", "safe")},
    "ethics": {"ko": ("윤리", "원칙", "정직", "옳은", "양심"),
               "en": ("ethic", "principle", "integrity", "right thing")},
    "social_value": {"ko": ("사회적 가치", "사회", "접근성", "공익", "포용", "소외"),
                     "en": ("social", "society", "accessib", "inclusi", "public good", "impact")},
    "community": {"ko": ("커뮤니티", "이웃", "지역", "동네", "모임"),
                  "en": ("community", "neighbo", "local", "member")},
    "weakness": {"ko": ("약점", "단점", "부족한", "보완", "개선할 점"),
                 "en": ("weakness", "weak point", "shortcoming", "improve about yourself", "area to improve")},
}

# A readable label per theme, used when an answer names the question's theme.
TAG_LABELS: dict[str, dict[str, str]] = {
    "conflict": {"ko": "갈등", "en": "conflict"}, "persuasion": {"ko": "설득", "en": "persuasion"},
    "communication": {"ko": "소통", "en": "communication"}, "collaboration": {"ko": "협업", "en": "collaboration"},
    "teamwork": {"ko": "팀워크", "en": "teamwork"}, "leadership": {"ko": "리더십", "en": "leadership"},
    "mentoring": {"ko": "후배 육성", "en": "mentoring"}, "failure": {"ko": "실패", "en": "failure"},
    "incident": {"ko": "장애 대응", "en": "incident handling"}, "learning": {"ko": "배움과 성장", "en": "learning"},
    "scale": {"ko": "대규모 트래픽", "en": "scale"}, "performance": {"ko": "성능 개선", "en": "performance"},
    "ownership": {"ko": "주인의식", "en": "ownership"}, "data": {"ko": "데이터 기반 의사결정", "en": "data-driven decisions"},
    "architecture": {"ko": "설계", "en": "system design"}, "quality": {"ko": "코드 품질", "en": "quality"},
    "customer": {"ko": "고객 관점", "en": "the customer"}, "ux": {"ko": "사용자 경험", "en": "user experience"},
    "innovation": {"ko": "새로운 시도", "en": "innovation"}, "problem_solving": {"ko": "문제 해결", "en": "problem solving"},
    "pressure": {"ko": "압박 속 우선순위", "en": "working under pressure"}, "deadline": {"ko": "마감 일정", "en": "deadlines"},
    "security": {"ko": "보안", "en": "security"}, "trust": {"ko": "신뢰", "en": "trust"},
    "ethics": {"ko": "원칙", "en": "integrity"}, "social_value": {"ko": "사회적 가치", "en": "social value"},
    "community": {"ko": "커뮤니티", "en": "community"},
}

CATEGORY_CUES: dict[str, dict[str, tuple[str, ...]]] = {
    "behavioural": {"ko": ("경험", "했던", "있었던", "사례", "하셨나요", "했나요", "있으신가요", "있나요", "자랑스러운",
                           "받은 피드백", "때를", "말씀해 주세요", "이야기해", "극복", "실패"),
                    "en": ("tell me about", "describe a", "a time", "experience", "a situation where", "give an example",
                           "have you", "did you", "you have received", "proud", "walk me through", "when you",
                           "your biggest", "failure")},
    "technical": {"ko": ("설계", "구현", "차이", "알고리즘", "아키텍처", "처리", "방법", "전략", "동작 원리",
                         "트레이드오프", "장단점", "설명해", "하시겠습니까", "시스템", "성능", "데이터베이스"),
                  "en": ("design", "implement", "difference between", "algorithm", "architecture", "how would you",
                         "how does", "explain", "trade-off", "tradeoff", "pros and cons", "strategy", "system",
                         "performance", "database")},
    "culture_fit": {"ko": ("가치", "문화", "일하는 방식", "동료", "중요하게 생각", "어떤 사람", "하시나요", "편인가요",
                           "협업", "워라밸", "동기부여", "성장", "리더십", "스트레스"),
                    "en": ("value", "culture", "work style", "ideal", "what matters", "what kind of", "do you",
                           "how do you", "motivat", "remote", "grow", "leadership style", "stress")},
    "company": {"ko": ("지원 동기", "지원하신 이유", "지원한 이유", "왜 우리", "우리 회사", "입사", "서비스를 개선",
                       "비즈니스", "경쟁사", "네이버", "카카오", "토스", "쿠팡", "배민", "배달의민족", "우아한", "당근"),
                "en": ("why do you want", "why us", "our company", "join us", "our product", "our service",
                       "business", "competitor", "naver", "kakao", "toss", "coupang", "baemin", "daangn", "karrot",
                       "woowa")},
}

# Words that carry no topic (ignored when echoing a question or a rival's point).
KO_STOP = frozenset("""
있었던 했던 경험 말씀 해주세요 주세요 어떻게 무엇 무엇인가요 무엇입니까 어떤 그리고 그때 당시 본인 지원자 여러분
생각 답변 질문 부분 앞선 앞서 지원자분 말씀하신 다른 분 생각하시나요 생각하십니까 설명 대해 대한 위해 위한 가장 그것 이것 저것 그런 이런 우리 저희 제가 저는 있습니다
했습니다 입니다 합니다 것 수 때 등 좀 잘 더 또 및 또는 경우 이야기 사례 했나요 하셨나요 하시겠습니까 있나요
""".split())

EN_STOP = frozenset("""
a an the and or but if then so to of in on at by for with about from into as is are was were be been being
do does did you your yours i me my we our us it its this that these those there their they them he she his her
what which who whom when where why how would could should can will shall may might must have has had tell
describe explain give example time situation please one some any all more most other such than too very just
also not no yes up out over under again further once here both each few own same only while during before
after above below between through because until against among across per via like want think know make
made use used using get got let lets way ways thing things lot really well
""".split())

_JOSA = {"은": ("은", "는"), "이": ("이", "가"), "을": ("을", "를"), "과": ("과", "와"), "으로": ("으로", "로"),
         "이라": ("이라", "라"), "이나": ("이나", "나")}
_DIGIT_BATCHIM = {"0": True, "1": True, "2": False, "3": True, "4": False, "5": False, "6": True,
                  "7": True, "8": True, "9": False}
_DIGIT_RIEUL = {"1", "7", "8"}
_KO_PARTICLES = ("에서는", "으로는", "에게서", "이라는", "에서도", "에서", "으로", "에게", "까지", "부터", "처럼",
                 "보다", "라는", "이나", "과의", "와의", "하고", "은", "는", "이", "가", "을", "를", "에", "의",
                 "로", "와", "과", "도", "만")


def _final_sound(word: str) -> tuple[bool, bool]:
    """(has a final consonant, that consonant is ㄹ) for the last pronounced character."""
    w = word.rstrip(" .,'\")]}!?")
    if not w:
        return False, False
    ch = w[-1]
    if "\uac00" <= ch <= "\ud7a3":
        jong = (ord(ch) - 0xAC00) % 28
        return jong != 0, jong == 8
    if ch.isdigit():
        return _DIGIT_BATCHIM[ch], ch in _DIGIT_RIEUL
    if len(w) >= 2 and w[-2:].isupper() and w[-1].isalpha():
        # an acronym is read by letter names: L 엘, M 엠, N 엔, R 알
        return ch in "LMNR", ch in "LR"
    low = w.lower()
    if low.endswith(("ng", "m", "n", "ne", "me", "oop", "ob")):
        return True, False
    if low.endswith(("l", "le")) and not low.endswith("ble"):
        return True, True
    return False, False


def josa(word: str, particle: str) -> str:
    """``word`` plus the right Korean particle form.

    ``particle`` is the form used after a final consonant: ``은``, ``이``,
    ``을``, ``과``, ``으로``, ``이라``, ``이나``. ``josa("검색", "을") == "검색을"``,
    ``josa("캐시", "을") == "캐시를"``, ``josa("서울", "으로") == "서울로"``.
    """
    batchim, rieul = _final_sound(word)
    with_c, without_c = _JOSA[particle]
    if particle == "으로":
        return word + (with_c if batchim and not rieul else without_c)
    return word + (with_c if batchim else without_c)


def has_hangul(text: str) -> bool:
    return bool(HANGUL_RE.search(text))


def strip_particle(token: str) -> str:
    """Remove one trailing Korean particle from an eojeol (``트래픽을`` -> ``트래픽``)."""
    for p in _KO_PARTICLES:
        if token.endswith(p) and len(token) - len(p) >= 2:
            return token[: -len(p)]
    return token


def _en_stem(w: str) -> str:
    for suf in ("ing", "ed", "es", "s"):
        if w.endswith(suf) and len(w) - len(suf) >= 4:
            return w[: -len(suf)]
    return w


def features(text: str) -> frozenset[str]:
    """Matching features: Hangul character bigrams plus stemmed English content words."""
    low = text.lower()
    out: set[str] = set()
    for run in _HANGUL_RUN.findall(low):
        if len(run) == 1:
            continue
        out.update(run[i:i + 2] for i in range(len(run) - 1))
    for w in _EN_WORD.findall(low):
        if w not in EN_STOP and len(w) > 1:
            out.add(_en_stem(w))
    return frozenset(out)


def coverage(query: frozenset[str], doc: frozenset[str]) -> float:
    """Share of the query's features found in ``doc`` (0..1)."""
    if not query:
        return 0.0
    return len(query & doc) / len(query)


_CUE_RE: dict[str, re.Pattern] = {}


def _cue_re(cue: str) -> re.Pattern:
    pat = _CUE_RE.get(cue)
    if pat is None:
        pat = _CUE_RE[cue] = re.compile(r"(?<![a-z])" + re.escape(cue))
    return pat


def cue_hits(text_low: str, cues: Iterable[str], lang: str) -> list[str]:
    """The cues found in ``text_low`` (already lower-cased).

    English cues match at a word start (``"conflict"`` matches ``"conflicts"``
    but ``"ux"`` does not match ``"luxury"``); other cues match as substrings.
    """
    hits = []
    for cue in cues:
        if lang == "en" and cue[:1].isalpha():
            if cue in text_low and _cue_re(cue).search(text_low):
                hits.append(cue)
        elif cue in text_low:
            hits.append(cue)
    return hits


_NOUN_PARTICLES = ("에서는", "으로는", "에서", "으로", "에게", "까지", "부터", "처럼", "보다", "과의", "와의",
                   "은", "는", "이", "가", "을", "를", "에", "의", "로", "와", "과", "도")
_VERBISH = ("하다", "했다", "한다", "하고", "하는", "했던", "하기", "해서", "하면", "되는", "있는", "없는", "다고",
            "니다", "세요", "나요", "까요", "어요", "지만", "는데", "면서", "라고", "이라", "같은", "적인", "스러운")


def content_words(text: str, lang: str) -> list[str]:
    """Likely topic nouns of ``text`` in order.

    Korean has no word classes without a morphological analyser, so a Korean
    token counts as a noun when it carried a particle (``트래픽을`` -> ``트래픽``)
    or is a Latin-script term (``TTL``); verb-like endings are dropped.
    """
    out = []
    if lang == "ko":
        for tok in text.split():
            tok = tok.strip(".,?!'\"()[]…:;")
            if not tok:
                continue
            if not HANGUL_RE.search(tok):
                if tok.isalpha() and len(tok) >= 2:
                    out.append(tok)
                continue
            base = None
            for p in _NOUN_PARTICLES:
                if tok.endswith(p) and len(tok) - len(p) >= 2:
                    base = tok[: -len(p)]
                    break
            if base is None or base in KO_STOP or base.endswith(_VERBISH) or not HANGUL_RE.search(base[-1]):
                continue
            if base.endswith(("하", "되", "했", "있", "없", "었", "았", "였", "겠")):
                continue
            out.append(base)
    else:
        for w in _EN_WORD.findall(text.lower()):
            if w not in EN_STOP and len(w) > 3:
                out.append(w)
    return out
