"""A small Keras 3 functional model that is not a ResNet, and Keras/TensorFlow's outputs for it:
the fixtures of Tests/CAMKitTests/KerasGraphTests.swift (the graph importer, issue #15).

Regenerate (from the repository root; the environment of tools/requirements-tensorflow.txt):

    python3.11 -m venv tools/.venv-tf
    tools/.venv-tf/bin/pip install -r tools/requirements-tensorflow.txt
    tools/.venv-tf/bin/python tools/make_keras_graph_fixtures.py   # writes Tests/Fixtures/keras-graph/

Writes mini.h5 (Keras 3 model.save, seeded, batch-norm statistics set to non-trivial values) and
mini_io.safetensors: `input` [2, 32, 32, 3] in [-1, 1], Keras' `probabilities` (inference mode),
the `add` layer's output (NHWC) and `gradcam_add`, the tutorial's generate_grad_cam raw map at
`add` for image 0 and its predicted class (softmax score, before /max and resize).
"""
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "keras-graph")
os.makedirs(OUT, exist_ok=True)
import numpy as np, keras
from keras import layers as L
from safetensors.numpy import save_file
keras.utils.set_random_seed(0)
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
m = keras.Model(inp, out)
for l in m.layers:
    if isinstance(l, L.BatchNormalization):
        g,b,mu,v = l.get_weights(); r=np.random.default_rng(1)
        l.set_weights([r.uniform(.5,1.5,g.shape), r.normal(0,.2,b.shape), r.normal(0,.2,mu.shape), r.uniform(.5,2,v.shape)])
m.save(OUT + "/mini.h5")
xin = np.random.default_rng(2).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
p = m(xin, training=False).numpy()
import tensorflow as tf
gm = keras.Model(m.inputs, [m.get_layer("add").output, m.output])
with tf.GradientTape() as t:
    a, pr = gm(xin[:1]); loss = pr[:, int(p[0].argmax())]
g = t.gradient(loss, a)[0].numpy(); a = a[0].numpy()
gc = (a * g.mean(axis=(0, 1))).sum(-1)
save_file({"input": xin, "probabilities": p, "gradcam_add": gc.astype("float32"), "add": keras.Model(m.inputs, m.get_layer("add").output)(xin).numpy()}, OUT + "/mini_io.safetensors")
print("params", m.count_params(), "class", int(p[0].argmax()))
