"""Content-addressed store of note-view vectors, so the index is built without re-embedding.

A text's key is ``sha1(model name, role, text)[:16]`` (role "passage" for note views, "query" for the
bank's question texts, which the rooms ask most). Two files hold ``{key: float16 vector}``:

* the shipped one, ``personas/data/knowledge/vectors.npz`` (written by
  ``python -m personas.knowledge --write-vectors`` after notes change), so a fresh clone builds its
  index in milliseconds;
* the local one under :func:`scoring.embeddings.model_cache_dir` (``knowledge-vectors.npz``), which
  gets every vector that was missing from the shipped file (an edited note, a new note).

Only the texts missing from both are embedded (about 20-80 ms CPU each with e5-small on one thread).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from personas.knowledge.notes import DATA_DIR

log = logging.getLogger(__name__)

SHIPPED = DATA_DIR / "vectors.npz"
_lock = threading.Lock()


def view_key(model: str, text: str, role: str = "passage") -> str:
    return hashlib.sha1(f"{model}\x00{role}\x00{text}".encode("utf-8")).hexdigest()[:16]


def _local_path() -> Path:
    from scoring.embeddings import model_cache_dir

    return model_cache_dir() / "knowledge-vectors.npz"


def _read(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path) as z:
            keys, vecs = z["keys"], z["vectors"]
        return {str(k): v for k, v in zip(keys, vecs)}
    except (OSError, KeyError, ValueError):
        return {}


def _write(path: Path, store: dict[str, np.ndarray]) -> None:
    keys = sorted(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp.npz")
    np.savez_compressed(tmp, keys=np.array(keys), vectors=np.stack([store[k] for k in keys]).astype(np.float16))
    tmp.replace(path)


_store: dict[str, np.ndarray] | None = None


def _loaded() -> dict[str, np.ndarray]:
    global _store
    if _store is None:
        store = _read(SHIPPED)
        store.update(_read(_local_path()))
        _store = store
    return _store


def vectors_for(enc, texts: Sequence[str], role: str = "passage", write_shipped: bool = False,
                ship_also: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """``(len(texts), enc.dim)`` float32 L2-normalised vectors for ``texts``, embedding only unknown ones.

    Args:
        enc: a :class:`scoring.embeddings.Encoder`.
        texts: the texts.
        role: "passage" (note views) or "query" (questions).
        write_shipped: add these texts' vectors to ``ship_also`` (the maintainers' rewrite of the shipped file).
        ship_also: collects ``{key: vector}`` for :func:`write_shipped`.
    """
    keys = [view_key(enc.name, t, role) for t in texts]
    with _lock:
        store = _loaded()
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in store))
        if missing:
            vecs = enc.encode(missing, role)
            new = {view_key(enc.name, t, role): v.astype(np.float16) for t, v in zip(missing, vecs)}
            store.update(new)
            log.info("knowledge: embedded %d new %s texts", len(missing), role)
            try:
                local = _read(_local_path())
                local.update(new)
                _write(_local_path(), local)
            except OSError as e:  # read-only cache: keep them in memory only
                log.info("knowledge vectors not cached on disk (%s)", e)
        if write_shipped and ship_also is not None:
            ship_also.update({k: store[k] for k in keys})
        out = np.stack([store[k] for k in keys]).astype(np.float32) if keys else np.zeros((0, enc.dim), np.float32)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def known_vector(enc, text: str, role: str = "query") -> np.ndarray | None:
    """The stored vector of ``text`` (float32, L2-normalised), or None if it was never embedded."""
    v = _loaded().get(view_key(enc.name, text, role))
    if v is None:
        return None
    v = v.astype(np.float32)
    return v / max(float(np.linalg.norm(v)), 1e-9)


def write_shipped(store: dict[str, np.ndarray]) -> Path:
    """Replace the shipped file with exactly ``store``; returns its path."""
    _write(SHIPPED, store)
    return SHIPPED


def missing_from_shipped(enc, texts: Sequence[str], role: str = "passage") -> list[str]:
    """Texts whose vectors the shipped file lacks (a test keeps it in step with the notes)."""
    shipped = _read(SHIPPED)
    return [t for t in texts if view_key(enc.name, t, role) not in shipped]
