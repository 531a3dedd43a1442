"""The offline answer engine: composes a persona's spoken answer to any question.

No network and no model: the answer is assembled from the persona's data
(STAR stories, domain knowledge, values, speaking style) and the question's
text, category and rubric key points, with a ``random.Random`` seeded from the
request (sha512 of a string, stable across processes), so the same request
always gives the same text. About 0.3 ms per answer; thread-safe.

How an answer is built (skill 1 weak .. 5 strong):

* behavioural: the best unused story by theme cues and Korean bigram overlap;
  at skill 4-5 each key point is attached to the STAR part it asks about
  ("갈등 해결 후 결과와 관계 변화를 말씀드리면, <result>"); skill 5 tells the
  whole story (situation, task, the speaker's actions, quantified result,
  lesson). Skill 3: situation, one action, result, half the key points.
* technical / company: framing, one step per key point, a domain fact of the
  persona when its topic really matches (else the key points carry it), a
  trade-off and an example with numbers (skill 4-5). Skill 3: one key point and
  a hedge. Company questions about another company speak from the persona's
  strength; "why us" questions adapt the motivation to the named company.
* culture fit: a value, then one sentence per key point chosen by what the
  point asks for (reason -> value, example -> story, method -> action, ...).
* "introduce yourself": name, years, role, strengths, a highlight, motivation.
* skill 2: a vague story gist or half-remembered fact, no numbers, fillers;
  skill 1: short, hedging, partly off-topic, no numbers.

Skill 3+ personas may refer to another candidate's earlier answer
(``AnswerRequest.context``) by naming its topic, never by copying it.
Template wordings rotate by persona and seed, so personas answering the same
question do not share phrasing.

Length always fits the time budget: ``words / words_per_minute * 60000 +
think_ms <= budget_ms - 1000`` (words = ``len(text.split())``) whenever that is
possible at all; with a tiny budget the answer is cut to what fits, possibly
empty. ``story_id`` is reported only if part of the story survived trimming.
"""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass, field
import random

from .catalog import Knowledge, Persona, Story, get_persona
from .lexicon import (CATEGORY_CUES, EN_STOP, HANGUL_RE, TAG_KEYWORDS, TAG_LABELS, content_words, coverage,
                      cue_hits, features, josa, strip_particle)

LANGS = ("ko", "en")
CATEGORIES = ("behavioural", "technical", "culture_fit", "company")
_OPTIONAL_PRIO = 60       # pieces below this are dropped first when trimming
MARGIN_MS = 1_000          # the answer must end this long before the deadline
THINK_MIN_MS = 800
THINK_MAX_MS = 3_000


@dataclass(frozen=True)
class AnswerRequest:
    """What the room asks a persona to answer.

    Attributes:
        persona_id: catalogue id, e.g. ``"toss"``.
        question_text: the question in ``lang``.
        lang: ``"ko"`` or ``"en"``.
        skill: 1 (weak) .. 5 (strong).
        seed: any int; same request and seed -> identical answer.
        category: ``behavioural`` | ``technical`` | ``culture_fit`` | ``company``
            or None (inferred from the text).
        key_points: the question's rubric key points in ``lang``, if known.
        question_id: the bank id, if any (part of the seed).
        used_story_ids: stories this persona already told in this match; never reused.
        context: earlier answers to this question by other candidates in the room.
        budget_ms: milliseconds left until the turn deadline.
    """

    persona_id: str
    question_text: str
    lang: str = "ko"
    skill: int = 3
    seed: int = 0
    category: str | None = None
    key_points: tuple[str, ...] = ()
    question_id: str | None = None
    used_story_ids: frozenset[str] = frozenset()
    context: tuple[str, ...] = ()
    budget_ms: int = 60_000

    @classmethod
    def from_job(cls, job) -> "AnswerRequest":
        """The request for a room's :class:`rooms.jobs.AIAnswerJob` (same field names)."""
        return cls(persona_id=job.persona_id, question_text=job.question_text, lang=job.lang, skill=job.skill,
                   seed=job.seed, category=job.category, key_points=tuple(job.key_points),
                   question_id=job.question_id, used_story_ids=frozenset(job.used_story_ids),
                   context=tuple(job.context), budget_ms=job.budget_ms)


@dataclass(frozen=True)
class ComposedAnswer:
    """A composed answer.

    Attributes:
        text: the answer to stream (may be empty only when the budget is tiny).
        story_id: the STAR story used (add it to ``used_story_ids``), or None.
        think_ms: pause before speaking, 800..3000 ms.
        words_per_minute: the persona's pace in this language, whitespace-separated
            tokens per minute (English 125-165; Korean eojeol 104-128, since an
            eojeol is ~3.4 characters: about 350-430 syllables per minute).
    """

    text: str
    story_id: str | None
    think_ms: int
    words_per_minute: int

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    @property
    def speaking_ms(self) -> int:
        """Time to stream ``text`` at ``words_per_minute``, in ms (rounded up)."""
        return math.ceil(self.word_count * 60_000 / self.words_per_minute)


