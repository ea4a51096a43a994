"""Full-size ResNet50 parity: Keras (the tutorial's cam_model.h5) and torchvision against CAMKit
loading the very same files.

Run (from the repository root, after `swift build --scratch-path .build-tut --build-tests` and,
for `camkit layers`, `swift build -c release --scratch-path .build-tut --product camkit`):

    tools/.venv-tf/bin/python tools/compare_resnet50.py [--work /tmp/camkit-r50] [--scratch .build-tut]

Needs tools/.venv-tf (tensorflow-cpu 2.21, tf-keras 2.21) and tools/.venv (torch, torchvision,
safetensors), made from the pinned requirements:

    python3.11 -m venv tools/.venv-tf && tools/.venv-tf/bin/pip install -r tools/requirements-tensorflow.txt
    python3.11 -m venv tools/.venv && tools/.venv/bin/pip install -r tools/requirements-torch.txt

The script runs itself in each venv for its stage; nothing it writes is committed (cam_model.h5 is ~95 MB).

Stages (each can be run alone with --stage):
  keras   (tools/.venv-tf) `tf.keras` = Keras 2 (TF_USE_LEGACY_KERAS=1), exactly the tutorial's model:
          ResNet50(include_top=False, weights=None, input_shape=(224, 224, 3), pooling='avg') +
          Dense(196, activation='softmax'), random init under tf.keras.utils.set_random_seed(SEED); then
          every BatchNorm variable and the dense bias get seeded non-default values (Keras would leave
          gamma=1, beta=0, mean=0, var=1, bias=0, which cannot tell a swapped mean/variance apart).
          `cam_model.save('cam_model.h5')`, loaded back with load_model, run on input.npy; writes
          keras/<tap>.npy (NHWC as Keras gives it), keras/logits.npy (avg_pool @ kernel + bias, TF float32)
          and keras_summary.json (model.summary(): name, output shape, params).
  torch   (tools/.venv) torchvision resnet50(weights=None, num_classes=196) under torch.manual_seed(SEED),
          BatchNorm buffers/affines randomised the same way, eval mode; state_dict saved as
          resnet50.safetensors; forward hooks write torch/<tap>.npy.
  camkit  `swift test --skip-build --filter ResNet50ParityDump` with CAMKIT_RESNET50_PARITY_DIR set:
          ModelLoader opens cam_model.h5 and resnet50.safetensors, one forward each with taps, writes
          camkit-keras/ and camkit-torchvision/ (NCHW). libtorch does the arithmetic, so the test
          build's optimisation level does not change the numbers.
  layers  `camkit layers --model cam_model.h5 --json` (the release binary when built) against
          keras_summary.json: names, shapes and parameter counts.
  compare prints max relative errors (max |camkit - ref| / max |ref|) per tap for both layouts.
"""

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SEED = 2021
CLASSES = 196
KERAS_TAPS = ["conv1_relu", "conv3_block4_out", "conv4_block6_out", "conv5_block3_out", "avg_pool", "dense"]
TORCH_TAPS = ["relu", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"]
VENV_TF = os.path.join(ROOT, "tools", ".venv-tf", "bin", "python")
VENV_TORCH = os.path.join(ROOT, "tools", ".venv", "bin", "python")


def make_input(work):
    """A smooth deterministic image in [0, 1] (the tutorial's preprocessing range), NHWC float32."""
    import numpy as np
    y, x, c = np.meshgrid(np.arange(224), np.arange(224), np.arange(3), indexing="ij")
    v = 0.5 + 0.35 * np.sin(0.041 * x * (c + 1) + 0.067 * y - 0.8 * c) + 0.15 * np.cos(0.023 * (x - y) * (c + 2))
    v = np.clip(v, 0, 1).astype(np.float32)[None]
    np.save(os.path.join(work, "input.npy"), v)
    return v


def stage_keras(work):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import numpy as np
    import tensorflow as tf
    from tensorflow import keras

    tf.keras.utils.set_random_seed(SEED)
    base_model = keras.applications.resnet.ResNet50(
        include_top=False, weights=None, input_shape=(224, 224, 3), pooling='avg')
    x = base_model.output
    preds = tf.keras.layers.Dense(CLASSES, activation='softmax')(x)
    cam_model = keras.Model(inputs=base_model.input, outputs=preds)

    rng = np.random.RandomState(SEED)
    for layer in cam_model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([rng.uniform(0.75, 1.25, gamma.shape).astype(np.float32),
                               rng.normal(0, 0.1, beta.shape).astype(np.float32),
                               rng.normal(0, 0.1, mean.shape).astype(np.float32),
                               rng.uniform(0.75, 1.25, var.shape).astype(np.float32)])
    dense = cam_model.layers[-1]
    kernel, bias = dense.get_weights()
    dense.set_weights([kernel, rng.normal(0, 0.05, bias.shape).astype(np.float32)])

    path = os.path.join(work, "cam_model.h5")
    cam_model.save(path)
    model = tf.keras.models.load_model(path)
    assert model.layers[-1].name == "dense", model.layers[-1].name

    x = make_input(work)
    taps = tf.keras.Model(model.inputs, [model.get_layer(n).output for n in KERAS_TAPS])
    outs = taps(x, training=False)
    os.makedirs(os.path.join(work, "keras"), exist_ok=True)
    for name, o in zip(KERAS_TAPS, outs):
        np.save(os.path.join(work, "keras", f"{name}.npy"), np.asarray(o, dtype=np.float32))
    kernel, bias = model.get_layer("dense").get_weights()
    logits = tf.matmul(outs[KERAS_TAPS.index("avg_pool")], kernel) + bias
    np.save(os.path.join(work, "keras", "logits.npy"), np.asarray(logits, dtype=np.float32))

    rows = []
    for layer in model.layers:
        if layer.__class__.__name__ == "InputLayer":
            continue
        rows.append({"name": layer.name, "shape": [None if d is None else int(d) for d in layer.output.shape],
                     "parameters": int(layer.count_params())})
    with open(os.path.join(work, "keras_summary.json"), "w") as f:
        json.dump({"keras": tf.keras.__name__, "tensorflow": tf.__version__, "rows": rows,
                   "total_params": int(model.count_params())}, f, indent=1)
    print(f"keras: {path} ({os.path.getsize(path) / 1e6:.1f} MB), {len(rows)} layers, "
          f"{model.count_params()} parameters")


def stage_torch(work):
    import numpy as np
    import torch
    import torchvision
    from safetensors.torch import save_file

    torch.manual_seed(SEED)
    model = torchvision.models.resnet50(weights=None, num_classes=CLASSES).eval()
    gen = torch.Generator().manual_seed(SEED)
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) * 0.5 + 0.75)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) * 0.5 + 0.75)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(work, "resnet50.safetensors"))

    x = torch.from_numpy(np.load(os.path.join(work, "input.npy"))).permute(0, 3, 1, 2).contiguous()
    outputs = {}
    modules = dict(model.named_modules())
    for t in TORCH_TAPS:
        modules[t].register_forward_hook(lambda m, i, o, t=t: outputs.__setitem__(t, o.detach().clone()))
    with torch.no_grad():
        model(x)
    os.makedirs(os.path.join(work, "torch"), exist_ok=True)
    for t in TORCH_TAPS:
        np.save(os.path.join(work, "torch", f"{t}.npy"), outputs[t].numpy().astype(np.float32))
    print(f"torch {torch.__version__} / torchvision {torchvision.__version__}: resnet50.safetensors, "
          f"{sum(p.numel() for p in model.parameters())} parameters")


