"""JPEGs and the pixels TensorFlow decodes from them: the reference of CAMKit's `--jpeg-decoder tf`
(ImageCodec.decode(jpeg: .tf), Sources/CCV/cv.cpp ctcv_decode_jpeg_tf).

TensorFlow's `tf.io.decode_image(data, channels=3)` is what tfds' Image feature and the tutorial's
`tf.io.read_file` + `decode_*` pipelines run; for a JPEG it is `decode_jpeg` with its defaults
(dct_method "" = INTEGER_FAST, fancy upscaling on).

The JPEGs are encoded here by Pillow from a seeded smooth random image with edges (so that chroma
and the IDCT both matter):
  q90_420      160x120, quality 90, 4:2:0 (the usual photo)
  q75_444      123x77, quality 75, 4:4:4, odd size
  q85_422      97x61, quality 85, 4:2:2, odd size
  gray         64x48, grayscale (decoded to 3 equal channels)
  progressive  100x75, quality 80, 4:2:0, progressive
  q95_420_odd  33x17, quality 95, 4:2:0, sizes not multiples of 16

Writes Tests/Fixtures/imaging/jpeg_tf.safetensors: for each name, `<name>.jpeg` (the file's bytes,
uint8 [n]) and `<name>.tf` (uint8 [h, w, 3], tf.io.decode_image). It prints how far
`dct_method="INTEGER_ACCURATE"` is from them (not stored).

Regenerate (from the repository root; venv: tools/requirements-tensorflow.txt):
    python3.11 -m venv tools/.venv-tf && tools/.venv-tf/bin/pip install -r tools/requirements-tensorflow.txt
    tools/.venv-tf/bin/python tools/make_jpeg_fixtures.py
"""
import io
import os

import numpy as np
import tensorflow as tf
from PIL import Image
from safetensors.numpy import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "imaging", "jpeg_tf.safetensors")


def picture(rng, w, h):
    """Smooth colour gradients with a few hard-edged rectangles and some noise."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.stack([
        128 + 100 * np.sin(x / (w / 3.1) + rng.uniform(0, 6)),
        128 + 100 * np.cos(y / (h / 2.3) + rng.uniform(0, 6)),
        128 + 90 * np.sin((x + y) / ((w + h) / 4.7)),
    ], axis=-1)
    for _ in range(4):
        x0, y0 = rng.integers(0, w - 4), rng.integers(0, h - 4)
        img[y0:y0 + rng.integers(3, h // 2 + 4), x0:x0 + rng.integers(3, w // 2 + 4)] = rng.uniform(0, 255, 3)
    img += rng.normal(0, 6, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def encode(pixels, gray=False, **options):
    buf = io.BytesIO()
    image = Image.fromarray(pixels)
    if gray:
        image = image.convert("L")
    image.save(buf, format="JPEG", **options)
    return buf.getvalue()


def main():
    rng = np.random.default_rng(3)
    cases = {
        "q90_420": encode(picture(rng, 160, 120), quality=90, subsampling=2),
        "q75_444": encode(picture(rng, 123, 77), quality=75, subsampling=0),
        "q85_422": encode(picture(rng, 97, 61), quality=85, subsampling=1),
        "gray": encode(picture(rng, 64, 48), gray=True, quality=85),
        "progressive": encode(picture(rng, 100, 75), quality=80, subsampling=2, progressive=True),
        "q95_420_odd": encode(picture(rng, 33, 17), quality=95, subsampling=2),
    }
    tensors = {}
    for name, data in cases.items():
        fast = tf.io.decode_image(data, channels=3, expand_animations=False).numpy()
        accurate = tf.io.decode_jpeg(data, channels=3, dct_method="INTEGER_ACCURATE").numpy()
        tensors[f"{name}.jpeg"] = np.frombuffer(data, dtype=np.uint8).copy()
        tensors[f"{name}.tf"] = fast
        diff = np.abs(fast.astype(int) - accurate.astype(int))
        print(f"{name}: {fast.shape}, {len(data)} bytes; INTEGER_FAST vs ACCURATE: max {diff.max()}, "
              f"{(diff > 0).mean() * 100:.1f}% of values differ")
    save_file(tensors, OUT, metadata={"tensorflow": tf.__version__, "pillow": Image.__version__})
    print(f"wrote {OUT}: {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
