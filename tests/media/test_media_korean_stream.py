"""Korean streaming (issue 13, "Korean in real time"): partials decode only the utterance's last
seconds, finals carry the repetition limits. Real Whisper base on espeak-ng Korean."""

from __future__ import annotations

import numpy as np

from server.media.audio import load_audio_16k

from media_helpers import speak

SR = 16000
# A long sentence (about 6 s at 170 wpm): the 4 s partial window matters only past 4 s of speech.
LONG_KO = "안녕하세요. 저는 결제 시스템의 장애를 줄이기 위해 모니터링을 개선했습니다."


def _stream(transcriber, audio, chunk_s=0.1, **opts):
    from server.media.stt import StreamingTranscriber

    st = StreamingTranscriber(transcriber, **opts)
    events = []
    for i in range(0, audio.size, int(chunk_s * SR)):
        events += st.feed(audio[i:i + int(chunk_s * SR)])
    return events + st.flush()


def test_korean_partials_decode_only_the_last_seconds(ko_transcriber, tmp_path, monkeypatch):
    audio = load_audio_16k(speak(LONG_KO, tmp_path / "long.wav", speed=170, voice="ko",
                                 pad_before=0.5, pad_after=1.0))
    assert audio.size > 6 * SR
    assert ko_transcriber.partial_window_s == 4.0
    seen: list[int] = []
    quick = ko_transcriber.quick_transcribe

    def spy(a, *args, **kw):
        seen.append(a.size)
        return quick(a, *args, **kw)

    monkeypatch.setattr(ko_transcriber, "quick_transcribe", spy)
    events = _stream(ko_transcriber, audio)
    partials = [e for e in events if e.kind == "partial"]
    finals = [e for e in events if e.kind == "final"]
    assert max(seen) == 4 * SR  # never more than the window, and the window was reached
    assert any(s < 4 * SR for s in seen)  # early partials: the whole utterance so far
    # partials past the window say they show the end of the utterance; the first ones do not
    assert partials and not any(p.text.startswith("…") for p in partials if p.end - p.start <= 4.0)
    assert any(p.text.startswith("… ") and p.end - p.start > 4.0 for p in partials), [p.text for p in partials]
    assert finals and not finals[0].text.startswith("…")
    assert any("\uac00" <= ch <= "\ud7a3" for ch in finals[0].text)

    # partial_window_s=0 turns it off: partials see the whole utterance
    seen.clear()
    _stream(ko_transcriber, audio, partial_window_s=0)
    assert max(seen) > 4 * SR


def test_english_keeps_whole_utterance_partials_and_plain_finals(transcriber):
    """English rooms are unchanged: no partial window, no extra decoding options."""
    from server.media.stt import StreamingTranscriber

    assert transcriber.partial_window_s is None and transcriber.final_options == {}
    assert StreamingTranscriber(transcriber).partial_window == 0


def test_korean_finals_carry_the_repetition_limits(ko_transcriber, monkeypatch):
    """The no-repeat rule reaches faster-whisper on bounded (live) Korean decodes only."""
    calls: list[dict] = []
    real = ko_transcriber.model.transcribe

    def spy(audio, **kw):
        calls.append(kw)
        return real(audio, **kw)

    monkeypatch.setattr(ko_transcriber.model, "transcribe", spy)
    rng = np.random.default_rng(0)
    noise = (0.1 * rng.standard_normal(2 * SR)).astype(np.float32)
    ko_transcriber.transcribe(noise, bounded=True)
    ko_transcriber.transcribe(noise)
    assert calls[0]["no_repeat_ngram_size"] == 3
    assert "no_repeat_ngram_size" not in calls[-1]
