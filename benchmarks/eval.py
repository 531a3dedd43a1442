"""``make eval``: the scorer against the graded sets, plus the fairness figure with the real AI candidates.

``python -m benchmarks.eval [same options as scoring.evalrun]``. :mod:`scoring.evalrun` does the work;
this module only hands it the offline persona engine as the fairness figure's AI candidates, so that
``scoring/`` never imports ``personas/`` (the import graph stays ``personas → scoring → rooms``).
"""

from __future__ import annotations

import sys
from typing import Sequence

from scoring import evalrun
from scoring.fairness import SKILL, Composer


def persona_composer() -> Composer:
    """The six offline personas at skill :data:`scoring.fairness.SKILL` (5), asked what a room asks them:
    the question's text, category and id, a seed and the stories already told (no rubric)."""
    from personas.catalog import persona_ids
    from personas.engine import AnswerRequest, compose_answer

    def compose(pid: str, q, lang: str, seed: int, used: frozenset):
        a = compose_answer(AnswerRequest(persona_id=pid, question_text=q.text(lang), lang=lang, skill=SKILL,
                                         seed=seed, category=q.category, question_id=q.id, used_story_ids=used))
        return a.text, a.story_id

    return Composer(tuple(persona_ids()), compose)


def main(argv: Sequence[str] | None = None) -> int:
    return evalrun.main(argv, composer=persona_composer())


if __name__ == "__main__":
    sys.exit(main())
