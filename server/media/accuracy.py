"""Transcript accuracy of the live pipeline against the model on the whole utterance.

``python -m server.media.bench --wer [--language ko]`` runs :func:`accuracy_bench`:

* a fixed set of spoken answers (:data:`ANSWERS_EN`, :data:`ANSWERS_KO`: a question, its topic
  words and a 2-3 sentence answer whose phrasing the tests never use), spoken by espeak-ng
  (deterministic: same text, voice and rate give the same samples) with 0.9 s between sentences,
  so the VAD cuts every answer into several utterances;
* **whole utterance**: :meth:`Transcriber.transcribe` on each whole answer, beam 5, no prompt;
* **live, no context**: :class:`StreamingTranscriber` fed 100 ms chunks, each utterance decoded on
  its own (the pipeline before issue 13);
* **live** (the default pipeline): the same, with the question and topic words, the turn's
  earlier finals and fillers in the decoder prompt, and finals decoded ahead during the hang-over.

WER (English) / CER (Korean) are corpus rates after lower-casing, stripping punctuation and
fillers (:data:`server.media.prosody.FILLERS`: the references have none; a kept "um" is not an
error). The figures are in ``docs/performance.md``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

SR = 16000
GAP_S = 0.9

#: (question, topic words, answer sentences). Not used by any test.
ANSWERS_EN = [
    ("Tell me about an outage you handled.", "incident review, circuit breaker, retries",
     ["I led the incident review and added circuit breakers to the checkout service.",
      "After that change, a slow dependency could no longer take the whole site down."]),
    ("How do you handle disagreement in a team?", "conflict, compromise, trade-offs",
     ["When the designers and the engineers disagreed, I asked both sides to list their constraints.",
      "We agreed on a smaller first release and kept the rest for the next quarter."]),
    ("How would you make a slow database query faster?", "index, query plan, caching",
     ["I would start by reading the query plan to see where the time goes.",
      "Usually a missing index on the join column explains most of it."]),
    ("Why do you want to work here?", "motivation, mission, growth",
     ["I admire how your team ships small improvements every week.",
      "I want to grow as an engineer in a place that values careful reviews."]),
    ("Describe a project you are proud of.", "ownership, impact, metrics",
     ["Last year I rebuilt our billing reports from scratch.",
      "Finance now closes the month two days earlier, and the numbers match the ledger."]),
    ("How do you test your code?", "unit tests, integration tests, continuous integration",
     ["I write unit tests for the logic and a few integration tests against a real database.",
      "Every pull request runs them in continuous integration before anyone reviews it."]),
]
ANSWERS_KO = [
    ("장애를 처리한 경험을 말해 주세요.", "장애 회고, 모니터링",
     ["저는 결제 시스템의 장애를 줄이기 위해 모니터링을 개선했습니다.", "그 뒤로 같은 문제가 다시 생기지 않았습니다."]),
    ("느린 서비스를 어떻게 빠르게 만들었나요?", "캐시, 지연 시간",
     ["먼저 지연 시간을 측정했습니다.", "그리고 캐시를 추가해서 응답 시간을 절반으로 줄였습니다."]),
    ("팀에서 의견이 다를 때 어떻게 하나요?", "갈등, 장단점",
     ["두 팀의 의견이 달랐을 때 장단점을 정리했습니다.", "그래서 더 단순한 방법을 골랐습니다."]),
]


def _norm_en(s: str) -> str:
    from .prosody import FILLERS

    s = re.sub(r"[^a-z0-9' ]+", " ", s.lower().replace("-", " "))
    return " ".join(w for w in s.split() if w not in FILLERS["en"] - {"like"})


def _norm_ko(s: str) -> str:
    from .prosody import FILLERS

    toks = [t for t in re.split(r"[\s,.!?]+", s) if t and t not in FILLERS["ko"]]
    return re.sub(r"[\W_]+", "", "".join(toks).lower())


def error_rate(refs: list[str], hyps: list[str], language: str) -> float:
    """Corpus WER (``en``) or CER (``ko``, spaces ignored) after normalisation (jiwer)."""
    import jiwer

    if language == "ko":
        return float(jiwer.cer([_norm_ko(r) for r in refs], [_norm_ko(h) for h in hyps]))
    return float(jiwer.wer([_norm_en(r) for r in refs], [_norm_en(h) for h in hyps]))


def speak_answers(language: str = "en") -> list[tuple[str, str, np.ndarray]]:
    """``[(prompt, reference, audio)]``: each answer spoken by espeak-ng (``en-us`` 160 wpm or
    ``ko`` 170 wpm), sentences 0.9 s apart, 0.5 s of silence before and 1.5 s after; 16 kHz float32.

    Raises:
        SystemExit: espeak-ng or sox missing.
    """
    from .audio import load_audio_16k

    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        raise SystemExit("espeak-ng and sox are needed (apt-get install -y espeak-ng sox)")
    voice, speed = ("ko", "170") if language == "ko" else ("en-us", "160")
    out = []
    with tempfile.TemporaryDirectory() as d:
        for i, (q, topics, sentences) in enumerate(ANSWERS_KO if language == "ko" else ANSWERS_EN):
            parts = [np.zeros(int(0.5 * SR), np.float32)]
            for j, s in enumerate(sentences):
                raw, wav = Path(d) / f"{i}-{j}.raw.wav", Path(d) / f"{i}-{j}.wav"
                subprocess.run(["espeak-ng", "-v", voice, "-s", speed, "-w", str(raw), s], check=True)
                subprocess.run(["sox", "-q", "-R", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav)], check=True)
                parts += [load_audio_16k(wav), np.zeros(int(GAP_S * SR), np.float32)]
            parts.append(np.zeros(int(0.6 * SR), np.float32))
            out.append((f"{q} {topics}.", " ".join(sentences), np.concatenate(parts)))
    return out


def live_transcript(transcriber, audio: np.ndarray, prompt: str = "", chunk_s: float = 0.1,
                    **stream_options) -> tuple[str, int]:
    """The live pipeline's transcript of one answer (its finals joined) and the number of finals."""
    from .streaming import StreamingTranscriber

    st = StreamingTranscriber(transcriber, **stream_options)
    st.set_question(prompt)
    finals = []
    step = int(chunk_s * SR)
    for off in range(0, audio.size, step):
        finals += [e.text for e in st.feed(audio[off:off + step]) if e.kind == "final"]
    finals += [e.text for e in st.flush() if e.kind == "final"]
    return " ".join(finals), len(finals)


