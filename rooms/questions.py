"""The question bank (data files) and the per-match QuestionQueue.

Questions live in ``rooms/data/questions/*.json`` as data, not code. One file
holds ``{"questions": [...]}``; each question is::

    {"id": "beh-001", "category": "behavioural" | "technical" | "culture_fit" | "company",
     "topic": "conflict", "company": null | "naver" | ..., "difficulty": 1 | 2 | 3,
     "text": {"ko": str, "en": str},
     "key_points": {"ko": [3-5 str], "en": [3-5 str]},
     "red_flags": {"ko": [2-4 str], "en": [2-4 str]}}

``red_flags`` are common misconceptions, each written as the wrong claim a
candidate might assert ("an index makes every query faster"); the scorer caps
an answer that asserts one (``scoring/correctness.py``). Optional per file,
but every packaged question has them (tests/test_question_bank.py).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from .settings import CATEGORIES

DATA_DIR = Path(__file__).parent / "data" / "questions"
DIFFICULTY_LEVEL = {"easy": 1, "medium": 2, "hard": 3}


@dataclass(frozen=True)
class Question:
    """One interview question in both languages.

    Attributes:
        difficulty: 1 (easy) to 3 (hard).
        key_points: 3-5 rubric key points per language.
        red_flags_by_lang: 2-4 misconceptions (wrong claims) per language, or empty.
    """

    id: str
    category: str
    topic: str
    difficulty: int
    text_by_lang: dict
    key_points_by_lang: dict
    company: str | None = None
    red_flags_by_lang: dict = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return self.text_by_lang.get(lang) or self.text_by_lang["en"]

    def key_points(self, lang: str) -> list[str]:
        return list(self.key_points_by_lang.get(lang) or self.key_points_by_lang["en"])

    def red_flags(self, lang: str) -> list[str]:
        """The question's red flags (wrong claims) in ``lang``, else English, else ``[]``."""
        return list(self.red_flags_by_lang.get(lang) or self.red_flags_by_lang.get("en") or [])

    def public(self, lang: str) -> dict:
        return {"question_id": self.id, "text": self.text(lang), "category": self.category,
                "topic": self.topic, "difficulty": self.difficulty, "company": self.company}


def question_from_dict(raw: dict, source: str) -> Question:
    """A :class:`Question` from the bank's file shape (as :func:`question_to_dict` writes it). Raises
    ``ValueError`` naming ``source`` when a field is missing or invalid."""
    try:
        q = Question(
            id=str(raw["id"]), category=raw["category"], topic=raw.get("topic", ""),
            difficulty=int(raw["difficulty"]), text_by_lang=dict(raw["text"]),
            key_points_by_lang={k: list(v) for k, v in raw["key_points"].items()},
            company=raw.get("company"),
            red_flags_by_lang={k: list(v) for k, v in (raw.get("red_flags") or {}).items()},
        )
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{source}: bad question {raw.get('id')!r}: {e}") from e
    if q.category not in CATEGORIES:
        raise ValueError(f"{source}: {q.id}: unknown category {q.category!r}")
    if not 1 <= q.difficulty <= 3:
        raise ValueError(f"{source}: {q.id}: difficulty must be 1-3")
    for lang in ("ko", "en"):
        if not q.text_by_lang.get(lang):
            raise ValueError(f"{source}: {q.id}: missing text.{lang}")
        if not 3 <= len(q.key_points_by_lang.get(lang, [])) <= 5:
            raise ValueError(f"{source}: {q.id}: key_points.{lang} needs 3-5 items")
        if q.red_flags_by_lang and not 2 <= len(q.red_flags_by_lang.get(lang, [])) <= 4:
            raise ValueError(f"{source}: {q.id}: red_flags.{lang} needs 2-4 items")
    return q


class QuestionBank:
    """All questions, loaded from data files.

    Raises:
        ValueError: on a malformed file or a duplicate id.
    """

    def __init__(self, questions: Iterable[Question]) -> None:
        self._by_id: dict[str, Question] = {}
        for q in questions:
            if q.id in self._by_id:
                raise ValueError(f"duplicate question id {q.id}")
            self._by_id[q.id] = q

    @classmethod
    def load(cls, directory: Path = DATA_DIR) -> "QuestionBank":
        qs = []
        for path in sorted(Path(directory).glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            qs.extend(question_from_dict(raw, path.name) for raw in data["questions"])
        return cls(qs)

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self):
        return iter(self._by_id.values())

    def __contains__(self, qid: object) -> bool:
        return qid in self._by_id

    def get(self, qid: str) -> Question:
        return self._by_id[qid]

    def find(self, categories: Sequence[str], difficulty: int | None = None,
             companies: Iterable[str] | None = None) -> list[Question]:
        """Questions in ``categories``; company questions only for ``companies``."""
        comp = set(companies) if companies is not None else None
        out = []
        for q in self._by_id.values():
            if q.category not in categories:
                continue
            if difficulty is not None and q.difficulty != difficulty:
                continue
            if q.category == "company" and comp is not None and q.company not in comp:
                continue
            out.append(q)
        return out


