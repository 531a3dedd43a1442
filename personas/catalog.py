"""The AI candidate personas, loaded once from ``personas/data/*.json``.

Each persona is a fictional candidate modelled on one Korean tech company's
culture (they never claim to be real employees). One JSON file holds both
languages::

    {"id": "naver",
     "company": {"ko": "네이버", "en": "NAVER"},
     "profile": {"name": {ko, en}, "years": int, "role": {ko, en}, "summary": {ko, en},
                 "motivation": {ko, en}, "angle": {ko, en}, "principle": {ko, en},
                 "skills": {"ko": [str], "en": [str]}},
     "tech_stack": [str],
     "values": [{"id", "keywords": {"ko": [str], "en": [str]}, "text": {ko, en}}],
     "style": {"words_per_minute": {"ko": int, "en": int},
               "fillers"|"weak_lines": {"ko": [str], "en": [str]}},
     "weaknesses": [{"text": {ko, en}, "improvement": {ko, en}}],
     "stories": [{"id", "tags": [str], "title": {ko, en}, "situation"|"task"|"action"|"result"|"lesson"|"gist": {ko, en}}],
     "knowledge": [{"id", "topics": {"ko": [str], "en": [str]}, "point"|"tradeoff"|"example": {ko, en}}]}

``{ko, en}`` means ``{"ko": str, "en": str}``. Story tags use the vocabulary in
``personas.lexicon.TAG_KEYWORDS``. How a persona talks (openings, closings,
connectives and the other sentence frames) is in ``data/voices/<id>.json``
(``personas.engine.voice``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

DATA_DIR = Path(__file__).parent / "data"
LANGS = ("ko", "en")
STORY_PARTS = ("title", "situation", "task", "action", "result", "lesson", "gist")
KNOWLEDGE_PARTS = ("point", "tradeoff", "example")


def _freeze(obj):
    """Deep-freeze JSON data: dict -> read-only mapping, list -> tuple."""
    if isinstance(obj, dict):
        return MappingProxyType({k: _freeze(v) for k, v in obj.items()})
    if isinstance(obj, list):
        return tuple(_freeze(v) for v in obj)
    return obj


@dataclass(frozen=True, eq=False)
class Story:
    """One STAR career story.

    Attributes:
        id: unique across all personas, e.g. ``"naver-index-pipeline"``.
        tags: themes such as ``"conflict"``, ``"failure"``, ``"scale"``.
        text: part name (``title``, ``situation``, ``task``, ``action``,
            ``result``, ``lesson``, ``gist``) -> ``{"ko": str, "en": str}``.
            ``gist`` is a vague one-line version without numbers (weak answers).
    """

    id: str
    tags: tuple[str, ...]
    text: Mapping[str, Mapping[str, str]]

    def part(self, name: str, lang: str) -> str:
        return self.text[name][lang]


@dataclass(frozen=True, eq=False)
class Knowledge:
    """A technical fact or opinion the persona can use.

    Attributes:
        topics: ``{"ko": [keyword], "en": [keyword]}`` matched against questions.
        text: ``point`` | ``tradeoff`` | ``example`` -> ``{"ko": str, "en": str}``.
    """

    id: str
    topics: Mapping[str, tuple[str, ...]]
    text: Mapping[str, Mapping[str, str]]

    def part(self, name: str, lang: str) -> str:
        return self.text[name][lang]


@dataclass(frozen=True, eq=False)
class Persona:
    """An AI candidate.

    Attributes:
        id: ``naver`` | ``kakao`` | ``toss`` | ``coupang`` | ``baemin`` | ``daangn``.
        company: ``{"ko": str, "en": str}``.
        profile: name/role/summary/motivation/angle/principle as ``{ko, en}``,
            ``years`` (int) and ``skills`` (``{"ko": [str], "en": [str]}``).
        words_per_minute: English speaking pace, whitespace-separated tokens per minute
            (kept for callers that want one number; use ``pace(lang)``).
        pace_by_lang: ``{"ko": int, "en": int}``. Korean tokens (eojeol) are longer
            than English words (3.4 vs ~1.3 syllables), so Korean paces are lower:
            ~105-130 eojeol/min is ~350-430 syllables/min, conversational speech.
        style: fillers/weak_lines (vague lines for low-skill answers), each
            ``{"ko": [str], "en": [str]}``.
        tech_stack, values, weaknesses: as in the data file (read-only).
        stories, knowledge: parsed entries.
    """

    id: str
    company: Mapping[str, str]
    profile: Mapping
    words_per_minute: int
    pace_by_lang: Mapping[str, int]
    style: Mapping
    tech_stack: tuple[str, ...]
    values: tuple
    weaknesses: tuple
    stories: tuple[Story, ...]
    knowledge: tuple[Knowledge, ...]

    def name(self, lang: str) -> str:
        return self.profile["name"][lang]

    def pace(self, lang: str) -> int:
        """Speaking pace in ``lang``: whitespace-separated tokens per minute."""
        return self.pace_by_lang[lang]

    def story(self, story_id: str) -> Story:
        for s in self.stories:
            if s.id == story_id:
                return s
        raise KeyError(story_id)

    def public(self, lang: str = "ko") -> dict:
        """The lobby card: ``{"id", "company", "name", "summary", "skills"}``."""
        return {"id": self.id, "company": self.company[lang], "name": self.name(lang),
                "summary": self.profile["summary"][lang], "skills": list(self.profile["skills"][lang])}


def _require_langs(obj, where: str) -> None:
    for lang in LANGS:
        if not isinstance(obj, Mapping) or not obj.get(lang):
            raise ValueError(f"{where}: missing {lang!r} text")


def parse_persona(raw: dict, source: str = "<data>") -> Persona:
    """Validate and build one persona from its JSON object.

    Raises:
        ValueError: on a missing field, a missing language, a duplicate story
            id or a pace outside 90-200 words per minute.
    """
    try:
        pid = str(raw["id"])
        data = _freeze(raw)
        style = data["style"]
        raw_pace = style["words_per_minute"]
        pace = ({lang: int(raw_pace[lang]) for lang in LANGS} if isinstance(raw_pace, Mapping)
                else {lang: int(raw_pace) for lang in LANGS})
        wpm = pace["en"]
        stories = tuple(Story(id=str(s["id"]), tags=tuple(s["tags"]),
                              text=MappingProxyType({p: s[p] for p in STORY_PARTS}))
                        for s in data["stories"])
        knowledge = tuple(Knowledge(id=str(k["id"]), topics=k["topics"],
                                    text=MappingProxyType({p: k[p] for p in KNOWLEDGE_PARTS}))
                          for k in data["knowledge"])
        persona = Persona(id=pid, company=data["company"], profile=data["profile"], words_per_minute=wpm,
                          pace_by_lang=MappingProxyType(pace), style=style, tech_stack=tuple(data["tech_stack"]), values=data["values"],
                          weaknesses=data["weaknesses"], stories=stories, knowledge=knowledge)
    except (KeyError, TypeError) as e:
        raise ValueError(f"{source}: bad persona: missing or malformed {e}") from e
    for lang, v in pace.items():
        if not 90 <= v <= 200:
            raise ValueError(f"{source}: words_per_minute.{lang} {v} out of range 90-200")
    _require_langs(persona.company, f"{source}: company")
    for key in ("name", "role", "summary", "motivation", "angle", "principle", "skills"):
        _require_langs(persona.profile.get(key), f"{source}: profile.{key}")
    for key in ("fillers", "weak_lines"):
        _require_langs(style.get(key), f"{source}: style.{key}")
    seen = set()
    for s in stories:
        if s.id in seen:
            raise ValueError(f"{source}: duplicate story id {s.id}")
        seen.add(s.id)
        for p in STORY_PARTS:
            _require_langs(s.text[p], f"{source}: story {s.id}.{p}")
    for k in knowledge:
        _require_langs(k.topics, f"{source}: knowledge {k.id}.topics")
        for p in KNOWLEDGE_PARTS:
            _require_langs(k.text[p], f"{source}: knowledge {k.id}.{p}")
    for v in persona.values:
        _require_langs(v["text"], f"{source}: value {v.get('id')}")
    for w in persona.weaknesses:
        _require_langs(w["text"], f"{source}: weakness")
        _require_langs(w["improvement"], f"{source}: weakness improvement")
    if not stories or not knowledge or not persona.values:
        raise ValueError(f"{source}: needs stories, knowledge and values")
    return persona


def load_directory(directory: Path = DATA_DIR) -> dict[str, Persona]:
    """Load every ``*.json`` persona file in ``directory`` (sorted by file name).

    Raises:
        ValueError: on a malformed file, a duplicate persona id or a story id
            used by two personas.
    """
    out: dict[str, Persona] = {}
    story_ids: set[str] = set()
    for path in sorted(Path(directory).glob("*.json")):
        persona = parse_persona(json.loads(path.read_text(encoding="utf-8")), path.name)
        if persona.id in out:
            raise ValueError(f"{path.name}: duplicate persona id {persona.id}")
        for s in persona.stories:
            if s.id in story_ids:
                raise ValueError(f"{path.name}: story id {s.id} used by two personas")
            story_ids.add(s.id)
        out[persona.id] = persona
    return out


@lru_cache(maxsize=1)
def _cached() -> Mapping[str, Persona]:
    return MappingProxyType(load_directory())


def load_catalog() -> dict[str, Persona]:
    """All personas by id, loaded from disk once per process (a fresh dict each call)."""
    return dict(_cached())


def get_persona(persona_id: str) -> Persona:
    """One persona. Raises ``KeyError`` for an unknown id."""
    return _cached()[persona_id]


def persona_ids() -> list[str]:
    """The persona ids, sorted."""
    return sorted(_cached())


def public_catalog(lang: str = "ko") -> list[dict]:
    """The catalogue for ``GET /api/v1/personas``.

    Returns:
        ``[{"id": str, "company": str, "name": str, "summary": str, "skills": [str]}]``
        sorted by id, in ``lang`` (``"ko"`` or ``"en"``; anything else falls back to ``"en"``).
    """
    lang = lang if lang in LANGS else "en"
    return [_cached()[pid].public(lang) for pid in persona_ids()]
