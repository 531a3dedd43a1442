"""The offline answer engine: ``AnswerRequest`` -> ``compose_answer`` -> ``ComposedAnswer``.

Modules:

* ``request``: the request and answer types, ``MARGIN_MS`` (the room's ``ai_margin_ms``);
* ``notes``: the knowledge notes an answer draws on (``personas.knowledge`` or a lexical fallback);
* ``context``: one answer in the making (``Ctx``), cue lists, category inference;
* ``plan``: what goes into an answer by question kind and skill (dispatch, follow-ups, introductions),
  with ``technical`` (notes), ``experience`` (stories, values, motivation) and ``parts`` (shared pieces);
* ``stories``: choosing a STAR story; ``voice``: the personas' sentence frames (data files);
* ``text``: slot filling with Korean particles; ``fit``: thinking time and trimming to the turn;
* ``compose``: ``OfflineAnswerEngine``.
"""

from __future__ import annotations

from .compose import OfflineAnswerEngine, split_follow_up
from .request import LANGS, MARGIN_MS, AnswerRequest, ComposedAnswer

_ENGINE = OfflineAnswerEngine()


def compose_answer(req: AnswerRequest) -> ComposedAnswer:
    """Compose with the shared engine. Same contract as ``OfflineAnswerEngine.compose``."""
    return _ENGINE.compose(req)


def warm_up() -> None:
    """Load the catalogue, the voices and the knowledge retrieval (its vectors), so the first real
    answer is fast. Optional; call it once at server start-up."""
    from .. import knowledge
    from ..catalog import load_catalog

    knowledge.warm_up()                 # note vectors and the e5 encoder, once per process
    for persona in load_catalog().values():
        for lang in LANGS:
            _ENGINE.compose(AnswerRequest(persona.id, "warm up", lang=lang))


__all__ = ["AnswerRequest", "ComposedAnswer", "OfflineAnswerEngine", "compose_answer", "warm_up", "MARGIN_MS",
           "LANGS", "split_follow_up"]
