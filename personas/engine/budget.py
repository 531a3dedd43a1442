"""How much content an answer carries, per language and skill (3 average .. 5 strong).

A Korean sentence carries more content than an English one: clauses chain inside one sentence
(``…해서 …했고, …였습니다``), subjects drop, and one sentence of a note or a story often holds what
English says in two. Saying the same number of sentences in both languages made Korean answers
the stronger ones (on the whole bank, skill 5 / 3 medians 97 / 76 in Korean against 88 / 65 in
English, ``python -m benchmarks.personas``), so a Korean answer says fewer of them (now 87 / 61).
Skills 1-2 are planned by kind of answer in ``technical.py`` and ``experience.py`` and do not use this.
"""

from __future__ import annotations

#: Pieces of substance (a sentence, or two short ones; not the opening or closing) an answer keeps
#: at most per minute of its turn, highest priority first; None: as many as the turn's time allows.
PIECES_PER_MINUTE = {"en": {1: None, 2: None, 3: None, 4: None, 5: None},
                     "ko": {1: None, 2: None, 3: 4, 4: 5, 5: 5}}

#: Note sentences in a technical answer at most (skill 3 says the first clause of the first one) ...
NOTE_SENTENCES = {"en": {3: 2, 4: 3, 5: 4}, "ko": {3: 1, 4: 2, 5: 4}}

#: ... and per minute of the turn (None: no limit): a 60 s Korean turn holds two, a 90 s one four.
NOTE_SENTENCES_PER_MINUTE = {"en": {3: None, 4: None, 5: None}, "ko": {3: None, 4: 2.5, 5: 2.5}}

#: Whether an average (skill 3) technical answer adds a second sentence (the persona's own practice
#: or one more fact) to the first clause of the note (then ``ADMITS_LIMITS``, else the persona's yardstick).
SECOND_FACT = {"en": True, "ko": False}

#: Whether an average (skill 3) technical answer, instead of the persona's yardstick and hedge, says
#: either how far its own experience goes (second-hand, ``mid_own``) or where its knowledge stops
#: (``mid_gap``), as a mid-level candidate does. One clause of a note, the yardstick and a hedge
#: scored 68-70 in Korean (above the 50-65 band: the scorer counts each extra sentence as structure
#: and fluency); the clause and one of these two score 57-58 (``tests/test_persona_quality.py`` sample).
ADMITS_LIMITS = {"en": True, "ko": True}

#: Vague asides (the persona's weak line, its trailing-off close) a skill-1 answer says: an English
#: weak answer with both (five sentences) scored 34 on the test sample, at the top of its <= 35 band;
#: with one of the two, 31 (Korean, with both: 26).
WEAK_ASIDES = {"en": 1, "ko": 2}

#: Actions of a STAR story told in full (behavioural answers); None: all of them.
STORY_ACTIONS = {"en": {3: 2, 4: 2, 5: None}, "ko": {3: 1, 4: 1, 5: 1}}

#: Sentences of a STAR story's situation (behavioural answers); None: all of them.
STORY_SITUATION = {"en": {3: 1, 4: None, 5: None}, "ko": {3: 1, 4: 1, 5: 1}}

#: Points of a note on ways of working in a culture-fit answer.
VALUE_POINTS = {"en": {3: 2, 4: 3, 5: 3}, "ko": {3: 1, 4: 1, 5: 1}}

#: Note points a strong (skill 4 / 5) company-motivation answer adds.
MOTIVATION_POINTS = {"en": {4: 1, 5: 2}, "ko": {4: 1, 5: 1}}


def max_pieces(lang: str, skill: int, budget_ms: int) -> int | None:
    """Pieces of substance that fit a turn of ``budget_ms`` ms (at least one), or None: no limit."""
    per_minute = amount(PIECES_PER_MINUTE, lang, skill)
    return None if per_minute is None else max(1, round(per_minute * budget_ms / 60_000))


def note_sentences(lang: str, skill: int, budget_ms: int) -> int:
    """Note sentences a technical answer says in a turn of ``budget_ms`` ms (at least one)."""
    most = amount(NOTE_SENTENCES, lang, skill)
    per_minute = amount(NOTE_SENTENCES_PER_MINUTE, lang, skill)
    return most if per_minute is None else max(1, min(most, round(per_minute * budget_ms / 60_000)))


def amount(table: dict, lang: str, skill: int) -> int | None:
    """``table[lang][skill]`` (English when ``lang`` has no row)."""
    return table.get(lang, table["en"])[skill]
