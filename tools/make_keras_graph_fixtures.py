"""Small Keras models that are not ResNets, and Keras/TensorFlow's outputs for them: the fixtures of
Tests/CAMKitTests/KerasGraphTests.swift (the graph importer, issue #15). Between them they use
every layer type of keras.applications' MobileNetV2/V3, EfficientNet, DenseNet, Xception, Inception
and ConvNeXt, plus what user models add (branches, a shared layer, a nested model, keras.ops nodes,
a Sequential model without global pooling), at a few KB each.

Regenerate (from the repository root; the environment of tools/requirements-tensorflow.txt):

    python3.11 -m venv tools/.venv-tf
    tools/.venv-tf/bin/pip install -r tools/requirements-tensorflow.txt
    tools/.venv-tf/bin/python tools/make_keras_graph_fixtures.py   # writes Tests/Fixtures/keras-graph/

For each model NAME (mini, branches, convnext, sequential: Keras 3.15; branches_keras2: tf_keras 2.21,
run in a child process with TF_USE_LEGACY_KERAS=1):
  NAME.h5, NAME.keras    model.save of the same seeded model (batch-norm statistics set to
                         non-trivial values); Keras 2 writes no .keras
  NAME_ref.safetensors   input [2, S, S, 3] in [-1, 1]; probabilities (inference mode); layer/<tap>:
                         every layer's and keras.ops node's output for image 0 (NHWC; inner layers of
                         a nested model too); gradcam/<layer>: the tutorial's generate_grad_cam raw map
                         (softmax score of image 0's top class, mean-gradient weights, channel sum,
                         before ReLU and resize)
  bad_*.h5               a Lambda layer, a deleted weight, a weight of the wrong shape
                         (`--bad-inputs` writes only these)
  NAME_ref.json          model.summary()'s rows (name, output shape, count_params), totals, the layer
                         feeding global pooling (null without one), whether CAM applies, versions
"""
import json
import os
import subprocess
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "keras-graph")
LEGACY = os.environ.get("TF_USE_LEGACY_KERAS") == "1"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import numpy as np
import tensorflow as tf

if LEGACY:
    import tf_keras as keras
    from tf_keras import layers as L
else:
    import keras
    from keras import layers as L
    from keras.src.applications.convnext import LayerScale, StochasticDepth
from safetensors.numpy import save_file


def mini():
    inp = keras.Input((32, 32, 3))
    x = L.ZeroPadding2D(((0, 1), (0, 1)))(inp)
    x = L.Conv2D(8, 3, strides=2, padding="valid", use_bias=False, name="Conv1")(x)
    x = L.BatchNormalization(name="bn_Conv1")(x)
    x = L.ReLU(6.0, name="Conv1_relu")(x)
    y = L.DepthwiseConv2D(3, padding="same", name="dw")(x)
    y = L.BatchNormalization(name="dw_bn")(y)
    y = L.Activation("swish", name="dw_swish")(y)
    se = L.GlobalAveragePooling2D(keepdims=True)(y)
    se = L.Conv2D(8, 1, activation="sigmoid", name="se")(se)
    y = L.Multiply(name="se_mul")([y, se])
    y = L.Conv2D(8, 4, strides=2, padding="same", name="conv_same")(y)
    z = L.MaxPooling2D(3, strides=2, padding="same")(x)
    x = L.Add(name="add")([y, z])
    x = L.SeparableConv2D(12, 3, padding="same", activation="gelu", name="sep")(x)
    x = L.Concatenate(name="cat")([x, L.AveragePooling2D(3, strides=1, padding="same")(x)])
    x = L.LayerNormalization(epsilon=1e-6, name="ln")(x)
    x = L.Activation("relu", name="out_relu")(x)
    x = L.GlobalAveragePooling2D(name="avg_pool")(x)
    x = L.Dropout(0.2)(x)
    out = L.Dense(5, activation="softmax", name="predictions")(x)
    return keras.Model(inp, out), 32


