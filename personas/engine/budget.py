"""How much content an answer carries, per language and skill (3 average .. 5 strong).

A Korean sentence carries more content than an English one: clauses chain inside one sentence
(``…해서 …했고, …였습니다``), subjects drop, and one sentence of a note or a story often holds what
English says in two. Saying the same number of sentences in both languages made Korean answers
the stronger ones (on the whole bank, skill 5 / 3 medians 97 / 76 in Korean against 88 / 65 in
English, ``python -m benchmarks.personas``), so a Korean answer says fewer of them. Skills 1-2
are planned by kind of answer in ``technical.py`` and ``experience.py`` and do not use this.
"""

from __future__ import annotations

#: Pieces (a sentence, or two short ones) an answer keeps at most, highest priority first; None: as
#: many as the turn's time allows.
PIECES = {"en": {1: None, 2: None, 3: None, 4: None, 5: None}, "ko": {1: None, 2: None, 3: 4, 4: 5, 5: 5}}

#: Note sentences in a technical answer (skill 3 says the first clause of the first one).
NOTE_SENTENCES = {"en": {3: 2, 4: 3, 5: 4}, "ko": {3: 1, 4: 2, 5: 2}}

#: Whether an average (skill 3) technical answer adds a second sentence (the persona's own practice
#: or one more fact) to the first clause of the note; without it, the persona's yardstick follows.
SECOND_FACT = {"en": True, "ko": False}

#: Actions of a STAR story told in full (behavioural answers); None: all of them.
STORY_ACTIONS = {"en": {3: 2, 4: 2, 5: None}, "ko": {3: 1, 4: 2, 5: 2}}

#: Whether a STAR story told in full (behavioural answers) gives its whole situation and its task,
#: or only the situation's first sentence (the task is implied by it).
STORY_SETUP = {"en": {3: False, 4: True, 5: True}, "ko": {3: False, 4: False, 5: False}}

#: Points of a note on ways of working in a culture-fit answer.
VALUE_POINTS = {"en": {3: 2, 4: 3, 5: 3}, "ko": {3: 1, 4: 1, 5: 1}}

#: Note points a strong (skill 4 / 5) company-motivation answer adds.
MOTIVATION_POINTS = {"en": {4: 1, 5: 2}, "ko": {4: 1, 5: 1}}


def amount(table: dict, lang: str, skill: int) -> int | None:
    """``table[lang][skill]`` (English when ``lang`` has no row)."""
    return table.get(lang, table["en"])[skill]
