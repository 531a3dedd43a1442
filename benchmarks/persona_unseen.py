"""Persona scores on questions that are not in the bank (does a band hold beyond the test's sample?).

Five questions written for this check (ko technical x2, ko behavioural, ko culture fit, en technical),
with key points and red flags as a bank author would write them; the personas see only the text and
category, as in a room. Prints the median ``default_scorer()`` score per skill (5 / 3 / 1) over six
personas x three seeds. About a minute on one core. Usage: ``python -m benchmarks.persona_unseen [--dump]``
(``--dump``: the skill-3 answers of seed 1 with their scores).
"""
import statistics
import sys

from personas.catalog import persona_ids
from personas.engine import AnswerRequest, compose_answer
from rooms.questions import Question
from rooms.scoring import AnswerToScore
from scoring.factory import default_scorer

#: Each question is asked in one language ("x": the other language, never asked).
Q = [
 Question("new-ko-tech-cache", "technical", "caching", 2,
   {"ko": "캐시 무효화 전략에는 어떤 것들이 있고, 각각 언제 쓰는지 설명해 주세요.", "en": "x"},
   {"ko": ["TTL로 일정 시간이 지나면 만료", "쓰기 시 캐시를 삭제하거나 갱신하는 방식(cache-aside, write-through)",
           "일관성과 성능 사이의 트레이드오프", "동시에 만료될 때 캐시 스탬피드 방지"], "en": ["x"]},
   red_flags_by_lang={"ko": ["캐시는 항상 DB와 완벽하게 일치한다", "TTL만 짧게 하면 일관성 문제가 전혀 없다"]}),
 Question("new-ko-tech-lb", "technical", "networking", 2,
   {"ko": "로드 밸런서는 어떻게 동작하고, L4와 L7 로드 밸런싱은 무엇이 다른가요?", "en": "x"},
   {"ko": ["여러 서버에 요청을 나눠 보내 부하를 분산", "L4는 IP와 포트 기준으로 분산", "L7은 URL, 헤더 같은 HTTP 내용을 보고 분산",
           "헬스 체크로 장애 서버를 빼는 것"], "en": ["x"]},
   red_flags_by_lang={"ko": ["L7이 항상 L4보다 빠르다"]}),
 Question("new-ko-beh-bug", "behavioural", "collaboration", 2,
   {"ko": "동료의 코드에서 심각한 문제를 발견했을 때 어떻게 대응했는지 경험을 말씀해 주세요.", "en": "x"},
   {"ko": ["어떤 상황이었는지 구체적인 설명", "동료를 배려하며 문제를 전달한 방식", "문제를 함께 고치고 재발을 막은 조치",
           "결과와 배운 점"], "en": ["x"]}),
 Question("new-ko-cul-learn", "culture_fit", "growth", 1,
   {"ko": "업무 외에 개발 역량을 키우기 위해 꾸준히 하고 있는 것이 있나요?", "en": "x"},
   {"ko": ["구체적인 학습 방법과 빈도", "배운 것을 실제 업무에 적용한 사례", "팀과 지식을 공유하는 방식"], "en": ["x"]}),
 Question("new-en-tech-mq", "technical", "architecture", 2,
   {"en": "How does a message queue help decouple services, and what risks does it bring?", "ko": "x"},
   {"en": ["Producers and consumers work independently and absorb bursts", "Retries and at-least-once delivery need idempotent consumers",
           "Ordering and duplicate messages", "Monitoring queue lag and dead-letter queues"], "ko": ["x"]},
   red_flags_by_lang={"en": ["A queue guarantees every message is processed exactly once"]}),
]


def main() -> None:
    s = default_scorer(90)
    s.warm_up()
    pids = persona_ids()
    dump = "--dump" in sys.argv[1:]
    for q in Q:
        lang = "ko" if q.text_by_lang["ko"] != "x" else "en"
        line = []
        for skill in (5, 3, 1):
            sc = []
            for seed in (1, 2, 3):
                texts = [compose_answer(AnswerRequest(pid, q.text(lang), lang, skill, seed=seed, category=q.category)).text for pid in pids]
                res = s.score_answers(q, [AnswerToScore(f"a{k}", f"p{k}", t) for k, t in enumerate(texts)], lang)
                sc += [res[f"a{k}"].score for k in range(len(texts))]
                if dump and seed == 1 and skill == 3:
                    for k, t in enumerate(texts):
                        print(f"   [{q.id} s{skill} {pids[k]}] {res[f'a{k}'].score}: {t}")
            line.append(f"skill {skill} median {statistics.median(sc)}")
        print(q.id, " | ".join(line), flush=True)


if __name__ == "__main__":
    main()