# --------------------------------------------------------------------------- templates
# Shared sentence frames. Persona voice comes from the data (openings,
# connectives, closings, fillers, stories, knowledge); these frames only glue it.
T = {
    "ko": {
        "bridge": ["{echo}{와} 관련해서는 {title} 경험을 말씀드리겠습니다.",
                   "{echo}{라면} {title} 사례가 가장 먼저 떠오릅니다.",
                   "{echo}에 대해서는 제가 직접 겪은 {title} 경험으로 답변드리겠습니다."],
        "bridge_plain": ["질문과 가장 가까운 경험으로 {title} 사례를 말씀드리겠습니다.",
                         "{title} 경험을 예로 들어 말씀드리겠습니다."],
        "situation": ["먼저 상황을 말씀드리면, {s}", "당시 상황은 이랬습니다. {s}", "상황부터 말씀드리겠습니다. {s}"],
        "action_lead": ["그래서 제가 직접 움직였습니다. {a}", "이를 위해 제가 한 행동은 이렇습니다. {a}",
                        "구체적으로 제가 한 일을 말씀드리겠습니다. {a}"],
        "result": ["결과적으로 {r}", "{r}"],
        "kp_short": ["핵심은 {kps}입니다.", "{kps}에 집중했습니다."],
        "slot_S": ["먼저 {kp}부터 말씀드리면, {x}", "{kp}{을} 먼저 말씀드리면, {x}"],
        "slot_T": ["{kp}{을} 말씀드리면, {x}", "이때 {kp}{을} 분명히 했습니다. {x}"],
        "slot_A": ["{kp}{을} 말씀드리면, {x}", "{kp}에 대해서는, {x}"],
        "slot_A2": ["{kp}의 경우, {x}", "{kp} 측면에서는, {x}"],
        "slot_R": ["{kp}{을} 말씀드리면, {x}", "{kp}{으로} 보면, {x}"],
        "slot_L": ["{kp}{을} 말씀드리면, {x}", "마지막으로 {kp}에 대해 말씀드리면, {x}"],
        "culture_value": [["저는 특히 {kp}{을} 중요하게 생각합니다.", "먼저 {kp}{을} 가장 중요하게 여깁니다."],
                          ["또 {kp}{을} 꾸준히 실천하려고 합니다.", "{kp}도 제가 꼭 지키는 부분입니다."],
                          ["{kp} 역시 빼놓을 수 없다고 생각합니다.", "그리고 {kp}에도 신경을 씁니다."],
                          ["마지막으로 {kp}까지 챙기려고 합니다.", "끝으로 {kp}도 중요하게 봅니다."]],
        "culture_stmt": [["먼저 {kp}부터 말씀드리면, {x}", "우선 {kp}{을} 말씀드리면, {x}", "{kp}부터 답변드리면, {x}"],
                         ["{kp}에 대해서는, {x}", "다음으로 {kp}{을} 말씀드리면, {x}", "{kp}{으로} 보면, {x}"],
                         ["{kp}의 경우, {x}", "또 {kp} 측면에서는, {x}", "이어서 {kp}{을} 말씀드리면, {x}"],
                         ["마지막으로 {kp}{을} 말씀드리면, {x}", "끝으로 {kp}에 대해서는, {x}"]],
        "kp_beh": ["이 과정에서 제가 특히 신경 쓴 부분은 {kps}입니다.",
                   "돌아보면 이 경험의 핵심은 {kps}에 있었다고 생각합니다.",
                   "특히 {kps}에 집중했던 것이 주효했습니다."],
        "value_tie": ["그래서 {v}", "이것이 제가 일하는 원칙과도 맞닿아 있습니다. {v}"],
        "no_story": ["말씀드린 사례 외에 제가 이런 상황에서 일하는 방식을 말씀드리겠습니다.",
                     "이미 말씀드린 경험과 겹치지 않게, 제 원칙 위주로 말씀드리겠습니다."],
        "this_company": "이 회사",
        "frame_company": ["{echo}에 대해서는 제 강점인 {angle}의 관점에서 말씀드리겠습니다.",
                          "{company}의 {echo} 문제를 제가 쌓아 온 {angle}에 비추어 말씀드리겠습니다."],
        "frame_plain": ["저는 이 질문을 {principle}의 관점에서 보겠습니다.",
                        "이 문제는 {principle}{을} 기준으로 접근하겠습니다."],
        "frame_tech": ["{echo}{은} 결국 {principle}의 문제라고 봅니다.",
                       "{echo}에 대해서는 {principle}{을} 기준으로 접근하겠습니다.",
                       "저는 {echo}{을} {principle}의 관점에서 보겠습니다."],
        "steps": [["첫째로 {kp}부터 명확히 정의하겠습니다.", "먼저 {kp}{을} 정리하겠습니다.",
                   "우선 {kp}부터 점검하겠습니다.", "출발점은 {kp}입니다."],
                  ["둘째로 {kp}{을} 설계에 반영하겠습니다.", "다음으로 {kp}{을} 구체적으로 구현하겠습니다.",
                   "그다음 {kp}{을} 챙기겠습니다.", "이어서 {kp}{을} 설계 단계에서 결정하겠습니다."],
                  ["셋째로 {kp}{을} 지표로 검증하겠습니다.", "세 번째로 {kp}에 대한 기준을 세우겠습니다.",
                   "이어서 {kp}까지 확인하겠습니다.", "그리고 {kp}{을} 테스트로 확인하겠습니다."],
                  ["마지막으로 {kp}까지 고려하겠습니다.", "끝으로 {kp}{을} 운영 단계에서 점검하겠습니다.",
                   "마무리로 {kp}까지 챙기겠습니다."],
                  ["추가로 {kp}도 함께 보겠습니다.", "{kp}도 빠뜨리지 않겠습니다."]],
        "wrapup": ["정리하면, {a}{과} {b}{을} 중심으로 설계하되 {principle}{을} 기준으로 트레이드오프를 판단하겠습니다.",
                   "요약하면 {a}{과} {b}{이} 뼈대이고, 판단 기준은 {principle}입니다.",
                   "한마디로 {a}에서 시작해 {b}{으로} 마무리하고, 애매할 때는 {principle}{을} 우선하겠습니다.",
                   "결론적으로 {a}{과} {b}{을} 먼저 잡고, 나머지는 {principle}에 비추어 정하겠습니다.",
                   "정리하자면 뼈대는 {a}, 그리고 {b}이고, 제 판단 기준은 늘 {principle}입니다."],
        "generic_tradeoff": ["다만 {a}{을} 강화할수록 복잡도와 운영 비용이 늘어나는 트레이드오프가 있어서, {principle}{을} 기준으로 균형을 잡겠습니다.",
                             "장단점도 분명한데, {a}{을} 욕심내면 개발 속도가 느려지므로 {principle}에 꼭 필요한 만큼만 하겠습니다.",
                             "{a}에서 얻는 이점에는 지연, 비용, 복잡도라는 대가가 따르기 때문에, 이 트레이드오프는 {principle}{을} 기준으로 판단하겠습니다.",
                             "트레이드오프도 분명합니다. {a}에 투자할수록 비용과 복잡도가 커지므로, {principle}에 얼마나 기여하는지로 우선순위를 정하겠습니다."],
        "closest_example": ["제 경험 중 가장 가까운 사례를 말씀드리면, {e}", "비슷한 문제를 다뤄 본 경험으로는, {e}",
                            "직접 해 본 일 중에서는 이런 경우가 있었습니다. {e}"],
        "tradeoff": ["트레이드오프도 말씀드리면, {t}", "물론 장단점이 있습니다. {t}", "다만 트레이드오프가 있습니다. {t}"],
        "example": ["실제 경험을 말씀드리면, {e}", "예를 들어 {e}", "실제로 {e}"],
        "stance": ["{v}", "제가 가장 중요하게 생각하는 점을 말씀드리면, {v}"],
        "culture_kp": ["그래서 {kps}{을} 중요하게 생각합니다.", "같은 맥락에서 {kps}도 꼭 필요하다고 봅니다."],
        "company_tie": ["{company}에서도 {angle}{으로} 기여하고 싶습니다.",
                        "{company}{이라면} 제 {angle}{을} 가장 잘 살릴 수 있다고 생각합니다."],
        "motivation": ["지원 동기를 말씀드리면, {m}", "{m}"],
        "motivation_other": ["{company}{은} {their}{이} 강한 곳이고, 제가 쌓아 온 {angle}{을} 그 규모에서 제대로 써 보고 싶어서 지원했습니다.",
                             "제가 쌓아 온 {angle}{이} {company}의 {their}{과} 만나면 더 큰 가치를 만들 수 있다고 생각해서 지원했습니다."],
        "intro_who": ["저는 {years}년 차 {role} {name}입니다.", "{role}로 {years}년간 일해 온 {name}입니다."],
        "intro_skills": ["제 강점은 {a}, {b}, 그리고 {c}입니다.", "{a}{과} {b}, {c}에 강점이 있습니다."],
        "intro_story": ["최근에는 {title} 경험이 가장 기억에 남는데, {r}", "대표적인 경험으로 {title}{이} 있습니다. {r}"],
        "intro_weak": ["저는 {role}로 일하고 있는 {name}입니다. 이것저것 다 해 봤습니다.",
                       "{name}입니다. 그냥 {role} 일을 하고 있습니다."],
        "weakness": ["제 약점을 솔직히 말씀드리면, {w} {i}", "부족한 점을 말씀드리면 {w} {i}"],
        "ctx_kp": ["앞서 말씀하신 분께서 {x}{을} 강조하셨는데, 저는 조금 다르게 {angle}에 초점을 맞춰 보겠습니다.",
                   "앞서 다른 지원자분이 {x} 이야기를 해 주셨는데, 저는 거기에 {angle} 관점을 더하고 싶습니다."],
        "ctx_plain": ["앞서 말씀하신 분과 달리, 저는 {angle} 관점에서 말씀드리겠습니다.",
                      "앞선 답변과는 조금 다른 각도로, {angle}에 초점을 맞춰 말씀드리겠습니다."],
        # weak answers
        "weak_open": ["{f} 글쎄요.", "{f} 잘 기억은 안 나는데요.", "{f} 어렵네요.", "{f} 그게, 음."],
        "weak_tech": ["그건 보통 {tech} 같은 걸 쓰면 되지 않을까 싶습니다.",
                      "잘은 모르겠지만, 일단 {tech}{으로} 해 보면 될 것 같습니다."],
        "weak_offtopic": ["요즘은 {tech} 공부를 좀 하고 있습니다.", "참고로 저는 {tech}{을} 제일 좋아합니다."],
        "weak_close": ["네, 그 정도인 것 같습니다.", "아무튼 열심히 하겠습니다.", "네, 이상입니다.",
                       "뭐, 대충 그렇습니다.", "네, 그렇게 생각합니다."],
        "mid_action": ["{f} 제가 이것저것 해 보면서 팀이랑 맞춰 갔습니다.",
                       "그래서 제가 몇 가지를 바꿔 봤고, 다행히 좀 나아졌습니다.",
                       "제가 할 수 있는 걸 하나씩 해 봤습니다.",
                       "{f} 일단 급한 것부터 처리했습니다."],
        "mid_result": ["결과는 꽤 괜찮았던 것 같습니다.", "결과적으로 전보다는 나아졌습니다.",
                       "끝나고 나서는 다들 만족했던 것 같아요."],
        "mid_kp": ["{kp}도 중요했던 것 같습니다.", "{kp}{이} 좀 필요하다고 느꼈습니다.",
                   "돌아보면 {kp}{이} 아쉬웠습니다.", "{kp} 같은 것도 생각해 봐야 할 것 같습니다.",
                   "{kp}{은} 나중에 알게 됐습니다."],
        "mid_tech": ["{f} 보통은 {point}", "{f} 제 생각에는 {point}"],
        "mid_hedge": ["물론 상황에 따라 다르겠지만, 대체로 그렇게 접근할 것 같습니다.",
                      "세부적인 부분은 실제 환경을 보고 정해야 할 것 같습니다.",
                      "나머지는 팀과 논의하면서 맞춰 가면 될 것 같습니다."],
    },
    "en": {
        "bridge": ["On {echo}, let me tell you about {title}.",
                   "When it comes to {echo}, the example that comes to mind is {title}.",
                   "For {echo}, I'll answer with my experience of {title}."],
        "bridge_plain": ["The closest example I have is {title}.", "Let me use {title} as my example."],
        "situation": ["Let me start with the situation. {s}", "Here was the situation. {s}", "First, the situation. {s}"],
        "action_lead": ["So I took action myself. {a}", "Here is what I did. {a}", "Let me be specific about my own actions. {a}"],
        "result": ["As a result, {r_l}", "{r}"],
        "kp_short": ["The keys were {kps}.", "I focused on {kps}."],
        "slot_S": ["Let me start with {kp}: {x}", "First, {kp}: {x}"],
        "slot_T": ["As for {kp}: {x}", "On {kp}: {x}"],
        "slot_A": ["On {kp}: {x}", "As for {kp}, {x}"],
        "slot_A2": ["As for {kp}, {x}", "In terms of {kp}, {x}"],
        "slot_R": ["As for {kp}: {x}", "On {kp}: {x}"],
        "slot_L": ["Finally, {kp}: {x}", "As for {kp}: {x}"],
        "culture_value": [["Above all, I care about {kp}.", "First, I put a lot of weight on {kp}."],
                          ["I also practise {kp} consistently.", "{KP} is something I always stick to."],
                          ["{KP} matters just as much to me.", "I also pay attention to {kp}."],
                          ["Finally, I make sure of {kp}.", "Last but not least, I keep {kp} in mind."]],
        "culture_stmt": [["First, on {kp}: {x}", "Let me start with {kp}: {x}", "To begin with {kp}: {x}"],
                         ["As for {kp}, {x_l}", "Next, {kp}: {x}", "On {kp}: {x}"],
                         ["In terms of {kp}, {x_l}", "Then there is {kp}: {x}", "Regarding {kp}, {x_l}"],
                         ["Finally, {kp}: {x}", "Last, on {kp}: {x}"]],
        "kp_beh": ["Along the way I paid particular attention to {kps}.",
                   "Looking back, the key was {kps}.",
                   "What made the difference was focusing on {kps}."],
        "value_tie": ["That is why {v_l}", "It connects to a principle I hold: {v}"],
        "no_story": ["Rather than repeat an example I already gave, let me describe how I work in such situations.",
                     "To avoid repeating myself, I'll answer from my principles."],
        "this_company": "your company",
        "frame_company": ["On {echo}, let me answer from my strength: {angle}.",
                          "Let me look at {company}'s {echo} through my experience with {angle}."],
        "frame_plain": ["I would look at this question from the point of view of {principle}.",
                        "My yardstick here is {principle}."],
        "frame_tech": ["To me, {echo} is ultimately about {principle}.",
                       "I would approach {echo} with one yardstick: {principle}.",
                       "I look at {echo} from the point of view of {principle}."],
        "steps": [["First, I would pin down {kp}.", "First, I'd clarify {kp}.", "I would start with {kp}.",
                   "My starting point is {kp}."],
                  ["Second, I would build {kp} into the design.", "Next, I would implement {kp} concretely.",
                   "Then I'd take care of {kp}.", "Next comes {kp}, decided at design time."],
                  ["Third, I would validate {kp} with metrics.", "Third, I'd set clear criteria for {kp}.",
                   "After that I would check {kp}.", "Then I'd prove {kp} with tests."],
                  ["Finally, I would account for {kp}.", "Lastly, I'd review {kp} in production.",
                   "To close, I'd make sure of {kp}."],
                  ["I would also look at {kp}.", "{KP} would not be forgotten either."]],
        "wrapup": ["To sum up, I would build around {a} and {b}, and settle the trade-offs by {principle}.",
                   "In short, {a} and {b} are the backbone, and my yardstick is {principle}.",
                   "In a sentence: start from {a}, finish with {b}, and when in doubt favour {principle}.",
                   "So the core is {a} plus {b}; everything else I would decide by {principle}.",
                   "Summing up, the backbone is {a}, then {b}, and my tie-breaker is always {principle}."],
        "generic_tradeoff": ["The trade-off is that investing more in {a} adds complexity and operating cost, so I would balance it against {principle}.",
                             "The trade-off is clear: the more we put into {a}, the higher the cost and complexity, so I would prioritise by how much it serves {principle}.",
                             "Every gain in {a} has a price in latency, cost or complexity; my tie-breaker for that trade-off is {principle}.",
                             "The pros and cons are real: overdoing {a} slows delivery, so I would do only as much as {principle} needs."],
        "closest_example": ["The closest experience I have: {e}", "The nearest problem I have solved myself: {e}",
                            "Something similar I have done myself: {e}"],
        "tradeoff": ["On the trade-offs: {t}", "There are pros and cons. {t}", "There is a trade-off here. {t}"],
        "example": ["From my own experience: {e}", "For example, {e_l}", "In practice, {e_l}"],
        "stance": ["{v}", "Let me start with what matters most to me. {v}"],
        "culture_kp": ["That is why I care about {kps}.", "In the same spirit, I pay close attention to {kps}."],
        "company_tie": ["At {company} I want to contribute through {angle}.",
                        "I believe {company} is where my {angle} would count the most."],
        "motivation": ["As for my motivation, {m_l}", "{m}"],
        "motivation_other": ["{company} is strong in {their}, and I applied because I want to put my {angle} to work at that scale.",
                             "I believe my {angle}, combined with {company}'s {their}, can create much more value; that is why I applied."],
        "intro_who": ["I'm {name}, a {role_l} with {years} years of experience.",
                      "My name is {name}; I have worked as a {role_l} for {years} years."],
        "intro_skills": ["My strengths are {a_l}, {b_l} and {c_l}.", "I am strongest in {a_l}, {b_l} and {c_l}."],
        "intro_story": ["A highlight was {title}: {r}", "One project I'm proud of is {title}. {r}"],
        "intro_weak": ["I'm {name}, I work as a {role_l}. I've done, like, a bit of everything.",
                       "I'm {name}. I just do {role_l} stuff."],
        "weakness": ["To be honest about my weakness: {w} {i}", "One thing I lack: {w} {i}"],
        "ctx_kp": ["The previous candidate emphasised {x}; I would like to add a different angle, {angle}.",
                   "Building on the earlier point about {x}, I'll focus on {angle}."],
        "ctx_plain": ["Unlike the answer before mine, I'll look at this from the angle of {angle}.",
                      "Let me take a slightly different angle from the previous answer: {angle}."],
        "weak_open": ["{F} hmm, I'm not sure.", "{F} I don't really remember.", "{F} that's a hard one.", "{F} okay, so."],
        "weak_tech": ["I think you'd usually just use something like {tech}.",
                      "I'm not sure, but I'd try {tech} first, maybe."],
        "weak_offtopic": ["These days I'm studying {tech} a bit.", "By the way, {tech} is my favourite tool."],
        "weak_close": ["Yeah, that's about it.", "Anyway, I'll work hard.", "So, yeah.", "That's all, I guess.",
                       "Something like that."],
        "mid_action": ["{F} I tried a few things and kind of aligned with the team.",
                       "So I changed a couple of things and it got somewhat better.",
                       "I did what I could, one thing at a time.",
                       "{F} I handled the urgent stuff first."],
        "mid_result": ["The result was pretty okay, I think.", "In the end it was better than before.",
                       "Afterwards people seemed happy with it."],
        "mid_kp": ["I think {kp} was also important.", "I felt we needed {kp} a bit more.",
                   "Looking back, {kp} was missing.", "Maybe {kp} is something to think about too.",
                   "I only figured out {kp} later."],
        "mid_tech": ["{F} usually, {point_l}", "{F} in my view, {point_l}"],
        "mid_hedge": ["Of course it depends on the situation, but that's roughly how I'd approach it.",
                      "The details would depend on the actual environment, I think.",
                      "The rest I'd probably work out with the team as we go."],
    },
}

