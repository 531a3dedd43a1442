"""Topic notes: what the AI candidates know, as data (``personas/data/knowledge/<domain>.json``).

One file per domain; each holds ``{"domain": str, "notes": [note, ...]}`` where a note is::

    {"id": "db-index",                     # unique across all files
     "bank": ["tech-004"],                 # bank questions this note answers (tests only; never used to retrieve)
     "en": {"title": str, "gist": str, "points": [str x 4-8], "pitfalls": [str x 1-3],
            "example": str, "followups": [str, ...], "tags": [str, ...]},
     "ko": {... the same fields, written in Korean ...}}

``points`` are correct facts, each a sentence a candidate could say aloud. ``pitfalls`` are the
*intentionally weak* claims (partly right or wrong) a weak candidate might make: the only text in a
note that is not correct. ``tags`` are retrieval keywords in that language (lower-case substrings).

``personas.json`` in the same folder maps persona id -> the domains and tags it knows best.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "knowledge"
LANGS = ("ko", "en")
TEXT_FIELDS = ("title", "gist", "example")
LIST_FIELDS = ("points", "pitfalls", "followups", "tags")
POINTS_RANGE = (4, 8)
PITFALLS_RANGE = (1, 3)


class KnowledgeDataError(ValueError):
    """A knowledge file breaks the schema (message names the file, note and field)."""


@dataclass(frozen=True)
class Note:
    """One topic note in one language.

    Attributes:
        id: unique note id, e.g. ``"db-index"`` (the same id in both languages).
        domain: the file it came from, e.g. ``"databases"``.
        title: a short name for the topic.
        gist: the main idea in one sentence.
        points: 4-8 correct facts, each a natural spoken sentence.
        pitfalls: 1-3 plausible partial or wrong claims (for weak answers only; never correct).
        example: a concrete example, number or anecdote seed.
        followups: likely follow-up angles an interviewer takes.
        lang: ``"ko"`` or ``"en"``.
        tags: retrieval keywords in ``lang``.
        bank: ids of the bank questions this note answers (metadata for tests).
    """

    id: str
    domain: str
    title: str
    gist: str
    points: tuple[str, ...]
    pitfalls: tuple[str, ...]
    example: str
    followups: tuple[str, ...]
    lang: str
    tags: tuple[str, ...] = ()
    bank: tuple[str, ...] = ()

    def sentences(self) -> tuple[str, ...]:
        """Every correct sentence of the note (gist, points, example), pitfalls excluded."""
        return (self.gist, *self.points, self.example)


def _check_block(where: str, block) -> None:
    if not isinstance(block, dict):
        raise KnowledgeDataError(f"{where}: missing language block")
    for f in TEXT_FIELDS:
        if not isinstance(block.get(f), str) or not block[f].strip():
            raise KnowledgeDataError(f"{where}.{f}: must be a non-empty string")
    for f in LIST_FIELDS:
        v = block.get(f)
        if not isinstance(v, list) or not v or not all(isinstance(s, str) and s.strip() for s in v):
            raise KnowledgeDataError(f"{where}.{f}: must be a non-empty list of strings")
    lo, hi = POINTS_RANGE
    if not lo <= len(block["points"]) <= hi:
        raise KnowledgeDataError(f"{where}.points: {len(block['points'])} points, expected {lo}-{hi}")
    lo, hi = PITFALLS_RANGE
    if not lo <= len(block["pitfalls"]) <= hi:
        raise KnowledgeDataError(f"{where}.pitfalls: {len(block['pitfalls'])}, expected {lo}-{hi}")


def _note(domain: str, raw: dict, lang: str) -> Note:
    b = raw[lang]
    return Note(id=raw["id"], domain=domain, title=b["title"].strip(), gist=b["gist"].strip(),
                points=tuple(s.strip() for s in b["points"]), pitfalls=tuple(s.strip() for s in b["pitfalls"]),
                example=b["example"].strip(), followups=tuple(s.strip() for s in b["followups"]), lang=lang,
                tags=tuple(s.strip().lower() for s in b["tags"]), bank=tuple(raw.get("bank", ())))


@lru_cache(maxsize=None)
def load_notes(data_dir: str | None = None) -> Mapping[str, tuple[Note, ...]]:
    """All notes, ``{"ko": (Note, ...), "en": (Note, ...)}``, in file then note order (same order per language).

    Raises:
        KnowledgeDataError: a file breaks the schema or two notes share an id.
    """
    root = Path(data_dir) if data_dir else DATA_DIR
    out: dict[str, list[Note]] = {lang: [] for lang in LANGS}
    seen: set[str] = set()
    for path in sorted(root.glob("*.json")):
        if path.name == "personas.json":
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        domain = data.get("domain") or path.stem
        for raw in data.get("notes", []):
            nid = raw.get("id")
            if not nid or nid in seen:
                raise KnowledgeDataError(f"{path.name}: missing or duplicate note id {nid!r}")
            seen.add(nid)
            for lang in LANGS:
                _check_block(f"{path.name}:{nid}.{lang}", raw.get(lang))
                out[lang].append(_note(domain, raw, lang))
    return MappingProxyType({lang: tuple(v) for lang, v in out.items()})


@lru_cache(maxsize=None)
def persona_expertise(data_dir: str | None = None) -> Mapping[str, Mapping[str, tuple[str, ...]]]:
    """``{persona_id: {"domains": (domain, ...), "notes": (note id, ...)}}`` from ``personas.json``."""
    root = Path(data_dir) if data_dir else DATA_DIR
    path = root / "personas.json"
    if not path.exists():
        return MappingProxyType({})
    raw = json.loads(path.read_text(encoding="utf-8"))
    return MappingProxyType({pid: MappingProxyType({"domains": tuple(v.get("domains", ())),
                                                    "notes": tuple(v.get("notes", ()))})
                             for pid, v in raw.items()})