def accuracy_bench(language: str = "en", threads: int = 1) -> dict:
    """WER/CER of the three ways (module docstring) on the fixed set, with CPU seconds of each."""
    from .models import model_dir_for
    from .stt import Transcriber

    tr = Transcriber(model_dir_for(language), cpu_threads=threads, language=language)
    answers = speak_answers(language)
    refs = [r for _, r, _ in answers]
    ways = {
        "whole_utterance": lambda q, a: tr.transcribe(a, beam_size=5, word_timestamps=False).text,
        "live_no_context": lambda q, a: live_transcript(tr, a, context=False, early_final_ms=None, partials=False)[0],
        "live": lambda q, a: live_transcript(tr, a, q, partials=False)[0],
    }
    out: dict = {"language": language, "model_dir": tr.model_dir, "answers": len(answers),
                 "audio_s": round(sum(a.size for _, _, a in answers) / SR, 1),
                 "metric": "cer" if language == "ko" else "wer"}
    for name, fn in ways.items():
        t0 = time.process_time()
        hyps = [fn(q, a) for q, _, a in answers]
        out[name] = {"rate": round(error_rate(refs, hyps, language), 3),
                     "cpu_s": round(time.process_time() - t0, 2), "hypotheses": hyps}
    out["references"] = refs
    return out
