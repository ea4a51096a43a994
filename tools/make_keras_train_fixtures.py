"""One Keras training step of a small graph model (not a ResNet), and a headless backbone: the fixtures
of Tests/CAMKitTests/GraphTrainingTests.swift (training graph networks, issue #15).

Regenerate (from the repository root; the environment of tools/requirements-tensorflow.txt):

    python3.11 -m venv tools/.venv-tf
    tools/.venv-tf/bin/pip install -r tools/requirements-tensorflow.txt
    tools/.venv-tf/bin/python tools/make_keras_train_fixtures.py   # writes Tests/Fixtures/keras-graph/

Writes (Keras 3.15, seeded):
  train_step.h5               model.save of `cam_model`: a branchy MobileNet/EfficientNet-style base
                              (conv, batch norm, depthwise, squeeze-excite, residual add, separable
                              conv, layer norm) nested in GAP + Dense(softmax), as the tutorial nests
                              ResNet50; batch-norm statistics set to non-trivial values; no dropout, so
                              that one step is deterministic
  train_step_ref.safetensors  images [4, 3, 24, 24] (NCHW, what CAMKit feeds; Keras got NHWC), labels
                              (int64), loss (train_on_batch's), and after/<layer path>/<weight>: every
                              weight and batch-norm statistic after one step, Keras' names and shapes
                              (nested layers under `base/`)
  train_step_ref.json         the optimiser settings and versions
  backbone.h5                 the base alone (input (None, None, 3), a feature-map output, no head):
                              what `camkit train --pretrained backbone.h5` adds GAP + Dense to
"""
import json
import os

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "keras-graph")
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import numpy as np
import tensorflow as tf
import keras
from keras import layers as L
from safetensors.numpy import save_file

LEARNING_RATE = 0.1
CLASSES = 4


def base_model():
    inp = keras.Input((None, None, 3), name="image")
    x = L.Conv2D(8, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(inp)
    x = L.BatchNormalization(name="stem_bn")(x)
    x = L.ReLU(6.0, name="stem_relu")(x)
    y = L.DepthwiseConv2D(3, padding="same", use_bias=False, name="dw")(x)
    y = L.BatchNormalization(momentum=0.9, name="dw_bn")(y)
    y = L.Activation("swish", name="dw_swish")(y)
    se = L.GlobalAveragePooling2D(keepdims=True, name="se_pool")(y)
    se = L.Conv2D(8, 1, activation="sigmoid", name="se")(se)
    y = L.Multiply(name="se_mul")([y, se])
    y = L.Conv2D(8, 1, use_bias=False, name="project")(y)
    y = L.BatchNormalization(name="project_bn")(y)
    x = L.Add(name="add")([x, y])
    x = L.SeparableConv2D(12, 3, strides=2, padding="same", name="sep")(x)
    x = L.BatchNormalization(center=False, name="sep_bn")(x)
    x = L.LayerNormalization(epsilon=1e-6, name="ln")(x)
    x = L.Activation("relu", name="out_relu")(x)
    return keras.Model(inp, x, name="base")


def seeded_statistics(m, r):
    for l in m.layers:
        if isinstance(l, keras.Model):
            seeded_statistics(l, r)
        elif isinstance(l, L.BatchNormalization):
            weights = l.get_weights()
            s = weights[-1].shape
            stats = [r.normal(0, .2, s), r.uniform(.5, 2, s)]
            params = [r.uniform(.5, 1.5, s), r.normal(0, .2, s)][: len(weights) - 2]
            l.set_weights(params + stats)


def weights_of(m, prefix=""):
    out = {}
    for l in m.layers:
        if isinstance(l, keras.Model):
            out.update(weights_of(l, prefix + l.name + "/"))
        else:
            for w in l.weights:
                out[f"after/{prefix}{l.name}/{w.name}"] = np.array(w.numpy(), dtype=np.float32)
    return out


def main():
    keras.utils.set_random_seed(0)
    base = base_model()
    inp = keras.Input((24, 24, 3), name="input_image")
    x = L.GlobalAveragePooling2D(name="avg_pool")(base(inp))
    out = L.Dense(CLASSES, activation="softmax", name="predictions")(x)
    model = keras.Model(inp, out, name="cam_model")
    r = np.random.default_rng(1)
    seeded_statistics(model, r)
    base.save(os.path.join(OUT, "backbone.h5"))
    model.save(os.path.join(OUT, "train_step.h5"))

    images = r.uniform(0, 1, (4, 24, 24, 3)).astype(np.float32)
    labels = np.array([0, 3, 1, 3], dtype=np.int64)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=LEARNING_RATE), loss="sparse_categorical_crossentropy")
    loss = float(model.train_on_batch(images, labels))
    tensors = weights_of(model)
    tensors["images"] = np.ascontiguousarray(images.transpose(0, 3, 1, 2))
    tensors["labels"] = labels
    tensors["loss"] = np.array(loss, dtype=np.float64)
    save_file(tensors, os.path.join(OUT, "train_step_ref.safetensors"))
    meta = {
        "optimizer": "SGD", "learning_rate": LEARNING_RATE, "momentum": 0.0, "batch": 4, "loss": loss,
        "keras": keras.__version__, "tensorflow": tf.__version__, "numpy": np.__version__,
    }
    with open(os.path.join(OUT, "train_step_ref.json"), "w") as f:
        json.dump(meta, f, indent=2)
    print(f"loss {loss:.6f}; {len(tensors) - 3} weights after one step")


if __name__ == "__main__":
    main()
