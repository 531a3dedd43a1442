"""Tests for the AI candidate personas and the offline answer engine (real engine, no mocks)."""

from __future__ import annotations

import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from personas.catalog import (DATA_DIR, load_catalog, parse_persona, persona_ids, public_catalog)
from personas.engine import AnswerRequest, ComposedAnswer, OfflineAnswerEngine, compose_answer
from personas.lexicon import josa

from personas.knowledge import retrieve as RETRIEVE      # the shared knowledge base (e5 embeddings)
ENGINE = OfflineAnswerEngine(RETRIEVE)

IDS = {"naver", "kakao", "toss", "coupang", "baemin", "daangn"}
HANGUL = re.compile(r"[\uac00-\ud7a3]")
DIGIT = re.compile(r"\d")

# A small question set in the shape of rooms/data/questions (text + key points per language; the key points
# are the scorer's: personas never see them).
QUESTIONS = [
    dict(id="t-beh-conflict", category="behavioural",
         ko="팀원과 갈등이 있었던 경험과 그것을 어떻게 해결했는지 말씀해 주세요.",
         kko=["갈등의 원인 파악", "상대 관점 이해", "데이터 기반 설득", "결과와 배운 점"],
         en="Tell me about a time you had a conflict with a teammate and how you resolved it.",
         ken=["Identify the root cause of the conflict", "Understand the other person's view",
              "Persuade with data", "Result and lesson learned"]),
    dict(id="t-beh-failure", category="behavioural",
         ko="가장 크게 실패했던 경험은 무엇이고, 그 실패에서 무엇을 배웠나요?",
         kko=["실패 상황의 구체적 설명", "본인의 책임 인정", "재발 방지 조치", "배운 점"],
         en="What was your biggest failure, and what did you learn from it?",
         ken=["Specific description of the failure", "Own responsibility", "Actions to prevent recurrence",
              "Lesson learned"]),
    dict(id="t-tech-cache", category="technical",
         ko="대용량 트래픽을 처리하기 위한 캐시 전략을 설명해 주세요.",
         kko=["캐시 계층 설계", "캐시 무효화 전략", "캐시 스탬피드 방지", "일관성과 성능의 트레이드오프"],
         en="Explain a caching strategy for handling high traffic.",
         ken=["Cache tier design", "Cache invalidation strategy", "Preventing cache stampede",
              "Consistency versus performance trade-off"]),
    dict(id="t-tech-ratelimit", category="technical",
         ko="API 서버에 속도 제한 기능을 설계한다면 어떻게 하시겠습니까?",
         kko=["토큰 버킷 알고리즘", "분산 환경의 카운터 저장", "사용자별 한도", "초과 시 응답 처리"],
         en="How would you design rate limiting for an API server?",
         ken=["Token bucket algorithm", "Counter storage in a distributed setup", "Per-user limits",
              "Response when the limit is exceeded"]),
    dict(id="t-cul-colleague", category="culture_fit",
         ko="함께 일하고 싶은 동료는 어떤 사람인가요?", kko=["협업 태도", "피드백 수용", "구체적 사례"],
         en="What kind of colleague do you want to work with?",
         ken=["Collaborative attitude", "Openness to feedback", "Concrete example"]),
    dict(id="t-comp-why", category="company",
         ko="우리 회사에 지원한 동기는 무엇인가요?", kko=["회사에 대한 이해", "본인 역량과의 연결", "입사 후 기여"],
         en="Why do you want to join our company?",
         ken=["Understanding of the company", "Link to own skills", "Contribution after joining"]),
]


def req(pid: str, q: dict, lang: str = "ko", skill: int = 5, **kw) -> AnswerRequest:
    kw.setdefault("budget_ms", 90_000)
    return AnswerRequest(persona_id=pid, question_text=q[lang], lang=lang, skill=skill, category=q["category"],
                         question_id=q["id"], **kw)


