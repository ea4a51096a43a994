"""Full-size keras.applications parity: CAMKit's graph importer against Keras/TensorFlow on the
models users actually have (issue #15), layer by layer, from both `.h5` and `.keras` files.

Run (from the repository root, after `swift build --build-tests`):

    python3.11 -m venv tools/.venv-tf && tools/.venv-tf/bin/pip install -r tools/requirements-tensorflow.txt
    tools/.venv-tf/bin/python tools/compare_keras_applications.py [--work /tmp/camkit-apps] [--size 96]
        [--models MobileNetV2,EfficientNetB0,...]

Nothing it writes is committed (the files are 10-100 MB per model). Two stages, each alone with --stage:

  keras   every model of --models built by keras.applications with weights=None under
          keras.utils.set_random_seed(0), 10 classes, input (--size, --size, 3); every
          BatchNormalization gets seeded non-default gamma/beta/mean/variance (Keras' defaults could
          not tell a swapped mean and variance apart). Saved as <work>/<Model>/model.h5 and model.keras.
          For a seeded input.npy [2, S, S, 3] in [-1, 1] (what each model's first layer receives) it
          writes every layer's output (keras/<layer>.npy, NHWC, inference mode), the probabilities,
          the tutorial's generate_grad_cam raw map (GradientTape on the softmax score of image 0's
          top class, channel weights = mean gradient, sum over channels, before ReLU and resize) at
          the layer that feeds global pooling and at an inner layer, and manifest.json: the layers,
          model.summary()'s rows (name, output shape, count_params), totals, and the keras.ops nodes
          that are not layers (summary() does not list them; `camkit layers` does, as tap points).
  camkit  `swift test --skip-build --filter KerasApplicationsParity` with CAMKIT_KERAS_APPS_DIR=<work>:
          the gated Swift test loads both files, compares every layer, the probabilities, both
          Grad-CAMs and `camkit layers`' rows with the manifest, fails past 1e-4 (1e-3 for the maps),
          and writes <work>/<Model>/camkit.json with the per-layer errors; this script prints them.
"""

import argparse
import json
import os
import subprocess
import sys

MODELS = ["MobileNetV2", "MobileNetV3Small", "EfficientNetB0", "DenseNet121", "Xception", "InceptionV3", "ConvNeXtTiny"]
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def keras_stage(work, size, names):
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    import numpy as np
    import keras
    import tensorflow as tf
    from keras import layers as L

    x = np.random.default_rng(2).uniform(-1, 1, (2, size, size, 3)).astype("float32")
    for name in names:
        out = os.path.join(work, name)
        os.makedirs(os.path.join(out, "keras"), exist_ok=True)
        keras.utils.set_random_seed(0)
        m = getattr(keras.applications, name)(weights=None, input_shape=(size, size, 3), classes=10)
        rng = np.random.default_rng(1)
        for layer in m.layers:
            if isinstance(layer, L.BatchNormalization):
                ws = layer.get_weights()
                shape = ws[-1].shape
                new = ([rng.uniform(0.5, 1.5, shape)] if layer.scale else []) + ([rng.normal(0, 0.2, shape)] if layer.center else [])
                layer.set_weights(new + [rng.normal(0, 0.2, shape), rng.uniform(0.5, 2, shape)])
        m.save(os.path.join(out, "model.h5"))
        m.save(os.path.join(out, "model.keras"))
        np.save(os.path.join(out, "input.npy"), x)
        # Operations too (ConvNeXt's residual `x + y` is a keras.ops Add node, not a layer).
        taps = [l for l in m.operations if not isinstance(l, L.InputLayer) and len(l._inbound_nodes) == 1]
        outputs = keras.Model(m.inputs, [l.output for l in taps])(x, training=False)
        for layer, y in zip(taps, outputs):
            np.save(os.path.join(out, "keras", layer.name + ".npy"), np.asarray(y))
        p = np.asarray(m(x, training=False))
        np.save(os.path.join(out, "probabilities.npy"), p)
        pools = [l for l in m.layers if isinstance(l, (L.GlobalAveragePooling2D, L.GlobalMaxPooling2D))]
        feature = pools[-1].input._keras_history[0].name
        spatial = [l.name for l in taps if len(l.output.shape) == 4 and l.output.shape[1] >= 4]
        inner = spatial[len(spatial) // 2]
        cls = int(p[0].argmax())
        for layer in (feature, inner):
            gm = keras.Model(m.inputs, [next(o for o in m.operations if o.name == layer).output, m.output])
            with tf.GradientTape() as tape:
                a, pr = gm(x[:1], training=False)
                loss = pr[:, cls]
            g = tape.gradient(loss, a)[0].numpy()
            np.save(os.path.join(out, "gradcam_" + layer + ".npy"), (a[0].numpy() * g.mean(axis=(0, 1))).sum(-1))
        summary = [
            {"name": l.name, "shape": list(l.output.shape), "parameters": int(l.count_params())} for l in m.layers
        ]
        trainable = int(sum(np.prod(w.shape) for w in m.trainable_weights))
        manifest = {
            "model": name, "size": size, "classes": 10, "class": cls, "taps": [l.name for l in taps],
            "feature_layer": feature, "inner_layer": inner, "gradcam_layers": [feature, inner], "summary": summary,
            "operations": [o.name for o in m.operations if o not in m.layers],
            "total": int(m.count_params()), "trainable": trainable,
        }
        with open(os.path.join(out, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=1)
        print(f"{name}: {len(m.layers)} layers, {m.count_params()} params, GAP fed by {feature}, inner {inner}")


def camkit_stage(work, names):
    env = dict(os.environ, CAMKIT_KERAS_APPS_DIR=os.path.abspath(work), CAMKIT_KERAS_APPS=",".join(names))
    rc = subprocess.call(["swift", "test", "--skip-build", "--filter", "KerasApplicationsParity"], cwd=ROOT, env=env)
    for name in names:
        path = os.path.join(work, name, "camkit.json")
        if not os.path.exists(path):
            print(f"{name}: no result")
            continue
        with open(path) as f:
            r = json.load(f)
        for kind in ("h5", "keras"):
            k = r.get(kind)
            if k:
                e = k["errors"]
                print(f"{name} .{kind}: {e['layers']} layers, worst layer {e['worst_layer']} {e['worst_error']:.2e}, "
                      f"probabilities {e['probabilities']:.2e}, grad-cam {e['gradcam']:.2e}, forward {k['forward_s']:.2f} s, "
                      f"--layer auto {k['auto_layer']}, CAM {k['cam']}, summary mismatches {len(k['summary_mismatches'])}")
    return rc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default="/tmp/camkit-apps")
    ap.add_argument("--size", type=int, default=96)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--stage", choices=["keras", "camkit", "all"], default="all")
    a = ap.parse_args()
    names = [n for n in a.models.split(",") if n]
    if a.stage in ("keras", "all"):
        keras_stage(a.work, a.size, names)
    if a.stage in ("camkit", "all"):
        sys.exit(camkit_stage(a.work, names))


if __name__ == "__main__":
    main()