def branches():
    """The tutorial's shape (a base model nested in the classifier) around a user's branchy base."""
    inp = keras.Input((16, 16, 3), name="image")
    x = L.Conv2D(8, 3, padding="same", name="stem")(inp)
    x = L.PReLU(shared_axes=[1, 2], name="stem_prelu")(x)
    shared = L.Conv2D(8, 3, padding="same", name="shared_conv")
    a = shared(x)
    b = shared(L.ELU(0.7, name="elu")(x))
    d = L.Conv2D(8, 3, padding="same", dilation_rate=2, groups=2, activation="selu", name="dilated")(x)
    e = L.Conv2D(8, 2, padding="same", activation="hard_sigmoid", name="even_kernel")(x)
    m1 = L.Subtract(name="sub")([a, b])
    m2 = L.Average(name="avg")([a, d, e])
    m3 = L.Maximum(name="max")([m1, m2])
    m4 = L.Minimum(name="min")([m1, e])
    x = L.Concatenate(name="cat")([m3, m4, L.LeakyReLU(0.2, name="leaky")(d)])
    x = L.GaussianNoise(0.3, name="noise")(x)
    x = L.Conv2D(12, 3, strides=2, padding="same", activation="tanh", name="down")(x)
    x = L.BatchNormalization(name="down_bn")(x)
    x = L.ReLU(max_value=3.0, negative_slope=0.1, threshold=0.05, name="relu_args")(x)
    skip = L.Cropping2D(((1, 1), (2, 0)), name="crop")(x)
    skip = L.ZeroPadding2D(((1, 1), (0, 2)), name="pad")(skip)
    up = L.UpSampling2D(2, interpolation="bilinear", name="up_bilinear")(L.MaxPooling2D(2, name="pool")(x))
    x = L.Add(name="merge")([skip, up, L.UpSampling2D(2, name="up_nearest")(L.AveragePooling2D(2, name="apool")(x))])
    x = L.SpatialDropout2D(0.2, name="sdrop")(x)
    x = L.GaussianDropout(0.2, name="gdrop")(x)
    p = L.Permute((2, 1, 3), name="transpose")(x)
    p = L.Reshape((8, 8, 12), name="reshape")(p)
    x = L.Multiply(name="gate")([x, L.Activation("sigmoid", name="gate_sigmoid")(p)])
    if not LEGACY:
        x = x + L.Activation("hard_swish", name="hswish")(x)  # a keras.ops node, not a layer
    x = L.Activation("relu6", name="features")(x)
    base = keras.Model(inp, x, name="base_model")
    outer_in = keras.Input((16, 16, 3), name="input")
    f = base(outer_in)
    g = L.GlobalAveragePooling2D(name="gap")(f)
    out = L.Dense(4, activation="softmax", name="dense")(L.Dropout(0.3, name="drop")(g))
    return keras.Model(outer_in, out, name="cam_model"), 16


def convnext():
    """keras.applications.ConvNeXt's layer types, two blocks wide."""
    inp = keras.Input((32, 32, 3))
    x = L.Normalization(mean=[0.485 * 255, 0.456 * 255, 0.406 * 255], variance=[58.4**2, 57.1**2, 57.4**2], name="prestem")(inp)
    stem = keras.Sequential([L.Conv2D(16, 4, strides=4, name="stem_conv"), L.LayerNormalization(epsilon=1e-6, name="stem_ln")], name="stem")
    x = stem(x)
    for i in range(2):
        y = L.DepthwiseConv2D(7, padding="same", name=f"b{i}_dw")(x)
        y = L.LayerNormalization(epsilon=1e-6, name=f"b{i}_ln")(y)
        y = L.Dense(32, name=f"b{i}_pw1")(y)
        y = L.Activation("gelu", name=f"b{i}_gelu")(y)
        y = L.Dense(16, name=f"b{i}_pw2")(y)
        y = LayerScale(0.5, 16, name=f"b{i}_scale")(y)
        y = StochasticDepth(0.1, name=f"b{i}_sd")(y)
        x = x + y
    down = keras.Sequential([L.LayerNormalization(epsilon=1e-6, name="down_ln"), L.Conv2D(24, 2, strides=2, name="down_conv")], name="down")
    x = down(x)
    x = L.GlobalAveragePooling2D(name="head_gap")(x)
    x = L.LayerNormalization(epsilon=1e-6, name="head_ln")(x)
    return keras.Model(inp, L.Dense(6, activation="softmax", name="head_dense")(x)), 32