def tokens(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def jaccard(a: str, b: str) -> float:
    ta, tb = tokens(a), tokens(b)
    return len(ta & tb) / len(ta | tb)


# ----------------------------------------------------------------------------- catalogue

def test_catalog_has_the_six_personas_in_both_languages():
    cat = load_catalog()
    assert set(cat) == IDS
    assert persona_ids() == sorted(IDS)
    for p in cat.values():
        for lang in ("ko", "en"):
            assert p.company[lang] and p.name(lang) and p.profile["summary"][lang]
            assert len(p.profile["skills"][lang]) >= 3
        assert HANGUL.search(p.name("ko")) and not HANGUL.search(p.name("en"))
        assert 110 <= p.pace("en") <= 170 and p.words_per_minute == p.pace("en")
        # Korean tokens (eojeol) are longer than English words, so the Korean pace is lower
        assert 100 <= p.pace("ko") < p.pace("en")
        assert p.tech_stack and p.values and p.weaknesses and len(p.knowledge) >= 5
        for k in p.knowledge:  # examples are the evidence of technical answers: they carry numbers
            assert DIGIT.search(k.part("example", "ko")) and DIGIT.search(k.part("example", "en")), k.id


def test_stories_are_star_with_numbers_and_both_languages():
    story_ids = []
    for p in load_catalog().values():
        assert len(p.stories) >= 5
        for s in p.stories:
            story_ids.append(s.id)
            assert s.tags
            for part in ("situation", "task", "action", "result", "lesson", "title", "gist"):
                assert HANGUL.search(s.part(part, "ko")), (s.id, part)
                assert not HANGUL.search(s.part(part, "en")), (s.id, part)
            assert DIGIT.search(s.part("result", "ko")) and DIGIT.search(s.part("result", "en")), s.id
            assert re.search(r"목표|과제|역할|책임", s.part("task", "ko")), s.id
            assert re.search(r"goal|task|role|responsib", s.part("task", "en")), s.id
            assert "제가" in s.part("action", "ko") and re.search(r"\bI\b", s.part("action", "en")), s.id
            # the gist is the vague version used by weak answers: no numbers
            assert not DIGIT.search(s.part("gist", "ko")) and not DIGIT.search(s.part("gist", "en")), s.id
    assert len(story_ids) == len(set(story_ids))


def test_public_catalog_shape_per_language():
    for lang in ("ko", "en"):
        cards = public_catalog(lang)
        assert [c["id"] for c in cards] == sorted(IDS)
        for c in cards:
            assert set(c) == {"id", "company", "name", "summary", "skills"}
            assert isinstance(c["skills"], list) and all(isinstance(x, str) for x in c["skills"])
            assert bool(HANGUL.search(c["summary"])) == (lang == "ko")
    json.dumps(public_catalog("ko"), ensure_ascii=False)  # JSON-serialisable for the HTTP API


def test_catalog_is_loaded_once():
    a, b = load_catalog(), load_catalog()
    assert all(a[k] is b[k] for k in a)


def test_parse_persona_rejects_a_missing_language():
    raw = json.loads((DATA_DIR / "naver.json").read_text(encoding="utf-8"))
    assert parse_persona(raw).id == "naver"
    del raw["stories"][0]["result"]["en"]
    with pytest.raises(ValueError):
        parse_persona(raw)


# ----------------------------------------------------------------------------- determinism

def test_same_request_gives_identical_answer():
    for pid in IDS:
        for q in QUESTIONS:
            r = req(pid, q, seed=42, context=("앞선 답변입니다.",))
            a, b = compose_answer(r), OfflineAnswerEngine().compose(r)
            assert a == b


def test_deterministic_across_processes_with_different_hash_seeds():
    code = ("from personas.engine import AnswerRequest, compose_answer as c;"
            "print(c(AnswerRequest('toss', '갈등을 해결한 경험을 말씀해 주세요.', 'ko', 4, seed=9)).text)")
    root = Path(__file__).resolve().parents[1]
    outs = set()
    for hs in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hs, PYTHONPATH=str(root))
        outs.add(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                                cwd=root, check=True).stdout)
    assert len(outs) == 1 and len(next(iter(outs))) > 50


def test_different_seeds_can_differ():
    for pid in ("naver", "daangn"):
        texts = {compose_answer(req(pid, QUESTIONS[0], seed=s)).text for s in range(10)}
        assert len(texts) >= 3


# ----------------------------------------------------------------------------- persona differences

@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("skill", [1, 3, 5])
def test_personas_answer_differently(lang, skill):
    for q in QUESTIONS:
        answers = {pid: ENGINE.compose(req(pid, q, lang, skill, seed=1)).text for pid in sorted(IDS)}
        for (p1, a1), (p2, a2) in itertools.combinations(answers.items(), 2):
            # whole-word Jaccard, stop words included: two personas that state the same main idea of a note
            # share its words (0.5-0.55 measured); the strict three-word test is in test_persona_quality.py
            assert jaccard(a1, a2) < 0.6, (q["id"], lang, skill, p1, p2)


