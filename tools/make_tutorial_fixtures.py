"""Tutorial parity fixtures: the reference tutorial's own CAM / Grad-CAM / box / IoU code, run by
TensorFlow on the checked-in Keras fixture model.

Regenerate (from the repository root; needs the Keras fixtures of tools/make_keras_fixtures.py):

    python3.11 -m venv tools/.venv-tf                      # if it does not exist yet
    tools/.venv-tf/bin/pip install -r tools/requirements-tensorflow.txt
    tools/.venv-tf/bin/python tools/make_tutorial_fixtures.py    # writes Tests/Fixtures/tutorial/

(tools/requirements-tensorflow.txt: tensorflow-cpu 2.21.0, tf-keras 2.21.0, numpy 2.4.6,
opencv-python-headless 4.14.0.94, a 4.x wheel built for NumPy 2, ...)

What runs: `normalize_and_resize_img`, `generate_cam`, `generate_grad_cam`, `get_bbox`,
`rect_to_minmax` and `get_iou`, transcribed from the tutorial (shared/seed/000_a735994243d4d883.txt)
with only these plumbing changes:
  - TF_USE_LEGACY_KERAS=1, so that `tf.keras` is Keras 2 (tf_keras 2.21), the Keras the tutorial ran
    and the one that wrote tiny_resnet_keras2.h5;
  - the resize target is the fixture model's input size (64) instead of 224;
  - `np.int0` (removed in NumPy 2) is spelled `np.intp`, which is what it was an alias of;
  - `item` is a dict {'image': uint8 HxWx3, 'label': int, 'bbox': float32 [4]}, as `get_one` returns.
Their arithmetic, dtypes, the `np.max` normalisation and `cv2.resize` are untouched.

OpenCV: the wheel is 4.14, not the 4.6 that CAMKit's shim links, because opencv-python-headless 4.6
needs NumPy 1 and this venv has NumPy 2. The functions used here (resize INTER_LINEAR on float32,
findContours, minAreaRect, boxPoints) give the same results in both, which the Swift test's exact
box comparison confirms.

Model: Tests/Fixtures/keras/tiny_resnet_keras2.h5 (Keras' own ResNet builder, stages conv2 x2 blocks,
conv3..conv5 x1 block, input 64, Dense(5, softmax)). Its `model.layers[-3]` is conv5_block1_out (the
block feeding GAP; asserted below). The tutorial's conv5_block3_out / conv4_block3_out /
conv3_block3_out become conv5_block1_out (2x2), conv4_block1_out (4x4) and conv3_block1_out (8x8).

Image: a deterministic 70 (high) x 90 (wide) RGB uint8 image from a formula (IMAGE_FORMULA),
stored as image.png (lossless). The label is the class whose raw maps have mixed signs in the most of
the four maps with a positive maximum in all of them (chosen below, recorded in expected.json).

Writes Tests/Fixtures/tutorial/ (about 215 kB):
  image.png                         the image
  input.npy                         normalize_and_resize_img's output, float32 [64, 64, 3]
  cam.npy                           generate_cam(model, item), float32 [70, 90]
  gradcam.<layer>.npy               generate_grad_cam(model, layer, item), float32 [70, 90]
  resize.<h>x<w>.in.npy / .out.npy  cv2.resize(map, (90, 70)) alone on float32 maps of 2x2 and 8x8
                                    (the tutorial's last step, checked on its own)
  expected.json                     label, layers, TF's softmax output for the image, per map the
                                    raw (pre-normalisation) map's min/max at feature resolution,
                                    get_bbox's rect (int corners), rect_to_minmax's box and get_iou
                                    against the made-up ground truth `gt_bbox` (float32, like
                                    item['bbox']), plus the smallest distance of any map value to the
                                    0.05 threshold (how far the boxes are from flipping a pixel).
"""