# Words that start an imperative key point ("Identify the root cause") -> "identifying the root cause".
_EN_VERBS = frozenset("""identify explain describe define use apply measure mention discuss compare choose consider
implement handle ensure show propose validate quantify reflect address prioritise prioritize reduce avoid
communicate involve align analyse analyze evaluate estimate justify outline acknowledge admit take give keep protect
detect prevent manage persuade convince understand learn clarify demonstrate provide include minimise minimize
maximise maximize select adapt recognise recognize accept stay treat tell seek invite listen ask""".split())
# Words that are verbs only when an object follows ("Design the schema" vs "design trade-offs").
_EN_AMBIGUOUS = frozenset("""design test plan set build list name state balance share monitor cache shard scale secure
lead review report change control document track limit support escalate""".split())
_EN_OBJECT_START = frozenset("a an the your their its it them his her this that these those how what why when who "
                             "one each every both all clear".split())
_PROPER_NOUNS = frozenset("""redis kafka elasticsearch lucene java kotlin spring python go rails ruby postgresql mysql
dynamodb spark airflow hadoop kubernetes istio vault junit jpa naver kakao toss coupang baemin daangn karrot
woowa aws linux""".split())
_EN_ING_IRREGULAR = {"set": "setting", "plan": "planning", "get": "getting", "run": "running", "put": "putting",
                     "admit": "admitting", "cut": "cutting", "stop": "stopping", "use": "using", "see": "seeing"}
_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+")
_TRADEOFF_WORDS = re.compile(r"트레이드오프|장단점|trade-?off|pros and cons", re.IGNORECASE)
# Rubric key points often address the candidate ("본인의 역할", "why you stepped up"); say them in first person.
_KO_FIRST_PERSON = ((re.compile(r"본인의\s*|지원자의\s*"), "제 "), (re.compile(r"본인\s+"), "제 "),
                    (re.compile(r"본인이\s*"), "제가 "))
_EN_FIRST_PERSON = ((re.compile(r"\byou were\b", re.I), "I was"), (re.compile(r"\byou are\b", re.I), "I am"),
                    (re.compile(r"\byou're\b", re.I), "I'm"), (re.compile(r"\byou have\b", re.I), "I have"),
                    (re.compile(r"\byourself\b", re.I), "myself"), (re.compile(r"\byour\b", re.I), "my"),
                    (re.compile(r"\byou've\b", re.I), "I've"), (re.compile(r"\byou'd\b", re.I), "I'd"),
                    (re.compile(r"\byou\b", re.I), "I"))
_DIGIT = re.compile(r"\d")


def _lower_first(s: str) -> str:
    """Lower-case the first letter for use mid-sentence, unless it starts a name (``I``, ``Redis``, ``PostGIS``)."""
    if s.startswith(("I ", "I'")):
        return s
    first = re.split(r"[\s,:;.]", s, maxsplit=1)[0]
    if first.lower() in _PROPER_NOUNS or any(c.isupper() for c in first[1:]):
        return s
    if len(s) > 1 and s[0].isupper() and not s[1].isupper():
        return s[0].lower() + s[1:]
    return s