# ----------------------------------------------------------------------------- skill levels

@pytest.mark.parametrize("lang", ["ko", "en"])
def test_skill5_behavioural_tells_the_whole_story_and_skill1_does_not(lang):
    cat = load_catalog()
    for pid in IDS:
        for q in QUESTIONS[:2]:
            a = compose_answer(req(pid, q, lang, 5, budget_ms=120_000))
            strong, weak = a.text, compose_answer(req(pid, q, lang, 1, budget_ms=120_000)).text
            assert len(strong.split()) > 2 * len(weak.split())
            assert len(re.findall(r"\d+", strong)) >= 2 and not DIGIT.search(weak)
            story = cat[pid].story(a.story_id)
            for part in ("task", "result", "lesson"):
                assert story.part(part, lang)[:30] in strong, (pid, part, strong)
            assert story.part("result", lang)[:30] not in weak


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_skill5_technical_explains_the_topic_with_evidence(lang):
    q = {"en": "What conditions cause a deadlock, and how do you prevent one?",
         "ko": "교착 상태가 생기는 조건과 예방 방법을 설명해 주세요."}[lang]
    note = RETRIEVE(q, lang, k=1)[0]
    for pid in IDS:
        a = ENGINE.compose(AnswerRequest(pid, q, lang, 5, category="technical", budget_ms=120_000)).text
        low = a.lower()
        said = [x for x in (note.gist, *note.points, note.example) if x.lower()[:60] in low]
        assert len(said) >= 3, (pid, a)        # three of the note's facts (each persona picks its own)
        assert re.search(r"deadlock|교착|데드락", a), (pid, a)


def test_length_grows_with_skill():
    means = []
    for skill in range(1, 6):
        n = [len(compose_answer(req(pid, q, lang, skill, seed=3)).text.split())
             for pid in IDS for q in QUESTIONS for lang in ("ko", "en")]
        means.append(statistics.mean(n))
    assert means == sorted(means) and means[4] > 2.5 * means[0], means


def test_fillers_only_in_weak_answers():
    cat = load_catalog()
    for pid in IDS:
        for lang in ("ko", "en"):
            fillers = [f.rstrip(",").lower() for f in cat[pid].style["fillers"][lang]]

            def has_filler(text: str) -> bool:
                low = text.lower()
                return any(re.search(r"(^|\s)" + re.escape(f) + r"[,.]", low) for f in fillers)

            for q in QUESTIONS:
                assert has_filler(compose_answer(req(pid, q, lang, 1)).text)
                assert not has_filler(compose_answer(req(pid, q, lang, 5)).text)


# ----------------------------------------------------------------------------- match rules

def test_stories_are_never_reused_within_a_match():
    for pid in IDS:
        used: set[str] = set()
        questions = [QUESTIONS[0], QUESTIONS[1]] * 5
        for i, q in enumerate(questions):
            a = compose_answer(req(pid, q, "ko", 4, seed=i, used_story_ids=frozenset(used)))
            assert a.text
            if a.story_id is not None:
                assert a.story_id not in used
                used.add(a.story_id)
        n = len(load_catalog()[pid].stories)
        assert len(used) == n  # ten behavioural questions exhaust every story exactly once
        last = compose_answer(req(pid, QUESTIONS[0], "en", 5, used_story_ids=frozenset(used)))
        assert last.story_id is None and len(last.text.split()) > 30


def test_story_id_is_reported_for_the_story_told():
    a = compose_answer(req("coupang", QUESTIONS[0], "en", 5))
    story = load_catalog()["coupang"].story(a.story_id)
    assert story.part("result", "en")[:40].lower() in a.text.lower()


