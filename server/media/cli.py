"""Command helpers for ``arena transcribe FILE.wav``, ``arena expression IMAGE`` and ``arena media``.

The project CLI (``server/cli.py``) wires these in; ``python -m server.media.cli``
runs them standalone and prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .audio import TARGET_SAMPLE_RATE, MediaError, load_audio_16k

SR = TARGET_SAMPLE_RATE


def split_utterances(audio, *, min_silence_ms: int = 500, max_utterance_s: float = 28.0) -> list[tuple[int, int]]:
    """Speech regions of a 16 kHz float32 array as ``[(start, end)]`` sample indices (Silero VAD).

    Each region is transcribed on its own: one long call with Whisper's own
    VAD filter merged phrases and lost words (recipes.md).
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    opts = VadOptions(min_silence_duration_ms=min_silence_ms, speech_pad_ms=200,
                      max_speech_duration_s=max_utterance_s, min_speech_duration_ms=250)
    return [(int(c["start"]), int(c["end"])) for c in get_speech_timestamps(audio, opts, sampling_rate=SR)]


def transcribe_command(path: str, language: str | None = None) -> dict:
    """Transcribe a WAV file (any rate, mono or stereo, PCM).

    ``language``: None or ``"en"`` (the default model), ``"ko"`` (the Korean rooms' model,
    :mod:`server.media.models`; raises ``model_unavailable`` when none is installed).

    Returns:
        ``{"text": str, "words": [{"word", "start", "end"}] (s from file start),
        "wpm": float | None, "pauses": [{"start", "end", "duration"}] (s, gaps >= 0.25 s),
        "duration": s, "language": str, "delivery": prosody.analyse(...)}``.
    """
    from . import prosody
    from .stt import get_transcriber

    p = Path(path)
    if not p.is_file():
        raise MediaError("not_found", f"{path} does not exist")
    audio = load_audio_16k(p)
    t = get_transcriber(language)
    texts, words = [], []
    language = t.language
    for start, end in split_utterances(audio):
        tr = t.transcribe(audio[start:end], beam_size=5, word_timestamps=True)
        language = tr.language or language
        if tr.text:
            texts.append(tr.text)
        off = start / SR
        words += [{"word": w.word, "start": round(w.start + off, 3), "end": round(w.end + off, 3)} for w in tr.words]
    delivery = prosody.analyse(audio, words)
    return {
        "text": " ".join(texts),
        "words": words,
        "wpm": delivery["wpm"],
        "pauses": delivery["pauses"],
        "duration": round(audio.size / SR, 3),
        "language": language,
        "delivery": delivery,
    }


def expression_command(path: str) -> dict:
    """Emotions for every face in an image file.

    Returns ``{"faces": [{"box": [x, y, w, h], "emotions": {label: prob}, "dominant": label}], "backend"}``.
    """
    from .expression import analyse_image, dominant

    if not Path(path).is_file():
        raise MediaError("not_found", f"{path} does not exist")
    res = analyse_image(str(path))
    for f in res["faces"]:
        f["dominant"] = dominant(f["emotions"])
    return res


def media_command(redis_url: str | None = None, sidecar_id: str | None = None, channel: str | None = None) -> None:
    """Run the ``arena media`` sidecar until interrupted (SIGTERM too: it leaves the registry).

    Args:
        redis_url: default ``$REDIS_URL`` or ``redis://127.0.0.1:6379/0``.
        sidecar_id: its id in the registry (default ``$ARENA_MEDIA_ID``, else random); give each
            sidecar of a pool its own.
        channel: the pool's shared in channel (default ``$ARENA_MEDIA_IN_CHANNEL`` or ``media:in``).
    """
    import asyncio
    import signal

    from .sidecar import IN_CHANNEL, run_sidecar

    async def main() -> None:
        task = asyncio.current_task()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            await run_sidecar(redis_url or os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
                              sidecar_id=sidecar_id,
                              in_channel=channel or os.environ.get("ARENA_MEDIA_IN_CHANNEL") or IN_CHANNEL)
        except asyncio.CancelledError:
            pass

    asyncio.run(main())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m server.media.cli")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("transcribe").add_argument("file")
    sub.add_parser("expression").add_argument("image")
    m = sub.add_parser("media")
    m.add_argument("--redis-url", default=None)
    m.add_argument("--id", default=None, help="sidecar id in the registry (default $ARENA_MEDIA_ID, else random)")
    m.add_argument("--channel", default=None, help="shared in channel (default $ARENA_MEDIA_IN_CHANNEL or media:in)")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "transcribe":
            out = transcribe_command(args.file)
        elif args.cmd == "expression":
            out = expression_command(args.image)
        else:
            media_command(args.redis_url, args.id, args.channel)
            return 0
    except MediaError as e:
        print(json.dumps({"error": e.to_dict()}), file=sys.stderr)
        return 2
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
