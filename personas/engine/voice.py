"""How each persona talks: sentence frames loaded from ``personas/data/voices/*.json``.

``<persona_id>.json`` holds the persona's own frames per language (openings,
closings, connectives, how it states the core idea, gives an example, brings in
its own experience, tells a story, hedges, how it sounds when it is unsure, and how an average
answer states what it knows, its second-hand experience and where its knowledge stops: ``mid_*``).
No two personas share an opening or a closing. ``common.json`` holds the few
structural frames (self-introduction, motivation for another company, a reference
to an earlier answer) with several wordings each; a persona's wording is chosen
by a fixed, persona-specific rotation so personas answering the same question
do not share phrasing.

Frame keys a persona file must have in both languages: :data:`PERSONA_KEYS`.
"""

from __future__ import annotations

import json
import zlib
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

VOICE_DIR = Path(__file__).resolve().parent.parent / "data" / "voices"
PERSONA_KEYS = ("openings", "closings", "core", "connectives", "example", "own", "angle", "story_in",
                "story_action", "lesson", "insight", "hedge", "weak_open", "weak_guess", "weak_close", "mid_core",
                "mid_own", "mid_gap")
COMMON_KEYS = ("intro_who", "intro_skills", "intro_story", "intro_weak", "weakness", "motivation_other",
               "company_tie", "weak_motivation", "ctx_topic", "ctx_plain", "no_story", "this_company", "follow_up",
               "principle", "dangling_leads")


def _load(path: Path, keys: tuple[str, ...]) -> Mapping:
    raw = json.loads(path.read_text(encoding="utf-8"))
    for lang in ("ko", "en"):
        block = raw.get(lang) or {}
        missing = [k for k in keys if not block.get(k)]
        if missing:
            raise ValueError(f"{path.name}: {lang}: missing frames {missing}")
    return MappingProxyType({lang: MappingProxyType(dict(raw[lang])) for lang in ("ko", "en")})


@lru_cache(maxsize=None)
def persona_voice(persona_id: str) -> Mapping:
    """``{lang: {key: [frame]}}`` for one persona.

    Raises:
        FileNotFoundError: no voice file for ``persona_id``; ValueError: a frame key missing.
    """
    return _load(VOICE_DIR / f"{persona_id}.json", PERSONA_KEYS)


@lru_cache(maxsize=1)
def common_frames() -> Mapping:
    """``{lang: {key: [frame] | str}}``: the shared structural frames."""
    return _load(VOICE_DIR / "common.json", COMMON_KEYS)


@lru_cache(maxsize=None)
def family_rank(family: str, persona_id: str) -> int:
    """A stable per-family position of a persona (crc32), so the pairs of personas that share a
    wording differ from one frame family to the next."""
    return zlib.crc32(f"{family}:{persona_id}".encode())