def test_room_context_is_referenced_not_copied():
    other = ("저는 캐시 무효화 전략이 가장 중요하다고 봅니다. TTL을 짧게 두고 이벤트로 무효화해서 "
             "데이터 불일치를 줄였고, 덕분에 장애가 크게 줄었습니다.")
    q = QUESTIONS[2]
    for pid in IDS:
        strong = compose_answer(req(pid, q, "ko", 5, context=(other,))).text
        assert "앞서" in strong or "앞선" in strong or "앞에서" in strong
        words = other.split()
        shingles = {" ".join(words[i:i + 6]) for i in range(len(words) - 5)}
        assert not any(s in strong for s in shingles)
        weak = compose_answer(req(pid, q, "ko", 2, context=(other,))).text
        assert "앞서" not in weak and "앞에서" not in weak
    en = compose_answer(req("kakao", q, "en", 5, context=("I think cache invalidation strategy matters most.",)))
    assert re.search(r"previous|earlier|before mine|came up", en.text)


# ----------------------------------------------------------------------------- language and time

def test_language_of_answers():
    for pid in IDS:
        for q in QUESTIONS:
            for skill in (1, 3, 5):
                ko = compose_answer(req(pid, q, "ko", skill)).text
                en = compose_answer(req(pid, q, "en", skill)).text
                assert len(HANGUL.findall(ko)) > 20
                assert not HANGUL.search(en), en
                assert "{" not in ko + en and "}" not in ko + en


def test_korean_answers_are_polite_speech():
    for pid in IDS:
        for q in QUESTIONS:
            text = compose_answer(req(pid, q, "ko", 4)).text
            assert "니다." in text
            for sentence in re.split(r"(?<=[.?!])\s+", text):
                assert re.search(r"(다|요|까)[.?!]$", sentence), sentence


@pytest.mark.parametrize("budget_ms", [10_000, 15_000, 20_000, 30_000, 45_000, 60_000, 90_000, 120_000, 300_000])
def test_answers_fit_the_time_budget(budget_ms):
    for pid in IDS:
        for q in QUESTIONS:
            for lang in ("ko", "en"):
                for skill in (1, 3, 5):
                    a = compose_answer(req(pid, q, lang, skill, budget_ms=budget_ms))
                    assert isinstance(a, ComposedAnswer)
                    assert 800 <= a.think_ms <= 3000
                    assert a.words_per_minute == load_catalog()[pid].pace(lang)
                    spoken = len(a.text.split()) / a.words_per_minute * 60_000
                    assert spoken + a.think_ms <= budget_ms - 1000, (pid, q["id"], lang, skill)
                    assert len(a.text.split()) >= 5


def test_tiny_budgets_do_not_fail():
    for budget in (0, 500, 1500, 2500, 4000, 7000):
        a = compose_answer(req("naver", QUESTIONS[0], "ko", 5, budget_ms=budget))
        assert len(a.text.split()) / a.words_per_minute * 60_000 + a.think_ms <= max(budget - 1000, 0) + a.think_ms
        assert a.think_ms >= 800


def test_strong_answers_use_the_time():
    # a strong candidate speaks for a good part of a 60 s turn, a weak one does not
    for pid in IDS:
        strong = compose_answer(req(pid, QUESTIONS[0], "ko", 5, budget_ms=60_000))
        weak = compose_answer(req(pid, QUESTIONS[0], "ko", 1, budget_ms=60_000))
        assert strong.speaking_ms > 30_000 > weak.speaking_ms


# ----------------------------------------------------------------------------- other question shapes

def test_category_is_inferred_when_unknown():
    a = compose_answer(AnswerRequest("baemin", "팀에서 갈등이 있었던 경험을 말씀해 주세요.", "ko", 5))
    assert a.story_id is not None
    t = compose_answer(AnswerRequest("baemin", "How would you design a cache for a read-heavy API?", "en", 5))
    assert t.story_id is None and len(t.text.split()) > 40


def test_self_introduction():
    for pid in IDS:
        a = compose_answer(AnswerRequest(pid, "간단히 자기소개를 해 주세요.", "ko", 5))
        p = load_catalog()[pid]
        assert p.name("ko") in a.text and str(p.profile["years"]) in a.text
        e = compose_answer(AnswerRequest(pid, "Tell me about yourself.", "en", 5))
        assert p.name("en") in e.text


def test_motivation_follows_the_company_named():
    other = compose_answer(AnswerRequest("toss", "네이버에 지원하신 이유는 무엇인가요?", "ko", 5,
                                         category="company")).text
    assert "네이버" in other and "토스를 지향" not in other
    own = compose_answer(AnswerRequest("toss", "토스에 지원하신 이유는 무엇인가요?", "ko", 5,
                                       category="company")).text
    assert "토스를 지향" in own
    # a product name identifies the company too (로켓배송 -> 쿠팡); nobody claims a company not asked about
    rocket = compose_answer(AnswerRequest("daangn", "로켓배송의 재고 배치 시스템을 어떻게 설계하시겠습니까?", "ko", 5,
                                          category="company")).text
    assert "당근에서도" not in rocket and "당근이라면" not in rocket


