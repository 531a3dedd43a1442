"""PCM validation and conversion for the media sidecar.

Everything downstream (VAD, Whisper, prosody) works on **16 kHz mono float32**
arrays in the range [-1.0, 1.0], shape ``(n_samples,)``.  This module turns the
wire format (16-bit little-endian mono PCM bytes, as sent in ``audio_chunk``)
into that, and rejects bad input with a :class:`MediaError` whose ``code`` is
stable and safe to show to clients.

Error codes raised here:

* ``bad_sample_rate`` - the sample rate is not one of :data:`ALLOWED_SAMPLE_RATES`.
* ``chunk_too_large`` - one chunk holds more than :data:`MAX_CHUNK_BYTES` bytes.
* ``bad_audio``       - empty chunk, odd byte length, wrong dtype/shape, undecodable base64.
"""

from __future__ import annotations

import base64
import binascii
import wave
from pathlib import Path

import numpy as np

#: Sample rate everything is converted to (Hz).
TARGET_SAMPLE_RATE = 16000
#: Input sample rates accepted for ``audio_chunk`` (Hz). Anything else -> ``bad_sample_rate``.
ALLOWED_SAMPLE_RATES = frozenset({8000, 16000, 22050, 24000, 32000, 44100, 48000})
#: Largest decoded PCM chunk accepted (bytes). 64 KiB = 2.048 s of 16 kHz int16 mono.
MAX_CHUNK_BYTES = 64 * 1024
#: RMS level below which a whole clip counts as silence (dBFS). A quiet room on a
#: laptop microphone sits around -70..-60 dBFS; speech is -40..-15 dBFS.
SILENCE_DBFS = -60.0
#: Floor returned by :func:`rms_dbfs` for digital silence (dBFS).
DBFS_FLOOR = -120.0
#: A turn whose audio has stayed under :data:`SILENCE_DBFS` for this long from its start is
#: reported as ``silence`` (s): a muted or dead microphone. 3 s is longer than anyone waits
#: to start once their turn has begun (our choice, not a published figure); pauses after the
#: first sound never count, and neither does silence between turns.
SILENT_TURN_S = 3.0
#: The ``silence`` error's message (the bridge's ack and the sidecar's error say the same).
SILENT_TURN_MESSAGE = (f"only silence for {SILENT_TURN_S:.0f} s since your turn began: "
                       "is the microphone muted or unplugged?")


class MediaError(Exception):
    """An error with a stable machine-readable ``code`` and a human ``message``."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


def check_sample_rate(sample_rate: int) -> int:
    """Return ``sample_rate`` (Hz) as int, or raise ``bad_sample_rate``."""
    try:
        sr = int(sample_rate)
    except (TypeError, ValueError):
        raise MediaError("bad_sample_rate", f"sample_rate must be an integer, got {sample_rate!r}") from None
    if sr != sample_rate or sr not in ALLOWED_SAMPLE_RATES:
        allowed = ", ".join(str(r) for r in sorted(ALLOWED_SAMPLE_RATES))
        raise MediaError("bad_sample_rate", f"sample_rate {sample_rate!r} Hz not supported; use one of {allowed}")
    return sr


def decode_b64(data: str | bytes) -> bytes:
    """Decode base64 text (the ``pcm`` field of ``audio_chunk``) or raise ``bad_audio``."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise MediaError("bad_audio", "pcm is not valid base64") from None


def pcm16_to_float32(pcm: bytes, *, max_bytes: int = MAX_CHUNK_BYTES) -> np.ndarray:
    """Convert 16-bit little-endian mono PCM bytes to float32.

    Args:
        pcm: raw bytes, 2 bytes per sample.
        max_bytes: size limit (bytes); larger -> ``chunk_too_large``.

    Returns:
        float32 array, shape ``(len(pcm) // 2,)``, values in [-1.0, 1.0).
    """
    if not isinstance(pcm, (bytes, bytearray, memoryview)):
        raise MediaError("bad_audio", f"pcm must be bytes, got {type(pcm).__name__}")
    n = len(pcm)
    if n > max_bytes:
        raise MediaError("chunk_too_large", f"chunk is {n} bytes; the limit is {max_bytes} bytes")
    if n == 0:
        raise MediaError("bad_audio", "chunk is empty")
    if n % 2:
        raise MediaError("bad_audio", f"chunk has an odd length ({n} bytes); expected 16-bit samples")
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def to_float32(audio: np.ndarray) -> np.ndarray:
    """Accept int16 or float arrays, shape ``(n,)`` or ``(n, 1)``; return float32 ``(n,)``.

    int16 is scaled by 1/32768; float input is assumed to be in [-1, 1] already.
    """
    a = np.asarray(audio)
    if a.ndim == 2 and 1 in a.shape:
        a = a.reshape(-1)
    if a.ndim != 1:
        raise MediaError("bad_audio", f"expected mono audio with shape (n,), got {a.shape}")
    if a.dtype == np.int16:
        return a.astype(np.float32) / 32768.0
    if np.issubdtype(a.dtype, np.floating):
        return np.ascontiguousarray(a, dtype=np.float32)
    raise MediaError("bad_audio", f"unsupported sample dtype {a.dtype}")


def resample(audio: np.ndarray, sample_rate: int, target_rate: int = TARGET_SAMPLE_RATE) -> np.ndarray:
    """Resample a whole float32 mono array from ``sample_rate`` to ``target_rate`` (Hz) with soxr (HQ)."""
    if sample_rate == target_rate:
        return audio
    import soxr

    return soxr.resample(audio, sample_rate, target_rate, quality="HQ").astype(np.float32, copy=False)