def sequential():
    """A plain Sequential classifier that flattens instead of pooling: CAM does not apply."""
    return keras.Sequential([
        keras.Input((24, 24, 3)), L.Rescaling(2.0, offset=-0.5, name="scale"),
        L.Conv2D(8, 3, activation="relu", name="conv1"), L.BatchNormalization(name="bn1"),
        L.MaxPooling2D(2, name="pool1"), L.Conv2D(8, 3, activation="elu", name="conv2"),
        L.Flatten(name="flatten"), L.Dropout(0.5, name="drop"), L.Dense(3, activation="softmax", name="out"),
    ], name="seq"), 24


def seeded_statistics(m):
    r = np.random.default_rng(1)
    for l in m.layers:
        if isinstance(l, keras.Model):
            seeded_statistics(l)
        elif isinstance(l, L.BatchNormalization):
            s = l.get_weights()[-1].shape
            l.set_weights([r.uniform(.5, 1.5, s), r.normal(0, .2, s), r.normal(0, .2, s), r.uniform(.5, 2, s)])
        elif LayerScale is not None and isinstance(l, LayerScale):
            l.set_weights([r.normal(0, .5, w.shape) for w in l.get_weights()])


def taps_of(m):
    """(name, symbolic output) of every layer / op called once, nested models' inner layers too."""
    ops = getattr(m, "operations", m.layers)
    out = []
    for op in ops:
        if isinstance(op, keras.Model):  # its inner layers (computed apart), then its output here
            out += [(n, None) for n, _ in taps_of(op)]
            out.append((op.name, tf.nest.flatten(op._inbound_nodes[-1].output_tensors)[0]))
        elif not isinstance(op, L.InputLayer) and len(op._inbound_nodes) == 1:
            out.append((op.name, op.output))
    return out