def test_questions_from_the_room_bank_if_present():
    try:
        from rooms.questions import default_bank
        bank = list(default_bank())
    except Exception as e:  # the bank is another module's work; only its absence is tolerated
        pytest.skip(f"question bank not available: {e}")
    if not bank:
        pytest.skip("question bank is empty")
    for q in bank:
        for lang in ("ko", "en"):
            for pid in IDS:
                for skill in (1, 5):
                    a = compose_answer(AnswerRequest(pid, q.text(lang), lang, skill, category=q.category,
                                                     question_id=q.id))
                    hangul = len(HANGUL.findall(a.text)) / max(1, len(a.text))
                    # an English answer may quote a Korean example (autocomplete: "ㅅㅇ -> 서울 날씨")
                    assert a.text and (hangul > 0.3 if lang == "ko" else hangul < 0.05), (pid, q.id, lang, a.text)


# ----------------------------------------------------------------------------- errors and speed

def test_bad_requests_raise():
    with pytest.raises(KeyError):
        compose_answer(AnswerRequest("samsung", "질문"))
    for bad in (0, 6, True, "3", 2.5):
        with pytest.raises(ValueError):
            compose_answer(AnswerRequest("naver", "질문", skill=bad))
    with pytest.raises(ValueError):
        compose_answer(AnswerRequest("naver", "question", lang="fr"))
    with pytest.raises(ValueError):
        compose_answer(AnswerRequest("naver", "question", category="trivia"))


def test_odd_input_does_not_raise():
    for text in ("", "?", "x" * 20_000, "🙂 " * 50):
        a = compose_answer(AnswerRequest("daangn", text, "en", 5, context=("",) * 3))
        assert isinstance(a.text, str)


def test_josa_helper():
    assert josa("검색", "을") == "검색을" and josa("캐시", "을") == "캐시를"
    assert josa("서울", "으로") == "서울로" and josa("도메인", "으로") == "도메인으로"
    assert josa("Redis", "이") == "Redis가" and josa("SQL", "은") == "SQL은"


def test_compose_is_fast():
    compose_answer(req("naver", QUESTIONS[0]))  # warm
    times = []
    for pid in IDS:
        for q in QUESTIONS:
            for lang in ("ko", "en"):
                for skill in (1, 3, 5):
                    t = time.perf_counter()
                    compose_answer(req(pid, q, lang, skill, context=("앞선 답변 " * 50,)))
                    times.append((time.perf_counter() - t) * 1000)
    assert max(times) < 200, max(times)
    assert statistics.median(times) < 20, statistics.median(times)


# ----------------------------------------------------------------------------- no rubric, any question

def test_the_room_passes_no_rubric_to_personas():
    import dataclasses
    from rooms.jobs import AIAnswerJob

    for cls in (AIAnswerJob, AnswerRequest):
        names = {f.name for f in dataclasses.fields(cls)}
        assert not names & {"key_points", "red_flags", "rubric"}, names


OFF_BANK = [
    ("en", "What conditions cause a deadlock?", r"deadlock", r"circular wait|lock order|mutual exclusion|hold and wait|timeout|wait-for|same global order|Coffman|consistent order|four conditions|lock"),
    ("ko", "데드락이 발생하는 조건은 무엇인가요?", r"교착|데드락", r"순환 대기|상호 배제|락을 잡|점유|타임아웃|대기 그래프|네 조건|네 가지 조건|락"),
    ("en", "How would you design a real-time chat system for millions of users?", r"chat|messag",
     r"WebSocket|gateway|sequence|partition|broker|push"),
    ("ko", "수백만 사용자를 위한 실시간 채팅 시스템을 어떻게 설계하시겠습니까?", r"채팅|메시지", r"웹소켓|게이트웨이|순서|파티션|브로커|푸시"),
]


