#!/usr/bin/env python3
"""Checks that CAMKit's synthetic dataset is learnable but not trivial, with PyTorch as the peer.

Trains a ~0.3M-parameter ResNet (one basic block per stage, widths 16-32-64-128, GAP + linear
head: the CAM architecture) on a split cache written by CAMKit (`SyntheticDataset(config:split:cache:)`,
i.e. `synthetic:...,cache=DIR`), on the CPU with the given thread count, and prints per epoch the
test accuracy, then how often (IoU >= 0.5) two simple localisers hit the ground-truth box: the
trivial full-image box, and a CAM box (the ground-truth class's map, upsampled, thresholded at
0.2 of its maximum, and the box around all pixels above it).

Needs tools/.venv from tools/requirements-torch.txt
(`python3.11 -m venv tools/.venv && tools/.venv/bin/pip install -r tools/requirements-torch.txt`).

Usage (from the repository root, after writing the cache):
  tools/.venv/bin/python Benchmarks/synthetic_trainability.py CACHE_DIR [--epochs 8] [--threads 2]
where CACHE_DIR holds the synthetic-...-train and synthetic-...-test folders.
"""
import argparse
import glob
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image


def load(split_dir):
    doc = json.load(open(os.path.join(split_dir, "annotations.json")))
    xs = np.stack([np.asarray(Image.open(os.path.join(split_dir, s["file"])).convert("RGB")) for s in doc["samples"]])
    ys = np.array([s["label"] for s in doc["samples"]])
    boxes = np.array([s["boxes"][0] for s in doc["samples"]], dtype=np.float64)
    return torch.from_numpy(xs).permute(0, 3, 1, 2).float().div(255), torch.from_numpy(ys), boxes, doc["classes"]


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        return F.relu(y + (x if self.down is None else self.down(x)))


class TinyResNet(nn.Module):
    def __init__(self, classes, widths=(16, 32, 64, 128)):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        layers, cin = [], widths[0]
        for i, w in enumerate(widths):
            layers.append(Block(cin, w, 1 if i == 0 else 2))
            cin = w
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        f = self.features(self.stem(x))
        return self.fc(f.mean((2, 3))), f


def iou(a, b):
    iy = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ix = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def cam_boxes(model, x, labels, threshold=0.2):
    logits, f = model(x)
    w = model.fc.weight[labels]  # [N, C]
    cams = torch.einsum("nc,nchw->nhw", w, f)
    cams = F.interpolate(cams[:, None], size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
    out = []
    for m in cams:
        m = m.clamp(min=0)
        m = m / (m.max() + 1e-12)
        ys, xs = torch.nonzero(m >= threshold, as_tuple=True)
        h, wd = m.shape
        if len(ys) == 0:
            out.append([0, 0, 1, 1])
        else:
            out.append([ys.min().item() / h, xs.min().item() / wd, (ys.max().item() + 1) / h, (xs.max().item() + 1) / wd])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cache")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    train_dir = glob.glob(os.path.join(args.cache, "synthetic-*-train"))[0]
    test_dir = glob.glob(os.path.join(args.cache, "synthetic-*-test"))[0]
    xtr, ytr, _, classes = load(train_dir)
    xte, yte, bte, _ = load(test_dir)
    model = TinyResNet(len(classes))
    params = sum(p.numel() for p in model.parameters())
    print(f"{len(xtr)} train / {len(xte)} test images of {xtr.shape[-1]} px, {len(classes)} classes, {params} parameters, {args.threads} threads")
    full = np.mean([iou([0, 0, 1, 1], b) >= 0.5 for b in bte])
    print(f"full-image box: IoU>=0.5 on {100 * full:.1f}% of the test images (mean box area {np.mean((bte[:, 2] - bte[:, 0]) * (bte[:, 3] - bte[:, 1])):.3f})")
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    steps = args.epochs * ((len(xtr) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    start = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), args.batch):
            idx = perm[i:i + args.batch]
            x = xtr[idx]
            flip = torch.rand(len(idx)) < 0.5
            x[flip] = x[flip].flip(-1)
            loss = F.cross_entropy(model(x)[0], ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        model.eval()
        with torch.no_grad():
            preds = torch.cat([model(xte[i:i + 256])[0].argmax(1) for i in range(0, len(xte), 256)])
        acc = (preds == yte).float().mean().item()
        print(f"epoch {epoch + 1}: loss {loss.item():.3f}  test accuracy {100 * acc:.1f}%  ({time.time() - start:.0f} s)", flush=True)
    with torch.no_grad():
        boxes = []
        for i in range(0, len(xte), 256):
            boxes += cam_boxes(model, xte[i:i + 256], yte[i:i + 256])
    loc = np.mean([iou(p, g) >= 0.5 for p, g in zip(boxes, bte)])
    print(f"CAM boxes (threshold 0.2, GT-known): IoU>=0.5 on {100 * loc:.1f}% of the test images")


if __name__ == "__main__":
    main()
