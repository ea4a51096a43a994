"""CAMKit against TensorFlow/Keras on keras.applications graph models (issue #15's performance rows).

What it measures, for MobileNetV2 and EfficientNetB0 (keras.applications, weights=None under
keras.utils.set_random_seed(0), 224x224x3, 1000 classes, saved as Keras .h5), batch 16, median ms of
--iters runs after one warm-up, the same thread count on both sides, each measurement in its own
process:

  forward       CAMKit: `camkit-bench forward --model M.h5`. TensorFlow, three ways a user runs it:
                `model.predict(x, batch_size=16, verbose=0)` (Keras' compiled predict function plus
                its data adapter), the eager call `model(x, training=False)`, and that call wrapped
                in `tf.function` (graph mode, no XLA).
  explain       CAM at the layer feeding global average pooling (L1) + Grad-CAM at L1, L2, L3, every
                map ReLU'd, min-max normalised and resized to 224 (bilinear, half-pixel centres),
                the predicted class. CAMKit: `camkit-bench explain --methods cam,gradcam --layers
                L1,L2,L3` (one forward; one backward that stops at the earliest layer; the gradient
                at L1 in closed form). TensorFlow:
                  tutorial         the reference tutorial's generate_cam + generate_grad_cam,
                                   batched over the 16 images: CAM is one eager forward through
                                   Model(inputs, [L1, output]) and the Dense kernel's column of each
                                   image's top class; Grad-CAM is, per layer, one GradientTape
                                   around an eager Model(inputs, [layer, output]) call, loss =
                                   predictions[i, top class of i], tape.gradient to the layer,
                                   weights = mean over h, w, map = sum over channels. So 4 forwards
                                   and 3 backwards. The Models are built once, outside the timing;
                                   the channel loop of the tutorial is vectorised (one einsum).
                  tutorial, Models built per call   the same with Model(...) built inside each
                                   generate_* call, as the tutorial writes it.
                  one tf.function  the best TensorFlow can do with the same arithmetic: one
                                   tf.function, one forward of Model(inputs, [L1, L2, L3, output])
                                   under one tape, one tape.gradient to the three layers, CAM from
                                   the same forward.
  gradcam L     Grad-CAM at one layer alone: `camkit-bench explain --methods gradcam --layers L`
                against the tutorial's generate_grad_cam at L (eager, one tape, Model built once).

Inputs: per model one seeded batch (NumPy default_rng(1)) in the range the model's first layer
expects (MobileNetV2: [-1, 1]; EfficientNetB0, whose graph starts with Rescaling(1/255) and
Normalization: [0, 255]), written NCHW to Benchmarks/.work/keras-input-<model>.safetensors for
CAMKit and transposed to NHWC for TensorFlow. TensorFlow threads: intra-op = --threads, inter-op =
1, set before any op (CAMKit: --threads for libtorch's intra-op pool).

It also times CAMKit alone on the seeded ResNet50 of `camkit-bench --arch resnet50` (forward and
CAM + Grad-CAM at layer4/3/2, batch 16), so that its rows can be compared with Benchmarks/RESULTS.md;
with --baseline BENCH (a camkit-bench built from an earlier commit; bench.sh builds one from
CAMKIT_BASELINE_REV) those two rows alternate with the baseline's, so that the same run shows whether
they regressed.

Writes Benchmarks/RESULTS-keras.md (the table, the machine, the load average before and after,
versions, notes) and Benchmarks/.work/keras-results.json (every raw number).

Run (from the repository root; `make bench` does it through Benchmarks/bench.sh):
    swift build -c release --product camkit-bench && swift build -c release --product camkit
    python3.11 -m venv tools/.venv-tf && tools/.venv-tf/bin/pip install -r tools/requirements-tensorflow.txt
    tools/.venv-tf/bin/python Benchmarks/keras_peers.py run [--threads 2] [--iters 5] [--quick]
    tools/.venv-tf/bin/python Benchmarks/keras_peers.py prepare        (models and inputs only)
    tools/.venv-tf/bin/python Benchmarks/keras_peers.py peer ROW --model NAME ...  (one TF measurement, JSON)
ROW is one of predict, eager, function, explain-tutorial, explain-rebuild, explain-function,
gradcam-<layer>. Any interpreter with tensorflow-cpu, keras 3, h5py, numpy and safetensors works
(bench.sh takes CAMKIT_TF_PYTHON in place of tools/.venv-tf/bin/python).
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "Benchmarks" / ".work"
BENCH = ROOT / ".build" / "release" / "camkit-bench"
CAMKIT = ROOT / ".build" / "release" / "camkit"
SIZE = 224
BATCH = 16
# The layer feeding global average pooling first (CAM and closed-form Grad-CAM there), then a
# 14x14 and a 28x28 layer (checked against the built model by `prepare`).
MODELS = {
    "MobileNetV2": {
        "file": "mobilenetv2.h5",
        "layers": ["out_relu", "block_13_expand_relu", "block_6_expand_relu"],
        "shapes": [(7, 7, 1280), (14, 14, 576), (28, 28, 192)],
        "range": (-1.0, 1.0),
        "dense": "predictions",
    },
    "EfficientNetB0": {
        "file": "efficientnetb0.h5",
        "layers": ["top_activation", "block6a_expand_activation", "block4a_expand_activation"],
        "shapes": [(7, 7, 1280), (14, 14, 672), (28, 28, 240)],
        "range": (0.0, 255.0),
        "dense": "predictions",
    },
}
QUIET_LOAD = 0.5
# A row counts as disturbed when other processes (not this script and its children) used more than
# this many cores on average while it ran (from /proc/stat and getrusage).
FOREIGN_CORES = 0.1


def input_path(name):
    return WORK / f"keras-input-{name.lower()}.safetensors"


# ---------------------------------------------------------------- TensorFlow side


def tensorflow(threads):
    """Imports TensorFlow with `threads` intra-op threads and one inter-op thread, before any op."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    return tf