@pytest.mark.parametrize("lang,question,topic,detail", OFF_BANK)
def test_questions_outside_the_bank_get_on_topic_answers(lang, question, topic, detail):
    for pid in sorted(IDS):
        for skill in (3, 5):
            a = ENGINE.compose(AnswerRequest(pid, question, lang, skill, seed=3, budget_ms=90_000)).text
            assert re.search(topic, a, re.I), (pid, skill, a)
            assert skill < 5 or re.search(detail, a, re.I), (pid, skill, a)      # a strong answer has the details
        weak = ENGINE.compose(AnswerRequest(pid, question, lang, 1, seed=3)).text
        assert re.search(topic, weak, re.I) or re.search(detail, weak, re.I), (pid, weak)   # vague, but on topic


def test_a_follow_up_is_answered_about_the_persona_own_answer():
    q = QUESTIONS[0]
    first = compose_answer(req("coupang", q, "en", 5))
    follow = f"{q['en']}\nHow did the others react, and what would you do differently next time?"
    a = compose_answer(AnswerRequest("coupang", follow, "en", 5, category="behavioural", question_id=q["id"],
                                     context=(first.text,), used_story_ids=frozenset({first.story_id})))
    story = load_catalog()["coupang"].story(first.story_id)
    assert story.part("lesson", "en")[:30] in a.text or any(s[:30] in a.text for s in story.part("action", "en").split(". "))
    assert len(set(a.text.split(". ")) & set(first.text.split(". "))) <= 1


# ----------------------------------------------------------------------------- natural voices

BANNED = ["Sure, here is my answer", "Let me start with what matters most to me", "That is my answer. Thank you",
          "By the way", "favourite tool", "참고로 저는", "(Situation)", "(Task)", "(Action)", "(Result)",
          "쟁점 (", "동시는 결국", "STAR ", "key point", "핵심 포인트"]


def test_no_opening_or_closing_is_shared_across_personas():
    from personas.engine.voice import persona_voice

    for lang in ("ko", "en"):
        for key in ("openings", "closings", "core", "weak_open", "weak_close", "mid_core", "mid_own", "mid_gap"):
            seen: dict[str, str] = {}
            for pid in sorted(IDS):
                for frame in persona_voice(pid)[lang][key]:
                    assert frame not in seen, (lang, key, frame, pid, seen.get(frame))
                    seen[frame] = pid


def test_weak_openings_do_not_stack_fillers():
    """A weak opening is ``{f} …`` with one of the persona's fillers: the frame itself has none
    ("음, 음, 제가 직접…", "그, 뭐랄까, 그게, …" were glued that way)."""
    from personas.engine.voice import persona_voice

    cat = load_catalog()
    for pid in sorted(IDS):
        for lang in ("ko", "en"):
            fillers = {f.rstrip(",").lower() for f in cat[pid].style["fillers"][lang]} | ({"음", "어", "그게", "그"}
                                                                                          if lang == "ko" else set())
            for frame in persona_voice(pid)[lang]["weak_open"]:
                rest = frame.replace("{f}", "").replace("{F}", "").strip().lower()
                first = rest.split(",")[0] if "," in rest.split(" ")[0] else None
                assert first not in fillers, (pid, lang, frame)


def test_a_values_answer_does_not_open_on_a_dangling_connective():
    """A note point that follows another in the note ("그래서 요즘은…") opens a values answer without
    its connective: "차근차근 보면, 우선 그래서 요즘은…" was glued that way."""
    from personas.engine.voice import common_frames, persona_voice
    from rooms.questions import default_bank

    culture = [q for q in default_bank() if q.category == "culture_fit"]
    assert culture
    n = 0
    for q in culture:
        for lang in ("ko", "en"):
            leads = common_frames()[lang]["dangling_leads"]
            for pid in sorted(IDS):
                prefixes = [f.split("{")[0] for f in persona_voice(pid)[lang]["core"]]
                for skill in (3, 5):
                    text = compose_answer(AnswerRequest(pid, q.text(lang), lang, skill, seed=2, category=q.category,
                                                        question_id=q.id)).text
                    for pre in prefixes:
                        for lead in leads:
                            assert f"{pre}{lead}" not in text and f"{pre}{lead.lower()}" not in text, (pid, text)
                    n += 1
    assert n >= 24


