"""The packaged question bank: coverage, bilingual quality, and seeded draws."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from rooms.questions import QuestionBank, QuestionQueue
from rooms.settings import CATEGORIES

COMPANIES = ("naver", "kakao", "toss", "coupang", "baemin", "daangn")
ID_PREFIX = {"behavioural": "beh-", "technical": "tech-", "culture_fit": "cul-", "company": "com-"}
HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return QuestionBank.load()


def test_bank_is_large_enough(bank):
    assert len(bank) >= 80


def test_every_category_present(bank):
    counts = Counter(q.category for q in bank)
    for cat in CATEGORIES:
        assert counts[cat] > 0, f"no {cat} questions"


def test_each_company_has_three_company_questions(bank):
    counts = Counter(q.company for q in bank if q.category == "company")
    for company in COMPANIES:
        assert counts[company] >= 3, f"{company}: only {counts[company]} company questions"
    assert set(counts) <= set(COMPANIES), f"unknown companies: {set(counts) - set(COMPANIES)}"


def test_company_field_only_on_company_questions(bank):
    for q in bank:
        if q.category == "company":
            assert q.company in COMPANIES, q.id
        else:
            assert q.company is None, q.id


def test_each_category_has_every_difficulty(bank):
    for cat in CATEGORIES:
        levels = {q.difficulty for q in bank if q.category == cat}
        assert levels == {1, 2, 3}, f"{cat}: difficulties {sorted(levels)}"


def test_ids_unique_and_prefixed(bank):
    ids = [q.id for q in bank]
    assert len(ids) == len(set(ids))
    for q in bank:
        assert q.id.startswith(ID_PREFIX[q.category]), q.id
        assert q.topic, f"{q.id}: empty topic"


def _ascii_ratio(s: str) -> float:
    letters = [c for c in s if not c.isspace()]
    return sum(c.isascii() for c in letters) / max(1, len(letters))


def test_languages(bank):
    for q in bank:
        ko, en = q.text_by_lang["ko"], q.text_by_lang["en"]
        assert HANGUL.search(ko), f"{q.id}: ko text has no Hangul"
        assert _ascii_ratio(en) >= 0.95, f"{q.id}: en text is not ASCII-dominant"
        for kp in q.key_points_by_lang["ko"]:
            assert HANGUL.search(kp), f"{q.id}: ko key point without Hangul: {kp!r}"
        for kp in q.key_points_by_lang["en"]:
            assert _ascii_ratio(kp) >= 0.95, f"{q.id}: en key point not ASCII-dominant: {kp!r}"


def test_key_points_counts_match(bank):
    for q in bank:
        ko, en = q.key_points("ko"), q.key_points("en")
        assert 3 <= len(ko) <= 5, q.id
        assert 3 <= len(en) <= 5, q.id
        assert len(ko) == len(en), f"{q.id}: {len(ko)} ko vs {len(en)} en key points"
        assert len(set(ko)) == len(ko) and len(set(en)) == len(en), f"{q.id}: duplicate key point"
        assert all(kp.strip() for kp in ko + en), q.id



def test_every_question_has_red_flags_in_both_languages(bank):
    """2-4 misconceptions per language, written as claims (sentences), distinct, in the right script."""
    for q in bank:
        for lang in ("ko", "en"):
            flags = q.red_flags(lang)
            assert 2 <= len(flags) <= 4, f"{q.id}: {len(flags)} red flags in {lang}"
            assert len(set(flags)) == len(flags), f"{q.id}: duplicate red flag"
            for rf in flags:
                assert len(rf.split()) >= (3 if lang == "ko" else 4), f"{q.id}: red flag is not a claim: {rf!r}"
                if lang == "ko":
                    assert HANGUL.search(rf), f"{q.id}: ko red flag without Hangul: {rf!r}"
                else:
                    assert _ascii_ratio(rf) >= 0.95, f"{q.id}: en red flag not ASCII-dominant: {rf!r}"
        assert set(q.red_flags_by_lang) == {"ko", "en"}, q.id


def test_red_flags_are_validated_when_loading(tmp_path):
    raw = {"id": "tech-900", "category": "technical", "topic": "x", "difficulty": 1,
           "text": {"ko": "질문", "en": "Question"},
           "key_points": {"ko": ["가", "나", "다"], "en": ["a", "b", "c"]},
           "red_flags": {"ko": ["하나뿐인 잘못된 주장입니다"], "en": ["only one wrong claim here", "and two"]}}
    import json
    (tmp_path / "q.json").write_text(json.dumps({"questions": [raw]}), encoding="utf-8")
    with pytest.raises(ValueError, match="red_flags.ko"):
        QuestionBank.load(tmp_path)


def _draw(bank: QuestionBank, seed: int, n: int = 8, difficulty: str = "mixed",
          companies=COMPANIES) -> list[str]:
    queue = QuestionQueue(bank, n, CATEGORIES, difficulty, random.Random(seed), companies=companies)
    ids = [queue.next().id for _ in range(n)]
    assert queue.remaining() == 0
    with pytest.raises(IndexError):
        queue.next()
    return ids


@pytest.mark.parametrize("difficulty", ["mixed", "easy", "hard", "adaptive"])
def test_queue_draws_distinct_questions(bank, difficulty):
    ids = _draw(bank, 7, n=10, difficulty=difficulty)
    assert len(ids) == len(set(ids)) == 10


def test_queue_is_deterministic_for_a_seed(bank):
    assert _draw(bank, 42) == _draw(bank, 42)


def test_queue_differs_across_seeds(bank):
    base = _draw(bank, 0)
    others = [_draw(bank, seed) for seed in range(1, 11)]
    assert sum(o != base for o in others) >= 8


def test_queue_interleaves_categories(bank):
    ids = _draw(bank, 3, n=len(CATEGORIES))
    assert {bank.get(i).category for i in ids} == set(CATEGORIES)


def test_queue_respects_room_companies(bank):
    ids = _draw(bank, 5, n=12, companies=["toss"])
    companies = {bank.get(i).company for i in ids if bank.get(i).category == "company"}
    assert companies <= {"toss"}
