"""Golden fixtures for CAMKit's torchvision-layout ResNets, computed by torchvision itself.

Writes Tests/Fixtures/models/tv_<name>.safetensors, each holding
  model.<state-dict key>   the weights (random, with non-trivial BatchNorm statistics)
  input                    a 2x3x48x48 input batch
  out.<layer>              torchvision's output of that module for the input (eval mode)
and metadata {"spec": JSON of the CAMKit ResNetSpec fields, "taps": comma-separated layer names}.

The networks are torchvision's own `ResNet` class, `_make_layer`, `BasicBlock` and `Bottleneck`,
with narrower stage widths so that the files stay small.

Regenerate (from the repository root; venv: tools/requirements-torch.txt):
    python3.11 -m venv tools/.venv
    tools/.venv/bin/pip install -r tools/requirements-torch.txt
    tools/.venv/bin/python tools/make_model_fixtures.py
"""
import json
import os

import torch
import torch.nn as nn
from safetensors.torch import save_file
from torchvision.models import resnet as tvr

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "models")


class NarrowResNet(tvr.ResNet):
    """torchvision's ResNet with configurable stage widths (the stock class fixes 64..512)."""

    def __init__(self, block, layers, widths, num_classes):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes = widths[0]
        self.dilation = 1
        self.groups = 1
        self.base_width = 64
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=False)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, widths[0], layers[0])
        self.layer2 = self._make_layer(block, widths[1], layers[1], stride=2)
        self.layer3 = self._make_layer(block, widths[2], layers[2], stride=2)
        self.layer4 = self._make_layer(block, widths[3], layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[3] * block.expansion, num_classes)


def randomise(model, gen):
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if name.endswith("running_mean"):
                t.copy_(torch.randn(t.shape, generator=gen) * 0.1)
            elif name.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=gen) * 0.5 + 0.75)
            elif name.endswith("num_batches_tracked"):
                continue
            elif ".bn" in name or name.startswith("bn") or "downsample.1" in name:
                t.copy_((torch.rand(t.shape, generator=gen) * 0.5 + 0.75) if name.endswith("weight")
                        else torch.randn(t.shape, generator=gen) * 0.1)
            else:
                fan_in = t[0].numel() if t.dim() > 1 else t.numel()
                t.copy_(torch.randn(t.shape, generator=gen) * (2.0 / fan_in) ** 0.5)


def make(name, block, layers, widths, classes, taps):
    gen = torch.Generator().manual_seed(1234)
    model = NarrowResNet(block, layers, widths, classes).eval()
    randomise(model, gen)
    x = torch.randn(2, 3, 48, 48, generator=gen)
    outputs = {}
    modules = dict(model.named_modules())
    hooks = [modules[t].register_forward_hook(lambda m, i, o, t=t: outputs.__setitem__(t, o.detach().clone()))
             for t in taps if t in modules]
    with torch.no_grad():
        logits = model(x)
    for h in hooks:
        h.remove()
    tensors = {f"model.{k}": v.contiguous() for k, v in model.state_dict().items()}
    tensors["input"] = x
    tensors["logits"] = logits
    for t, v in outputs.items():
        tensors[f"out.{t}"] = v.flatten(1) if t == "avgpool" else v
    spec = {
        "layout": "torchvision", "block": "bottleneck" if block is tvr.Bottleneck else "basic",
        "blocks": layers, "widths": widths, "stemWidth": widths[0], "stemKernel": 7, "stemStride": 2,
        "stemPool": True, "stageStrides": [1, 2, 2, 2], "classes": classes, "headName": "fc", "softmaxHead": False,
    }
    os.makedirs(OUT, exist_ok=True)
    save_file(tensors, os.path.join(OUT, f"tv_{name}.safetensors"),
              metadata={"spec": json.dumps(spec), "taps": ",".join(sorted(outputs))})


TAPS = ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2.0", "layer2.0.conv2", "layer2.0.bn1",
        "layer2.0.downsample", "layer3", "layer4", "avgpool", "fc"]

if __name__ == "__main__":
    torch.set_num_threads(1)
    make("bottleneck", tvr.Bottleneck, [1, 2, 1, 1], [4, 8, 12, 16], 5, TAPS)
    make("basic", tvr.BasicBlock, [2, 1, 1, 1], [4, 8, 12, 16], 7, TAPS)
    print("wrote", sorted(os.listdir(OUT)))
