"""Decoder prompts for spoken answers: the question, its topic words, fillers, the turn so far.

Whisper conditions its decoder on up to 224 tokens of earlier text (``initial_prompt`` in
faster-whisper). The live pipeline cuts an answer into VAD utterances and decodes each one on
its own, so without a prompt every utterance starts cold: names and terms the speaker already
said, or that the question asked about, are re-guessed from sound alone. This module builds the
prompt text; :class:`~server.media.stt.StreamingTranscriber` adds the turn's finals so far.

* :func:`speech_prompt` (game server side, sent in ``turn_start.prompt``): the question's text in
  the room's language, then its topic and the rubric's key points as topic words, at most
  :data:`MAX_PROMPT_CHARS` characters.
* :func:`filler_preamble`: a short sentence with fillers ("Um, uh, like ..." / "음, 어, 그 ...").
  Whisper drops hesitations unless the text it conditions on has them (the prompt style OpenAI
  suggests for keeping "umm"), so finals keep fillers and delivery can count them.
* :func:`decoder_prompt`: preamble + question prompt + the last :data:`MAX_HISTORY_CHARS`
  characters of the turn's finals.
"""

from __future__ import annotations

from typing import Any

#: Whisper's prompt holds at most 223 tokens: ~4 characters per token in English, but a Hangul
#: syllable is 1-3 byte-level tokens, and every prompt token is attended to at every decoding step
#: (Whisper base's Korean finals got several times slower with a full prompt). So Korean prompts
#: are kept short.
MAX_PROMPT_CHARS = 300
#: Characters of the turn's earlier finals kept in the prompt (the most recent ones).
MAX_HISTORY_CHARS = 200
#: (question, history) character limits per language. Korean finals get no question: on the
#: tests' espeak-ng Korean the question in the prompt swung the room path's CER from 0.095 to 0.62
#: depending on which question the room drew, against 0.143 with fillers and the turn's finals only
#: (Whisper base copies prompt text into unclear audio).
LIMITS = {"en": (MAX_PROMPT_CHARS, MAX_HISTORY_CHARS), "ko": (0, 40)}
_FILLERS = {
    "en": "Um, uh, I mean, like, you know.",
    "ko": "음, 어, 약간 그러니까 제 답은 이렇습니다.",
}


def speech_prompt(room: Any) -> str:
    """Prompt text for the current question of ``room`` (a :class:`rooms.room.Room`): its text in
    the room's language, its topic and key points; ``""`` when no question is open.
    At most :data:`MAX_PROMPT_CHARS` characters."""
    q = getattr(room, "current_question", None)
    if q is None:
        return ""
    lang = room.settings.language
    words = [q.topic.replace("_", " ")] if q.topic else []
    words += [k.strip().rstrip(".") for k in q.key_points(lang) if k.strip()]
    return clip(f"{q.text(lang).strip()} {', '.join(words)}.", MAX_PROMPT_CHARS)


def clip(text: str, limit: int, *, keep_end: bool = False) -> str:
    """``text`` cut to at most ``limit`` characters at a space (its start, or with ``keep_end`` its end)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    if keep_end:
        cut = text[-limit:]
        return cut.split(" ", 1)[1] if " " in cut else cut
    cut = text[:limit]
    return cut.rsplit(" ", 1)[0] if " " in cut else cut


def filler_preamble(language: str | None) -> str:
    """A sentence with fillers in ``language`` (``en``/``ko``; others: English)."""
    return _FILLERS.get(language or "en", _FILLERS["en"])


def decoder_prompt(language: str | None, question: str = "", history: str = "", *, fillers: bool = True) -> str | None:
    """The ``initial_prompt`` for one utterance: filler preamble, question prompt, the end of
    ``history`` (the turn's finals so far). None when all are empty."""
    q_max, h_max = LIMITS.get(language or "en", LIMITS["en"])
    parts = [filler_preamble(language) if fillers else "", _sentence(clip(question, q_max)) if q_max else "",
             _sentence(clip(history, h_max, keep_end=True))]
    text = " ".join(p for p in parts if p)
    return text or None


def _sentence(text: str) -> str:
    """``text`` ending with sentence punctuation (a prompt ending mid-phrase makes Whisper
    continue that phrase instead of starting on the audio)."""
    text = text.strip()
    return text if not text or text[-1] in ".?!。" else text + "."