def prepare(threads):
    """The two seeded .h5 models and their input batches, when missing; checks the layers' shapes."""
    tensorflow(threads)
    import keras
    import numpy as np
    from safetensors.numpy import save_file

    WORK.mkdir(parents=True, exist_ok=True)
    for name, spec in MODELS.items():
        path = WORK / spec["file"]
        if not path.exists():
            keras.utils.set_random_seed(0)
            model = getattr(keras.applications, name)(weights=None, input_shape=(SIZE, SIZE, 3), classes=1000)
            for layer, shape in zip(spec["layers"], spec["shapes"]):
                got = tuple(model.get_layer(layer).output.shape[1:])
                if got != shape:
                    raise SystemExit(f"{name}: layer {layer} has shape {got}, expected {shape}")
            model.save(str(path))
            print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)
        if not input_path(name).exists():
            lo, hi = spec["range"]
            x = np.random.default_rng(1).uniform(lo, hi, (BATCH, 3, SIZE, SIZE)).astype(np.float32)
            save_file({"input": x}, str(input_path(name)))


def load(name, threads, batch):
    tf = tensorflow(threads)
    import keras
    import numpy as np
    from safetensors.numpy import load_file

    model = keras.models.load_model(str(WORK / MODELS[name]["file"]), compile=False)
    x = np.ascontiguousarray(load_file(str(input_path(name)))["input"][:batch].transpose(0, 2, 3, 1))
    return tf, keras, model, x


