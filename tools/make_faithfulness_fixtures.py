"""Golden fixtures for CAMKit's faithfulness metrics (Sources/CAMFaithfulness), computed by the peer
libraries' own metric classes: pytorch-grad-cam 1.5.7 (`DropInConfidence`, `IncreaseInConfidence`,
`ROADMostRelevantFirst`, `ROADLeastRelevantFirst`, their `...Average` classes, `ROADCombined`,
`NoisyLinearImputer`) and torchcam 0.5.0 (`DeletionInsertionMetric`).

Model and input: those of the explain fixtures, read, not stored again: the narrow torchvision
bottleneck ResNet at Tests/Fixtures/models/tv_bottleneck.safetensors and the 2 images of
Tests/Fixtures/explain/input.safetensors (3x48x64, already preprocessed).

Maps (M = 5, each at the input's 48x64, as pytorch-grad-cam's metrics take them):
  0: pytorch-grad-cam GradCAM, layer4, image 0, softmax target of class 0
  1: GradCAM, layer4, image 1, class 2: zero everywhere (ReLU of a map negative everywhere), so
     ROAD imputes the whole image at every percentile, MoRF and LeRF alike
  2: GradCAM, layer3, image 1, class 0
  3: a smooth random field in [0, 1] (no ties), image 0, class 2
  4: a ReLU'd random field, 0 on about half the pixels, image 1, class 1
GradCAM maps are ReLU'd and min-max scaled, so they hold ties at 0: the percentile thresholds and
the strict `<` of pytorch-grad-cam's masks are exercised; map 4 keeps nothing at MoRF 10..40 (the
threshold is 0), so the whole image is imputed there.

Every score is the softmax probability of the map's class (`ClassifierOutputSoftmaxTarget` for
pytorch-grad-cam, `logits_fn=softmax` for torchcam). ROAD runs with imputation noise 0: the
imputer's default noise is set to 0 before the metric classes are made (its only change).
torchcam's metric computes its own CAM; here it is handed the fixture maps by a stand-in extractor
(the `_CAMExtractor` protocol: the model, a call returning the maps, `fuse_cams`, `_hooks_off`),
so that both sides rank the same map; torchcam resizes a map to the input size, which for maps
already at that size is the identity.

Writes Tests/Fixtures/faithfulness/metrics.safetensors:
  maps [M, 48, 64] float32; images, classes [M] int64; score [M] (the unperturbed softmax score)
  drop, increase [M]                       pytorch-grad-cam, per map
  road_morf, road_lerf [M, 9]              per percentile 10..90 (score after imputation - score)
  road_morf_average, road_lerf_average [M] the Average classes; road_combined [M]
  deletion, insertion [M]                  torchcam, steps 20 (its default); *_steps7: steps 7
and Tests/Fixtures/faithfulness/pointing.safetensors: the pointing games of the same 5 maps against
  made-up ground-truth boxes (normalised [ymin, xmin, ymax, xmax], covering the map pixels
  floor(min * size) ..< ceil(max * size), as CAMKit's BoundingBox.pixelRect; several boxes count as
  their union): boxes [M, 2, 4] with box_count [M] (1 or 2 used), hit_t15 / hit_t3 [M] from TorchRay
  1.0.0.2's PointingGame.evaluate (tolerance 15 and 3, +1 -> 1, -1 -> 0) at the map's argmax, and
  energy [M], Score-CAM's energy_point_game (sum of the map in the boxes / sum of the map) with rows
  for y (Score-CAM's own code indexes the first axis with x), 0 where the map sums to 0;
and Tests/Fixtures/faithfulness/imputer.safetensors: small cases of NoisyLinearImputer (noise 0)
  case<k>.image [3, h, w], case<k>.known [h, w] (1 = kept, 0 = imputed), case<k>.imputed [3, h, w]
  0: 12x16, a random half of the pixels imputed; 1: 12x16, a block touching two borders and a
  corner; 2: 9x11, pytorch-grad-cam's own MoRF mask of a random map at percentile 30; 3: 6x7,
  every pixel imputed (what MoRF does where the percentile falls in a run of zeros: the system is
  singular with right-hand side 0, and SciPy's spsolve returns 0).

Regenerate (from the repository root; venv: tools/requirements-faithfulness.txt, which includes
tools/requirements-gradcam.txt):
    python3.11 -m venv tools/.venv && tools/.venv/bin/pip install -r tools/requirements-faithfulness.txt
    tools/.venv/bin/python tools/make_faithfulness_fixtures.py
"""
import math
import os
import sys
from contextlib import contextmanager
from functools import partial
from importlib.metadata import version

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(__file__))
from make_explain_fixtures import load_model  # noqa: E402

