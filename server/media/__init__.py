"""Media analysis for Interview Arena: speech-to-text, prosody, facial expression, and
the ``arena media`` sidecar that turns WebRTC / PCM chunks into live transcripts.

Submodules are imported lazily by callers so that ``import server.media`` stays cheap:

* :mod:`server.media.audio`      PCM validation/conversion, :class:`MediaError`
* :mod:`server.media.stt`        faster-whisper transcriber + streaming VAD wrapper
* :mod:`server.media.prosody`    pace, pauses, volume, pitch; live nudges
* :mod:`server.media.expression` face detection + FER2013 emotion model
* :mod:`server.media.sidecar`    Redis <-> aiortc media process (``arena media``)
  (its parts: :mod:`~server.media.registry`, :mod:`~server.media.recordings`,
  :mod:`~server.media.participant`, :mod:`~server.media.turns`, :mod:`~server.media.transcripts`,
  :mod:`~server.media.webrtc`)
* :mod:`server.media.cli`        ``arena transcribe`` / ``arena expression`` helpers
* :mod:`server.media.bench`      throughput / latency / memory benchmark
"""

from .audio import MediaError

__all__ = ["MediaError"]