def _upper_first(s: str) -> str:
    return s[:1].upper() + s[1:]


def _ing(verb: str) -> str:
    if verb in _EN_ING_IRREGULAR:
        return _EN_ING_IRREGULAR[verb]
    if verb.endswith("ie"):
        return verb[:-2] + "ying"
    if verb.endswith("e") and not verb.endswith("ee"):
        return verb[:-1] + "ing"
    return verb + "ing"


def kp_phrase(kp: str, lang: str) -> str:
    """A rubric key point as a noun phrase that fits the sentence frames."""
    kp = kp.strip().rstrip(".。!?").strip()
    for pat, sub in (_KO_FIRST_PERSON if lang == "ko" else _EN_FIRST_PERSON):
        kp = pat.sub(sub, kp)
    if lang == "ko":
        if kp.endswith("다"):
            return kp + "는 점"
        if kp.endswith(("요", "죠")):
            return kp[:-1].rstrip() + "는 점" if kp[:-1].endswith("다") else kp
        return kp
    words = kp.split()
    first = words[0].lower() if words else ""
    second = words[1].lower() if len(words) > 1 else ""
    if first in _EN_VERBS or (first in _EN_AMBIGUOUS and second in _EN_OBJECT_START):
        words[0] = _ing(words[0].lower())
        return " ".join(words)
    return _lower_first(kp)


def _join_list(items: list[str], lang: str) -> str:
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    if lang == "ko":
        if len(items) == 2:
            return f"{josa(items[0], '과')} {items[1]}"
        return ", ".join(items[:-1]) + ", 그리고 " + items[-1]
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return ", ".join(items[:-1]) + " and " + items[-1]


_FMT_FIELD = re.compile(r"\{(\w+)\}(\{[^{}]+\})?")


def _fill(template: str, lang: str, **kw: str) -> str:
    """Fill ``{name}`` slots; ``{name}{을}`` appends the right Korean particle to the value.

    ``_l`` suffixed names give the value with a lower-cased first letter.
    """

    def rep(m: re.Match) -> str:
        name, particle = m.group(1), m.group(2)
        if name.endswith("_l") and name not in kw:
            val = _lower_first(kw[name[:-2]])
        else:
            val = kw[name]
        if particle:
            p = particle[1:-1]
            base = {"는": "은", "가": "이", "를": "을", "와": "과", "로": "으로", "라": "이라", "라면": "이라면",
                    "나": "이나"}.get(p, p)
            if base == "이라면":
                return josa(val, "이라") + "면"
            return josa(val, base)
        return val

    return _FMT_FIELD.sub(rep, template)


@dataclass
class _Piece:
    """One sentence (or two) of the answer.

    ``prio``: higher survives trimming longer. ``short``: a shorter wording
    (e.g. without its STAR marker) tried before the piece is dropped.
    """

    text: str
    prio: int
    short: str | None = None
    story: bool = False       # tells part of the chosen STAR story


@dataclass
class _Ctx:
    persona: Persona
    req: AnswerRequest
    lang: str
    skill: int
    rng: random.Random
    category: str
    q_low: str
    q_feat: frozenset
    kp_feat: frozenset
    kps: list[str]
    tag_scores: dict[str, float]
    tag_hits: dict[str, list[str]]
    pidx: int = 0
    pieces: list[_Piece] = field(default_factory=list)

    def pick(self, key: str) -> str:
        return self.rng.choice(T[self.lang][key])

    def rot(self, family: str, variants, i: int = 0) -> str:
        """A variant chosen by persona and seed, so personas answering the same question use
        different wordings. Each template family ranks the personas in its own fixed order, so
        the pairs that share a wording differ from family to family."""
        rank = _family_rank(family, self.persona.id)
        return variants[(rank + self.req.seed + i) % len(variants)]

    def style(self, key: str) -> str:
        return self.rng.choice(self.persona.style[key][self.lang])

    def add(self, text: str | None, prio: int, short: str | None = None, story: bool = False) -> None:
        if text:
            self.pieces.append(_Piece(text.strip(), prio, short.strip() if short else None, story))

    def fill(self, key: str, **kw: str) -> str:
        return _fill(self.pick(key), self.lang, **kw)


def _sentences(text: str) -> list[str]:
    return [s for s in _SENT_SPLIT.split(text.strip()) if s]


def _infer_category(q_low: str, lang: str) -> str:
    """Guess the category of a question given without one.

    A named company or a motivation question -> ``company``; otherwise the
    category with the most cue hits, ties broken towards behavioural (past
    experience), then technical.
    """
    if cue_hits(q_low, CATEGORY_CUES["company"][lang], lang) or cue_hits(q_low, _MOTIVATION_CUES[lang], lang):
        return "company"
    scores = {cat: len(cue_hits(q_low, CATEGORY_CUES[cat][lang], lang))
              for cat in ("behavioural", "technical", "culture_fit")}
    best = max(("behavioural", "technical", "culture_fit"), key=lambda c: scores[c])
    return best if scores[best] else "technical"


