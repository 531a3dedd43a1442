"""Streaming speech-to-text for one speaker: Silero VAD gating, partials and finals.

Audio is **16 kHz mono float32**, shape ``(n,)``; times in s unless a name ends in ``_ms``.

* :class:`SileroVAD` is a *stateful* wrapper around the Silero VAD v6 ONNX model that ships
  inside the faster-whisper wheel: feed any chunk size, get one speech probability per 32 ms
  window (512 samples).
* :class:`StreamingTranscriber` holds one speaker's stream: it cuts utterances with the VAD,
  emits ``partial`` events for the utterance so far at a steady cadence, and a ``final`` event
  per utterance when the speaker has been silent for ``end_silence_ms``. Every final is decoded
  with a prompt (:func:`server.media.prompt.decoder_prompt`): fillers, the turn's question and
  the turn's earlier finals, so context carries across VAD cuts.

A ``StreamingTranscriber`` is not thread-safe; call it from one thread at a time (the sidecar
feeds each speaker sequentially from a worker thread).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from .audio import TARGET_SAMPLE_RATE, to_float32
from .prompt import decoder_prompt

SR = TARGET_SAMPLE_RATE
VAD_WINDOW = 512  # samples per Silero window at 16 kHz (32 ms)
VAD_CONTEXT = 64  # samples of left context the v6 model expects

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
    words: list = field(default_factory=list)  # of stt.WordTiming
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
        early_final_ms: after this much silence (ms) the final is decoded ahead of time and
            sent when the silence reaches ``end_silence_ms`` (discarded if speech resumes
            first), so the final's decode overlaps the VAD hang-over. None or 0: off.
        context: prompt each final with fillers, the turn's question (:meth:`set_question`)
            and the turn's earlier finals (:func:`~server.media.prompt.decoder_prompt`).

    ``partial_interval_s`` None takes the transcriber's ``partial_interval_s`` (0.6 s; 1.0 s
    for Whisper base in Korean rooms, whose partials cost ~4x tiny.en's).
    """

    def __init__(self, transcriber, *, partial_interval_s: float | None = None,
                 first_partial_s: float = 0.5, end_silence_ms: int = 700, min_speech_ms: int = 250,
                 max_utterance_s: float = 28.0, long_pause_s: float = 2.0, threshold: float = 0.5,
                 neg_threshold: float = 0.35, pre_roll_ms: int = 300, post_roll_ms: int = 250,
                 final_beam_size: int = 5, language: str | None = None, partials: bool = True,
                 early_final_ms: int | None = 350, context: bool = True, partial_window_s: float | None = None):
        self.t = transcriber
        if partial_interval_s is None:
            partial_interval_s = float(getattr(transcriber, "partial_interval_s", 0.6))
        self.early_silence = max(int((early_final_ms or 0) * SR / 1000), int(post_roll_ms * SR / 1000)) \
            if early_final_ms else 0
        self.context = context
        if partial_window_s is None:
            partial_window_s = getattr(transcriber, "partial_window_s", None)
        self.partial_window = int(partial_window_s * SR) if partial_window_s else 0
        self.question = ""
        self._turn_text: list[str] = []
        self._early = None  # (keep, Transcript, ms) decoded ahead of the end of the utterance
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
        self._early = None

    def _reset_turn(self) -> None:
        self._turn_text = []
        self._spoke_in_turn = False
        self._gap = 0
        self._pause_reported = False

    def set_question(self, prompt: str | None) -> None:
        """The current turn's question prompt (``turn_start.prompt``: question text and topic
        words); the turn's earlier finals are added automatically."""
        self.question = (prompt or "").strip()

    def prompt(self) -> str | None:
        """The decoder prompt for the next final (None with ``context`` off)."""
        if not self.context:
            return None
        lang = self._utt_language or self.language or getattr(self.t, "language", None)
        return decoder_prompt(lang, self.question, " ".join(self._turn_text))

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
            self._early = None  # speech resumed: an early decode is stale
        else:
            self._silence += win.size
        if self.early_silence and self._early is None and self.early_silence <= self._silence < self.end_silence:
            self._decode_early()
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
        # Korean partials go without a prompt: Hangul prompts are long in tokens (prompt.LIMITS).
        prompt = self.prompt() if self._utt_language != "ko" else None
        tail = bool(self.partial_window) and audio.size > self.partial_window
        if tail:
            audio = audio[-self.partial_window:]
        text = self.t.quick_transcribe(audio, language=self._utt_language, prompt=prompt)
        if text and tail:
            text = "… " + text  # the end of the utterance so far
        ms = (time.perf_counter() - t0) * 1000
        if not text or text == self._last_partial_text:
            return None
        self._last_partial_text = text
        return StreamEvent("partial", self.utterance_index, text, self._utt_start / SR,
                           (self._utt_start + self._utt_len) / SR, emitted_at=self.position, compute_ms=ms,
                           language=self._utt_language)

    def _decode(self, audio: np.ndarray, lang: str | None):
        t0 = time.perf_counter()
        tr = self.t.transcribe(audio, beam_size=self.final_beam_size,
                               word_timestamps=getattr(self.t, "final_word_timestamps", True), language=lang,
                               bounded=True, prompt=self.prompt())
        # Words that start in the post-roll (after the last voiced window) were not said: Whisper's
        # "Thank you." after the end of speech, which a prompt with earlier text makes more likely.
        # Likewise a closing "Thank you." squeezed into the last 0.6 s.
        speech_end = audio.size / SR - self.post_roll / SR
        kept = [w for w in tr.words if w.start < speech_end]
        if len(kept) >= 3 and [w.word.lower().strip(".,!") for w in kept[-2:]] == ["thank", "you"] \
                and kept[-2].start >= speech_end - 0.6:
            kept = kept[:-2]
        if tr.words and len(kept) < len(tr.words):
            tr.words, tr.text = kept, " ".join(w.word for w in kept).strip()
        return tr, (time.perf_counter() - t0) * 1000

    def _decode_early(self) -> None:
        """Decode the utterance as it stands (speech end + post-roll) while the hang-over runs."""
        if self._speech_len - self._silence < self.min_speech:
            return
        audio = self._utt_audio()
        keep = min(audio.size, self._last_speech_end - self._utt_start + self.post_roll)
        tr, ms = self._decode(audio[:keep], self._utt_language or self.language)
        self._early = (keep, tr, ms)

    def _finalise(self, emitted_at: float, cut: bool = False) -> StreamEvent | None:
        audio = self._utt_audio()
        keep = audio.size if cut else min(audio.size, self._last_speech_end - self._utt_start + self.post_roll)
        audio = audio[:keep]
        start = self._utt_start
        speech = self._speech_len - self._silence
        lang = self._utt_language or self.language
        early = self._early if not cut and self._early is not None and self._early[0] == keep else None
        prompt_lang = lang
        self._reset_utt()
        if cut:  # keep listening: the speaker is still talking
            self.in_speech = True
            self._utt_start = start + keep
            self._last_speech_end = self._utt_start
        if speech < self.min_speech:
            return None
        if early is not None:
            _, tr, ms = early
        else:
            self._utt_language = prompt_lang  # for the prompt's filler language
            tr, ms = self._decode(audio, lang)
            self._utt_language = None
        self._spoke_in_turn = True
        index = self.utterance_index
        self.utterance_index += 1
        if not tr.text:
            return None
        self._turn_text.append(tr.text)
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
