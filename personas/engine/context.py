"""One answer in the making: the request, what the engine found for it, and the pieces so far."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Mapping

from ..catalog import Knowledge, Persona, load_catalog
from ..lexicon import CATEGORY_CUES, coverage, cue_hits, features
from .fit import Piece
from .notes import NoteView
from .request import AnswerRequest
from .text import fill, sentences
from .voice import family_rank

INTRO_CUES = {
    "ko": ("자기소개", "자기 소개", "본인 소개", "자신을 소개", "본인을 소개", "간단히 소개"),
    "en": ("about yourself", "introduce yourself", "walk me through your background", "your background",
           "who you are"),
}
MOTIVATION_CUES = {
    "ko": ("지원 동기", "지원한 동기", "동기", "지원한 이유", "지원하셨", "지원하게 된", "지원하신 이유", "왜 우리", "왜 저희",
           "입사", "오고 싶", "지원하게", "선택한 이유"),
    "en": ("why do you want", "why us", "why our", "why join", "motivat", "why did you apply", "join us",
           "want to work", "why did you choose"),
}
STORY_CUES = {
    "ko": ("경험", "했던", "있었던", "사례", "있으신가요", "있나요", "말씀해 주세요", "때를", "이야기해"),
    "en": ("tell me about a time", "describe a time", "a time you", "have you ever", "have you", "give an example",
           "walk me through a real", "tell me about", "experience"),
}


_SOFT_DOMAINS = ("behav", "culture", "soft", "career", "team", "work", "leader", "communic")


@dataclass
class Ctx:
    persona: Persona
    req: AnswerRequest
    lang: str
    skill: int
    rng: random.Random
    category: str
    question: str                  # the line being answered (a follow-up's own question)
    q_low: str
    q_feat: frozenset
    themes: dict[str, float]
    notes: list[NoteView]
    facts: list[Knowledge]         # the persona's own knowledge entries on this topic
    voice: Mapping                 # the persona's frames in ``lang``
    common: Mapping                # the shared structural frames in ``lang``
    follow_up: bool = False
    pieces: list[Piece] = field(default_factory=list)
    used_frames: set = field(default_factory=set)   # frames already said in this answer

    # -- frames
    def fresh(self, variants) -> str:
        """One of ``variants`` (by the answer's RNG), preferring one not yet said in this answer, so an
        answer never leads two sentences with the same "Going one level deeper,"."""
        pool = [x for x in variants if x not in self.used_frames] or list(variants)
        pick = self.rng.choice(pool)
        self.used_frames.add(pick)
        return pick

    def v(self, key: str, **kw: str) -> str:
        """One of the persona's own frames for ``key``, filled (not one already said in this answer)."""
        return fill(self.fresh(self.voice[key]), **kw)

    def c(self, key: str, **kw: str) -> str:
        """A shared structural frame: the wording this persona uses for ``key`` (rotated by seed)."""
        variants = self.common[key]
        if isinstance(variants, str):
            return fill(variants, **kw)
        rank = family_rank(key, self.persona.id)
        return fill(variants[(rank + self.req.seed) % len(variants)], **kw)

    def style(self, key: str) -> str:
        return self.rng.choice(self.persona.style[key][self.lang])

    def filler_kw(self) -> dict:
        f = self.style("fillers")
        return {"f": f, "F": f[:1].upper() + f[1:]}

    def add(self, text: str | None, prio: int, short: str | None = None, story: bool = False) -> None:
        """Add a piece unless its words are already said (a fact and a note can share a sentence)."""
        if not text or not text.strip():
            return
        core = text.strip()[-40:]
        if any(core in pc.text for pc in self.pieces):
            return
        self.pieces.append(Piece(text.strip(), prio, short.strip() if short else None, story))

    # -- content
    @property
    def note(self) -> NoteView | None:
        """The best note for a technical answer; for a story or values answer, only a note on
        ways of working (a behavioural theme) or one that shares the question's words."""
        if not self.notes:
            return None
        n = self.notes[0]
        if self.category in ("technical", "company") or self.follow_up:
            return n
        if any(k in n.domain.lower() for k in _SOFT_DOMAINS) or \
                coverage(self.q_feat, features(f"{n.title} {n.gist}")) >= 0.3:
            return n
        return None

    def slot(self, note: NoteView, family: str = "points") -> int:
        """This persona's position (0..5) in an order of the personas fixed per note and family."""
        ids = sorted(load_catalog(), key=lambda pid: family_rank(family + note.id, pid))
        return ids.index(self.persona.id) if self.persona.id in ids else 0

    def points(self, note: NoteView, n: int, family: str = "points") -> list[str]:
        """``n`` of the note's points, from a persona-specific start: consecutive personas (in the
        note's order) start at consecutive points, so two of them share few points (order kept)."""
        pts = list(note.points)
        if not pts or n <= 0:
            return []
        start = (self.slot(note, family) + self.req.seed) % len(pts)
        idx = sorted({(start + k) % len(pts) for k in range(min(n, len(pts)))})
        return [pts[i] for i in idx]

    def said_before(self, sentence: str) -> bool:
        """Whether an earlier answer in the room (``req.context``) already has this sentence."""
        key = sentence.strip()[:40].lower()
        return bool(key) and any(key in c.lower() for c in self.req.context)

    def pick(self, note: NoteView, m: int, family: str = "pick") -> list[str]:
        """``m`` of the note's sentences (main idea, points, example), chosen by a persona-specific hash
        and kept in the note's order; none an earlier answer in the room already said. Six personas
        choosing 3 of ~9 sentences share about one on average (m * m / n)."""
        pool = [x for x in (note.gist, *note.points, note.example) if x and not self.said_before(x)]
        order = sorted(range(len(pool)), key=lambda i: family_rank(f"{family}:{note.id}:{i}:{self.req.seed}",
                                                                   self.persona.id))
        return [pool[i] for i in sorted(order[:m])]

    def pitfall(self, note: NoteView) -> str | None:
        """The note's misconception this persona half-remembers (its own by hash and seed), else the
        next one an earlier answer in the room has not said; None when every one was said (a weak
        candidate does not repeat the previous one word for word)."""
        pits = note.pitfalls
        if not pits:
            return None
        start = family_rank("pitfall" + note.id, self.persona.id) + self.req.seed
        for k in range(len(pits)):
            pit = pits[(start + k) % len(pits)]
            if not self.said_before(pit):
                return pit
        return None

    def best_value(self) -> str:
        best, best_sc = self.persona.values[0], -1.0
        for v in self.persona.values:
            sc = len(cue_hits(self.q_low, v["keywords"][self.lang], self.lang))
            if sc > best_sc:
                best, best_sc = v, sc
        return best["text"][self.lang]

    def has_cue(self, cues: Mapping) -> bool:
        return bool(cue_hits(self.q_low, cues[self.lang], self.lang))

    def mentioned_persona(self) -> Persona | None:
        """The persona whose company (or product: 로켓배송, 매너온도, ...) the question names, if any."""
        for other in load_catalog().values():
            names = [other.company["ko"].lower(), other.company["en"].lower(), other.id]
            names += [a.lower() for a in other.company.get("aliases", ())]
            if any(n and re.search(r"(?<![a-z])" + re.escape(n), self.q_low) for n in names):
                return other
        return None

    def company_named(self) -> str:
        """The company the question names; for a company question naming none, "this company";
        otherwise the persona's own."""
        target = self.mentioned_persona()
        if target is not None:
            return target.company[self.lang]
        if self.category == "company":
            return self.common["this_company"]
        return self.persona.company[self.lang]

    def first_sentence(self, text: str) -> str:
        s = sentences(text)
        return s[0] if s else text


def infer_category(q_low: str, lang: str) -> str:
    """Guess the category of a question given without one.

    A named company or a motivation question -> ``company``; otherwise the category with the most
    cue hits, ties broken towards behavioural (past experience), then technical.
    """
    if cue_hits(q_low, CATEGORY_CUES["company"][lang], lang) or cue_hits(q_low, MOTIVATION_CUES[lang], lang):
        return "company"
    scores = {cat: len(cue_hits(q_low, CATEGORY_CUES[cat][lang], lang))
              for cat in ("behavioural", "technical", "culture_fit")}
    best = max(("behavioural", "technical", "culture_fit"), key=lambda c: scores[c])
    return best if scores[best] else "technical"