def question_to_dict(q: Question) -> dict:
    """A question in the data files' shape (what :func:`_parse` reads)."""
    d = {"id": q.id, "category": q.category, "topic": q.topic, "company": q.company, "difficulty": q.difficulty,
         "text": dict(q.text_by_lang), "key_points": {k: list(v) for k, v in q.key_points_by_lang.items()}}
    if q.red_flags_by_lang:
        d["red_flags"] = {k: list(v) for k, v in q.red_flags_by_lang.items()}
    return d


@lru_cache(maxsize=1)
def default_bank() -> QuestionBank:
    """The packaged bank, loaded once per process."""
    return QuestionBank.load()


class QuestionQueue:
    """The questions of one match, drawn without repeats.

    Categories are interleaved so a 5-question match does not ask five
    behavioural questions in a row. With ``difficulty="adaptive"`` the next
    question's difficulty follows how the room is doing: the mean score of the
    last question above 75 moves one level up, below 45 one level down
    (thresholds are ours, tuned on simulated matches).

    Args:
        bank: the question bank.
        count: number of questions (1-20).
        categories: allowed categories.
        difficulty: "mixed" | "easy" | "medium" | "hard" | "adaptive".
        rng: injected random generator (deterministic matches).
        companies: persona ids in the room, for company-specific questions.
        fixed: question ids to ask exactly, in this order (then ``categories``, ``difficulty`` and
            ``companies`` are not used); ``ValueError`` for an id not in ``bank``.
    """

    def __init__(self, bank: QuestionBank, count: int, categories: Sequence[str], difficulty: str,
                 rng: random.Random, companies: Iterable[str] = (), fixed: Sequence[str] = ()) -> None:
        self.count = count
        self.difficulty = difficulty
        self._rng = rng
        self._asked: list[Question] = []
        self._level = 2
        self._fixed_order: list[Question] = []
        self._fixed_json: list[dict] | None = None
        if fixed:
            try:
                self._fixed_order = [bank.get(q) for q in fixed]
            except KeyError as e:
                raise ValueError(f"unknown question id {e.args[0]!r}") from e
            self.count = min(count, len(self._fixed_order))
            self._pool, self._fixed = self._fixed_order, None
            return
        fixed = DIFFICULTY_LEVEL.get(difficulty)
        companies = list(companies)
        pool = bank.find(categories, None, companies)
        if not pool:
            pool = bank.find(categories, None, None)
        if not pool:
            raise ValueError("no questions match these categories")
        self._pool = pool
        self._fixed = fixed
        if len(pool) < count:
            raise ValueError(f"only {len(pool)} questions match; asked for {count}")

    @property
    def asked(self) -> list[Question]:
        return list(self._asked)

    def remaining(self) -> int:
        return self.count - len(self._asked)

    def record_room_score(self, mean_score: float) -> None:
        """Adaptive mode: feed the last question's mean score (0-100)."""
        if self.difficulty != "adaptive":
            return
        if mean_score > 75:
            self._level = min(3, self._level + 1)
        elif mean_score < 45:
            self._level = max(1, self._level - 1)

    def to_dict(self) -> dict:
        """The queue's progress as JSON-able data: ``{"asked": [question ids], "level": 1-3}``, and for a
        fixed order ``"fixed": [questions in the bank's file shape]`` (a résumé room's questions are in
        no shared bank, so a restored room needs them; encoded once)."""
        d = {"asked": [q.id for q in self._asked], "level": self._level}
        if self._fixed_order:
            if self._fixed_json is None:
                self._fixed_json = [question_to_dict(q) for q in self._fixed_order]
            d["fixed"] = self._fixed_json
        return d

    @staticmethod
    def bank_for_restore(data: dict, bank: QuestionBank) -> QuestionBank:
        """``bank`` plus the fixed questions a :meth:`to_dict` carries that it lacks."""
        ids = {q.id for q in bank}
        extra = [question_from_dict(q, "room state") for q in data.get("fixed", ()) if q["id"] not in ids]
        return QuestionBank([*bank, *extra]) if extra else bank

    def restore(self, data: dict, bank: QuestionBank) -> None:
        """Put back the progress of :meth:`to_dict` (questions resolved through ``bank``).

        Raises:
            KeyError: a question id the bank does not hold.
        """
        self._asked = [bank.get(qid) for qid in data["asked"]]
        self._level = int(data["level"])

    def next(self) -> Question:
        """Draw the next question.

        Raises:
            IndexError: when all ``count`` questions were asked.
        """
        if not self.remaining():
            raise IndexError("no questions left")
        if self._fixed_order:
            q = self._fixed_order[len(self._asked)]
            self._asked.append(q)
            return q
        asked_ids = {q.id for q in self._asked}
        candidates = [q for q in self._pool if q.id not in asked_ids]
        want = self._fixed if self._fixed else (self._level if self.difficulty == "adaptive" else None)
        if want is not None:
            exact = [q for q in candidates if q.difficulty == want]
            candidates = exact or candidates
        # Interleave categories: prefer the category asked least so far.
        used = {}
        for q in self._asked:
            used[q.category] = used.get(q.category, 0) + 1
        least = min(used.get(q.category, 0) for q in candidates)
        candidates = [q for q in candidates if used.get(q.category, 0) == least]
        candidates.sort(key=lambda q: q.id)
        q = self._rng.choice(candidates)
        self._asked.append(q)
        return q
