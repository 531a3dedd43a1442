"""The AI candidates' own knowledge base: topic notes in ko and en, and retrieval over them.

>>> from personas.knowledge import retrieve
>>> retrieve("What conditions cause a deadlock?", "en")[0].id
'os-deadlock'

Data lives in ``personas/data/knowledge/*.json`` (schema in :mod:`personas.knowledge.notes`);
retrieval is described in :mod:`personas.knowledge.retrieval` and docs/personas.md.
"""

from personas.knowledge.notes import KnowledgeDataError, Note, load_notes, persona_expertise
from personas.knowledge.retrieval import get_note, on_topic, retrieve, search, warm_up

__all__ = ["KnowledgeDataError", "Note", "get_note", "load_notes", "on_topic", "persona_expertise", "retrieve",
           "search", "warm_up"]
