"""Golden fixture for one CAMKit training step, computed by PyTorch itself.

Writes Tests/Fixtures/train/sgd_step.safetensors holding
  before.<key>   the narrow torchvision ResNet's state (from make_model_fixtures.NarrowResNet)
  images, labels a batch of 4 at 48x48, 5 classes
  loss           cross entropy with label smoothing 0.1, BatchNorm in train mode
  after.<key>    the state after one torch.optim.SGD step (lr 0.05, momentum 0.9, weight decay 1e-3),
                 running statistics included
and metadata {"spec": the CAMKit ResNetSpec JSON, "config": the hyperparameters JSON}.

Regenerate (from the repository root; venv: tools/requirements-torch.txt):
    python3.11 -m venv tools/.venv && tools/.venv/bin/pip install -r tools/requirements-torch.txt
    tools/.venv/bin/python tools/make_train_fixtures.py
"""
import json
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torchvision.models import resnet as tvr

sys.path.insert(0, os.path.dirname(__file__))
from make_model_fixtures import NarrowResNet, randomise  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "train")

if __name__ == "__main__":
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(99)
    model = NarrowResNet(tvr.BasicBlock, [1, 1, 1, 1], [4, 8, 8, 16], 5)
    randomise(model, gen)
    before = {f"before.{k}": v.clone().contiguous() for k, v in model.state_dict().items()}
    images = torch.randn(4, 3, 48, 48, generator=gen)
    labels = torch.tensor([0, 3, 1, 4])
    config = {"learningRate": 0.05, "momentum": 0.9, "weightDecay": 1e-3, "labelSmoothing": 0.1}
    opt = torch.optim.SGD(model.parameters(), lr=config["learningRate"], momentum=config["momentum"],
                          weight_decay=config["weightDecay"])
    model.train()
    loss = F.cross_entropy(model(images), labels, label_smoothing=config["labelSmoothing"])
    opt.zero_grad()
    loss.backward()
    opt.step()
    after = {f"after.{k}": v.clone().contiguous() for k, v in model.state_dict().items()}
    spec = {"layout": "torchvision", "block": "basic", "blocks": [1, 1, 1, 1], "widths": [4, 8, 8, 16],
            "stemWidth": 4, "stemKernel": 7, "stemStride": 2, "stemPool": True, "stageStrides": [1, 2, 2, 2],
            "classes": 5, "headName": "fc", "softmaxHead": False}
    os.makedirs(OUT, exist_ok=True)
    save_file({**before, **after, "images": images, "labels": labels, "loss": loss.detach().reshape(1)},
              os.path.join(OUT, "sgd_step.safetensors"), metadata={"spec": json.dumps(spec), "config": json.dumps(config)})
    print("loss", loss.item())
