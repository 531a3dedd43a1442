"""Competency concepts: paraphrase-proof credit for behavioural and culture-fit key points.

Behavioural rubric key points are abstract ("Using data or evidence to reach
agreement"), while a good answer is concrete ("I profiled the service for two
days"). Sentence embeddings of the two are far apart (MiniLM cosine 0.11 for
that pair), so neither lexical nor embedding coverage gives the credit.

Instead each key point is mapped to the interview competencies it asks for
(a key point may name several), and the answer is searched for concrete
evidence of each competency in either language. The competencies are the
recurring ones of structured behavioural interviews (STAR parts, evidence,
listening, ownership, communication, prioritising, safeguards, learning,
motivation); the cue lists are ours. Each entry: ``(asks, shows)`` regexes
per language: ``asks`` is matched on the key point, ``shows`` on the answer.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np


def _rx(p: str) -> re.Pattern:
    return re.compile(p, re.I)


#: name -> {lang: (asks: regex on the key point, shows: regex on the answer)}
CONCEPTS: dict[str, dict[str, tuple[re.Pattern, re.Pattern]]] = {
    "situation": {
        "en": (_rx(r"\b(situation|context|concrete (deadline|tasks|situation|moment|reasons?)|the (original )?"
                   r"(decision|proposal|metric|failed)|what was|why (you|leadership|the change)|the cause)\b"),
               _rx(r"\b(last (year|spring|summer|autumn|fall|winter|month|quarter)|years? ago|at my (last|previous|"
                   r"current|first)|in my (last|previous|current|first)|when i (was|joined)|on the \w+ team|"
                   r"our team|we had|in \d{4}|during)\b")),
        "ko": (_rx(r"(상황|맥락|계기|쟁점|원인|이유|무엇이 모호)"),
               _rx(r"(작년|재작년|당시|지난|예전|이전 회사|전 직장|입사|신입|년 전|프로젝트에서|팀에서|때\s)")),
    },
    "evidence": {
        "en": (_rx(r"\b(data|evidence|metrics?|numbers|measur\w*|analysis|prototype|benchmark|logs?|a/b)\b"),
               _rx(r"\b(data|numbers|metrics?|measur\w*|profil\w*|benchmark\w*|logs?|dashboards?|a/b|experiment\w*|"
                   r"prototype\w*|trac(e|es|ing)|flame graphs?|surveys?|shadow test|pilot|spreadsheet|query|"
                   r"queries)\b|\d+\s*%")),
        "ko": (_rx(r"(데이터|근거|지표|수치|측정|분석|프로토타입|로그|실험)"),
               _rx(r"(데이터|수치|숫자|측정|지표|로그|프로파일|벤치마크|실험|프로토타입|대시보드|설문|파일럿|"
                   r"쿼리|\d+\s*%)")),
    },
    "listening": {
        "en": (_rx(r"\b(listen\w*|understand\w*|other side|other role|perspectives?|concerns?|shared goal|"
                   r"common goal|reasoning|cause instead of|first reaction)\b"),
               _rx(r"\b(listen\w*|asked (him|her|them|what|why|how)|understand\w*|concerns?|worried|worry|"
                   r"point of view|perspective|both (wanted|cared|agreed)|common goal|shared goal|"
                   r"(he|she|they) (wanted|needed|cared)|turned out (her|his|their)|heard)\b")),
        "ko": (_rx(r"(경청|이해|입장|관점|우려|공통 목표|공동 목표|맥락|첫 반응)"),
               _rx(r"(들었|듣고|들어 보|물어|여쭤|이해|입장|우려|걱정|공통|같은 목표|관점|원하는 것)")),
    },
    "action": {
        "en": (_rx(r"\b(actions?|what you (did|proposed|chose)|steps|how you|concrete (methods|behaviou?r|steps)|"
                   r"your own|you took|practised|strategy)\b"),
               None),
        "ko": (_rx(r"(행동|방법|조치|직접|본인이|실천|전략)"), None),
    },
    "outcome": {
        "en": (_rx(r"\b(outcome|results?|impact|effect|improvement|what changed|quantified|measured|"
                   r"agreement reached|how (they|the team|the colleague) (grew|responded|reacted))\b"),
               _rx(r"\b(result\w*|as a result|in the end|eventually|ended up|shipped|launched|reduced|increased|"
                   r"improved|dropped|fell|cut|saved|grew|went (from|down|up)|delivered|on time|finished|"
                   r"agreed|approved)\b|\d+\s*%")),
        "ko": (_rx(r"(결과|성과|효과|변화|개선|합의|반응|성장)"),
               _rx(r"(결과|결국|덕분에|줄었|줄였|늘었|늘렸|개선|단축|마쳤|완료|성공|달성|출시|합의|바꿨|"
                   r"\d+\s*%|에서\s*\S+\s*(로|으로)\s)")),
    },
    "relationship": {
        "en": (_rx(r"\b(relationship|team (dynamics|morale|responded)|trust|how the colleague reacted|"
                   r"collaborat\w*|what changed)\b"),
               _rx(r"\b(relationship|trust\w*|we still|since then we|pair(ed)? on|work(ed)? together|thanked|"
                   r"closer|friends|collaborat\w*|morale)\b")),
        "ko": (_rx(r"(관계|분위기|신뢰|협업|사기|반응)"),
               _rx(r"(관계|신뢰|함께|같이|고맙|사이|협업|분위기|사기)")),
    },
    "lesson": {
        "en": (_rx(r"\b(lessons?|learn\w*|habit|how you (collaborate|handle) now|next time|would (do|improve)|"
                   r"retrospective|hindsight)\b"),
               _rx(r"\b(learn(ed|t)?|lesson|taught me|since then|now i|next time|would do differently|"
                   r"i realised|i realized|changed how|habit|in hindsight|from then on)\b")),
        "ko": (_rx(r"(배운|교훈|습관|이후|다음|회고|돌아보)"),
               _rx(r"(배웠|배운|깨달|교훈|이후로|그 뒤로|그 후로|지금은|습관|다음에는|느꼈|돌아보면)")),
    },
    "sharing": {
        "en": (_rx(r"\b(communicat\w*|shar\w*|stakeholders?|transparen\w*|explain\w*|announc\w*|telling|"
                   r"inform\w*|openly|upward|documentation|writing)\b"),
               _rx(r"\b(told|shared|posted|explained|wrote|updated|informed|announced|presented|slack|channel|"
                   r"meeting|demo\w*|documented|write-?up|one-on-one|1:1)\b")),
        "ko": (_rx(r"(소통|공유|설명|알리|알림|투명|이해관계자|공개|문서)"),
               _rx(r"(공유|알렸|알리|설명|말씀|보고|회의|채널|슬랙|문서|발표|정리해)")),
    },
    "ownership": {
        "en": (_rx(r"\b(ownership|own(ed)? it|admit\w*|responsib\w*|accountab\w*|initiative|on your own)\b"),
               _rx(r"\b(my (mistake|fault|change|bug)|i owned|took (responsibility|ownership)|on me|i admitted|"
                   r"myself|on my own|nobody asked|volunteered)\b")),
        "ko": (_rx(r"(책임|인정|주도|주인의식|스스로)"),
               _rx(r"(제 실수|제 잘못|제가 낸|책임|인정|스스로|자발적|먼저 나서|맡겠다)")),
    },
    "priorities": {
        "en": (_rx(r"\b(priorit\w*|scope|urgency|importance|not to do|business impact|trade-?offs?)\b"),
               _rx(r"\b(priorit\w*|scope|cut|dropped|postponed|deferred|must-have|nice-to-have|urgent|impact|"
                   r"first|later|trade-?off)\b")),
        "ko": (_rx(r"(우선순위|범위|중요도|긴급|영향|트레이드오프)"),
               _rx(r"(우선|범위|뺐|미루|미뤘|중요|급한|영향|먼저|나중)")),
    },
    "safeguards": {
        "en": (_rx(r"\b(tests?|reviews?|quality|monitoring|safeguards?|prevent\w*|postmortem|rollback)\b"),
               _rx(r"\b(tests?|tested|review\w*|ci|monitor\w*|alert\w*|canary|checklist|postmortem|rolled? back|"
                   r"rollback|feature flag|validation|validate)\b")),
        "ko": (_rx(r"(테스트|리뷰|품질|모니터링|재발|예방|방지|포스트모템|롤백)"),
               _rx(r"(테스트|리뷰|모니터링|알림|알람|체크리스트|포스트모템|카나리|롤백|되돌|검증)")),
    },
    "learning": {
        "en": (_rx(r"\b(docs|documentation|learning (methods|strategy)|learn|study|examples|side project)\b"),
               _rx(r"\b(docs|documentation|tutorials?|prototype|course|books?|read|reading|examples?|study|"
                   r"side project|open source|blog)\b")),
        "ko": (_rx(r"(문서|학습|공부|예제|사이드 프로젝트)"),
               _rx(r"(문서|튜토리얼|강의|책|읽|공부|예제|프로토타입|오픈소스|블로그|스터디)")),
    },
    "motivation": {
        "en": (_rx(r"\b(motivat\w*|goals?|want to become|values?|satisfaction|why (you|did)|what kind)\b"),
               _rx(r"\b(goal|want to|would like to|motivat\w*|enjoy|love|satisf\w*|excit\w*|care about|"
                   r"proud|fun)\b")),
        "ko": (_rx(r"(동기|목표|되고 싶|가치|보람|지향)"),
               _rx(r"(목표|되고 싶|보람|즐거|좋아|뿌듯|재미|가치|하고 싶)")),
    },
}

#: Premise denials: the classic way to dodge a behavioural question ("I don't really get into
#: conflicts"). Checked like red flags (correctness.py), but only in answers that tell no story.
EVASIONS = {
    "en": ["I don't really get into conflicts with people.",
           "I have never really failed or made a serious mistake.",
           "I don't really get stressed at work.",
           "I can't think of a specific time, but in general I always try my best."],
    "ko": ["저는 원래 누구와도 잘 지내서 갈등이 생긴 적이 거의 없습니다.",
           "저는 크게 실패하거나 실수한 적이 거의 없습니다.",
           "저는 일하면서 스트레스를 별로 받지 않습니다.",
           "구체적인 경험은 떠오르지 않지만 평소에 항상 최선을 다합니다."],
}

#: Categories whose key points are competencies, and how much concept evidence is worth (0-1 coverage).
CREDIT = {"behavioural": 0.75, "culture_fit": 0.75, "company": 0.5}


def story_share(sentences: Sequence[str], lang: str) -> float:
    """Share (0-1) of sentences that move a story on (``dimensions.narrative``)."""
    from .dimensions import narrative

    return sum(narrative(x, lang) for x in sentences) / len(sentences) if sentences else 0.0


def concept_coverage(key_points: Sequence[str], text: str, lang: str, n_actions: int, category: str) -> np.ndarray:
    """Per key point 0-1: the share of the competencies it asks for that the answer shows, times the credit.

    Args:
        key_points: rubric key points in ``lang``.
        text: the answer.
        lang: "ko" | "en".
        n_actions: first-person action phrases in the answer (features.TextFeatures.actions);
            the "action" competency is shown by two or more.
        category: question category; technical questions get zeros (their key points are facts).

    Returns:
        array of len(key_points); 0 for a key point that names no competency.
    """
    credit = CREDIT.get(category, 0.0)
    out = np.zeros(len(key_points))
    if not credit:
        return out
    L = lang if lang == "ko" else "en"
    for i, kp in enumerate(key_points):
        asked = shown = 0
        for spec in CONCEPTS.values():
            asks, shows = spec[L]
            if not asks.search(kp):
                continue
            asked += 1
            if shows is None:
                shown += n_actions >= 2
            elif shows.search(text):
                shown += 1
        if asked:
            out[i] = credit * shown / asked
    return out