def median_ms(fn, iters):
    fn()  # warm-up (and graph tracing for the tf.function rows)
    times = []
    for _ in range(iters):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return times[len(times) // 2]


def finish(tf, raw):
    """[N, h, w] raw maps -> ReLU, min-max to [0, 1] per map (0 where flat), bilinear to SIZE."""
    m = tf.nn.relu(raw)
    lo = tf.reduce_min(m, axis=(1, 2), keepdims=True)
    span = tf.reduce_max(m, axis=(1, 2), keepdims=True) - lo
    m = tf.where(span > 0, (m - lo) / tf.where(span > 0, span, 1.0), 0.0)
    return tf.image.resize(m[..., None], (SIZE, SIZE), method="bilinear")[..., 0]


def peer(row, name, threads, iters, batch):
    tf, keras, model, x_np = load(name, threads, batch)
    x = tf.constant(x_np)
    spec = MODELS[name]
    layers = spec["layers"]
    kernel = model.get_layer(spec["dense"]).kernel  # [C, classes]
    versions = {"tensorflow": tf.__version__, "keras": keras.__version__}

    def top_score(predictions):
        """predictions[i, top class of i] for every image: the tutorial's loss, batched."""
        return tf.gather(predictions, tf.argmax(predictions, axis=1), axis=1, batch_dims=1)

    def generate_cam(cam_model):
        conv, predictions = cam_model(x, training=False)
        weights = tf.gather(tf.transpose(kernel), tf.argmax(predictions, axis=1))  # [N, C]
        return finish(tf, tf.einsum("nhwc,nc->nhw", conv, weights))

    def generate_grad_cam(grad_model):
        with tf.GradientTape() as tape:
            conv, predictions = grad_model(x, training=False)
            loss = top_score(predictions)
        grads = tape.gradient(loss, conv)
        weights = tf.reduce_mean(grads, axis=(1, 2))
        return finish(tf, tf.einsum("nhwc,nc->nhw", conv, weights))

    def tap_model(*names):
        return keras.Model(model.inputs, [model.get_layer(n).output for n in names] + [model.output])

    if row == "predict":
        t = median_ms(lambda: model.predict(x_np, batch_size=batch, verbose=0), iters)
    elif row == "eager":
        t = median_ms(lambda: model(x, training=False), iters)
    elif row == "function":
        call = tf.function(lambda images: model(images, training=False))
        t = median_ms(lambda: call(x), iters)
    elif row == "explain-tutorial":
        cam_model = tap_model(layers[0])
        grad_models = [tap_model(layer) for layer in layers]

        def run():
            generate_cam(cam_model)
            for grad_model in grad_models:
                generate_grad_cam(grad_model)

        t = median_ms(run, iters)
    elif row == "explain-rebuild":

        def run():
            generate_cam(tap_model(layers[0]))
            for layer in layers:
                generate_grad_cam(tap_model(layer))

        t = median_ms(run, iters)
    elif row == "explain-function":
        all_taps = tap_model(*layers)

        @tf.function
        def explain_all(images):
            with tf.GradientTape() as tape:
                *convs, predictions = all_taps(images, training=False)
                loss = top_score(predictions)
            grads = tape.gradient(loss, convs)
            cls_weights = tf.gather(tf.transpose(kernel), tf.argmax(predictions, axis=1))
            maps = [finish(tf, tf.einsum("nhwc,nc->nhw", convs[0], cls_weights))]
            for conv, grad in zip(convs, grads):
                maps.append(finish(tf, tf.einsum("nhwc,nc->nhw", conv, tf.reduce_mean(grad, axis=(1, 2)))))
            return maps

        t = median_ms(lambda: explain_all(x), iters)
    elif row.startswith("gradcam-"):
        grad_model = tap_model(row.split("-", 1)[1])
        t = median_ms(lambda: generate_grad_cam(grad_model), iters)
    else:
        raise SystemExit(f"unknown row {row}")
    return {"median_ms": t, **versions}


# ---------------------------------------------------------------- the run


def camkit(args, bench=BENCH):
    out = subprocess.run([str(bench)] + args, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["median_ms"]


def run_peer(row, name, threads, iters, batch=BATCH):
    cmd = [sys.executable, __file__, "peer", row, "--model", name, "--threads", str(threads), "--iters", str(iters),
           "--batch", str(batch)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def check_loads(name):
    """`camkit layers` on the .h5: fails loudly when CAMKit cannot load the model or lacks a layer."""
    out = subprocess.run([str(CAMKIT), "layers", "--model", str(WORK / MODELS[name]["file"])], capture_output=True,
                         text=True)
    if out.returncode != 0:
        raise SystemExit(f"camkit layers failed on {name}:\n{out.stderr}")
    missing = [layer for layer in MODELS[name]["layers"] if layer not in out.stdout]
    if missing:
        raise SystemExit(f"camkit layers on {name} does not list {missing}")


class ForeignLoad:
    """CPU time used by processes other than this one and its children between `start` and `stop`:
    all busy time in /proc/stat minus our own (getrusage), as average cores in use."""

    def __init__(self):
        self.busy0, self.own0, self.wall0 = self.busy(), self.own(), time.time()

    @staticmethod
    def busy():
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def own():
        total = 0.0
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
            r = resource.getrusage(who)
            total += r.ru_utime + r.ru_stime
        return total

    def cores(self):
        wall = max(time.time() - self.wall0, 1e-3)
        return max(0.0, (self.busy() - self.busy0) - (self.own() - self.own0)) / wall


def machine():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def libtorch_version():
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libtorch-dev"], capture_output=True, text=True)
    return f"Debian libtorch-dev {out.stdout.strip()}" if out.returncode == 0 and out.stdout.strip() else "unknown"


def commit():
    out = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["run", "peer", "prepare"])
    p.add_argument("row", nargs="?")
    p.add_argument("--model", choices=list(MODELS), help="peer: which model")
    p.add_argument("--models", default=",".join(MODELS), help="run: which models (comma-separated)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iters", type=int, default=5)
    p.add_argument("--batch", type=int, default=BATCH)
    p.add_argument("--quick", action="store_true", help="2 iterations, no per-layer rows (a smoke run)")
    p.add_argument("--baseline", help="run: a camkit-bench built from another commit; its ResNet50 rows beside this one's")
    p.add_argument("--baseline-name", help="run: how the table names the baseline (default: its path)")
    a = p.parse_args()
    if a.what == "prepare":
        return prepare(a.threads)
    if a.what == "peer":
        print(json.dumps(peer(a.row, a.model, a.threads, a.iters, a.batch)))
        return
    load_before = os.getloadavg()
    started = time.time()
    subprocess.run([sys.executable, __file__, "prepare", "--threads", str(a.threads)], check=True)
    t, it = a.threads, (2 if a.quick else a.iters)
    rows = []  # (name, camkit ms, {peer: ms}, foreign cores while the row ran)
    versions = {}
    whole = ForeignLoad()
    row_load = ForeignLoad()

    def add(name, ours, peers):
        nonlocal row_load
        foreign = row_load.cores()
        rows.append((name, ours, peers, foreign))
        print(f"{name:<52} CAMKit {ours:8.1f} ms  " + "  ".join(f"{k} {v:.1f} ms" for k, v in peers.items())
              + f"  (other processes: {foreign:.2f} cores)", flush=True)
        row_load = ForeignLoad()

    def tf_row(row, name):
        out = run_peer(row, name, t, it)
        versions.update({k: v for k, v in out.items() if k != "median_ms"})
        return out["median_ms"]

    for name in a.models.split(","):
        check_loads(name)
        layers = MODELS[name]["layers"]
        common = ["--model", str(WORK / MODELS[name]["file"]), "--input", str(input_path(name)), "--threads", str(t),
                  "--batch", str(BATCH), "--iters", str(it)]
        add(f"{name} forward, batch 16", camkit(["forward"] + common),
            {"TF model.predict": tf_row("predict", name), "TF eager model(x)": tf_row("eager", name),
             "TF tf.function(model)": tf_row("function", name)})
        add(f"{name} CAM + Grad-CAM at {'/'.join(layers)}, batch 16",
            camkit(["explain", "--methods", "cam,gradcam", "--layers", ",".join(layers)] + common),
            {"TF tutorial (4 eager passes, 3 tapes)": tf_row("explain-tutorial", name),
             "TF tutorial, Model built per call": tf_row("explain-rebuild", name),
             "TF one tf.function, one tape": tf_row("explain-function", name)})
        if not a.quick:
            for layer in layers:
                add(f"{name} Grad-CAM at {layer}, batch 16",
                    camkit(["explain", "--methods", "gradcam", "--layers", layer] + common),
                    {"TF tutorial generate_grad_cam": tf_row(f"gradcam-{layer}", name)})
    row_load = ForeignLoad()
    reference = {}
    resnet = ["--arch", "resnet50", "--threads", str(t), "--batch", str(BATCH), "--iters", str(it)]
    baseline = {}
    resnet_rows = {"ResNet50 forward, batch 16": ["forward"] + resnet,
                   "ResNet50 CAM + Grad-CAM at layer4/3/2, batch 16":
                       ["explain", "--methods", "cam,gradcam", "--layers", "layer4,layer3,layer2"] + resnet}
    for name, args in resnet_rows.items():
        if a.baseline:
            # Alternating this build and the baseline twice, the lower median of each: drift and a
            # stray process hit both sides alike.
            ours, theirs = [], []
            for _ in range(2):
                ours.append(camkit(args))
                theirs.append(camkit(args, a.baseline))
            reference[name], baseline[name] = min(ours), min(theirs)
        else:
            reference[name] = camkit(args)
    reference_foreign = row_load.cores()
    for k, v in reference.items():
        print(f"{k:<52} CAMKit {v:8.1f} ms", flush=True)
    load_after = os.getloadavg()
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M", time.localtime(started)), "machine": machine(), "cores": os.cpu_count(),
        "threads": t, "iters": it, "batch": BATCH, "load_before": load_before, "load_after": load_after,
        "foreign_cores": whole.cores(), "reference_foreign_cores": reference_foreign,
        "baseline": a.baseline_name or a.baseline,
        "libtorch": libtorch_version(), "commit": commit(), **versions,
    }
    (WORK / "keras-results.json").write_text(json.dumps(
        {"meta": meta, "rows": [{"row": n, "camkit_ms": c, "peers_ms": p, "foreign_cores": f} for n, c, p, f in rows],
         "camkit_only_ms": reference, "baseline_ms": baseline}, indent=2) + "\n")
    report(rows, reference, baseline, meta)


def report(rows, reference, baseline, meta):
    lb, la = meta["load_before"], meta["load_after"]
    disturbed = [name for name, _, _, foreign in rows if foreign > FOREIGN_CORES]
    if meta["reference_foreign_cores"] > FOREIGN_CORES:
        disturbed.append("the ResNet50 rows")
    quiet = lb[0] < QUIET_LOAD and not disturbed
    load = (f"Load average before the run {lb[0]:.2f} / {lb[1]:.2f} / {lb[2]:.2f} (1/5/15 min), after it "
            f"{la[0]:.2f} / {la[1]:.2f} / {la[2]:.2f} (this run's own processes included); other processes used "
            f"{meta['foreign_cores']:.2f} of the {meta['cores']} cores on average while it ran. ")
    if quiet:
        load += "A quiet machine."
    else:
        load += ("**Taken on a busy machine**" + (f" (1-min load {lb[0]:.2f} >= {QUIET_LOAD} before the start)"
                                                  if lb[0] >= QUIET_LOAD else "")
                 + ": other work shared the cores, so those times and ratios are less reliable than on a quiet "
                 f"one. Rows marked (busy) ran while other processes used more than {FOREIGN_CORES} cores; "
                 "the column \"others\" gives how many.")
    lines = [
        "# CAMKit vs TensorFlow/Keras on keras.applications graph models (`make bench`)",
        "",
        f"Run {meta['date']} on {meta['machine']}, {meta['cores']} cores, {meta['threads']} threads everywhere "
        f"(TensorFlow intra-op {meta['threads']}, inter-op 1); batch {meta['batch']}, 224x224, median of "
        f"{meta['iters']} runs after a warm-up, each row's sides in their own processes.",
        f"TensorFlow {meta.get('tensorflow', '?')} (tensorflow-cpu, oneDNN as shipped), Keras {meta.get('keras', '?')}; "
        f"CAMKit {meta['commit']} on {meta['libtorch']}. Models: keras.applications MobileNetV2 and EfficientNetB0, "
        "weights=None, keras.utils.set_random_seed(0), saved as .h5 and loaded by both sides from that file.",
        load,
        "",
        "| row | CAMKit | peer | peer time | peer / CAMKit |" + ("" if quiet else " others |"),
        "|---|---:|---|---:|---:|" + ("" if quiet else "---:|"),
    ]
    for name, ours, peers, foreign in rows:
        label = name + (" (busy)" if foreign > FOREIGN_CORES else "")
        for i, (peer_name, value) in enumerate(peers.items()):
            lines.append(f"| {label if i == 0 else ''} | {f'{ours:.1f} ms' if i == 0 else ''} | {peer_name} | "
                         f"{value:.1f} ms | **{value / ours:.2f}x** |"
                         + ("" if quiet else (f" {foreign:.2f} |" if i == 0 else " |")))
    lines += [
        "",
        "CAMKit alone, for comparison with the ResNet50 rows of [RESULTS.md](RESULTS.md) (seeded "
        "`camkit-bench --arch resnet50`, same run"
        + (f"; busy: other processes used {meta['reference_foreign_cores']:.2f} cores"
           if meta["reference_foreign_cores"] > FOREIGN_CORES else "") + "):",
        "",
    ] + (["| row | CAMKit |", "|---|---:|"] + [f"| {k} | {v:.1f} ms |" for k, v in reference.items()]
         if not baseline else
         [f"| row | CAMKit | CAMKit {meta['baseline']} | baseline / this |", "|---|---:|---:|---:|"]
         + [f"| {k} | {v:.1f} ms | {baseline[k]:.1f} ms | **{baseline[k] / v:.2f}x** |" for k, v in reference.items()]
         + ["", "Both builds alternate twice on the same inputs; each cell is the lower of its two medians. "
            "baseline / this >= 1 means this build is not slower."]) + [
        "",
        "- peer / CAMKit > 1 means CAMKit is faster. Goal (issue #15): >= 3x for the explanation against the "
        "tutorial, >= 1x for the forward.",
        "- forward: CAMKit `camkit-bench forward --model M.h5` (inference mode, batch norm folded). TF "
        "`model.predict(x, batch_size=16, verbose=0)` on the NumPy batch; `model(x, training=False)` eagerly on a "
        "tf.constant; the same call inside `tf.function` (graph mode, traced in the warm-up, no XLA).",
        "- CAM + Grad-CAM: the layer feeding global average pooling first (CAM there only), then a 14x14 and a "
        "28x28 layer; every map ReLU'd, min-max normalised and resized to 224 bilinear; predicted class. CAMKit "
        "`camkit-bench explain --methods cam,gradcam`: one forward, one backward to the earliest layer, the gradient "
        "at the first layer in closed form (head weight / hw). TF tutorial: generate_cam (one eager forward of "
        "Model(inputs, [L1, output]), Dense kernel column of each image's top class) + generate_grad_cam per layer "
        "(one GradientTape around an eager Model(inputs, [layer, output]) call on all 16 images, loss = "
        "predictions[i, top class of i], tape.gradient to the layer, weights = mean over h and w, map = channel "
        "sum), i.e. 4 forwards + 3 backwards; Models built once outside the timing, the tutorial's per-channel "
        "Python loop vectorised (einsum). \"Model built per call\": the same with `Model(...)` built in each "
        "call, as the tutorial writes it. \"one tf.function, one tape\": one forward of Model(inputs, [L1, L2, L3, "
        "output]) and one tape.gradient to the three layers in one tf.function, CAM from that forward: the same "
        "work plan as CAMKit's, in TF graph mode.",
        "- The tutorial differentiates the softmax probability (the Dense has softmax activation); CAMKit the logit "
        "(its default); the cost differs by one softmax. CAMKit's model is the same .h5 (its graph importer).",
        "- Inputs: one seeded batch per model in the range its first layer expects (MobileNetV2 [-1, 1], "
        "EfficientNetB0 [0, 255]; it rescales itself), NCHW for CAMKit, the same values NHWC for TF.",
        "- Raw numbers: Benchmarks/.work/keras-results.json. Rerun: `tools/.venv-tf/bin/python "
        "Benchmarks/keras_peers.py run` (or `make bench`).",
    ]
    text = "\n".join(lines) + "\n"
    (ROOT / "Benchmarks" / "RESULTS-keras.md").write_text(text)
    print()
    print(text)


if __name__ == "__main__":
    main()
