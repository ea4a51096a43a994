"""Golden fixtures for CAMKit's explain engine (Sources/CAMExplain), computed by the two
PyTorch CAM libraries themselves: pytorch-grad-cam (`pytorch_grad_cam`) and torchcam.

Model: the narrow torchvision bottleneck ResNet of tools/make_model_fixtures.py (its `NarrowResNet`,
built from torchvision's own classes) with the weights already checked in at
Tests/Fixtures/models/tv_bottleneck.safetensors, loaded here, not stored again.
Input: 2 images, 3x48x64 (non-square on purpose: layer3 is 3x4, layer4 2x2), smooth random fields.
Classes: 0 (the top-1 class of both images) and 2, whose CAM has mixed signs, so ReLU matters.

Writes Tests/Fixtures/explain/input.safetensors:
  input                        [2, 3, 48, 64]
  logits                       [2, 5]   the model's logits (the tests check that they load the same model)
with metadata: model (the weights file), layers, classes; and
Tests/Fixtures/explain/pytorch_grad_cam.safetensors and .../torchcam.safetensors, each holding
  <method>.<layer>.<target>.raw    [2, h, w]   the library's map before ReLU and normalisation
  <method>.<layer>.<target>.final  the library's own final, normalised output:
      pytorch_grad_cam: image 0 only, [48, 64] (it resizes to the input; one image keeps the file small),
                        for softmax targets of Grad-CAM only
      torchcam:         [2, h, w] (it normalises at feature resolution)
with <target> = logit<c> (the class logit) or softmax<c> (the softmax probability of class c), and
metadata: methods, layers, targets, the library versions.

How each raw map is taken from the library, with nothing recomputed here:
  pytorch_grad_cam: the return value of the extractor's own `get_cam_image` during a normal call
                    (recorded by wrapping that bound method); `final` is the call's result.
  torchcam:         `extractor(..., normalized=False)` with the extractor's `_relu` flag switched off;
                    `final` is a second, ordinary call (fresh forward) with the flag as shipped.

Regenerate (from the repository root; needs the model fixtures first; venv:
tools/requirements-gradcam.txt, which includes tools/requirements-torch.txt):
    python3.11 -m venv tools/.venv && tools/.venv/bin/pip install -r tools/requirements-gradcam.txt
    tools/.venv/bin/python tools/make_explain_fixtures.py
"""
import json
import os
import sys
from importlib.metadata import version

os.environ.setdefault("TQDM_DISABLE", "1")  # pytorch-grad-cam's Score-CAM prints progress bars

import numpy as np
import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torchvision.models import resnet as tvr

sys.path.insert(0, os.path.dirname(__file__))
from make_model_fixtures import NarrowResNet  # noqa: E402

import pytorch_grad_cam as pgc  # noqa: E402
from pytorch_grad_cam.utils.model_targets import ClassifierOutputSoftmaxTarget, ClassifierOutputTarget  # noqa: E402
import torchcam.methods as tcm  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures")
OUT = os.path.join(ROOT, "explain")
MODEL = "models/tv_bottleneck.safetensors"
LAYERS = ["layer4", "layer3"]
CLASSES = [0, 2]

PGC_METHODS = {
    "gradcam": pgc.GradCAM, "gradcam++": pgc.GradCAMPlusPlus, "xgradcam": pgc.XGradCAM,
    "layercam": pgc.LayerCAM, "hirescam": pgc.HiResCAM, "scorecam": pgc.ScoreCAM, "eigencam": pgc.EigenCAM,
}
TC_METHODS = {
    "cam": tcm.CAM, "gradcam": tcm.GradCAM, "gradcam++": tcm.GradCAMpp, "xgradcam": tcm.XGradCAM,
    "layercam": tcm.LayerCAM, "scorecam": tcm.ScoreCAM,
}
# Class-agnostic (Eigen-CAM) or last-layer-only (CAM) methods.
CLASS_AGNOSTIC = {"eigencam"}
LAST_LAYER_ONLY = {"cam"}
# Methods whose softmax-probability target is stored too.
SOFTMAX_METHODS = {"gradcam", "gradcam++", "xgradcam", "layercam", "hirescam", "scorecam"}


def load_model():
    path = os.path.join(ROOT, MODEL)
    state = load_file(path)
    with safe_open(path, framework="pt") as f:
        spec = json.loads(f.metadata()["spec"])
    block = tvr.Bottleneck if spec["block"] == "bottleneck" else tvr.BasicBlock
    model = NarrowResNet(block, spec["blocks"], spec["widths"], spec["classes"]).eval()
    model.load_state_dict({k[len("model."):]: v for k, v in state.items() if k.startswith("model.")})
    return model