def rms_dbfs(audio: np.ndarray) -> float:
    """Root-mean-square level of float audio in dBFS (0 dBFS = full-scale square wave).

    Returns :data:`DBFS_FLOOR` for empty or all-zero input.
    """
    if audio.size == 0:
        return DBFS_FLOOR
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    if rms <= 0.0:
        return DBFS_FLOOR
    return max(DBFS_FLOOR, 20.0 * np.log10(rms))


def is_silent(audio: np.ndarray, threshold_dbfs: float = SILENCE_DBFS) -> bool:
    """True when the RMS level of ``audio`` is below ``threshold_dbfs`` (dBFS)."""
    return rms_dbfs(audio) < threshold_dbfs


class LeadingSilence:
    """The silence at the start of a turn, until its first sound: a muted or dead microphone.

    One per turn. :meth:`add` each piece of the turn's audio; :attr:`muted` turns True once
    :data:`SILENT_TURN_S` s have come in, all under :data:`SILENCE_DBFS`, and stays False for
    the rest of the turn after any sound. Used by the game server (per ``audio_chunk``) and the
    sidecar (WebRTC and chunks alike), so both apply the same rule.
    """

    def __init__(self) -> None:
        self.silent_s = 0.0   # s of silence before any sound
        self.heard = False    # any audio above the floor so far

    @property
    def muted(self) -> bool:
        return not self.heard and self.silent_s >= SILENT_TURN_S

    def add(self, audio: np.ndarray, sample_rate: int = TARGET_SAMPLE_RATE) -> bool:
        """Count float ``audio`` (``sample_rate`` Hz); returns whether this piece was silent."""
        if self.heard or audio.size == 0:
            return False
        if not is_silent(audio):
            self.heard = True
            return False
        self.silent_s += audio.size / sample_rate
        return True


class ChunkDecoder:
    """Per-participant decoder for ``audio_chunk`` messages.

    Keeps a streaming soxr resampler per input rate so chunk boundaries do not
    click, and drops duplicate / stale ``seq`` numbers.
    """

    def __init__(self, target_rate: int = TARGET_SAMPLE_RATE):
        self.target_rate = target_rate
        self.last_seq: int | None = None
        self._rate: int | None = None
        self._stream = None

    def decode(self, pcm: bytes | str, sample_rate: int, seq: int | None = None) -> np.ndarray | None:
        """Validate and convert one chunk.

        Args:
            pcm: raw int16 LE mono bytes, or their base64 text.
            sample_rate: input rate (Hz), one of :data:`ALLOWED_SAMPLE_RATES`.
            seq: client sequence number; a chunk with ``seq <= last seq`` is a
                duplicate and returns ``None``.

        Returns:
            float32 array at ``target_rate`` Hz, shape ``(m,)`` (``m`` may be 0
            while the resampler fills), or ``None`` for a duplicate.
        """
        sr = check_sample_rate(sample_rate)
        if isinstance(pcm, str):
            pcm = decode_b64(pcm)
        x = pcm16_to_float32(pcm)
        if seq is not None:
            if self.last_seq is not None and seq <= self.last_seq:
                return None
            self.last_seq = seq
        if sr == self.target_rate:
            return x
        if self._rate != sr:
            import soxr

            self._stream = soxr.ResampleStream(sr, self.target_rate, 1, dtype="float32", quality="HQ")
            self._rate = sr
        return self._stream.resample_chunk(x)


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Read a PCM WAV file; return (float32 mono samples ``(n,)``, sample rate Hz).

    Stereo is averaged to mono. 8/16/24/32-bit integer PCM is supported by the
    stdlib reader; other formats fall back to soundfile when installed.
    """
    path = str(path)
    try:
        with wave.open(path, "rb") as w:
            sr = w.getframerate()
            ch = w.getnchannels()
            width = w.getsampwidth()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        try:
            import soundfile as sf
        except ImportError:
            raise MediaError("bad_audio", f"cannot read {path}: {exc}") from None
        data, sr = sf.read(path, dtype="float32", always_2d=True)
        return np.ascontiguousarray(data.mean(axis=1), dtype=np.float32), int(sr)
    if width == 2:
        a = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif width == 1:
        a = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 4:
        a = np.frombuffer(raw, dtype="<i4").astype(np.float32) / 2147483648.0
    elif width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3)
        i = (b[:, 0].astype(np.int32) | (b[:, 1].astype(np.int32) << 8) | (b[:, 2].astype(np.int32) << 16))
        i = np.where(i >= 1 << 23, i - (1 << 24), i)
        a = i.astype(np.float32) / float(1 << 23)
    else:
        raise MediaError("bad_audio", f"unsupported WAV sample width {width} bytes")
    if ch > 1:
        a = a.reshape(-1, ch).mean(axis=1)
    return a, sr


def load_audio_16k(path: str | Path) -> np.ndarray:
    """Read a WAV file and return 16 kHz mono float32, shape ``(n,)``."""
    a, sr = read_wav(path)
    return resample(a, sr, TARGET_SAMPLE_RATE)


def write_wav(path: str | Path, audio: np.ndarray, sample_rate: int = TARGET_SAMPLE_RATE) -> Path:
    """Write float32 mono audio (``(n,)``, [-1, 1]) as a 16-bit PCM WAV; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm)
    return path
