#!/usr/bin/env python3
"""Peer of `camkit-bench loader`: a PyTorch DataLoader over the same JPEG folder.

  make   DIR N        writes N photo-sized JPEGs (500x375, quality 90, deterministic) and the
                      folder dataset's annotations.csv into DIR
  torch  DIR [opts]   decodes with PIL, resizes to --size (torchvision Resize, bilinear with
                      antialias, as torchvision's usual pipeline does), ToTensor, batches with
                      torch.utils.data.DataLoader(num_workers=--workers, persistent_workers=True);
                      prints one JSON line per epoch with images/s.

Run through Benchmarks/loader_bench.sh, which runs both sides on the same files. Needs tools/.venv
from tools/requirements-torch.txt (torch, torchvision, pillow, numpy):
`python3.11 -m venv tools/.venv && tools/.venv/bin/pip install -r tools/requirements-torch.txt`.
"""
import argparse
import json
import os
import sys
import time

import numpy as np


def make(directory, n):
    from PIL import Image
    os.makedirs(os.path.join(directory, "images"), exist_ok=True)
    rng = np.random.default_rng(0)
    h, w = 375, 500
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    rows = ["file,label,ymin,xmin,ymax,xmax"]
    for i in range(n):
        c = rng.uniform(0, 255, size=(4, 3)).astype(np.float32)
        fx, fy = rng.uniform(0.005, 0.03, size=2)
        base = (c[0] + (c[1] - c[0]) * (xx[..., None] / w) + (c[2] - c[0]) * (yy[..., None] / h)
                + 40 * np.sin(xx[..., None] * fx + yy[..., None] * fy + c[3] / 40))
        img = np.clip(base + rng.normal(0, 18, size=(h, w, 3)), 0, 255).astype(np.uint8)
        name = f"images/{i:05d}.jpg"
        Image.fromarray(img).save(os.path.join(directory, name), quality=90)
        rows.append(f"{name},{i % 10},0.25,0.25,0.75,0.75")
    with open(os.path.join(directory, "annotations.csv"), "w") as f:
        f.write("\n".join(rows) + "\n")


def torch_bench(directory, size, batch, workers, epochs):
    import torch
    from PIL import Image
    from torch.utils.data import DataLoader, Dataset
    from torchvision import transforms

    torch.set_num_threads(1)
    files = sorted(os.listdir(os.path.join(directory, "images")))
    tf = transforms.Compose([transforms.Resize((size, size)), transforms.ToTensor()])

    class Folder(Dataset):
        def __len__(self):
            return len(files)

        def __getitem__(self, i):
            with Image.open(os.path.join(directory, "images", files[i])) as im:
                return tf(im.convert("RGB")), i % 10

    loader = DataLoader(Folder(), batch_size=batch, num_workers=workers, persistent_workers=workers > 0, shuffle=False)
    for epoch in range(epochs):
        start = time.perf_counter()
        n = 0
        for x, _ in loader:
            n += x.shape[0]
        s = time.perf_counter() - start
        print(json.dumps({"impl": "torch+PIL", "epoch": epoch, "images": n, "seconds": round(s, 3),
                          "images_per_s": round(n / s, 1)}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["make", "torch"])
    ap.add_argument("dir")
    ap.add_argument("n", nargs="?", type=int, default=512)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=3)
    a = ap.parse_args()
    if a.mode == "make":
        make(a.dir, a.n)
    else:
        torch_bench(a.dir, a.size, a.batch, a.workers, a.epochs)


if __name__ == "__main__":
    sys.exit(main())