def stage_camkit(work, scratch):
    env = dict(os.environ, CAMKIT_RESNET50_PARITY_DIR=work)
    cmd = ["swift", "test", "--scratch-path", scratch, "--skip-build", "--filter", "ResNet50ParityDump"]
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    lines = [l for l in (r.stdout + r.stderr).splitlines() if "ResNet50ParityDump" in l or "passed" in l or "fail" in l]
    print("\n".join(lines[-6:]))
    if r.returncode != 0:
        print(r.stdout[-4000:], r.stderr[-4000:])
        sys.exit("camkit stage failed")


def camkit_binary(scratch):
    for config in ("release", "debug"):
        path = os.path.join(ROOT, scratch, config, "camkit")
        if os.access(path, os.X_OK):
            return path, config
    sys.exit(f"no camkit binary under {scratch}/release or {scratch}/debug")


def stage_layers(work, scratch):
    binary, config = camkit_binary(scratch)
    r = subprocess.run([binary, "layers", "--model", os.path.join(work, "cam_model.h5"), "--json"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(r.stderr)
    ours = json.loads(r.stdout)
    keras = json.load(open(os.path.join(work, "keras_summary.json")))["rows"]
    names_equal = [o["name"] for o in ours] == [k["name"] for k in keras]
    shape_diffs = [(o["name"], o["shape"], k["shape"]) for o, k in zip(ours, keras) if o["shape"] != k["shape"]]
    param_diffs = [(o["name"], o["parameters"], k["parameters"]) for o, k in zip(ours, keras)
                   if o["parameters"] != k["parameters"]]
    print(f"camkit layers ({config}) vs Keras model.summary(): {len(ours)} vs {len(keras)} rows; "
          f"names equal: {names_equal}; shape mismatches: {len(shape_diffs)}; parameter mismatches: {len(param_diffs)}")
    for d in (shape_diffs + param_diffs)[:10]:
        print("   ", d)
    return names_equal and not shape_diffs and not param_diffs and len(ours) == len(keras)


def stage_compare(work):
    import numpy as np

    def rel(a, b):
        a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
        return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))

    def load(*p):
        return np.load(os.path.join(work, *p))

    results = {"keras": [], "torchvision": []}
    print("Keras layout (cam_model.h5): CAMKit vs Keras 2 (TF)")
    for tap in KERAS_TAPS + ["logits"]:
        ref = load("keras", f"{tap}.npy")
        ours = load("camkit-keras", f"{tap}.npy")
        if ours.ndim == 4:
            ours = ours.transpose(0, 2, 3, 1)  # NCHW -> NHWC
        ours = ours.reshape(ref.shape)
        e = rel(ours, ref)
        results["keras"].append((tap, list(ref.shape), e))
        print(f"  {tap:18s} {str(list(ref.shape)):22s} max rel err {e:.2e}")
    agree = int(np.argmax(load("keras", "dense.npy"))) == int(np.argmax(load("camkit-keras", "logits.npy")))
    print(f"  top-1 class equal: {agree}")
    print("torchvision layout (resnet50.safetensors): CAMKit vs PyTorch")
    for tap in TORCH_TAPS:
        ref = load("torch", f"{tap}.npy")
        ours = load("camkit-torchvision", f"{tap}.npy").reshape(ref.shape)
        e = rel(ours, ref)
        results["torchvision"].append((tap, list(ref.shape), e))
        print(f"  {tap:18s} {str(list(ref.shape)):22s} max rel err {e:.2e}")
    with open(os.path.join(work, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default="/tmp/camkit-r50")
    ap.add_argument("--scratch", default=".build-tut")
    ap.add_argument("--stage", choices=["all", "keras", "torch", "camkit", "layers", "compare"], default="all")
    args = ap.parse_args()
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    if args.stage == "keras":
        return stage_keras(work)
    if args.stage == "torch":
        return stage_torch(work)
    if args.stage == "camkit":
        return stage_camkit(work, args.scratch)
    if args.stage == "layers":
        return 0 if stage_layers(work, args.scratch) else 1
    if args.stage == "compare":
        stage_compare(work)
        return 0
    me = os.path.abspath(__file__)
    for python, stage in ((VENV_TF, "keras"), (VENV_TORCH, "torch")):
        subprocess.run([python, me, "--stage", stage, "--work", work], check=True)
    stage_camkit(work, args.scratch)
    ok = stage_layers(work, args.scratch)
    stage_compare(work)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