class OfflineAnswerEngine:
    """Composes persona answers from data files; pure, deterministic, ~1 ms per answer.

    Thread-safe: it holds no mutable state (the catalogue is loaded once and read-only).
    """

    def compose(self, req: AnswerRequest) -> ComposedAnswer:
        """Compose one answer.

        Raises:
            KeyError: unknown ``persona_id``.
            ValueError: ``skill`` not an int in 1..5, ``lang`` not ko/en, or an
                unknown ``category``.
        """
        persona = get_persona(req.persona_id)
        if isinstance(req.skill, bool) or not isinstance(req.skill, int) or not 1 <= req.skill <= 5:
            raise ValueError(f"skill must be an int 1-5, got {req.skill!r}")
        if req.lang not in LANGS:
            raise ValueError(f"lang must be 'ko' or 'en', got {req.lang!r}")
        if req.category is not None and req.category not in CATEGORIES:
            raise ValueError(f"unknown category {req.category!r}")
        ctx = self._context(persona, req)
        story = self._build(ctx)
        think_ms, max_words = self._timing(ctx)
        text, told_story = self._fit(ctx, max_words)
        story_id = story.id if story is not None and told_story else None
        return ComposedAnswer(text=text, story_id=story_id, think_ms=think_ms,
                              words_per_minute=persona.pace(req.lang))

    # ------------------------------------------------------------------ analysis
    def _context(self, persona: Persona, req: AnswerRequest) -> _Ctx:
        lang = req.lang
        seed_key = "\x1f".join([persona.id, lang, str(req.skill), str(req.seed), req.question_id or "",
                                req.question_text])
        rng = random.Random(seed_key)   # str seeds hash with sha512: stable across processes
        q_low = (req.question_text or "").lower()
        kps = [k for k in (str(x).strip() for x in req.key_points) if k][:6]
        kp_low = " ".join(kps).lower()
        tag_scores: dict[str, float] = {}
        tag_hits: dict[str, list[str]] = {}
        for tag, cues in TAG_KEYWORDS.items():
            hq = cue_hits(q_low, cues[lang], lang)
            hk = cue_hits(kp_low, cues[lang], lang) if kp_low else []
            if hq or hk:
                tag_scores[tag] = len(hq) + 0.5 * len(hk)
                tag_hits[tag] = hq
        category = req.category or _infer_category(q_low, lang)
        from .catalog import persona_ids
        ids = persona_ids()
        pidx = ids.index(persona.id) if persona.id in ids else 0
        return _Ctx(persona=persona, req=req, lang=lang, skill=req.skill, rng=rng, category=category, pidx=pidx,
                    q_low=q_low, q_feat=features(req.question_text or ""), kp_feat=features(kp_low),
                    kps=kps, tag_scores=tag_scores, tag_hits=tag_hits)

    def _story_score(self, ctx: _Ctx, story: Story) -> float:
        tag = sum(ctx.tag_scores.get(t, 0.0) for t in story.tags)
        doc = _story_features(story, ctx.lang)
        return 2.0 * tag + 3.0 * coverage(ctx.q_feat, doc) + 1.5 * coverage(ctx.kp_feat, doc)

    def _rank_stories(self, ctx: _Ctx) -> list[tuple[float, Story]]:
        free = [s for s in ctx.persona.stories if s.id not in ctx.req.used_story_ids]
        ranked = [(self._story_score(ctx, s), ctx.rng.random(), s) for s in free]
        ranked.sort(key=lambda x: (-x[0], x[1]))
        return [(sc, s) for sc, _, s in ranked]

    def _pick_story(self, ctx: _Ctx, min_score: float = 0.0) -> Story | None:
        ranked = self._rank_stories(ctx)
        if not ranked or ranked[0][0] < min_score:
            return None
        return ranked[0][1]

    def _rank_knowledge(self, ctx: _Ctx) -> list[tuple[float, Knowledge]]:
        """All knowledge entries, best first, as (score, entry)."""
        return [(sc, k) for sc, _, k in self._rank_knowledge_hits(ctx)]

    def _rank_knowledge_hits(self, ctx: _Ctx) -> list[tuple[float, int, Knowledge]]:
        """(score, topic hits in question and key points, entry), best first."""
        kp_lows = [kp.lower() for kp in ctx.kps]
        out = []
        for i, k in enumerate(ctx.persona.knowledge):
            topics = k.topics[ctx.lang]
            hits = len(cue_hits(ctx.q_low, topics, ctx.lang))
            khits = sum(1 for kp in kp_lows if cue_hits(kp, topics, ctx.lang))
            doc = _knowledge_features(k, ctx.lang)
            sc = 2.0 * hits + 1.5 * khits + 2.0 * coverage(ctx.q_feat, doc) + coverage(ctx.kp_feat, doc)
            out.append((sc, hits + khits, -i, k))
        out.sort(key=lambda x: (-x[0], -x[2]))
        return [(sc, h, k) for sc, h, _, k in out]

    def _topic_echo(self, ctx: _Ctx, knowledge: Knowledge | None = None) -> str | None:
        """A short topic phrase taken from the question (never the whole question)."""
        topic = self._question_topic(ctx)
        if topic:
            return topic
        if knowledge is not None:
            hits = cue_hits(ctx.q_low, knowledge.topics[ctx.lang], ctx.lang)
            hits = [h.strip() for h in hits if _echo_ok(h, ctx.lang)]
            if hits:
                return _restore_case(ctx.req.question_text, hits[0])
        if ctx.lang == "en":
            return None     # no reliable noun phrase without a shared key-point word
        words = content_words(ctx.req.question_text, ctx.lang)
        return words[0] if words else None

    def _question_topic(self, ctx: _Ctx) -> str | None:
        """The word the question and its key points share most (``캐시``, ``caching``), if any."""
        if not ctx.kps:
            return None
        counts: dict[str, int] = {}
        for kp in ctx.kps:
            seen = set()
            for tok in kp.split():
                if ctx.lang == "ko":
                    w = strip_particle(tok.strip(".,()'\""))
                    if len(w) < 2 or not HANGUL_RE.search(w) and not w.isalpha():
                        continue
                    key = w
                    present = key.lower() in ctx.q_low
                else:
                    w = tok.strip(".,()'\"").lower()
                    if len(w) < 4 or w in EN_STOP:
                        continue
                    key = w[:4]
                    present = re.search(r"(?<![a-z])" + re.escape(key), ctx.q_low) is not None
                if present and key not in seen:
                    seen.add(key)
                    counts[key] = counts.get(key, 0) + 1
        if not counts:
            return None
        best = max(counts, key=lambda w: (counts[w], len(w)))
        word = _restore_case(ctx.req.question_text, best.lower())
        if ctx.lang == "en":
            m = re.search(r"([A-Za-z-]+)\s+" + re.escape(word) + r"\b", ctx.req.question_text)
            if m and m.group(1).lower() not in EN_STOP and len(m.group(1)) > 2:
                word = m.group(0)
        return word

    def _story_echo(self, ctx: _Ctx, story: Story) -> str | None:
        """The theme of the story that the question asks about, as a label (``갈등``, ``leadership``)."""
        best, best_sc = None, 0.0
        for t in story.tags:
            sc = ctx.tag_scores.get(t, 0.0)
            if sc > best_sc and t in TAG_LABELS:
                best, best_sc = t, sc
        return TAG_LABELS[best][ctx.lang] if best else None

    def _kps_for_skill(self, ctx: _Ctx) -> list[str]:
        n = len(ctx.kps)
        keep = {5: n, 4: max(1, n - 1) if n else 0, 3: min(2, (n + 1) // 2), 2: min(1, n), 1: 0}[ctx.skill]
        return [kp_phrase(k, ctx.lang) for k in ctx.kps[:keep]]

    def _context_ref(self, ctx: _Ctx) -> str | None:
        others = [c for c in ctx.req.context if c and c.strip()]
        if ctx.skill < 3 or not others:
            return None
        if ctx.skill == 3 and ctx.rng.random() < 0.5:
            return None
        angle = ctx.persona.profile["angle"][ctx.lang]
        last = others[-1]
        last_feat = features(last)
        topic = None
        for kp in ctx.kps:
            f = features(kp)
            if len(f) >= 2 and coverage(f, last_feat) >= 0.75 and len(kp.split()) <= 6:
                topic = kp_phrase(kp, ctx.lang)
                break
        if topic is None:
            words = content_words(last, ctx.lang)
            shared = [w for w in words if features(w) & ctx.q_feat]
            pool = shared or [w for w in words if len(w) >= (3 if ctx.lang == "ko" else 6)]
            if pool:
                counts: dict[str, int] = {}
                for w in pool:
                    counts[w] = counts.get(w, 0) + 1
                topic = max(counts, key=lambda w: (counts[w], len(w)))
        if topic:
            return ctx.fill("ctx_kp", x=topic, angle=angle)
        return ctx.fill("ctx_plain", angle=angle)

    # ------------------------------------------------------------------ builders
    def _build(self, ctx: _Ctx) -> Story | None:
        if cue_hits(ctx.q_low, _INTRO_CUES[ctx.lang], ctx.lang):
            return self._intro(ctx)
        if ctx.skill == 1:
            return self._weak(ctx)
        if ctx.category == "behavioural":
            return self._behavioural(ctx)
        if ctx.category == "technical":
            return self._technical(ctx)
        if ctx.category == "culture_fit":
            return self._culture(ctx)
        return self._company(ctx)

    def _opening(self, ctx: _Ctx) -> None:
        ctx.add(ctx.style("openings"), 62)
        ctx.add(self._context_ref(ctx), 50)

    def _closing(self, ctx: _Ctx) -> None:
        ctx.add(ctx.style("closings"), 40)

    def _filler(self, ctx: _Ctx) -> str:
        f = ctx.style("fillers")
        return f

    def _fmt_kw(self, ctx: _Ctx) -> dict:
        f = self._filler(ctx)
        return {"f": f, "F": _upper_first(f)}

    def _weak(self, ctx: _Ctx) -> Story | None:
        """Skill 1: short, hedging, generic, partly off-topic, no numbers."""
        p = ctx.persona
        story = None
        ctx.add(ctx.fill("weak_open", **self._fmt_kw(ctx)), 60)
        lines = self._weak_lines(ctx, 2)
        if ctx.category in ("behavioural", "culture_fit"):
            ranked = self._rank_stories(ctx)
            if ranked:
                # not the best match: a weak candidate grabs whatever comes to mind
                story = ranked[min(len(ranked) - 1, 1 + ctx.rng.randrange(len(ranked)))][1]
                ctx.add(story.part("gist", ctx.lang), 70, story=True)
        else:
            tech = ctx.rng.choice(p.tech_stack)
            ctx.add(ctx.fill("weak_tech", tech=tech), 70)
        ctx.add(lines[0], 55)
        other = ctx.rng.choice(p.tech_stack)
        ctx.add(ctx.fill("weak_offtopic", tech=other), 30)
        if len(lines) > 1:
            ctx.add(lines[1], 25)
        ctx.add(ctx.rot("wclose", T[ctx.lang]["weak_close"]), 20)
        return story

    def _weak_lines(self, ctx: _Ctx, n: int) -> list[str]:
        """``n`` distinct vague lines in the persona's own voice."""
        pool = list(ctx.persona.style["weak_lines"][ctx.lang])
        return ctx.rng.sample(pool, min(n, len(pool)))

    def _star(self, ctx: _Ctx, story: Story, full: bool, slots: dict[str, str] | None = None) -> None:
        """The story as STAR pieces; ``slots`` attaches key points to their STAR part (S/T/A/R/L)."""
        lang = ctx.lang
        sk = ctx.skill
        slots = slots or {}
        lo = (lambda x: x) if lang == "ko" else _lower_first

        def with_kp(slot: str, text: str) -> str | None:
            kp = slots.get(slot)
            return ctx.fill("slot_" + slot, kp=kp, x=lo(text)) if kp else None

        sit = _sentences(story.part("situation", lang))
        if sk >= 4:
            s_kp = with_kp("S", " ".join(sit))
            if s_kp:
                ctx.add(s_kp, 92, short=with_kp("S", sit[0]), story=True)
            else:
                ctx.add(ctx.fill("situation", s=" ".join(sit)), 92, short=sit[0], story=True)
        else:
            ctx.add(sit[0], 92, story=True)
        if sk >= 4:
            task = story.part("task", lang)
            ctx.add(with_kp("T", task) or task, 88 if slots.get("T") else 80, story=True)
        acts = _sentences(story.part("action", lang))
        n_act = {5: len(acts), 4: min(len(acts), 2), 3: 1}.get(sk, 1)
        for i, a in enumerate(acts[:n_act]):
            plain = a
            has_kp = (i == 0 and slots.get("A")) or (i == 1 and slots.get("A2"))
            if i == 0 and sk >= 4:
                a = with_kp("A", a) or ctx.fill("action_lead", a=a)
            elif i == 1 and sk >= 4 and slots.get("A2"):
                a = with_kp("A2", a)
            elif i == 1 and sk >= 5:
                a = ctx.style("connectives") + " " + lo(a)
            prio = 95 if i == 0 else (87 if has_kp else 75 - i)
            ctx.add(a, prio, short=None if has_kp or a == plain else plain, story=True)
        res = story.part("result", lang)
        marker = "결과" if lang == "ko" else "result"
        r_kp = with_kp("R", res) if sk >= 4 else None
        if r_kp:
            ctx.add(r_kp, 100, story=True)
        elif marker in res.lower():
            ctx.add(res, 100, story=True)
        elif sk >= 4:   # strong answers always flag the R of STAR
            ctx.add(_fill(T[lang]["result"][0], lang, r=res), 100, story=True)
        else:
            ctx.add(_fill(ctx.pick("result"), lang, r=res), 100, story=True)
        if full:
            lesson = story.part("lesson", lang)
            ctx.add(with_kp("L", lesson) or lesson, 86 if slots.get("L") else 70, story=True)

    def _star_slots(self, kps: list[str], raw: list[str]) -> tuple[dict[str, str], list[str]]:
        """Attach each key point to the STAR part it asks about; return (slots, unattached key points).

        ``kps`` are the phrased key points, ``raw`` the originals (matched against ``_SLOT_CUES``).
        """
        slots: dict[str, str] = {}
        rest: list[str] = []
        for kp, r in zip(kps, raw):
            low = r.lower()
            placed = False
            for slot, pat in _SLOT_CUES:
                if slot not in slots and pat.search(low):
                    slots[slot] = kp
                    placed = True
                    break
            if not placed:
                rest.append(kp)
        return slots, rest

    def _behavioural(self, ctx: _Ctx) -> Story | None:
        p, lang, sk = ctx.persona, ctx.lang, ctx.skill
        story = self._pick_story(ctx)
        weakness_q = "weakness" in ctx.tag_scores
        if sk == 2:
            kw = self._fmt_kw(ctx)
            ctx.add(_fill(ctx.pick("weak_open"), lang, **kw), 40)
            if story is not None:
                ctx.add(story.part("gist", lang), 90, story=True)
            ctx.add(_fill(ctx.rot("maction", T[ctx.lang]["mid_action"]), ctx.lang, **self._fmt_kw(ctx)), 80)
            ctx.add(self._weak_lines(ctx, 1)[0], 50)
            ctx.add(ctx.rot("mresult", T[ctx.lang]["mid_result"]), 70)
            for kp in self._kps_for_skill(ctx):
                ctx.add(_fill(ctx.rot("mkp", T[ctx.lang]["mid_kp"]), ctx.lang, kp=kp), 60)
            ctx.add(ctx.rot("wclose", T[ctx.lang]["weak_close"]), 20)
            return story
        self._opening(ctx)
        if weakness_q:
            w = p.weaknesses[ctx.rng.randrange(len(p.weaknesses))]
            ctx.add(ctx.fill("weakness", w=w["text"][lang], i=w["improvement"][lang]), 97)
        if story is None:
            self._no_story(ctx)
        else:
            title = story.part("title", lang)
            title = title if lang == "ko" else _lower_first(title)
            echo = self._story_echo(ctx, story)
            if echo:
                ctx.add(ctx.fill("bridge", echo=echo, title=title), 80, story=True)
            else:
                ctx.add(ctx.fill("bridge_plain", title=title), 55, story=True)
        kps = self._kps_for_skill(ctx)
        if story is not None:
            slots, kps = (self._star_slots(kps, ctx.kps[:len(kps)]) if sk >= 4 else ({}, kps))
            self._star(ctx, story, full=sk >= 4, slots=slots)
        if kps:
            ctx.add(ctx.fill("kp_beh", kps=_join_list(kps, lang)), 90,
                    short=ctx.fill("kp_short", kps=_join_list(kps, lang)))
        if sk >= 5:
            v = self._best_value(ctx)
            ctx.add(ctx.fill("value_tie", v=v), 30)
        self._closing(ctx)
        return story

    def _intro(self, ctx: _Ctx) -> Story | None:
        """"Introduce yourself": who I am, strengths, one highlight, what I want."""
        p, lang, sk = ctx.persona, ctx.lang, ctx.skill
        prof = p.profile
        skills = list(prof["skills"][lang])
        if sk <= 2:
            ctx.add(ctx.fill("weak_open", **self._fmt_kw(ctx)), 40)
            ctx.add(ctx.fill("intro_weak", role=prof["role"][lang], name=p.name(lang)), 90)
            ctx.add(self._weak_lines(ctx, 1)[0], 50)
            ctx.add(ctx.rot("wclose", T[ctx.lang]["weak_close"]), 20)
            return None
        self._opening(ctx)
        ctx.add(ctx.fill("intro_who", years=str(prof["years"]), role=prof["role"][lang], name=p.name(lang)), 98)
        ctx.add(ctx.fill("intro_skills", a=skills[0], b=skills[1], c=skills[2]), 92)
        story = self._pick_story(ctx) if sk >= 4 else None
        if story is not None:
            title = story.part("title", lang)
            ctx.add(ctx.fill("intro_story", title=title if lang == "ko" else _lower_first(title),
                             r=story.part("result", lang) if lang == "ko" else _lower_first(story.part("result", lang))), 90, story=True)
        ctx.add(self._best_value(ctx), 70)
        ctx.add(prof["motivation"][lang], 80)
        kps = self._kps_for_skill(ctx)
        if kps:
            ctx.add(ctx.fill("culture_kp", kps=_join_list(kps, lang)), 75)
        self._closing(ctx)
        return story

    def _no_story(self, ctx: _Ctx) -> None:
        """Every story is used up: principles plus a knowledge example instead."""
        ctx.add(ctx.pick("no_story"), 50)
        ctx.add(self._best_value(ctx), 90)
        ranked = self._rank_knowledge(ctx)
        k = ranked[0][1]
        ctx.add(ctx.fill("example", e=k.part("example", ctx.lang)), 95)
        if ctx.skill >= 4:
            w = ctx.persona.weaknesses[ctx.rng.randrange(len(ctx.persona.weaknesses))]
            ctx.add(w["improvement"][ctx.lang], 60)

    def _best_value(self, ctx: _Ctx) -> str:
        best, best_sc = None, -1.0
        for i, v in enumerate(ctx.persona.values):
            sc = len(cue_hits(ctx.q_low, v["keywords"][ctx.lang], ctx.lang)) + \
                coverage(ctx.q_feat, features(v["text"][ctx.lang]))
            if sc > best_sc:
                best, best_sc = v, sc
        return best["text"][ctx.lang]

    def _tech_core(self, ctx: _Ctx) -> None:
        """Framing, approach steps from key points, domain facts, trade-offs, example."""
        p, lang, sk = ctx.persona, ctx.lang, ctx.skill
        ranked = self._rank_knowledge_hits(ctx)
        matched = [k for _, hits, k in ranked if hits > 0]
        matched = [k for k in matched if self._strong_match(ctx, k)]
        # k1: a domain fact that really is about this topic; without one, the
        # answer is built from the key points and the closest experience.
        k1 = matched[0] if matched else (None if ctx.kps else ranked[0][2])
        k2 = matched[1] if len(matched) > 1 else None
        closest = ranked[0][2]
        principle = p.profile["principle"][lang]
        if sk == 2:
            kw = self._fmt_kw(ctx)
            point = _sentences((k1 or closest).part("point", lang))[0]
            ctx.add(_fill(ctx.pick("mid_tech"), lang, point=point, **kw), 90)
            for kp in self._kps_for_skill(ctx):
                ctx.add(_fill(ctx.rot("mkp", T[ctx.lang]["mid_kp"]), ctx.lang, kp=kp), 70)
            ctx.add(self._weak_lines(ctx, 1)[0], 50)
            ctx.add(ctx.fill("weak_offtopic", tech=ctx.rng.choice(p.tech_stack)), 30)
            ctx.add(ctx.rot("wclose", T[ctx.lang]["weak_close"]), 20)
            return
        echo = self._topic_echo(ctx, k1)
        if ctx.category == "company":
            # about a company's product: speak from the persona's strength, not its own product rules
            ctx.add(_fill(ctx.rot("frame_company", T[lang]["frame_company"]), lang,
                          echo=echo or self._mentioned_company(ctx), company=self._mentioned_company(ctx),
                          angle=p.profile["angle"][lang]), 65)
        elif echo:
            ctx.add(_fill(ctx.rot("frame_tech", T[lang]["frame_tech"]), lang, echo=echo, principle=principle), 65)
        else:
            ctx.add(ctx.fill("frame_plain", principle=principle), 55)
        kps = self._kps_for_skill(ctx)
        if sk == 3:
            kps = kps[:1]       # an average answer covers one key point, without trade-offs or evidence
        all_kps = [kp_phrase(k, lang) for k in ctx.kps]
        if k1 is not None:
            point = k1.part("point", lang)
            point = point if lang == "ko" else _lower_first(point)
            ctx.add(ctx.style("connectives") + " " + point, 92)
        used = {k1.id} if k1 is not None else set()
        n_elab = {5: 2, 4: 1}.get(sk, 0)
        for i, kp in enumerate(kps):
            # first, second, third ... finally; extra middle points get "also"
            slot = T[lang]["steps"][3 if (i == len(kps) - 1 and i >= 2) else (i if i < 3 else 4)]
            # the first three key points outrank everything but the core; later ones yield to the
            # trade-off and the persona's own example when time is short
            ctx.add(_fill(ctx.rot(f"steps{i}", slot, i), lang, kp=kp, KP=_upper_first(kp)), 88 - i if i < 3 else 78 - i)
            if n_elab:
                # a domain fact of this persona that speaks to this key point (strong matches only)
                k = self._knowledge_for(ctx, ctx.kps[i], used, allowed={m.id for m in matched})
                if k is not None:
                    used.add(k.id)
                    n_elab -= 1
                    ctx.add(_sentences(k.part("point", lang))[0], 48 - i)
        if sk <= 3:
            if k1 is None:
                ctx.add(self._best_value(ctx), 55)
            ctx.add(ctx.rot("hedge", T[lang]["mid_hedge"]), 50)
        elif k1 is not None:
            ctx.add(ctx.fill("tradeoff", t=k1.part("tradeoff", lang)), 86)
            ctx.add(ctx.fill("example", e=k1.part("example", lang)), 84)
        else:
            if all_kps:
                plain = [k for k in all_kps[1:] + all_kps[:1] if not _TRADEOFF_WORDS.search(k)]
                a = plain[0] if plain else all_kps[0]
                ctx.add(_fill(ctx.rot("gtrade", T[lang]["generic_tradeoff"]), lang, a=a, principle=principle), 86)
            ctx.add(_fill(ctx.rot("closest", T[lang]["closest_example"]), lang, e=closest.part("example", lang)), 84)
        if sk >= 5 and k2 is not None and k2.id not in used:
            ctx.add(k2.part("point", lang), 45)
            ctx.add(k2.part("example", lang), 32)
        if sk >= 4 and len(kps) >= 2:
            ctx.add(_fill(ctx.rot("wrapup", T[lang]["wrapup"]), lang, a=kps[0], b=kps[1], principle=principle), 58)

    def _strong_match(self, ctx: _Ctx, k: Knowledge) -> bool:
        """The question names one of the entry's topics, or two key points do."""
        topics = k.topics[ctx.lang]
        if cue_hits(ctx.q_low, topics, ctx.lang):
            return True
        return sum(1 for kp in ctx.kps if cue_hits(kp.lower(), topics, ctx.lang)) >= 2

    def _knowledge_for(self, ctx: _Ctx, kp: str, exclude: set, allowed: set | None = None) -> Knowledge | None:
        """The persona's knowledge entry whose topics a key point names, if any."""
        low = kp.lower()
        best, best_hits = None, 0
        for k in ctx.persona.knowledge:
            if k.id in exclude or (allowed is not None and k.id not in allowed):
                continue
            hits = len(cue_hits(low, k.topics[ctx.lang], ctx.lang))
            if hits > best_hits:
                best, best_hits = k, hits
        return best

    def _technical(self, ctx: _Ctx) -> Story | None:
        if ctx.skill == 2:
            self._tech_core(ctx)
            return None
        self._opening(ctx)
        self._tech_core(ctx)
        self._closing(ctx)
        return None

    def _short_story(self, ctx: _Ctx, story: Story) -> None:
        lang = ctx.lang
        ctx.add(ctx.fill("example", e=_sentences(story.part("situation", lang))[0]), 80, story=True)
        ctx.add(_sentences(story.part("action", lang))[0], 82, story=True)
        ctx.add(story.part("result", lang), 84, story=True)

    def _mentioned_persona(self, ctx: _Ctx) -> Persona | None:
        """The persona whose company (or product: 로켓배송, 매너온도, ...) the question names, if any."""
        from .catalog import load_catalog
        for other in load_catalog().values():
            names = [other.company["ko"].lower(), other.company["en"].lower(), other.id]
            names += [a.lower() for a in other.company.get("aliases", ())]
            if any(n and n in ctx.q_low for n in names):
                return other
        return None

    def _mentioned_company(self, ctx: _Ctx) -> str:
        """The company the question names (display name in the answer's language); for a company
        question naming none, "this company"; otherwise the persona's own."""
        target = self._mentioned_persona(ctx)
        if target is not None:
            return target.company[ctx.lang]
        if ctx.category == "company":
            return T[ctx.lang]["this_company"]
        return ctx.persona.company[ctx.lang]

    def _motivation(self, ctx: _Ctx) -> str:
        """Why this company: the persona's own motivation, or, when the question names another
        company, the persona's angle brought to that company."""
        p, lang = ctx.persona, ctx.lang
        target = self._mentioned_persona(ctx)
        if target is None or target is p:
            return p.profile["motivation"][lang]
        return _fill(ctx.rot("motivation", T[lang]["motivation_other"]), lang, company=target.company[lang],
                     angle=p.profile["angle"][lang], their=target.profile["angle"][lang])

    def _culture(self, ctx: _Ctx) -> Story | None:
        p, lang, sk = ctx.persona, ctx.lang, ctx.skill
        story = self._pick_story(ctx, min_score=0.5) if sk >= 3 else None
        if sk == 2:
            kw = self._fmt_kw(ctx)
            ctx.add(_fill(ctx.pick("weak_open"), lang, **kw), 40)
            ctx.add(_sentences(self._best_value(ctx))[0], 90)
            for kp in self._kps_for_skill(ctx):
                ctx.add(_fill(ctx.rot("mkp", T[ctx.lang]["mid_kp"]), ctx.lang, kp=kp), 70)
            ctx.add(self._weak_lines(ctx, 1)[0], 50)
            ctx.add(ctx.rot("wclose", T[ctx.lang]["weak_close"]), 20)
            return None
        self._opening(ctx)
        ctx.add(ctx.fill("stance", v=self._best_value(ctx)), 95)
        if "weakness" in ctx.tag_scores:
            w = p.weaknesses[0]
            ctx.add(ctx.fill("weakness", w=w["text"][lang], i=w["improvement"][lang]), 92)
        kps = self._kps_for_skill(ctx)
        if sk >= 4 and kps:
            used = self._kp_statements(ctx, kps, ctx.kps[:len(kps)], story, skip_best_value=True)
            if story is not None and not used & {"situation", "action", "result"}:
                self._short_story(ctx, story)      # the story still serves as evidence
            kps = []
        elif story is not None:
            self._short_story(ctx, story)
            if sk >= 5:
                ctx.add(story.part("lesson", lang), 60, story=True)
        else:
            k = self._rank_knowledge(ctx)[0][1]
            ctx.add(ctx.fill("example", e=k.part("example", lang)), 80)
        if kps:
            ctx.add(ctx.fill("culture_kp", kps=_join_list(kps, lang)), 88)
        if sk >= 4:
            ctx.add(ctx.fill("company_tie", company=self._mentioned_company(ctx),
                             angle=p.profile["angle"][lang]), 65)
        self._closing(ctx)
        return story

    def _kp_statements(self, ctx: _Ctx, kps: list[str], raw: list[str], story: Story | None,
                       reason: str | None = None, skip_best_value: bool = False) -> set[str]:
        """One sentence per key point, by what the point asks for.

        Reason/why -> a value (or ``reason``); example/experience -> the story's situation;
        method/how -> its first action; result -> its result; goal/lesson/effort -> its lesson or
        a weakness fix; anything else (an attitude or practice) -> "저는 특히 …을 중요하게
        생각합니다". Returns the story parts used.
        """
        lang = ctx.lang
        used: set[str] = set()
        values = [v["text"][lang] for v in ctx.persona.values]
        best = self._best_value(ctx)
        values = ([] if skip_best_value else [best]) + [v for v in values if v != best]

        def material(kind: str) -> tuple[str, bool] | None:
            if kind == "why":
                if reason and "reason" not in used:
                    used.add("reason")
                    return reason, False
                while values:
                    v = values.pop(0)
                    if v not in used:
                        used.add(v)
                        return v, False
                return None
            if story is None:
                if kind in ("example", "how", "result") and "knowledge" not in used:
                    used.add("knowledge")
                    return self._rank_knowledge(ctx)[0][1].part("example", lang), False
                if kind == "goal" and "weak" not in used:
                    used.add("weak")
                    return ctx.persona.weaknesses[-1]["improvement"][lang], False
                return None
            part = {"example": "situation", "how": "action", "result": "result", "goal": "lesson"}[kind]
            if part in used:
                return None
            used.add(part)
            text = story.part(part, lang)
            return (text if part in ("result", "lesson") else _sentences(text)[0]), True

        for i, (kp, r) in enumerate(zip(kps, raw)):
            kind = next((k for k, pat in _CULTURE_KINDS if pat.search(r.lower())), None)
            m = material(kind) if kind else None
            if m is None:
                slot = T[lang]["culture_value"][min(i, 3)]
                ctx.add(_fill(ctx.rot(f"cval{min(i, 3)}", slot), lang, kp=kp, KP=_upper_first(kp)), 89 - i)
            else:
                slot = T[lang]["culture_stmt"][3 if (i == len(kps) - 1 and i >= 2) else min(i, 2)]
                ctx.add(_fill(ctx.rot(f"cstmt{min(i, 3)}", slot), lang, kp=kp, KP=_upper_first(kp), x=m[0]),
                        89 - i, story=m[1])
        return used

    def _company(self, ctx: _Ctx) -> Story | None:
        p, lang, sk = ctx.persona, ctx.lang, ctx.skill
        motivation_q = bool(cue_hits(ctx.q_low, _MOTIVATION_CUES[lang], lang))
        if sk == 2:
            if motivation_q:
                kw = self._fmt_kw(ctx)
                ctx.add(_fill(ctx.pick("weak_open"), lang, **kw), 40)
                ctx.add(_sentences(self._motivation(ctx))[0], 90)
                for kp in self._kps_for_skill(ctx):
                    ctx.add(_fill(ctx.rot("mkp", T[ctx.lang]["mid_kp"]), ctx.lang, kp=kp), 70)
                ctx.add(self._weak_lines(ctx, 1)[0], 50)
                ctx.add(ctx.rot("wclose", T[ctx.lang]["weak_close"]), 20)
                return None
            self._tech_core(ctx)
            return None
        self._opening(ctx)
        story = None
        if motivation_q:
            ctx.add(ctx.fill("motivation", m=self._motivation(ctx)), 95)
            story = self._pick_story(ctx, min_score=0.5) if sk >= 4 else None
            kps = self._kps_for_skill(ctx)
            if sk >= 4 and kps:
                used = self._kp_statements(ctx, kps, ctx.kps[:len(kps)], story)
                if story is not None and not used & {"situation", "action", "result"}:
                    self._short_story(ctx, story)
            else:
                ctx.add(self._best_value(ctx), 70)
                if story is not None:
                    self._short_story(ctx, story)
                else:
                    k = self._rank_knowledge(ctx)[0][1]
                    ctx.add(ctx.fill("example", e=k.part("example", lang)), 80)
                if kps:
                    ctx.add(ctx.fill("culture_kp", kps=_join_list(kps, lang)), 88)
        else:
            self._tech_core(ctx)
        if sk >= 4:
            ctx.add(ctx.fill("company_tie", company=self._mentioned_company(ctx),
                             angle=p.profile["angle"][lang]), 66)
        self._closing(ctx)
        return story

    # ------------------------------------------------------------------ timing and fitting
    def _timing(self, ctx: _Ctx) -> tuple[int, int]:
        """(think_ms, max words that fit the budget)."""
        budget = int(ctx.req.budget_ms)
        think = ctx.rng.randint(1_200, 2_400) + (300 if ctx.skill <= 2 else 0) \
            + min(300, len(ctx.req.question_text) * 2)
        avail = budget - MARGIN_MS
        think = min(think, max(THINK_MIN_MS, avail // 5))
        think = max(THINK_MIN_MS, min(THINK_MAX_MS, think))
        wpm = ctx.persona.pace(ctx.lang)
        speak_ms = avail - think
        max_words = (speak_ms * wpm) // 60_000 if speak_ms > 0 else 0
        return think, max(0, max_words)

    def _fit(self, ctx: _Ctx, max_words: int) -> tuple[str, bool]:
        """Trim the pieces to at most ``max_words`` words, keeping their order.

        1. drop optional pieces (priority < 60: openings, closings, asides), lowest first;
        2. switch pieces to their short wording (no STAR marker), lowest priority first;
        3. keep pieces greedily by priority while they fit (whole sentences only);
        4. if not even one piece fits, cut the shortest piece to ``max_words`` words.

        Returns (text, whether a piece of the story survived).
        """
        pieces = [pc for pc in ctx.pieces if pc.text]
        if max_words <= 0 or not pieces:
            return "", False
        texts = [pc.text for pc in pieces]
        counts = [len(t.split()) for t in texts]
        alive = [True] * len(pieces)
        total = sum(counts)
        order_low = sorted(range(len(pieces)), key=lambda i: (pieces[i].prio, -i))
        for i in order_low:
            if total <= max_words or pieces[i].prio >= _OPTIONAL_PRIO:
                break
            alive[i] = False
            total -= counts[i]
        for i in order_low:
            if total <= max_words:
                break
            if alive[i] and pieces[i].short:
                n = len(pieces[i].short.split())
                total -= counts[i] - n
                texts[i], counts[i] = pieces[i].short, n
        if total > max_words:
            room = max_words
            keep = [False] * len(pieces)
            for i in sorted((i for i in range(len(pieces)) if alive[i]), key=lambda i: (-pieces[i].prio, i)):
                if counts[i] <= room:
                    keep[i] = True
                    room -= counts[i]
            alive = keep
        kept = [i for i in range(len(pieces)) if alive[i]]
        if not kept:
            i = min(range(len(pieces)), key=lambda i: (counts[i], -pieces[i].prio))
            return " ".join(texts[i].split()[:max_words]), False
        return " ".join(texts[i] for i in kept), any(pieces[i].story for i in kept)


# Which STAR part a behavioural key point asks about (first match wins; A2 takes a second action point).
_SLOT_CUES = tuple((slot, re.compile(pat)) for slot, pat in (
    ("S", r"상황|배경|쟁점|situation|context|background"),
    ("T", r"목표|역할|과제|책임|goal|role|task|responsib"),
    ("R", r"결과|성과|변화|반응|영향|result|outcome|impact|changed|reaction"),
    ("L", r"배운|교훈|돌아|이후|lesson|learn|hindsight|reflect|now"),
    ("A", r"행동|방식|과정|방법|노력|대응|조치|제시|설득|합의|경청|action|how|steps|approach|listen|persuad|agree"),
    ("A2", r"행동|방식|과정|방법|노력|대응|조치|제시|설득|합의|경청|action|how|steps|approach|listen|persuad|agree"),
))

# What a culture-fit / motivation key point asks for (first match wins); None -> an attitude.
_CULTURE_KINDS = tuple((kind, re.compile(pat)) for kind, pat in (
    ("example", r"사례|경험|예시|example|experience|instance|story"),
    ("result", r"결과|성과|변화|result|outcome|impact"),
    ("goal", r"목표|지향|노력|성장|배운|교훈|계획|기여|goal|aim|effort|growth|lesson|plan|contribut|future"),
    ("how", r"방법|방식|과정|기준|어떻게|실천|method|how|process|criteria|approach|way"),
    ("why", r"계기|이유|동기|보람|왜|이해|reason|why|motivation|reward|understanding"),
))

_INTRO_CUES = {
    "ko": ("자기소개", "자기 소개", "본인 소개", "자신을 소개", "본인을 소개", "간단히 소개"),
    "en": ("about yourself", "introduce yourself", "walk me through your background", "your background",
           "who you are"),
}
_MOTIVATION_CUES = {
    "ko": ("지원 동기", "지원한 동기", "동기", "지원한 이유", "지원하셨", "지원하게 된", "지원하신 이유", "왜 우리", "왜 저희", "입사", "오고 싶", "지원하게", "선택한 이유"),
    "en": ("why do you want", "why us", "why our", "why join", "motivat", "why did you apply", "join us",
           "want to work"),
}


def _restore_case(original: str, hit_lower: str) -> str:
    """The question's own spelling of a cue hit, completed to a whole English word.

    ``"api"`` -> ``"API"``; the prefix cue ``"collaborat"`` -> ``"collaboration"``.
    """
    if hit_lower[:1].isascii() and hit_lower[:1].isalpha():
        m = re.search(r"(?<![A-Za-z])" + re.escape(hit_lower) + r"[A-Za-z-]*", original, re.IGNORECASE)
        if m:
            return m.group(0).rstrip("-")
    i = original.lower().find(hit_lower)
    if i < 0:
        return hit_lower
    return original[i:i + len(hit_lower)]


def _echo_ok(hit: str, lang: str) -> bool:
    """Whether a cue hit reads as a topic noun (``갈등``), not a fragment (``의견이 다``, ``팀에``)."""
    h = hit.strip()
    if len(h) < 2:
        return False
    if lang == "ko":
        return " " not in h and not h.endswith(("에", "을", "를", "이", "가", "다", "던", "한", "운", "르"))
    return True


_FEATURE_CACHE: dict[tuple[str, str], frozenset] = {}


def _story_features(story: Story, lang: str) -> frozenset:
    key = (story.id, lang)
    f = _FEATURE_CACHE.get(key)
    if f is None:
        parts = " ".join(story.part(p, lang) for p in ("title", "situation", "task", "action", "lesson"))
        f = features(parts + " " + " ".join(story.tags))
        _FEATURE_CACHE[key] = f
    return f


def _knowledge_features(k: Knowledge, lang: str) -> frozenset:
    key = ("k:" + k.id, lang)
    f = _FEATURE_CACHE.get(key)
    if f is None:
        f = features(" ".join(k.topics[lang]) + " " + k.part("point", lang) + " " + k.part("tradeoff", lang))
        _FEATURE_CACHE[key] = f
    return f


_RANK_CACHE: dict[tuple[str, str], int] = {}


def _family_rank(family: str, persona_id: str) -> int:
    """The persona's position in a family-specific fixed order of all personas (crc32, stable)."""
    key = (family, persona_id)
    r = _RANK_CACHE.get(key)
    if r is None:
        from .catalog import persona_ids
        order = sorted(persona_ids(), key=lambda pid: zlib.crc32(f"{family}:{pid}".encode()))
        r = order.index(persona_id) if persona_id in order else 0
        _RANK_CACHE[key] = r
    return r


_ENGINE = OfflineAnswerEngine()


def warm_up() -> None:
    """Load the catalogue and fill the matching caches (~0.1-0.2 s), so the first real answer is fast.

    Optional; call it once at server start-up (before ``gc.freeze()``).
    """
    from .catalog import load_catalog
    from .lexicon import _cue_re

    for cues in list(TAG_KEYWORDS.values()) + list(CATEGORY_CUES.values()):
        for c in cues["en"]:
            _cue_re(c)
    for persona in load_catalog().values():
        for k in persona.knowledge:
            for c in k.topics["en"]:
                _cue_re(c)
        for lang in ("ko", "en"):
            for s in persona.stories:
                _story_features(s, lang)
            for k in persona.knowledge:
                _knowledge_features(k, lang)
            _ENGINE.compose(AnswerRequest(persona.id, "warm up", lang=lang))


def compose_answer(req: AnswerRequest) -> ComposedAnswer:
    """Compose with the shared engine. Same contract as ``OfflineAnswerEngine.compose``."""
    return _ENGINE.compose(req)