def dump(name, build):
    keras.utils.set_random_seed(0)
    m, size = build()
    seeded_statistics(m)
    m.save(os.path.join(OUT, name + ".h5"))
    if not LEGACY:
        m.save(os.path.join(OUT, name + ".keras"))
    x = np.random.default_rng(2).uniform(-1, 1, (2, size, size, 3)).astype("float32")
    p = np.asarray(m(x, training=False))
    cls = int(p[0].argmax())
    nested = [l for l in m.layers if isinstance(l, keras.Model)]
    base = nested[0] if name.startswith("branches") else None
    tensors = {"input": x, "probabilities": p}
    taps = taps_of(m)
    outer = [(n, t) for n, t in taps if t is not None]
    for (n, _), y in zip(outer, keras.Model(m.inputs, [t for _, t in outer])(x[:1], training=False)):
        tensors["layer/" + n] = np.asarray(y)[0]
    for n in nested:  # inner layers: the nested model run on what the classifier feeds it
        fed = keras.Model(m.inputs, tf.nest.flatten(n._inbound_nodes[-1].input_tensors)[0])(x[:1], training=False)
        inner = [(k, t) for k, t in taps_of(n) if t is not None]
        for (k, _), y in zip(inner, keras.Model(n.inputs, [t for _, t in inner])(fed, training=False)):
            tensors["layer/" + k] = np.asarray(y)[0]
    pools = [l for l in m.layers if isinstance(l, (L.GlobalAveragePooling2D, L.GlobalMaxPooling2D))]
    feature = pools[-1].input._keras_history[0].name if pools else None
    spatial = [n for n, _ in taps if tensors["layer/" + n].ndim == 3 and tensors["layer/" + n].shape[0] > 1]
    layers = list(dict.fromkeys([feature or spatial[-1], spatial[len(spatial) // 2]]))
    for layer in layers:
        if base is not None and layer in [n for n, _ in taps_of(base)]:
            head = [l for l in m.layers if l is not base and not isinstance(l, L.InputLayer)]
            fm = keras.Model(base.inputs, [base.get_layer(layer).output, base.output])
            with tf.GradientTape() as tape:
                a, f = fm(x[:1], training=False)
                tape.watch(a)
                pr = f
                for l in head:
                    pr = l(pr, training=False)
                loss = pr[:, cls]
        else:
            t = dict(outer)[layer]
            gm = keras.Model(m.inputs, [t, m.outputs[0]])
            with tf.GradientTape() as tape:
                a, pr = gm(x[:1], training=False)
                loss = pr[:, cls]
        g = tape.gradient(loss, a)[0].numpy()
        tensors["gradcam/" + layer] = (a[0].numpy() * g.mean(axis=(0, 1))).sum(-1).astype("float32")
    save_file({k: np.ascontiguousarray(v, dtype="float32") for k, v in tensors.items()}, os.path.join(OUT, name + "_ref.safetensors"))
    summary = [{"name": l.name, "shape": list(l.output.shape), "parameters": int(l.count_params())} for l in m.layers]
    ref = {
        "keras": keras.__version__, "tensorflow": tf.__version__, "size": size, "class": cls,
        "feature_layer": feature, "gradcam_layers": layers, "summary": summary, "total": int(m.count_params()),
        "trainable": int(sum(np.prod(w.shape) for w in m.trainable_weights)),
    }
    with open(os.path.join(OUT, name + "_ref.json"), "w") as f:
        json.dump(ref, f, indent=1)
    print(name, "params", m.count_params(), "class", cls, "taps", len(taps), "grad-cam at", layers)


def bad_inputs():
    """Files CAMKit must refuse with an error naming the file and the layer: a Lambda layer, and
    sequential.h5 with conv1's kernel deleted or of the wrong shape."""
    import h5py, shutil
    keras.utils.set_random_seed(0)
    inp = keras.Input((8, 8, 3))
    x = L.Conv2D(4, 3, name="conv")(inp)
    x = L.Lambda(lambda t: t * 2.0, name="double")(x)
    keras.Model(inp, L.Dense(2, activation="softmax")(L.GlobalAveragePooling2D()(x))).save(os.path.join(OUT, "bad_lambda.h5"))
    for kind in ("missing_weight", "wrong_shape"):
        path = os.path.join(OUT, f"bad_{kind}.h5")
        shutil.copy(os.path.join(OUT, "sequential.h5"), path)
        with h5py.File(path, "r+") as f:
            g = f["model_weights/conv1"]
            key = [k for k in g.attrs["weight_names"] if "kernel" in str(k)][0]
            key = key.decode() if isinstance(key, bytes) else key
            if kind == "wrong_shape":
                data = g[key][...]
                del g[key]
                g[key] = np.zeros(data.shape[:3] + (data.shape[3] + 1,), data.dtype)
            else:
                del g[key]


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    if sys.argv[1:] == ["--bad-inputs"]:
        bad_inputs()
    elif LEGACY:
        LayerScale = None
        dump("branches_keras2", branches)
    else:
        for n, b in [("mini", mini), ("branches", branches), ("convnext", convnext), ("sequential", sequential)]:
            dump(n, b)
        bad_inputs()
        subprocess.check_call([sys.executable, __file__], env=dict(os.environ, TF_USE_LEGACY_KERAS="1"))
