"""Keras `.h5` fixtures for CAMKit's Keras weight reader, made by TensorFlow/Keras itself.

Regenerate (from the repository root):

    python3.11 -m venv tools/.venv-tf
    tools/.venv-tf/bin/pip install -r tools/requirements-tensorflow.txt   # tensorflow-cpu 2.21.0, tf-keras 2.21.0, ...
    tools/.venv-tf/bin/python tools/make_keras_fixtures.py        # writes Tests/Fixtures/keras/

One TensorFlow 2.21 install gives both Keras generations: `tf_keras` 2.21 is Keras 2 (what the
tutorial ran: `model.save('cam_model.h5')` writes the classic h5 layout) and `keras` 3.x is Keras 3
(`model.save('x.h5')` writes Keras 3's "legacy h5" layout).

What it writes into Tests/Fixtures/keras/ (all small; the folder stays well under 2 MB):

- tiny_resnet_keras2.h5: whole model, Keras 2 `model.save`, compiled and trained one SGD step
  (so, like the tutorial's cam_model.h5, it has `training_config` and `optimizer_weights`).
  The model is Keras' own `ResNet(stack_fn, preact=False, use_bias=True, include_top=False,
  weights=None, pooling='avg', input_shape=(64, 64, 3))` with a narrow stack_fn, followed by
  `Dense(5, activation='softmax', name='dense')` on the pooled output (the tutorial's head).
- tiny_resnet_keras3.h5: the same model, same weights, built and saved by Keras 3 (`model.save`).
- tiny_resnet_weights_tf_dim_ordering_tf_kernels_notop.h5: Keras 2 `save_weights` of the backbone
  only (no dense layer): the layout of Keras' `resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5`.
- tiny_resnet_nested_keras2.h5: Keras 2 `Sequential([backbone, Dense])` whole-model save, where the
  backbone is one nested layer (the other common way to put a head on a Keras application).
- legacy_fixed_strings_notop.h5: the first five layers of the notop file re-encoded the way Keras
  2.2-era files (Keras' ImageNet weight files among them) were written by h5py 2: fixed-length
  byte-string attributes (`layer_names`, `weight_names`, scalar `keras_version`/`backend`), and long
  attribute lists split into numbered chunks (`layer_names0`, `layer_names1`, ...) by Keras' own
  `save_attributes_to_hdf5_group` (run with a lowered HDF5_OBJECT_HEADER_LIMIT so a small file shows it).
- keras3_native_dense.weights.h5: Keras 3's native `save_weights('x.weights.h5')` of a one-Dense model
  (layers/<name>/vars/<i>): a layout the reader reports as unsupported, with a hint.
- tiny_resnet_reference.json: per layer (in model order) its class and, per weight, the Keras name,
  raw Keras shape, float64 sum and the first/last values; the Dense config; the input formula.
- tiny_resnet_outputs.safetensors + tiny_resnet_outputs.json: the input image (NHWC, float32) and
  Keras' outputs for it (inference mode): `dense` (softmax), `conv1_relu`, `conv2_block1_out`,
  `conv5_block1_out` (the last block), `avg_pool`; NHWC as Keras gives them. The JSON indexes names,
  shapes and dtypes.
- resnet50_summary.json: `model.summary()` of the tutorial's full-size model (Keras 2 ResNet50,
  include_top=False, weights=None, pooling='avg', input 224 + Dense(196, softmax)): name, class,
  output shape and parameter count of every layer; plus the names Keras 3 gives differently.

Keras' ResNet builder is not exported in the public `applications.resnet` modules, so it is taken
from `tf_keras.src.applications.resnet` (`ResNet`, `stack1`) and `keras.src.applications.resnet`
(`ResNet`, `stack_residual_blocks_v1`).
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as k2  # noqa: E402
from tf_keras.src.applications import resnet as k2_resnet  # noqa: E402
import keras as k3  # noqa: E402
from keras.src.applications import resnet as k3_resnet  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "keras")
SIZE = 64
CLASSES = 5
# (stage name, filters, blocks, stride of the first block)
STAGES = [("conv2", 4, 2, 1), ("conv3", 8, 1, 2), ("conv4", 8, 1, 2), ("conv5", 16, 1, 2)]
TAPS = ["conv1_relu", "conv2_block1_out", "conv5_block1_out", "avg_pool", "dense"]
INPUT_FORMULA = "x[0,h,w,c] = 0.5 + 0.5 * sin(0.11 * h * (c + 1) + 0.07 * w + 0.5 * c), float32, NHWC"


def input_image():
    h, w, c = np.meshgrid(np.arange(SIZE), np.arange(SIZE), np.arange(3), indexing="ij")
    x = 0.5 + 0.5 * np.sin(0.11 * h * (c + 1) + 0.07 * w + 0.5 * c)
    return x.astype(np.float32)[None]


def stack_fn_k2(x):
    for name, filters, blocks, stride in STAGES:
        x = k2_resnet.stack1(x, filters, blocks, stride1=stride, name=name)
    return x


def stack_fn_k3(x):
    for name, filters, blocks, stride in STAGES:
        x = k3_resnet.stack_residual_blocks_v1(x, filters, blocks, stride1=stride, name=name)
    return x


def build_k2():
    base = k2_resnet.ResNet(stack_fn_k2, preact=False, use_bias=True, model_name="tiny_resnet",
                            include_top=False, weights=None, pooling="avg", input_shape=(SIZE, SIZE, 3))
    preds = k2.layers.Dense(CLASSES, activation="softmax", name="dense")(base.output)
    return base, k2.Model(inputs=base.input, outputs=preds, name="cam_model")


def build_k3():
    base = k3_resnet.ResNet(stack_fn_k3, preact=False, use_bias=True, name="tiny_resnet",
                            include_top=False, weights=None, pooling="avg", input_shape=(SIZE, SIZE, 3))
    preds = k3.layers.Dense(CLASSES, activation="softmax", name="dense")(base.output)
    return base, k3.Model(inputs=base.input, outputs=preds, name="cam_model")


def deterministic_weights(model, seed=2021):
    """Non-trivial values for every variable (BN statistics included), so the fixtures test mapping."""
    rng = np.random.RandomState(seed)
    values = []
    for w in model.weights:
        shape = tuple(w.shape)
        name = w.name.split("/")[-1].split(":")[0]
        if name == "kernel":
            fan_in = int(np.prod(shape[:-1]))
            v = rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)
        elif name == "bias":
            v = rng.normal(0.0, 0.05, shape)
        elif name == "gamma":
            v = rng.uniform(0.5, 1.5, shape)
        elif name == "beta":
            v = rng.normal(0.0, 0.1, shape)
        elif name == "moving_mean":
            v = rng.normal(0.0, 0.1, shape)
        elif name == "moving_variance":
            v = rng.uniform(0.5, 1.5, shape)
        else:
            raise ValueError(f"unexpected variable {w.name}")
        values.append(v.astype(np.float32))
    model.set_weights(values)


def shape_of(s):
    return [None if d is None else int(d) for d in s]


def write_legacy_fixed_strings(src_path, dst_path, keep=5):
    import h5py
    from tf_keras.src.saving.legacy import hdf5_format

    def fixed(strings):
        return np.array([x.encode("utf8") for x in strings]) if strings else np.asarray([])

    with h5py.File(src_path, "r") as src, h5py.File(dst_path, "w") as dst:
        names = [n.decode() if isinstance(n, bytes) else n for n in src.attrs["layer_names"]][:keep]
        dst.attrs["backend"] = np.bytes_(b"tensorflow")
        dst.attrs["keras_version"] = np.bytes_(b"2.2.4")
        limit = hdf5_format.HDF5_OBJECT_HEADER_LIMIT
        hdf5_format.HDF5_OBJECT_HEADER_LIMIT = 40  # 5 names of S10 -> 2 chunks; conv1_bn's S26 names -> 4
        try:
            hdf5_format.save_attributes_to_hdf5_group(dst, "layer_names", [n.encode("utf8") for n in names])
            for name in names:
                group = dst.create_group(name)
                weight_names = [w.decode() if isinstance(w, bytes) else w for w in src[name].attrs["weight_names"]]
                if name == "conv1_bn":
                    hdf5_format.save_attributes_to_hdf5_group(group, "weight_names",
                                                              [w.encode("utf8") for w in weight_names])
                else:
                    group.attrs["weight_names"] = fixed(weight_names)
                for w in weight_names:
                    group.create_dataset(w, data=src[name][w][()])
        finally:
            hdf5_format.HDF5_OBJECT_HEADER_LIMIT = limit


def layer_reference(model):
    layers = []
    for layer in model.layers:
        entry = {"name": layer.name, "class": layer.__class__.__name__, "weights": []}
        for w in layer.weights:
            v = w.numpy()
            flat = v.reshape(-1)
            entry["weights"].append({
                "name": w.name, "shape": list(v.shape), "sum": float(v.astype(np.float64).sum()),
                "first": [float(f) for f in flat[:4]], "last": float(flat[-1]),
            })
        layers.append(entry)
    return layers


def summary(model):
    rows = []
    for layer in model.layers:
        out = layer.output
        shape = shape_of(out.shape)
        rows.append({"name": layer.name, "class": layer.__class__.__name__, "output_shape": shape,
                     "params": int(layer.count_params())})
    return rows


def main():
    os.makedirs(OUT, exist_ok=True)
    x = input_image()
    y = np.array([3])

    # Keras 2: build, fill, one SGD step (gives training_config + optimizer_weights like the tutorial's file).
    k2.utils.set_random_seed(2021)
    base2, model2 = build_k2()
    deterministic_weights(model2)
    model2.compile(loss="sparse_categorical_crossentropy", optimizer=k2.optimizers.SGD(learning_rate=0.01),
                   metrics=["accuracy"])
    model2.train_on_batch(x, y)
    model2.save(os.path.join(OUT, "tiny_resnet_keras2.h5"))
    notop = os.path.join(OUT, "tiny_resnet_weights_tf_dim_ordering_tf_kernels_notop.h5")
    base2.save_weights(notop)
    write_legacy_fixed_strings(notop, os.path.join(OUT, "legacy_fixed_strings_notop.h5"))

    nested2 = k2.Sequential([base2, k2.layers.Dense(CLASSES, activation="softmax", name="dense")],
                            name="nested_cam_model")
    nested2.build((None, SIZE, SIZE, 3))
    nested2.layers[-1].set_weights(model2.get_layer("dense").get_weights())
    nested2.save(os.path.join(OUT, "tiny_resnet_nested_keras2.h5"))

    # Keras 3: same architecture, the Keras 2 model's weights, compiled with a built optimizer.
    k3.utils.set_random_seed(2021)
    _, model3 = build_k3()
    w2 = model2.get_weights()
    assert [tuple(a.shape) for a in w2] == [tuple(v.shape) for v in model3.weights]
    model3.set_weights(w2)
    model3.compile(loss="sparse_categorical_crossentropy", optimizer=k3.optimizers.SGD(learning_rate=0.01),
                   metrics=["accuracy"])
    model3.optimizer.build(model3.trainable_variables)
    model3.save(os.path.join(OUT, "tiny_resnet_keras3.h5"))

    small = k3.Sequential([k3.Input((4,)), k3.layers.Dense(3, name="dense")], name="small")
    small.save_weights(os.path.join(OUT, "keras3_native_dense.weights.h5"))

    # Outputs (inference mode) from Keras 2, cross-checked against Keras 3.
    taps2 = k2.Model(model2.input, [model2.get_layer(n).output for n in TAPS])
    taps3 = k3.Model(model3.input, [model3.get_layer(n).output for n in TAPS])
    outs2 = [np.asarray(o) for o in taps2(x, training=False)]
    outs3 = [np.asarray(o) for o in taps3(x, training=False)]
    for name, a, b in zip(TAPS, outs2, outs3):
        err = float(np.abs(a - b).max())
        assert err < 1e-4, f"Keras 2 and Keras 3 disagree on {name}: {err}"
    tensors = {"input": x}
    tensors.update({n: np.ascontiguousarray(o.astype(np.float32)) for n, o in zip(TAPS, outs2)})
    save_file(tensors, os.path.join(OUT, "tiny_resnet_outputs.safetensors"))
    index = {
        "description": "Keras 2 (tf_keras) outputs of tiny_resnet_keras2.h5 for `input`, inference mode, NHWC",
        "input_formula": INPUT_FORMULA,
        "tensors": {n: {"shape": list(t.shape), "dtype": "float32"} for n, t in tensors.items()},
        "taps": TAPS,
        "predicted_class": int(np.argmax(outs2[-1])),
    }
    with open(os.path.join(OUT, "tiny_resnet_outputs.json"), "w") as f:
        json.dump(index, f, indent=1)

    reference = {
        "description": "Weights of tiny_resnet_keras2.h5 / _keras3.h5 / _notop.h5 (identical values), "
                       "raw Keras layout, layer order of the Keras 2 model",
        "tensorflow": tf.__version__, "keras2": k2.__version__, "keras3": k3.__version__,
        "input_size": SIZE, "classes": CLASSES, "stages": STAGES,
        "dense": {"units": CLASSES, "activation": "softmax", "name": "dense"},
        "input_formula": INPUT_FORMULA,
        "layers": layer_reference(model2),
    }
    with open(os.path.join(OUT, "tiny_resnet_reference.json"), "w") as f:
        json.dump(reference, f, indent=1)

    # The tutorial's full-size model, for `camkit layers`; fresh sessions so automatic names are those
    # of a new process (input_1 / input_layer, dense).
    k2.backend.clear_session()
    k3.backend.clear_session()
    full_base = k2.applications.resnet.ResNet50(include_top=False, weights=None, input_shape=(224, 224, 3),
                                                pooling="avg")
    full = k2.Model(full_base.input, k2.layers.Dense(196, activation="softmax")(full_base.output))
    full3_base = k3.applications.resnet.ResNet50(include_top=False, weights=None, input_shape=(224, 224, 3),
                                                 pooling="avg")
    full3 = k3.Model(full3_base.input, k3.layers.Dense(196, activation="softmax")(full3_base.output))
    rows2, rows3 = summary(full), summary(full3)
    assert len(rows2) == len(rows3)
    diffs = [{"keras2": a["name"], "keras3": b["name"]} for a, b in zip(rows2, rows3) if a["name"] != b["name"]]
    for a, b in zip(rows2, rows3):
        assert a["output_shape"] == b["output_shape"] and a["params"] == b["params"], (a, b)
    with open(os.path.join(OUT, "resnet50_summary.json"), "w") as f:
        json.dump({
            "description": "Keras 2 (tf_keras %s) model.summary() of ResNet50(include_top=False, weights=None, "
                           "input_shape=(224,224,3), pooling='avg') + Dense(196, activation='softmax'); "
                           "output_shape includes the batch dimension (null)" % k2.__version__,
            "total_params": int(full.count_params()),
            "layers": rows2,
            "keras3_name_differences": diffs,
        }, f, indent=1)

    for name in sorted(os.listdir(OUT)):
        print(f"{os.path.getsize(os.path.join(OUT, name)):>9}  {name}")


if __name__ == "__main__":
    sys.exit(main())