import pytorch_grad_cam as pgc  # noqa: E402
from pytorch_grad_cam.metrics import road  # noqa: E402
from pytorch_grad_cam.metrics.cam_mult_image import DropInConfidence, IncreaseInConfidence  # noqa: E402
from pytorch_grad_cam.metrics.perturbation_confidence import RemoveMostRelevantFirst  # noqa: E402
from pytorch_grad_cam.utils.model_targets import ClassifierOutputSoftmaxTarget  # noqa: E402
from torchcam.metrics import DeletionInsertionMetric  # noqa: E402
from torchray.benchmark.pointing_game import PointingGame  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures")
OUT = os.path.join(ROOT, "faithfulness")
PERCENTILES = [10, 20, 30, 40, 50, 60, 70, 80, 90]
# (image, layer, class) of the Grad-CAM maps; the random map is appended.
GRADCAM_MAPS = [(0, "layer4", 0), (1, "layer4", 2), (1, "layer3", 0)]
# (image, class) of the random field and of the half-zero one.
RANDOM_MAPS = [(0, 2), (1, 1)]

# The imputer with noise 0: its default noise, replaced before any metric class is made.
road.NoisyLinearImputer.__init__.__defaults__ = (0.0, road.neighbors_weights)


class FixedMaps:
    """A torchcam `_CAMExtractor` that returns given maps instead of computing them."""

    def __init__(self, model, maps):
        self.model = model
        self.maps = maps

    def __call__(self, class_idx=None, scores=None, normalized=True, **kwargs):
        return [self.maps]

    def fuse_cams(self, cams):
        return cams[0]

    @contextmanager
    def _hooks_off(self):
        yield


def smooth_field(gen, h, w):
    coarse = torch.rand(1, 1, 4, 5, generator=gen)
    field = F.interpolate(coarse, size=(h, w), mode="bilinear", align_corners=False)[0, 0]
    field = field + 0.01 * torch.rand(h, w, generator=gen)
    return ((field - field.min()) / (field.max() - field.min())).float()


def make_maps(model, x):
    maps = []
    for image, layer, c in GRADCAM_MAPS:
        cam = pgc.GradCAM(model, [dict(model.named_modules())[layer]])
        out = cam(input_tensor=x[image:image + 1], targets=[ClassifierOutputSoftmaxTarget(c)])
        cam.activations_and_grads.release()
        maps.append(torch.from_numpy(np.asarray(out[0], dtype=np.float32)))
    gen = torch.Generator().manual_seed(7)
    maps.append(smooth_field(gen, x.shape[2], x.shape[3]))
    sparse = torch.relu(smooth_field(gen, x.shape[2], x.shape[3]) - 0.5)
    maps.append(sparse / sparse.max())
    images = [m[0] for m in GRADCAM_MAPS] + [m[0] for m in RANDOM_MAPS]
    classes = [m[2] for m in GRADCAM_MAPS] + [m[1] for m in RANDOM_MAPS]
    return torch.stack(maps), images, classes


def pgc_metrics(model, x, maps, images, classes):
    inputs = x[images]
    cams = maps.numpy()
    targets = [ClassifierOutputSoftmaxTarget(c) for c in classes]
    with torch.no_grad():
        probs = torch.softmax(model(inputs), dim=-1)
    score = probs[torch.arange(len(classes)), torch.tensor(classes)]
    out = {
        "score": score,
        "drop": torch.from_numpy(DropInConfidence()(inputs, cams, targets, model)),
        "increase": torch.from_numpy(IncreaseInConfidence()(inputs, cams, targets, model)),
        "road_morf": torch.from_numpy(np.stack(
            [road.ROADMostRelevantFirst(p)(inputs, cams, targets, model) for p in PERCENTILES], axis=1)),
        "road_lerf": torch.from_numpy(np.stack(
            [road.ROADLeastRelevantFirst(p)(inputs, cams, targets, model) for p in PERCENTILES], axis=1)),
        "road_morf_average": torch.from_numpy(road.ROADMostRelevantFirstAverage(PERCENTILES)(inputs, cams, targets, model)),
        "road_lerf_average": torch.from_numpy(road.ROADLeastRelevantFirstAverage(PERCENTILES)(inputs, cams, targets, model)),
        "road_combined": torch.from_numpy(road.ROADCombined(PERCENTILES)(inputs, cams, targets, model)),
    }
    return {k: torch.as_tensor(v, dtype=torch.float32).contiguous() for k, v in out.items()}


