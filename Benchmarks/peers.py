"""CAMKit against its PyTorch peers, side by side in one run: `make bench` (Benchmarks/bench.sh).

Same weights (a torchvision ResNet50, seeded), same inputs, same thread count for every row; each
row runs CAMKit (`camkit-bench`, `camkit evaluate`) and the peers (PyTorch 2.x eager,
pytorch-grad-cam, torchcam, OpenCV from Python) one after the other, each in its own process.
Prints a table of median times and ratios and writes it to Benchmarks/RESULTS.md.

Usage (tools/.venv: torch, torchvision, grad-cam, torchcam, opencv-python-headless, safetensors, from
tools/requirements-gradcam.txt; bench.sh creates it when missing, or by hand:
`python3.11 -m venv tools/.venv && tools/.venv/bin/pip install -r tools/requirements-gradcam.txt`):
    tools/.venv/bin/python Benchmarks/peers.py run [--threads 2] [--iters 5] [--quick]
    tools/.venv/bin/python Benchmarks/peers.py peer ROW ...   (one peer measurement, JSON out)
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "Benchmarks" / ".work"
BENCH = ROOT / ".build" / "release" / "camkit-bench"
CAMKIT = ROOT / ".build" / "release" / "camkit"
LAYERS = ["layer4", "layer3", "layer2"]
SIZE = 224


# ---------------------------------------------------------------- shared inputs


def prepare(threads):
    """Seeded ResNet50 weights, a batch of 16 inputs, an image folder with boxes, and score maps."""
    import numpy as np
    import torch
    import torchvision
    from PIL import Image, ImageDraw
    from safetensors.torch import save_file

    WORK.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(threads)
    if not (WORK / "resnet50.safetensors").exists():
        torch.manual_seed(0)
        model = torchvision.models.resnet50()
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(WORK / "resnet50.safetensors"))
    if not (WORK / "input.safetensors").exists():
        torch.manual_seed(1)
        save_file({"input": torch.randn(16, 3, SIZE, SIZE)}, str(WORK / "input.safetensors"))
    images = WORK / "images"
    if not (images / "annotations.csv").exists():
        images.mkdir(exist_ok=True)
        rng = np.random.default_rng(2)
        rows = ["file,label,ymin,xmin,ymax,xmax"]
        for i in range(64):
            w, h = int(rng.integers(280, 400)), int(rng.integers(220, 320))
            pixels = rng.integers(0, 255, size=(h, w, 3), dtype=np.uint8)
            img = Image.fromarray(pixels)
            x0, y0 = int(rng.integers(0, w // 2)), int(rng.integers(0, h // 2))
            x1, y1 = int(x0 + rng.integers(w // 4, w // 2)), int(y0 + rng.integers(h // 4, h // 2))
            ImageDraw.Draw(img).ellipse([x0, y0, x1, y1], fill=tuple(int(c) for c in rng.integers(0, 255, 3)))
            img.save(images / f"img{i:03d}.jpg", quality=90)
            rows.append(f"img{i:03d}.jpg,{int(rng.integers(0, 1000))},{y0 / h:.6f},{x0 / w:.6f},{y1 / h:.6f},{x1 / w:.6f}")
        (images / "annotations.csv").write_text("\n".join(rows) + "\n")
    if not (WORK / "maps.npy").exists():
        # CAM-like maps: a few Gaussian blobs at image size, normalised to a peak of 1.
        rng = np.random.default_rng(3)
        yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
        maps = np.zeros((200, SIZE, SIZE), np.float32)
        truths = []
        for i in range(200):
            for _ in range(int(rng.integers(1, 4))):
                cy, cx, s = rng.uniform(40, 184), rng.uniform(40, 184), rng.uniform(10, 40)
                maps[i] += rng.uniform(0.3, 1) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
            maps[i] /= maps[i].max()
            truths.append(_box(rng))
        np.save(WORK / "maps.npy", maps)
        (WORK / "map_truths.json").write_text(json.dumps(truths))


def _box(rng):
    y0, x0 = rng.uniform(0, 0.5, 2)
    return [float(y0), float(x0), float(y0 + rng.uniform(0.2, 0.5)), float(x0 + rng.uniform(0.2, 0.5))]


def samples():
    """(file, label, [ymin, xmin, ymax, xmax]) of the image folder."""
    lines = (WORK / "images" / "annotations.csv").read_text().split("\n")[1:]
    out = []
    for line in filter(None, lines):
        f, label, *box = line.split(",")
        out.append((WORK / "images" / f, int(label), [float(v) for v in box]))
    return out


# ---------------------------------------------------------------- the peers


def median_ms(fn, iters):
    fn()  # warm-up
    times = []
    for _ in range(iters):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return times[len(times) // 2]


def load_model(channels_last=True):
    import torch
    import torchvision
    from safetensors.torch import load_file

    model = torchvision.models.resnet50()
    model.load_state_dict(load_file(str(WORK / "resnet50.safetensors")))
    model.eval()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    return model


def load_input(batch, channels_last=True):
    import torch
    from safetensors.torch import load_file

    x = load_file(str(WORK / "input.safetensors"))["input"][:batch].clone()
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


def tutorial_box(cam):
    """The tutorial's get_bbox + rect_to_minmax on a map normalised to a peak of 1 (cv2)."""
    import cv2
    import numpy as np

    cam = cam.copy()
    cam[cam <= 0.05] = 0
    contours, _ = cv2.findContours((cam * 255).astype(np.uint8), cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    rect = cv2.boxPoints(cv2.minAreaRect(contours[0])).astype(np.int64)
    h, w = cam.shape
    return [rect[:, 1].min() / h, rect[:, 0].min() / w, rect[:, 1].max() / h, rect[:, 0].max() / w]


def tutorial_iou(a, b):
    """The tutorial's get_iou on normalised [ymin, xmin, ymax, xmax]."""
    inter = max(0, min(a[3], b[3]) - max(a[1], b[1])) * max(0, min(a[2], b[2]) - max(a[0], b[0]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def grad_cam_calls(model, x, layers):
    """pytorch-grad-cam as its users call it: one GradCAM per layer, predicted class."""
    from pytorch_grad_cam import GradCAM

    maps = []
    for name in layers:
        with GradCAM(model=model, target_layers=[getattr(model, name)]) as cam:
            maps.append(cam(input_tensor=x, targets=None))
    return maps


def peer(row, threads, iters, batch):
    import numpy as np
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    if row == "forward":
        model, x = load_model(), load_input(batch)

        def run():
            with torch.inference_mode():
                model(x)

        return {"pytorch": median_ms(run, iters)}
    if row == "forward-contiguous":
        model, x = load_model(channels_last=False), load_input(batch, channels_last=False)

        def run():
            with torch.inference_mode():
                model(x)

        return {"pytorch": median_ms(run, iters)}
    if row.startswith("gradcam-"):
        layer = row.split("-", 1)[1]
        model, x = load_model(), load_input(batch)
        out = {"pytorch-grad-cam": median_ms(lambda: grad_cam_calls(model, x, [layer]), iters)}
        out["torchcam"] = torchcam_time(model, x, [layer], cam=False, iters=iters)
        return out
    if row == "cam":
        model, x = load_model(), load_input(batch)
        return {"torchcam": torchcam_time(model, x, [], cam=True, iters=iters)}
    if row == "cam+gradcam3":
        model, x = load_model(), load_input(batch)
        # CAM equals Grad-CAM at layer4 after normalisation for a GAP + linear head, so a
        # pytorch-grad-cam user gets it from the layer4 call: three calls in all.
        out = {"pytorch-grad-cam": median_ms(lambda: grad_cam_calls(model, x, LAYERS), iters)}
        out["torchcam"] = torchcam_time(model, x, LAYERS, cam=True, iters=iters)
        return out
    if row == "boxes":
        maps = np.load(WORK / "maps.npy")
        truths = json.loads((WORK / "map_truths.json").read_text())

        def run():
            for m, t in zip(maps, truths):
                box = tutorial_box(m)
                if box is not None:
                    tutorial_iou(box, t)

        return {"opencv-python": median_ms(run, iters) / len(maps)}
    if row == "pipeline":
        return {"pytorch-grad-cam": pipeline_time(iters)}
    if row == "train-step":
        model = load_model(channels_last=False)
        model.train()
        x = load_input(batch, channels_last=False)
        labels = torch.randint(0, 1000, (batch,), generator=torch.Generator().manual_seed(0))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

        def step():
            loss = F.cross_entropy(model(x), labels)
            opt.zero_grad()
            loss.backward()
            opt.step()

        return {"pytorch": median_ms(step, iters)}
    if row == "dataset":
        return {"pytorch-grad-cam": dataset_time()}
    if row == "road":
        return {"pytorch-grad-cam": road_time(threads, iters, batch)}
    raise SystemExit(f"unknown row {row}")


def road_time(threads, iters, batch):
    """pytorch-grad-cam's ROADMostRelevantFirst and ROADLeastRelevantFirst at its 9 default
    percentiles (its NoisyLinearImputer, noise 0.01) on Grad-CAM maps at layer4 made beforehand,
    the softmax score of the predicted class as target: the metric's time alone."""
    import numpy as np
    import torch
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.metrics.road import ROADLeastRelevantFirst, ROADMostRelevantFirst
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputSoftmaxTarget

    model, x = load_model(), load_input(batch)
    with GradCAM(model=model, target_layers=[model.layer4]) as cam:
        cams = cam(input_tensor=x, targets=None)
    with torch.no_grad():
        predicted = model(x).argmax(dim=1).tolist()
    targets = [ClassifierOutputSoftmaxTarget(c) for c in predicted]
    percentiles = [10, 20, 30, 40, 50, 60, 70, 80, 90]
    metrics = [cls(p) for cls in (ROADMostRelevantFirst, ROADLeastRelevantFirst) for p in percentiles]

    def run():
        for metric in metrics:
            metric(x, cams, targets, model)

    return median_ms(run, iters)


def torchcam_time(model, x, layers, cam, iters):
    """torchcam: one GradCAM extractor over `layers` (one forward, one backward) plus, with
    `cam`, a CAM extractor hooked in the same forward; maps upsampled to the input size."""
    import torch
    import torch.nn.functional as F
    from torchcam.methods import CAM, GradCAM

    extractors = []
    if cam:
        extractors.append(CAM(model, target_layer="layer4", fc_layer="fc"))
    if layers:
        extractors.append(GradCAM(model, target_layer=layers))

    def run():
        with torch.set_grad_enabled(bool(layers)):  # CAM alone needs no autograd
            scores = model(x)
        idx = scores.argmax(1).tolist()
        for e in extractors:
            extra = {"retain_graph": True} if isinstance(e, GradCAM) else {}
            for m in e(class_idx=idx, scores=scores, **extra):
                F.interpolate(m.unsqueeze(1), size=x.shape[-2:], mode="bilinear", align_corners=False)

    t = median_ms(run, iters)
    for e in extractors:
        e.remove_hooks()
    return t


def pipeline_time(iters):
    """The tutorial's per-image work: decode, resize to 224, /255-style preprocessing, CAM and
    Grad-CAM at the last stage, each resized to the image, boxed (get_bbox) and scored (get_iou)."""
    import cv2
    import torch
    from pytorch_grad_cam import GradCAM

    model = load_model()
    items = samples()[:16]
    feats = {}
    model.layer4.register_forward_hook(lambda m, i, o: feats.__setitem__("f", o))
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    grad_cam = GradCAM(model=model, target_layers=[model.layer4])

    def one(path, truth):
        image = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        h, w = image.shape[:2]
        x = torch.from_numpy(cv2.resize(image, (SIZE, SIZE))).permute(2, 0, 1)[None].float() / 255
        x = ((x - mean) / std).contiguous(memory_format=torch.channels_last)
        with torch.no_grad():
            logits = model(x)
        cls = int(logits.argmax())
        cam = torch.einsum("c,chw->hw", model.fc.weight[cls], feats["f"][0]).detach().numpy()
        cam = cv2.resize(cam / cam.max(), (w, h))
        gcam = cv2.resize(grad_cam(input_tensor=x, targets=None)[0], (w, h))
        for m in (cam, gcam):
            box = tutorial_box(m)
            if box is not None:
                tutorial_iou(box, truth)

    def run():
        for path, _, truth in items:
            one(path, truth)

    return median_ms(run, max(1, iters // 2)) / len(items)


def dataset_time():
    """Images per second over the image folder: decode (PIL) + resize + pytorch-grad-cam at three
    layers (CAM = its layer4 map) + the tutorial's boxes and IoU for each of the 4 maps."""
    import cv2
    import torch
    from PIL import Image
    from torchvision import transforms

    start = time.perf_counter()
    model = load_model()
    items = samples()
    tf = transforms.Compose([transforms.Resize((SIZE, SIZE)), transforms.ToTensor(),
                             transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    for i in range(0, len(items), 16):
        chunk = items[i:i + 16]
        images = [Image.open(p).convert("RGB") for p, _, _ in chunk]
        x = torch.stack([tf(im) for im in images]).contiguous(memory_format=torch.channels_last)
        per_layer = grad_cam_calls(model, x, LAYERS)
        for j, (im, (_, _, truth)) in enumerate(zip(images, chunk)):
            for maps in per_layer + [per_layer[0]]:  # + CAM (the layer4 map)
                box = tutorial_box(cv2.resize(maps[j], im.size))
                if box is not None:
                    tutorial_iou(box, truth)
    return (time.perf_counter() - start) * 1000


# ---------------------------------------------------------------- the run


def camkit(args, binary=BENCH):
    out = subprocess.run([str(binary)] + args, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


# glibc settings equal to what CAMKit's Runtime.retainFreedMemory() does, for a peer run with them.
RETAIN_ENV = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(0x7FFFFFFF)}


def run_peer(row, threads, iters, batch, env=None):
    cmd = [sys.executable, __file__, "peer", row, "--threads", str(threads), "--iters", str(iters), "--batch", str(batch)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env={**os.environ, **(env or {})}).stdout
    return json.loads(out.strip().splitlines()[-1])


def camkit_dataset(threads):
    out = WORK / "evaluate"
    cmd = [str(CAMKIT), "evaluate", "--dataset", f"folder:{WORK / 'images'}", "--model", str(WORK / "resnet50.safetensors"),
           "--preprocess", "imagenet", "--method", "cam", "gradcam", "--layer", *LAYERS, "--box-rule", "tutorial",
           "--batch-size", "16", "--threads", str(threads), "--overwrite", "--no-report", "--out", str(out)]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return (time.perf_counter() - start) * 1000


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["run", "peer", "prepare"])
    p.add_argument("row", nargs="?")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iters", type=int, default=5)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--quick", action="store_true", help="fewer iterations (a smoke run)")
    p.add_argument("--other-libtorch", metavar="CAMKIT_BENCH",
                   help="a camkit-bench built against another libtorch (CAMKIT_LIBTORCH): adds its forward and "
                        "CAM + Grad-CAM rows beside the default build's")
    a = p.parse_args()
    a.other_libtorch_name = os.environ.get("CAMKIT_OTHER_LIBTORCH_NAME", "the other libtorch")
    if a.what == "prepare":
        return prepare(a.threads)
    if a.what == "peer":
        print(json.dumps(peer(a.row, a.threads, a.iters, a.batch)))
        return
    prepare(a.threads)
    t, it = a.threads, (2 if a.quick else a.iters)
    model = ["--model", str(WORK / "resnet50.safetensors"), "--input", str(WORK / "input.safetensors"), "--threads", str(t)]
    rows = []  # (name, unit, camkit value, {peer: value}, note)

    def add(name, unit, ours, peers, note=""):
        rows.append((name, unit, ours, peers, note))
        print(f"{name:<44} CAMKit {fmt(ours, unit)}  " + "  ".join(f"{k} {fmt(v, unit)}" for k, v in peers.items()), flush=True)

    peak = json.loads(subprocess.run([str(ROOT / "Benchmarks" / ".work" / "fma_peak"), str(t)], check=True,
                                     capture_output=True, text=True).stdout)
    for b in (1, 16):
        n = it * (6 if b == 1 else 1)  # batch 1 is short and noisy: more runs
        ours = camkit(["forward", "--batch", str(b), "--iters", str(n)] + model)["median_ms"]
        peers = run_peer("forward", t, n, b)
        peers["pytorch (contiguous)"] = run_peer("forward-contiguous", t, n, b)["pytorch"]
        peers["pytorch (retained)"] = run_peer("forward", t, n, b, env=RETAIN_ENV)["pytorch"]
        add(f"forward, batch {b}", "ms", ours, {"pytorch 2.x channels-last": peers["pytorch"],
                                                "pytorch 2.x contiguous": peers["pytorch (contiguous)"],
                                                "pytorch 2.x channels-last, glibc set as CAMKit sets it": peers["pytorch (retained)"]})
        if b == 16:
            forward16 = ours
    add("CAM (layer4), batch 16", "ms", camkit(["explain", "--methods", "cam", "--layers", "layer4", "--iters", str(it)] + model)["median_ms"],
        run_peer("cam", t, it, 16))
    for layer in LAYERS:
        add(f"Grad-CAM at {layer}, batch 16", "ms",
            camkit(["explain", "--methods", "gradcam", "--layers", layer, "--iters", str(it)] + model)["median_ms"],
            run_peer(f"gradcam-{layer}", t, it, 16))
    add("CAM + Grad-CAM at layer4/3/2, batch 16", "ms",
        camkit(["explain", "--methods", "cam,gradcam", "--layers", ",".join(LAYERS), "--iters", str(it)] + model)["median_ms"],
        run_peer("cam+gradcam3", t, it, 16))
    add("tutorial pipeline per image (decode..IoU)", "ms",
        camkit(["pipeline", "--images", str(WORK / "images"), "--iters", str(max(1, it // 2))] + model)["per_image_ms"],
        run_peer("pipeline", t, it, 1))
    add("box + IoU step per map (tutorial rule)", "ms",
        camkit(["boxes", "--maps", str(WORK / "maps.npy"), "--truths", str(WORK / "map_truths.json"), "--iters", str(it), "--threads", str(t)])["per_map_ms"],
        run_peer("boxes", t, it, 1))
    add("training step, batch 16 (SGD momentum)", "ms",
        camkit(["train-step", "--batch", "16", "--iters", str(it), "--threads", str(t)])["median_ms"],
        run_peer("train-step", t, it, 16))
    if a.other_libtorch:
        other = Path(a.other_libtorch)

        def both(args):  # two alternating rounds each, the lower median: one noisy spike must not decide
            ours, theirs = [], []
            for _ in range(2):
                ours.append(camkit(args)["median_ms"])
                theirs.append(camkit(args, other)["median_ms"])
            return min(ours), {f"CAMKit on {a.other_libtorch_name}": min(theirs)}

        for b in (1, 16):
            add(f"forward, batch {b}: CAMKit on Debian's libtorch 1.13 vs", "ms",
                *both(["forward", "--batch", str(b), "--iters", str(it * (6 if b == 1 else 1))] + model))
        add("CAM + Grad-CAM x3, batch 16: CAMKit on Debian's libtorch 1.13 vs", "ms",
            *both(["explain", "--methods", "cam,gradcam", "--layers", ",".join(LAYERS), "--iters", str(it)] + model))
    road_iters = 1 if a.quick else 2  # the peer's 288 sparse solves take minutes
    add("ROAD MoRF + LeRF x 9 percentiles, Grad-CAM layer4, batch 16", "ms",
        camkit(["road", "--layer", "layer4", "--iters", str(road_iters)] + model)["median_ms"],
        run_peer("road", t, road_iters, 16),
        "the metric alone on maps made beforehand: 18 imputed copies of each of 16 images (noisy linear imputation, "
        "noise 0.01) and their forwards; pytorch-grad-cam solves each image's system with SciPy's spsolve, CAMKit with "
        "Eigen's sparse Cholesky on all cores")
    n = len(samples())
    ours = camkit_dataset(t)
    theirs = run_peer("dataset", t, 1, 16)
    add(f"dataset evaluation, {n} JPEGs, total", "ms", ours, theirs,
        "CAMKit: `camkit evaluate` end to end (process start, model load, decode, CAM + Grad-CAM x3, boxes, IoU, "
        "MaxBoxAcc sweep, SQLite, metrics files)")
    report(rows, peak, forward16, t)


def fmt(value, unit):
    return f"{value:.3f} {unit}" if value < 1 else f"{value:.1f} {unit}"


def report(rows, peak, forward16, threads):
    gflop = 8.18  # ResNet50 forward at 224, multiply-adds x 2
    achieved = gflop * 16 / (forward16 / 1000)
    lines = [
        "# CAMKit vs PyTorch peers (`make bench`)",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M')} on {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{threads} threads everywhere; ResNet50 (torchvision layout, same seeded weights), 224x224, median times.",
        f"Measured fp32 peak ({peak['isa']} FMA, {threads} threads): {peak['gflops']:.0f} GFLOP/s; CAMKit's batch-16 forward "
        f"reaches {achieved:.0f} GFLOP/s = {100 * achieved / peak['gflops']:.0f}% of it.",
        "",
        "| row | CAMKit | peer | peer time | peer / CAMKit |",
        "|---|---:|---|---:|---:|",
    ]
    for name, unit, ours, peers, note in rows:
        for i, (peer_name, value) in enumerate(peers.items()):
            lines.append(f"| {name if i == 0 else ''} | {fmt(ours, unit) if i == 0 else ''} | {peer_name} | {fmt(value, unit)} | "
                         f"**{value / ours:.2f}x** |")
    notes = [f"- {name}: {note}" for name, _, _, _, note in rows if note]
    lines += [""] + notes + [
        "- peer / CAMKit > 1 means CAMKit is faster. pytorch-grad-cam: one GradCAM call per layer (CAM = its layer4 map, "
        "so no extra call); torchcam: one GradCAM extractor over the three layers plus a CAM extractor in the same forward.",
        "- CAMKit runs eval passes with batch norm folded into the convolutions, batches of 2+ channels-last, and keeps freed memory "
        "(mallopt); the peers run as their users run them (PyTorch eager, glibc's allocator).",
        "- Keras graph models (MobileNetV2, EfficientNetB0) against TensorFlow: [RESULTS-keras.md](RESULTS-keras.md) "
        "(Benchmarks/keras_peers.py, the next step of `make bench`).",
    ]
    text = "\n".join(lines) + "\n"
    (ROOT / "Benchmarks" / "RESULTS.md").write_text(text)
    print()
    print(text)


if __name__ == "__main__":
    main()
