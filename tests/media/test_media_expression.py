"""Facial expression with the offline FER2013 model."""

from __future__ import annotations

import numpy as np
import pytest

from server.media.audio import MediaError
from server.media.expression import LABELS

from media_helpers import need_modules


@pytest.fixture(scope="module")
def astronaut():
    need_modules("skimage")
    import skimage.data

    return skimage.data.astronaut()  # RGB uint8 (512, 512, 3)


def test_astronaut_is_happy(analyzer, astronaut):
    res = analyzer.analyse(astronaut, rgb=True)
    assert res["backend"] == "fer"
    assert len(res["faces"]) == 1
    face = res["faces"][0]
    x, y, w, h = face["box"]
    assert 150 < x < 220 and 40 < y < 110 and 70 < w < 130  # Eileen Collins' face
    emo = face["emotions"]
    assert set(emo) == set(LABELS)
    assert sum(emo.values()) == pytest.approx(1.0, abs=0.02)
    assert max(emo, key=emo.get) == "happy" and emo["happy"] > 0.9


def test_bgr_file_path_and_cli(analyzer, astronaut, tmp_path):
    import cv2

    from server.media.cli import expression_command

    path = tmp_path / "astronaut.png"
    cv2.imwrite(str(path), astronaut[:, :, ::-1])
    out = expression_command(str(path))
    assert out["faces"][0]["dominant"] == "happy"


@pytest.mark.parametrize("shape,value", [((480, 640, 3), 0), ((480, 640, 3), 255), ((240, 320), 128)])
def test_blank_image_has_no_faces(analyzer, shape, value):
    assert analyzer.analyse(np.full(shape, value, np.uint8)) == {"faces": [], "backend": "fer"}


def test_no_face_in_noise(analyzer):
    img = np.random.default_rng(0).integers(0, 256, (360, 480, 3), dtype=np.uint8)
    assert analyzer.analyse(img)["faces"] == []


def test_bad_images(analyzer, tmp_path):
    with pytest.raises(MediaError) as e:
        analyzer.analyse(np.zeros((10, 10, 5), np.uint8))
    assert e.value.code == "bad_image"
    bad = tmp_path / "x.png"
    bad.write_bytes(b"not an image")
    with pytest.raises(MediaError) as e:
        analyzer.analyse(str(bad))
    assert e.value.code == "bad_image"