def torchcam_metrics(model, x, maps, images, classes, steps):
    deletion, insertion = [], []
    for m in range(len(images)):
        extractor = FixedMaps(model, maps[m:m + 1])
        metric = DeletionInsertionMetric(extractor, partial(torch.softmax, dim=-1), steps=steps, batch_size=16)
        metric.update(x[images[m]:images[m] + 1], class_idx=classes[m])
        s = metric.summary()
        deletion.append(s["deletion_auc"])
        insertion.append(s["insertion_auc"])
    return torch.tensor(deletion, dtype=torch.float32), torch.tensor(insertion, dtype=torch.float32)


def box_mask(boxes, h, w):
    """The union of the boxes' pixels (BoundingBox.pixelRect's rule)."""
    mask = torch.zeros(h, w, dtype=torch.bool)
    for ymin, xmin, ymax, xmax in boxes:
        x0 = max(0, min(w - 1, math.floor(xmin * w)))
        y0 = max(0, min(h - 1, math.floor(ymin * h)))
        x1 = max(x0 + 1, min(w, math.ceil(xmax * w)))
        y1 = max(y0 + 1, min(h, math.ceil(ymax * h)))
        mask[y0:y1, x0:x1] = True
    return mask


def pointing_cases(maps):
    h, w = maps.shape[1:]
    gen = torch.Generator().manual_seed(5)
    boxes = torch.zeros(len(maps), 2, 4, dtype=torch.float64)
    counts = []
    for m in range(len(maps)):
        n = 2 if m % 2 else 1
        counts.append(n)
        for b in range(n):
            lo = torch.rand(2, generator=gen, dtype=torch.float64) * 0.7
            size = 0.1 + torch.rand(2, generator=gen, dtype=torch.float64) * 0.3
            boxes[m, b] = torch.cat([lo, torch.minimum(lo + size, torch.ones(2, dtype=torch.float64))])
    # Boxes placed from the maps' maxima, so that both tolerances hit and miss: map 0 two rows below
    # its maximum (hits at 3 and 15), map 2 eight columns right of it (hits at 15 only), map 3's second
    # box over it; maps 1 (all zero: its "maximum" is pixel 0) and 4 keep their random boxes.
    def peak(m):
        py, px = divmod(int(torch.argmax(maps[m])), w)
        return py, px

    py, px = peak(0)
    boxes[0, 0] = torch.tensor([(py + 2) / h, (px - 1) / w, (py + 6) / h, (px + 4) / w], dtype=torch.float64)
    py, px = peak(2)
    boxes[2, 0] = torch.tensor([(py - 2) / h, (px + 8) / w, (py + 3) / h, (px + 14) / w], dtype=torch.float64)
    py, px = peak(3)
    boxes[3, 1] = torch.tensor([(py - 3) / h, (px - 3) / w, (py + 3) / h, (px + 3) / w], dtype=torch.float64)
    boxes.clamp_(0, 1)
    hits = {15: [], 3: []}
    energy = []
    for m in range(len(maps)):
        mask = box_mask(boxes[m, :counts[m]].tolist(), h, w)
        index = int(torch.argmax(maps[m]))  # the first maximum in row-major order
        point = (index % w, index // w)  # TorchRay's (u, v) = (x, y)
        for t in hits:
            hits[t].append(1.0 if PointingGame(num_classes=1, tolerance=t).evaluate(mask, point) == 1 else 0.0)
        total = maps[m].double().sum()
        energy.append(float((maps[m].double() * mask).sum() / total) if total > 0 else 0.0)
    assert 0 < sum(hits[3]) < len(maps), f"tolerance 3 should both hit and miss: {hits[3]}"
    assert sum(hits[3]) < sum(hits[15]), f"tolerance 15 should hit more than 3: {hits}"
    return {
        "boxes": boxes.contiguous(), "box_count": torch.tensor(counts), "hit_t15": torch.tensor(hits[15], dtype=torch.float32),
        "hit_t3": torch.tensor(hits[3], dtype=torch.float32), "energy": torch.tensor(energy, dtype=torch.float32),
    }


def imputer_cases():
    gen = torch.Generator().manual_seed(11)
    cases = {}
    h, w = 12, 16
    # 0: a random half imputed.
    known = (torch.rand(h, w, generator=gen) < 0.5).float()
    cases[0] = (torch.randn(3, h, w, generator=gen), known)
    # 1: a block touching the top and right borders and the top-right corner.
    known = torch.ones(h, w)
    known[:5, 9:] = 0
    cases[1] = (torch.randn(3, h, w, generator=gen), known)
    # 2: pytorch-grad-cam's own MoRF mask (percentile 30) of a random map.
    h, w = 9, 11
    field = smooth_field(gen, h, w)
    imputer = road.NoisyLinearImputer(noise=0.0)
    recorded = []
    remover = RemoveMostRelevantFirst(30, lambda img, mask: recorded.append(mask.clone()) or imputer(img, mask))
    image = torch.randn(3, h, w, generator=gen)
    remover(image, field)
    cases[2] = (image, recorded[0].float())
    # 3: nothing kept.
    cases[3] = (torch.randn(3, 6, 7, generator=gen), torch.zeros(6, 7))
    tensors = {}
    for k, (image, known) in cases.items():
        tensors[f"case{k}.image"] = image.contiguous()
        tensors[f"case{k}.known"] = known.to(torch.uint8).contiguous()
        tensors[f"case{k}.imputed"] = road.NoisyLinearImputer(noise=0.0)(image, known).contiguous()
    return tensors


def main():
    torch.set_num_threads(1)
    model = load_model()
    x = load_file(os.path.join(ROOT, "explain", "input.safetensors"))["input"]
    maps, images, classes = make_maps(model, x)
    zeros = (maps == 0).sum(dim=(1, 2))
    assert zeros[0] > 1 and zeros[2] > 1, f"Grad-CAM maps without ties at 0: {zeros}"
    assert zeros[1] == maps[1].numel(), f"map 1 is not all zero: {zeros}"
    assert zeros[4] > 0.4 * maps[4].numel(), f"map 4 is not half zero: {zeros}"
    tensors = {"maps": maps.contiguous(), "images": torch.tensor(images), "classes": torch.tensor(classes)}
    tensors.update(pgc_metrics(model, x, maps, images, classes))
    tensors["deletion"], tensors["insertion"] = torchcam_metrics(model, x, maps, images, classes, 20)
    tensors["deletion_steps7"], tensors["insertion_steps7"] = torchcam_metrics(model, x, maps, images, classes, 7)
    versions = (f"torch {torch.__version__}, grad-cam {version('grad-cam')}, torchcam {version('torchcam')}, "
                f"numpy {np.__version__}, scipy {version('scipy')}")
    metadata = {
        "input": "explain/input.safetensors", "model": "models/tv_bottleneck.safetensors",
        "percentiles": ",".join(map(str, PERCENTILES)), "imputationNoise": "0", "versions": versions,
    }
    os.makedirs(OUT, exist_ok=True)
    pointing = pointing_cases(maps)
    for name, t in (("metrics", tensors), ("imputer", imputer_cases()), ("pointing", pointing)):
        path = os.path.join(OUT, f"{name}.safetensors")
        save_file(t, path, metadata=metadata)
        print(f"wrote {path}: {len(t)} tensors, {os.path.getsize(path)} bytes")
    for k in ("drop", "increase", "road_morf_average", "road_lerf_average", "road_combined", "deletion", "insertion"):
        print(k, tensors[k].tolist())
    for k in ("hit_t15", "hit_t3", "energy"):
        print(k, pointing[k].tolist())


if __name__ == "__main__":
    main()