def make_input():
    gen = torch.Generator().manual_seed(0)
    smooth = F.interpolate(torch.randn(2, 3, 6, 8, generator=gen), size=(48, 64), mode="bilinear",
                           align_corners=False)
    return ((smooth + 0.3 * torch.randn(2, 3, 48, 64, generator=gen)) * 0.15).contiguous()


def targets_for(kind, c):
    return f"{kind}{c}"


def pgc_maps(model, x, method, layer, kind, c):
    """Raw map (get_cam_image's value) and final output of one pytorch-grad-cam call."""
    cam = PGC_METHODS[method](model, [dict(model.named_modules())[layer]])
    recorded = []
    original = cam.get_cam_image

    def recording(*args, **kwargs):
        out = original(*args, **kwargs)
        recorded.append(np.array(out, dtype=np.float32, copy=True))
        return out

    cam.get_cam_image = recording
    target = ClassifierOutputTarget(c) if kind == "logit" else ClassifierOutputSoftmaxTarget(c)
    final = cam(input_tensor=x, targets=[target] * x.shape[0])
    cam.activations_and_grads.release()
    assert len(recorded) == 1
    return torch.from_numpy(recorded[0]), torch.from_numpy(np.asarray(final, dtype=np.float32))


def tc_maps(model, x, method, layer, kind, c):
    """Raw map (ReLU off, not normalised) and final output (as shipped) of torchcam."""
    cls = TC_METHODS[method]
    extra = {"fc_layer": "fc"} if method == "cam" else {}
    outputs = []
    for raw in (True, False):
        with cls(model, layer, input_shape=tuple(x.shape[1:]), **extra) as extractor:
            shipped_relu = extractor._relu
            if raw:
                extractor._relu = False
            with torch.set_grad_enabled(method != "cam" and method != "scorecam"):
                scores = model(x)
            args = {"scores": scores}
            if kind == "logit":
                args["class_idx"] = [c] * x.shape[0]
            else:
                args["targets"] = lambda s, c=c: torch.softmax(s, dim=-1)[c]
            cams = extractor(normalized=not raw, **args)
            extractor._relu = shipped_relu
            outputs.append(cams[0].detach().clone())
    return outputs[0], outputs[1]


def main():
    torch.set_num_threads(1)
    model = load_model()
    x = make_input()
    with torch.no_grad():
        logits = model(x)
    top = logits.argmax(1).tolist()
    assert top == [CLASSES[0]] * 2, top

    os.makedirs(OUT, exist_ok=True)
    save_file({"input": x, "logits": logits}, os.path.join(OUT, "input.safetensors"),
              metadata={"model": MODEL, "layers": ",".join(LAYERS), "classes": ",".join(map(str, CLASSES))})
    peers = {"pytorch_grad_cam": (PGC_METHODS, pgc_maps), "torchcam": (TC_METHODS, tc_maps)}
    for peer, (methods, fn) in peers.items():
        tensors = {}
        for method in methods:
            layers = LAYERS[:1] if method in LAST_LAYER_ONLY else LAYERS
            for layer in layers:
                kinds = [("logit", c) for c in CLASSES]
                if method in SOFTMAX_METHODS:
                    kinds += [("softmax", c) for c in CLASSES]
                if method in CLASS_AGNOSTIC:
                    kinds = kinds[:1]
                for kind, c in kinds:
                    raw, final = fn(model, x, method, layer, kind, c)
                    key = f"{method}.{layer}.{targets_for(kind, c)}"
                    tensors[key + ".raw"] = raw.contiguous()
                    if peer == "pytorch_grad_cam":
                        if kind == "softmax" and method != "gradcam":
                            continue  # input-resolution maps are large: the softmax finals of Grad-CAM only
                        final = final[0]  # image 0 only
                    tensors[key + ".final"] = final.contiguous()
        # The second class must exercise ReLU: its CAM-like maps have both signs.
        probe = "cam" if peer == "torchcam" else "gradcam"
        for layer in LAYERS[: 1 if probe == "cam" else 2]:
            r = tensors[f"{probe}.{layer}.logit{CLASSES[1]}.raw"]
            assert (r > 0).any() and (r < 0).any(), f"{peer} {probe} {layer}: map of class {CLASSES[1]} not mixed-sign"
        metadata = {
            "methods": ",".join(methods), "softmaxMethods": ",".join(sorted(SOFTMAX_METHODS & set(methods))),
            "versions": f"torch {torch.__version__}, {peer.replace('_', '-')} "
                        f"{version('grad-cam' if peer == 'pytorch_grad_cam' else 'torchcam')}",
        }
        path = os.path.join(OUT, f"{peer}.safetensors")
        save_file(tensors, path, metadata=metadata)
        print(f"wrote {path}: {len(tensors)} tensors, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