import copy
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ["TF_USE_LEGACY_KERAS"] = "1"

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402  (only for its version string)
from PIL import Image  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MODEL = os.path.join(ROOT, "Tests", "Fixtures", "keras", "tiny_resnet_keras2.h5")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "tutorial")
SIZE = 64  # the fixture model's input size (the tutorial's 224)
HEIGHT, WIDTH = 70, 90
LAYERS = ["conv5_block1_out", "conv4_block1_out", "conv3_block1_out"]
RESIZE_SHAPES = [(2, 2), (8, 8)]
GT_BBOX = np.array([0.05, 0.15, 0.95, 0.9], dtype=np.float32)  # made up, overlaps every box; [ymin, xmin, ymax, xmax]
IMAGE_FORMULA = ("img[y,x,c] = uint8(clip(rint(127.5 + 120 * sin(0.058*x*(c+1) + 0.136*y - 1.154*c) "
                 "* exp(-((x-31.9)^2/900 + (y-52.4)^2/500)) + 49.1*cos(0.05*(x+y)*(c+2))), 0, 255)), "
                 "float64, H=70 W=90")


def make_image():
    y, x, c = np.meshgrid(np.arange(HEIGHT), np.arange(WIDTH), np.arange(3), indexing="ij")
    # Parameters picked (by a one-off search) so that one class has mixed-sign raw maps at all four
    # places with a positive maximum in each: the tutorial's division by the max then leaves negative
    # values, which its get_bbox zeroes, and the boxes are not the whole image.
    v = (127.5 + 120 * np.sin(0.058 * x * (c + 1) + 0.136 * y - 1.154 * c)
         * np.exp(-((x - 31.9) ** 2 / 900 + (y - 52.4) ** 2 / 500)) + 49.1 * np.cos(0.05 * (x + y) * (c + 2)))
    return np.clip(np.rint(v), 0, 255).astype(np.uint8)


# ---- the tutorial's code (see the module docstring for the plumbing changes) ----

def normalize_and_resize_img(input):
    """Normalizes images: `uint8` -> `float32`."""
    image = tf.image.resize(input['image'], [SIZE, SIZE])
    input['image'] = tf.cast(image, tf.float32) / 255.
    return input['image'], input['label']


def generate_cam(model, item):
    item = copy.deepcopy(item)
    width = item['image'].shape[1]
    height = item['image'].shape[0]

    img_tensor, class_idx = normalize_and_resize_img(item)

    cam_model = tf.keras.models.Model([model.inputs], [model.layers[-3].output, model.output])
    conv_outputs, predictions = cam_model(tf.expand_dims(img_tensor, 0))

    conv_outputs = conv_outputs[0, :, :, :]
    class_weights = model.layers[-1].get_weights()[0]

    cam_image = np.zeros(dtype=np.float32, shape=conv_outputs.shape[0:2])
    for i, w in enumerate(class_weights[:, class_idx]):
        cam_image += w * conv_outputs[:, :, i]

    cam_image /= np.max(cam_image)
    cam_image = cam_image.numpy()
    cam_image = cv2.resize(cam_image, (width, height))
    return cam_image


def generate_grad_cam(model, activation_layer, item):
    item = copy.deepcopy(item)
    width = item['image'].shape[1]
    height = item['image'].shape[0]
    img_tensor, class_idx = normalize_and_resize_img(item)

    grad_model = tf.keras.models.Model([model.inputs], [model.get_layer(activation_layer).output, model.output])

    with tf.GradientTape() as tape:
        conv_output, pred = grad_model(tf.expand_dims(img_tensor, 0))

        loss = pred[:, class_idx]
        output = conv_output[0]
        grad_val = tape.gradient(loss, conv_output)[0]

    weights = np.mean(grad_val, axis=(0, 1))
    grad_cam_image = np.zeros(dtype=np.float32, shape=conv_output.shape[0:2])
    for k, w in enumerate(weights):
        grad_cam_image += w * output[:, :, k]

    grad_cam_image /= np.max(grad_cam_image)
    grad_cam_image = grad_cam_image.numpy()
    grad_cam_image = cv2.resize(grad_cam_image, (width, height))
    return grad_cam_image