def test_weak_answers_in_a_room_do_not_repeat_an_earlier_misconception():
    """Six weak candidates in turn: a note's misconception (``pitfalls``) is said at most once; later
    candidates half-remember something else (three of six said the same wrong sentence before)."""
    from personas.knowledge import get_note
    from rooms.questions import default_bank

    tech = [q for q in default_bank() if q.category == "technical"][:6]
    checked = 0
    for q in tech:
        for lang in ("ko", "en"):
            texts: list[str] = []
            notes: set[str] = set()
            for pid in sorted(IDS):
                a = compose_answer(AnswerRequest(pid, q.text(lang), lang, 1, seed=4, category=q.category,
                                                 question_id=q.id, context=tuple(texts)))
                texts.append(a.text)
                notes.update(a.note_ids)
            for nid in notes:
                for pit in get_note(nid, lang).pitfalls:
                    said = sum(pit in t for t in texts)
                    assert said <= 1, (q.id, lang, pit, texts)
                    checked += said
    assert checked >= 6          # misconceptions are still said (the check is not vacuous)


def test_no_banned_phrase_or_rubric_label_over_the_bank():
    from rooms.questions import default_bank

    for q in default_bank():
        for lang in ("ko", "en"):
            for pid in sorted(IDS):
                for skill in (1, 3, 5):
                    text = compose_answer(AnswerRequest(pid, q.text(lang), lang, skill, seed=11, category=q.category,
                                                        question_id=q.id, budget_ms=90_000)).text
                    for phrase in BANNED:
                        assert phrase not in text, (pid, q.id, lang, skill, phrase, text)
                    for kp in q.key_points(lang):       # never the rubric's wording
                        assert kp not in text, (pid, q.id, kp)


def test_persona_answer_cli_answers_a_bank_question_as_in_a_room(capsys):
    import argparse
    from rooms.questions import default_bank
    from server.cli import cmd_persona_answer

    q = default_bank().get("beh-001")
    rc = cmd_persona_answer(argparse.Namespace(persona="naver", question=q.text("en") + " ", lang="en", skill=5,
                                               seed=4, category=None))
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["question_id"] == "beh-001" and out["story_id"]
    room = compose_answer(AnswerRequest("naver", q.text("en"), "en", 5, seed=4, category=q.category,
                                        question_id=q.id))
    assert out["text"] == room.text


# ----------------------------------------------------------------------------- the answerer's policy

def test_answerer_offline_policy():
    import asyncio
    from personas.answerer import JUDGE_BUDGET_SHARE, Answerer, compose_job
    from rooms.jobs import AIAnswerJob, FollowUpJob, ScoreJob

    ans = Answerer(llm=None)
    job = AIAnswerJob("j1", "r1", "p1", "toss", 4, "beh-001", QUESTIONS[0]["en"], "behavioural", "en", 5, 60_000)
    got = asyncio.run(ans.answer(job))
    assert got == compose_job(job) and got[0]
    fu = FollowUpJob("j2", "r1", "p1", "beh-001", QUESTIONS[0]["en"], got[0], "en")
    assert asyncio.run(ans.follow_up(fu)).endswith("?")
    sj = ScoreJob("j3", "r1", "beh-001", "en", 60)
    marker = {"a": object()}
    assert asyncio.run(ans.judge(None, sj, marker, 20_000)) is marker      # no judge: scores unchanged
    assert 0 < JUDGE_BUDGET_SHARE < 1
    canned = Answerer(lambda j: ("canned", 800, 120, None), llm=None)
    assert asyncio.run(canned.answer(job))[0] == "canned"


def test_an_answer_never_repeats_one_of_its_own_frames():
    """Bug: each connective was drawn independently, so one answer could lead two sentences with the
    same "Going one level deeper,". No frame of the persona's voice is said twice in one answer."""
    import re as _re

    from personas.catalog import persona_ids
    from personas.engine import AnswerRequest, compose_answer
    from personas.engine.voice import persona_voice
    from rooms.questions import default_bank

    bank = default_bank()
    repeats = []
    for pid in persona_ids():
        for lang in ("en", "ko"):
            leads = list(persona_voice(pid)[lang]["connectives"])
            for q in list(bank)[::4]:
                for seed in (1, 2, 3):
                    t = compose_answer(AnswerRequest(pid, q.text(lang), lang, 5, seed=seed, category=q.category,
                                                     question_id=q.id)).text
                    for lead in leads:
                        if len(_re.findall(_re.escape(lead), t)) > 1:
                            repeats.append((pid, lang, q.id, seed, lead))
    assert not repeats, repeats[:5]
