"""AI candidate personas and the offline answer engine.

* ``personas.catalog``: the six personas (naver, kakao, toss, coupang, baemin,
  daangn) loaded once from ``personas/data/*.json`` -- ``load_catalog()``,
  ``get_persona(id)``, ``persona_ids()``, ``public_catalog(lang)``.
* ``personas.engine``: ``AnswerRequest`` -> ``OfflineAnswerEngine.compose`` /
  ``compose_answer`` -> ``ComposedAnswer`` (text, story_id, think_ms,
  words_per_minute, note_ids); answers from knowledge notes, stories and values,
  never the rubric; voices in ``data/voices/``; ``warm_up()`` at start-up.
* ``personas.answerer``: ``Answerer``, the one owner of the AI-side policy (LLM or
  offline answers, follow-up fallback, the judge's time budget and blend).
* ``personas.lexicon``: matching helpers (Korean bigrams, particles).
* ``personas.llm``: the optional LLM provider chain (separate module).

Nothing is loaded at import time.
"""