def get_bbox(cam_image, score_thresh=0.05):
    low_indicies = cam_image <= score_thresh
    cam_image[low_indicies] = 0
    cam_image = (cam_image*255).astype(np.uint8)

    contours, _ = cv2.findContours(cam_image, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    cnt = contours[0]
    rotated_rect = cv2.minAreaRect(cnt)
    rect = cv2.boxPoints(rotated_rect)
    rect = np.intp(rect)
    return rect


def rect_to_minmax(rect, image):
    bbox = [
        rect[:, 1].min()/float(image.shape[0]),
        rect[:, 0].min()/float(image.shape[1]),
        rect[:, 1].max()/float(image.shape[0]),
        rect[:, 0].max()/float(image.shape[1])
    ]
    return bbox


def get_iou(boxA, boxB):
    y_min = max(boxA[0], boxB[0])
    x_min = max(boxA[1], boxB[1])
    y_max = min(boxA[2], boxB[2])
    x_max = min(boxA[3], boxB[3])

    interArea = max(0, x_max - x_min) * max(0, y_max - y_min)
    boxAArea = (boxA[2] - boxA[0]) * (boxA[3] - boxA[1])
    boxBArea = (boxB[2] - boxB[0]) * (boxB[3] - boxB[1])
    iou = interArea / float(boxAArea + boxBArea - interArea)

    return iou


# ---- fixture plumbing (not the tutorial's) ----

def raw_maps(model, item, classes):
    """Pre-normalisation maps at feature resolution for each class, computed outside the tutorial's
    functions: they pick the label and give the raw min/max recorded in expected.json."""
    img, _ = normalize_and_resize_img(copy.deepcopy(item))
    probe = tf.keras.models.Model(model.inputs, [model.get_layer(n).output for n in LAYERS] + [model.output])
    w = model.layers[-1].get_weights()[0]
    out = {}
    for c in range(classes):
        with tf.GradientTape() as tape:
            *acts, pred = probe(tf.expand_dims(img, 0))
            loss = pred[:, c]
        grads = tape.gradient(loss, acts)
        maps = {"cam": np.tensordot(acts[0][0].numpy(), w[:, c], axes=([2], [0]))}
        for name, a, g in zip(LAYERS, acts, grads):
            maps[name] = np.tensordot(a[0].numpy(), g[0].numpy().mean(axis=(0, 1)), axes=([2], [0]))
        out[c] = maps
    return out


def decision_margin(cam_image, score_thresh=0.05):
    """Smallest distance of a map value to get_bbox's threshold. findContours only sees zero versus
    non-zero, and every value above 0.05 stays non-zero after the uint8 cast, so the threshold is
    the box rule's only decision point."""
    return float(np.abs(cam_image.astype(np.float64) - score_thresh).min())


def main():
    os.makedirs(OUT, exist_ok=True)
    model = tf.keras.models.load_model(MODEL)
    assert model.layers[-3].name == LAYERS[0], model.layers[-3].name
    assert model.layers[-2].name == "avg_pool" and model.layers[-1].name == "dense"
    classes = model.layers[-1].get_weights()[0].shape[1]

    image = make_image()
    Image.fromarray(image).save(os.path.join(OUT, "image.png"))
    assert np.array_equal(np.asarray(Image.open(os.path.join(OUT, "image.png"))), image)

    item = {"image": image, "label": 0, "bbox": GT_BBOX}
    img_tensor, _ = normalize_and_resize_img(copy.deepcopy(item))
    np.save(os.path.join(OUT, "input.npy"), img_tensor.numpy().astype(np.float32))
    probabilities = model(tf.expand_dims(img_tensor, 0)).numpy()[0]

    # The label: mixed signs in as many raw maps as possible, every map's maximum positive
    # (the tutorial's division by the max needs it).
    raws = raw_maps(model, item, classes)

    def mixed(c):
        return sum(int(m.min() < 0 < m.max()) for m in raws[c].values())

    eligible = [c for c in range(classes) if all(m.max() > 0 for m in raws[c].values())]
    assert eligible, "no class has a positive maximum in every map"
    label = max(eligible, key=lambda c: (mixed(c), -c))
    for c in range(classes):
        print(f"class {c}: p={probabilities[c]:.4f} mixed maps {mixed(c)}/4 "
              + " ".join(f"{k}[{m.min():+.3g},{m.max():+.3g}]" for k, m in raws[c].items()))
    item["label"] = label

    expected = {
        "description": "The tutorial's generate_cam / generate_grad_cam / get_bbox / rect_to_minmax / get_iou "
                       "on image.png with Tests/Fixtures/keras/tiny_resnet_keras2.h5 (tools/make_tutorial_fixtures.py)",
        "tensorflow": tf.__version__, "keras": tf_keras.__version__, "opencv": cv2.__version__, "numpy": np.__version__,
        "model": "Tests/Fixtures/keras/tiny_resnet_keras2.h5",
        "image": "image.png", "image_formula": IMAGE_FORMULA, "height": HEIGHT, "width": WIDTH,
        "input_size": SIZE, "label": label, "layers": LAYERS,
        "probabilities": [float(p) for p in probabilities],
        "gt_bbox": [float(v) for v in GT_BBOX],
        "maps": {},
    }

    runs = [("cam", LAYERS[0], lambda: generate_cam(model, item))]
    runs += [("gradcam", layer, (lambda l=layer: generate_grad_cam(model, l, item))) for layer in LAYERS]
    for method, layer, run in runs:
        cam_image = run()
        assert cam_image.dtype == np.float32 and cam_image.shape == (HEIGHT, WIDTH)
        file = "cam.npy" if method == "cam" else f"gradcam.{layer}.npy"
        np.save(os.path.join(OUT, file), cam_image)
        margin = decision_margin(cam_image)
        rect = get_bbox(copy.deepcopy(cam_image))
        pred_bbox = rect_to_minmax(rect, item['image'])
        iou = get_iou(pred_bbox, item['bbox'])
        raw = raws[label]["cam" if method == "cam" else layer]
        key = "cam" if method == "cam" else f"gradcam.{layer}"
        expected["maps"][key] = {
            "method": method, "layer": layer, "file": file,
            "feature_shape": list(raw.shape), "raw_min": float(raw.min()), "raw_max": float(raw.max()),
            "rect": rect.tolist(), "pred_bbox": [float(v) for v in pred_bbox], "iou": float(iou),
            "box_decision_margin": margin,
        }
        print(f"{key:28s} raw [{raw.min():+.4g}, {raw.max():+.4g}]  rect {rect.tolist()}  "
              f"bbox {np.round(pred_bbox, 4).tolist()}  iou {iou:.6f}  margin {margin:.2e}")

    # cv2.resize alone (the tutorial's last step) on float32 maps of the feature shapes (2x2, 8x8).
    expected["resize_checks"] = []
    for h, w in RESIZE_SHAPES:
        yy, xx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
        small = (1.3 * np.sin(1.7 * yy + 0.9 * xx + 0.3) - 0.2).astype(np.float32)
        big = cv2.resize(small, (WIDTH, HEIGHT))
        np.save(os.path.join(OUT, f"resize.{h}x{w}.in.npy"), small)
        np.save(os.path.join(OUT, f"resize.{h}x{w}.out.npy"), big)
        expected["resize_checks"].append({"in": f"resize.{h}x{w}.in.npy", "out": f"resize.{h}x{w}.out.npy"})

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    total = 0
    for name in sorted(os.listdir(OUT)):
        size = os.path.getsize(os.path.join(OUT, name))
        total += size
        print(f"{size:>9}  {name}")
    print(f"{total:>9}  total; label {label}, probabilities {np.round(probabilities, 4).tolist()}")


if __name__ == "__main__":
    sys.exit(main())
