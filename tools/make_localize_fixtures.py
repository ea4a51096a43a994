#!/usr/bin/env python3
"""Golden fixtures for CAMKit's Localize module, computed with OpenCV 4.6 and NumPy in Python.

Writes Tests/Fixtures/localize/ (about 0.45 MB in all), read by Tests/CAMKitTests/Localize*.swift:

  special/*.npy      small float32 maps with a purpose each: several blobs, a ring with a hole
                     and a blob inside the hole, blobs touching the border and the corners, an
                     empty (all zero) map, a constant map, a negative map, a single hot pixel, a
                     thin diagonal (8-connected only), plateaus tied at the threshold, a
                     non-square map.
  random_maps.npy    200 smooth random score maps, float16, 200 x 26 x 26, each min-max
                     normalised so that it attains 0.0 and 1.0 (what wsolevaluation expects);
                     a few are quantised to a handful of levels (ties) or have holes (rings).
  samples.json       for each random map: the original image size, 1-3 integer ground-truth
                     boxes x0y0x1y1 in that image, a class label and a top-5 prediction list.
  expected.json      what the references make of them:
    rules            for every special map and the first 24 random maps, the boxes of each box
                     rule (BoxRule.parsing names) as cv2 computes them: the tutorial's get_bbox +
                     rect_to_minmax verbatim; components via cv2.connectedComponentsWithStats
                     (8-connectivity); tree contours via cv2.findContours + boundingRect /
                     contourArea; rotated boxes via cv2.minAreaRect + cv2.boxPoints.
    wsolevaluation   an independent reimplementation of wsolevaluation's BoxEvaluator (CVPR 2020,
                     clovaai/wsolevaluation, evaluation.py; written from its definitions, not
                     copied): per-threshold correct counts for one box (IoU 0.3/0.5/0.7) and all
                     boxes (multi-contour), MaxBoxAcc, MaxBoxAccV2, best thresholds, with ground
                     truth resized to the map size (wsolevaluation's 224 is its map size).
    camkit           the same for CAMKit's protocol, computed a different way from the Swift code:
                     for every threshold, cv2.connectedComponentsWithStats of {v > f * max} (no
                     union-find, no sweep).
    metrics          fixed-rule metrics (rule "camkit", 20 % of max) for both protocols: mean
                     IoU, GT-known / top-1 / top-5 loc, classification accuracies, per class,
                     top-1 loc at MaxBoxAcc's threshold, and the two baselines.

Regenerate (from the repository root) with OpenCV 4.6, the version the Swift shim links
(Debian's libopencv 4.6); NumPy 1.x, which opencv-python-headless 4.6 needs:

    python3.11 -m venv tools/.venv/imaging       # if it does not exist yet
    tools/.venv/imaging/bin/pip install -r tools/requirements-imaging.txt
    tools/.venv/imaging/bin/python tools/make_localize_fixtures.py

(tools/requirements-imaging.txt pins what the checked-in files were made with:
opencv-python-headless 4.6.0.66 and numpy 1.26.4). Debian's
OpenCV is built without Intel IPP, so IPP is turned off here. The output is deterministic
(fixed seed): running the script twice gives identical files.
"""

import json
import math
import os

import cv2
import numpy as np

assert cv2.__version__.startswith("4.6."), f"need OpenCV 4.6.x, have {cv2.__version__}"
cv2.ipp.setUseIPP(False)
cv2.setNumThreads(1)

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "localize"))
N_MAPS = 200
MAP_SIZE = 26
N_RULE_MAPS = 24
INTERVAL = 0.001
IOUS = [0.3, 0.5, 0.7]
N_CLASSES = 5
RULES = [
    "tutorial",
    "tutorial:select=largest",
    "camkit",
    "gradcam-paper",
    "camkit:select=first",
    "camkit:threshold=0.05,select=all",
    "camkit:shape=rotated",
    "camkit:shape=rotated,select=all,threshold=0.3",
    "camkit:regions=tree-contours",
    "camkit:regions=tree-contours,select=all",
    "camkit:absolute=0.3",
]


def path(*parts):
    p = os.path.join(ROOT, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


# ------------------------------------------------------------------ the tutorial, verbatim

def get_bbox(cam_image, score_thresh=0.05):
    low_indicies = cam_image <= score_thresh
    cam_image[low_indicies] = 0
    cam_image = (cam_image * 255).astype(np.uint8)
    contours, _ = cv2.findContours(cam_image, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    cnt = contours[0]
    rotated_rect = cv2.minAreaRect(cnt)
    rect = cv2.boxPoints(rotated_rect)
    rect = np.int0(rect) if hasattr(np, "int0") else rect.astype(np.intp)
    return rect


def rect_to_minmax(rect, image):
    return [
        rect[:, 1].min() / float(image.shape[0]),
        rect[:, 0].min() / float(image.shape[1]),
        rect[:, 1].max() / float(image.shape[0]),
        rect[:, 0].max() / float(image.shape[1]),
    ]


def get_iou(boxA, boxB):
    y_min = max(boxA[0], boxB[0])
    x_min = max(boxA[1], boxB[1])
    y_max = min(boxA[2], boxB[2])
    x_max = min(boxA[3], boxB[3])
    interArea = max(0, x_max - x_min) * max(0, y_max - y_min)
    boxAArea = (boxA[2] - boxA[0]) * (boxA[3] - boxA[1])
    boxBArea = (boxB[2] - boxB[0]) * (boxB[3] - boxB[1])
    union = boxAArea + boxBArea - interArea
    return interArea / float(union) if union > 0 else 0.0


# ------------------------------------------------------------------ box rules

def parse_rule(text):
    name, _, rest = text.partition(":")
    base = {
        "tutorial": dict(threshold=("absolute", 0.05), quantize=True, regions="tree-contours", select="first", shape="rotated", clip=False),
        "camkit": dict(threshold=("fraction", 0.20), quantize=False, regions="components", select="largest", shape="axis-aligned", clip=True),
        "gradcam-paper": dict(threshold=("fraction", 0.15), quantize=False, regions="components", select="largest", shape="axis-aligned", clip=True),
    }[name]
    rule = dict(base)
    for item in filter(None, rest.split(",")):
        k, v = item.split("=")
        if k == "threshold":
            rule["threshold"] = ("fraction", float(v))
        elif k == "absolute":
            rule["threshold"] = ("absolute", float(v))
        elif k == "select":
            rule["select"] = v
        elif k == "shape":
            rule["shape"] = v
        elif k == "regions":
            rule["regions"] = v
        else:
            raise ValueError(k)
    return rule


def clip_polygon(poly, max_x, max_y):
    """Sutherland-Hodgman against [0, max_x] x [0, max_y] (poly: list of (x, y))."""
    def clip(pts, inside, cross):
        out = []
        for i in range(len(pts)):
            cur, nxt = pts[i], pts[(i + 1) % len(pts)]
            if inside(cur):
                out.append(cur)
            if inside(cur) != inside(nxt):
                out.append(cross(cur, nxt))
        return out

    def at_x(x):
        return lambda a, b: (x, a[1] + (b[1] - a[1]) * (x - a[0]) / (b[0] - a[0]))

    def at_y(y):
        return lambda a, b: (a[0] + (b[0] - a[0]) * (y - a[1]) / (b[1] - a[1]), y)

    pts = [tuple(map(float, p)) for p in poly]
    if all(0 <= x <= max_x and 0 <= y <= max_y for x, y in pts):
        return pts
    for inside, cross in [
        (lambda p: p[0] >= 0, at_x(0.0)), (lambda p: p[0] <= max_x, at_x(max_x)),
        (lambda p: p[1] >= 0, at_y(0.0)), (lambda p: p[1] <= max_y, at_y(max_y)),
    ]:
        pts = clip(pts, inside, cross)
        if len(pts) < 3:
            break
    return pts


def hull_box(poly, h, w):
    xs = [p[0] for p in poly]
    ys = [p[1] for p in poly]
    return [min(ys) / h, min(xs) / w, max(ys) / h, max(xs) / w]


def rule_boxes(m, rule_text):
    """Boxes of float32 map m under a rule; None for 'no box' (with the reason)."""
    rule = parse_rule(rule_text)
    h, w = m.shape
    finite = m[~np.isnan(m)]
    if finite.size == 0:
        return {"no_box": "empty-map"}
    kind, t = rule["threshold"]
    if rule_text.startswith("tutorial"):
        if not (m > np.float32(t)).any():
            return {"no_box": "nothing-above-threshold"}
        if rule["select"] == "first":
            try:
                rect = get_bbox(m.copy(), t)
            except IndexError:
                return {"no_box": "nothing-above-threshold"}
            return {"boxes": [{"normalized": [float(v) for v in rect_to_minmax(rect, m)],
                               "polygon": rect.astype(float).tolist()}]}
        work = m.copy()
        work[work <= t] = 0
        u8 = (work * 255).astype(np.uint8)
        mask = u8
    else:
        if kind == "fraction":
            mx = finite.max()
            if not (mx > 0 and np.isfinite(mx)):
                return {"no_box": "empty-map"}
            tau = np.float32(t) * np.float32(mx)
        else:
            tau = np.float32(t)
        mask = (m > tau).astype(np.uint8) * 255
    if not mask.any():
        return {"no_box": "nothing-above-threshold"}

    boxes = []
    if rule["regions"] == "components":
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        flat = labels.reshape(-1)
        comps = []
        for k in range(1, n):
            first = int(np.argmax(flat == k))
            x, y, bw, bh, area = (int(v) for v in stats[k])
            comps.append((first, k, x, y, bw, bh, area))
        comps.sort()
        if rule["select"] == "first":
            comps = comps[:1]
        elif rule["select"] == "largest":
            best = comps[0]
            for c in comps:
                if c[6] > best[6]:
                    best = c
            comps = [best]
        for first, k, x, y, bw, bh, area in comps:
            entry = {"pixel_count": area, "extent": [x, y, x + bw - 1, y + bh - 1]}
            if rule["shape"] == "rotated":
                ys, xs = np.nonzero(labels == k)
                pts = np.concatenate([np.stack([xs + dx, ys + dy], axis=1) for dx in (0, 1) for dy in (0, 1)]).astype(np.float32)
                rr = cv2.minAreaRect(pts)
                poly = cv2.boxPoints(rr).astype(np.float64).tolist()
                poly = clip_polygon(poly, float(w), float(h))
                entry["polygon"] = [list(p) for p in poly]
                entry["normalized"] = hull_box(poly, h, w)
                entry["rect_area"] = float(rr[1][0]) * float(rr[1][1])
            else:
                entry["normalized"] = [y / h, x / w, (y + bh) / h, (x + bw) / w]
            boxes.append(entry)
    else:
        contours, _ = cv2.findContours(mask, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
        if len(contours) == 0:
            return {"no_box": "nothing-above-threshold"}
        if rule["select"] == "first":
            chosen = [contours[0]]
        elif rule["select"] == "largest":
            chosen = [max(contours, key=cv2.contourArea)]
        else:
            chosen = list(contours)
        for c in chosen:
            x, y, bw, bh = cv2.boundingRect(c)
            entry = {"extent": [x, y, x + bw - 1, y + bh - 1], "contour_area": float(cv2.contourArea(c))}
            if rule["shape"] == "rotated":
                rect = cv2.boxPoints(cv2.minAreaRect(c))
                rect = (np.int0(rect) if hasattr(np, "int0") else rect.astype(np.intp))
                poly = rect.astype(float).tolist()
                if rule["clip"]:
                    poly = clip_polygon(poly, float(w - 1), float(h - 1))
                entry["polygon"] = [list(p) for p in poly]
                entry["normalized"] = hull_box(poly, h, w)
            else:
                entry["normalized"] = [y / h, x / w, (y + bh) / h, (x + bw) / w]
            boxes.append(entry)
    return {"boxes": boxes}


# ------------------------------------------------------------------ maps

def gaussian(h, w, cy, cx, sy, sx):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    return np.exp(-(((y - cy) / sy) ** 2 + ((x - cx) / sx) ** 2) / 2)


def ring(h, w, cy, cx, r0, s):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = np.sqrt((y - cy) ** 2 + (x - cx) ** 2)
    return np.exp(-((r - r0) / s) ** 2 / 2)


def special_maps():
    maps = {}
    h, w = 32, 32
    maps["blobs"] = 1.0 * gaussian(h, w, 8, 8, 2.5, 3) + 0.8 * gaussian(h, w, 22, 24, 3, 2) + 0.6 * gaussian(h, w, 24, 6, 2, 2)
    # A ring with a hole, and a smaller blob inside the hole (nested component).
    maps["ring_hole"] = 0.9 * ring(h, w, 16, 16, 10, 1.3) + 1.0 * gaussian(h, w, 16, 16, 1.5, 1.5)
    maps["ring_only"] = ring(h, w, 15, 17, 8, 1.8)
    maps["border"] = gaussian(h, w, 0, 0, 3, 4) + 0.9 * gaussian(h, w, 31, 16, 2, 5) + 0.7 * gaussian(h, w, 12, 31, 4, 2)
    maps["corners"] = gaussian(h, w, 0, 31, 2, 2) + gaussian(h, w, 31, 0, 2, 2) + 0.5 * gaussian(h, w, 31, 31, 1, 1)
    maps["empty"] = np.zeros((h, w))
    maps["constant"] = np.full((h, w), 0.5)
    maps["negative"] = -0.1 - gaussian(h, w, 16, 16, 4, 4)
    hot = np.zeros((h, w))
    hot[9, 21] = 1.0
    maps["hot_pixel"] = hot
    diag = np.zeros((h, w))
    for i in range(4, 28):
        diag[i, i] = 1.0
        diag[i, 31 - i] = 0.7
    maps["diagonals"] = diag
    plateau = np.zeros((h, w))
    plateau[4:10, 4:12] = 0.2     # exactly at camkit's 20 % of the max: background
    plateau[14:24, 6:20] = 1.0
    plateau[20:30, 22:30] = 0.5
    plateau[2:6, 24:29] = 0.05    # exactly the tutorial's 0.05: background
    maps["plateaus"] = plateau
    tied = np.zeros((h, w))
    tied[3:7, 20:26] = 1.0        # two components of 24 pixels: ties go to raster order
    tied[20:26, 2:6] = 1.0
    maps["tied"] = tied
    y, x = np.mgrid[0:20, 0:40].astype(np.float64)
    maps["wide"] = gaussian(20, 40, 6, 30, 3, 6) + 0.7 * gaussian(20, 40, 14, 8, 4, 3)
    # A rotated ellipse: minAreaRect is not axis-aligned.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    u = ((xx - 16) * math.cos(0.6) + (yy - 15) * math.sin(0.6)) / 9
    v = (-(xx - 16) * math.sin(0.6) + (yy - 15) * math.cos(0.6)) / 3
    maps["tilted"] = np.exp(-(u ** 2 + v ** 2) * 2)
    out = {}
    for k, m in maps.items():
        m = m.astype(np.float32)
        if k not in ("empty", "constant", "negative", "plateaus", "tied", "hot_pixel", "diagonals"):
            m = m / m.max()
        out[k] = m.astype(np.float32)
    return out


def random_maps(rng):
    maps = []
    for i in range(N_MAPS):
        h = w = MAP_SIZE
        m = np.zeros((h, w))
        for _ in range(rng.integers(1, 5)):
            cy, cx = rng.uniform(-2, h + 1), rng.uniform(-2, w + 1)
            amp = rng.uniform(0.3, 1.0) * (1 if rng.random() < 0.85 else -1)
            if rng.random() < 0.2:
                m += amp * ring(h, w, cy, cx, rng.uniform(3, 9), rng.uniform(0.8, 2.0))
            else:
                m += amp * gaussian(h, w, cy, cx, rng.uniform(1.2, 6), rng.uniform(1.2, 6))
        if rng.random() < 0.3:
            m += rng.normal(0, 0.05, (h, w))
        if i % 17 == 3:
            m = np.round((m - m.min()) / (m.max() - m.min()) * 5) / 5   # plateaus and ties
        if i == 7:
            m = np.zeros((h, w))                                        # constant: never a box
        lo, hi = m.min(), m.max()
        m = (m - lo) / (hi - lo) if hi > lo else np.zeros_like(m)
        maps.append(m.astype(np.float16))
    return np.stack(maps)


def random_samples(rng, maps):
    """Image sizes, ground truth, labels and predictions. Most ground-truth boxes come from a blob
    of the map (jittered, in the original image's pixels) so that the best threshold is not trivial;
    the rest are random."""
    samples = []
    for i in range(N_MAPS):
        W, H = int(rng.integers(40, 400)), int(rng.integers(40, 400))
        m = maps[i].astype(np.float32)
        boxes = []
        for j in range(rng.integers(1, 4)):
            mask = (m > rng.uniform(0.15, 0.7)).astype(np.uint8)
            n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
            if j == 0 and n > 1 and rng.random() < 0.75:
                k = 1 + int(np.argmax(stats[1:, 4]))
                x, y, bw, bh = (int(v) for v in stats[k][:4])
                sx, sy = W / MAP_SIZE, H / MAP_SIZE
                jit = lambda: rng.uniform(-1.5, 1.5)
                x0 = int(min(max(0, x * sx + jit() * sx), W - 2))
                y0 = int(min(max(0, y * sy + jit() * sy), H - 2))
                x1 = int(min(max(x0 + 1, (x + bw) * sx + jit() * sx), W))
                y1 = int(min(max(y0 + 1, (y + bh) * sy + jit() * sy), H))
                boxes.append([x0, y0, x1, y1])
                continue
            bw, bh = int(rng.integers(4, W + 1)), int(rng.integers(4, H + 1))
            x0, y0 = int(rng.integers(0, W - bw + 1)), int(rng.integers(0, H - bh + 1))
            boxes.append([x0, y0, x0 + bw - 1 if rng.random() < 0.5 else x0 + bw, y0 + bh - 1])
        label = int(rng.integers(0, N_CLASSES))
        others = [c for c in range(N_CLASSES + 3) if c != label]
        rng.shuffle(others)
        r = rng.random()
        if r < 0.55:
            preds = [label] + others[:4]
        elif r < 0.8:
            preds = others[:2] + [label] + others[2:4]
        else:
            preds = others[:5]
        samples.append({"id": f"img{i:03d}", "width": W, "height": H, "boxes": boxes, "label": label,
                        "predictions": [int(p) for p in preds]})
    return samples


# ------------------------------------------------------------------ wsolevaluation's protocol

def wsol_thresholds():
    return list(np.arange(0, 1, INTERVAL))


def wsol_resize_box(box, image_size, resize_size):
    x0, y0, x1, y1 = map(float, box)
    iw, ih = map(float, image_size)
    nw, nh = map(float, resize_size)
    return int(x0 * nw / iw), int(y0 * nh / ih), int(x1 * nw / iw), int(y1 * nh / ih)


def wsol_iou_matrix(a, b):
    a = np.asarray(a, dtype=np.int64)[:, None, :]
    b = np.asarray(b, dtype=np.int64)[None, :, :]
    ix = np.maximum(0, np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]) + 1)
    iy = np.maximum(0, np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]) + 1)
    inter = ix * iy
    area_a = (a[..., 2] - a[..., 0] + 1) * (a[..., 3] - a[..., 1] + 1)
    area_b = (b[..., 2] - b[..., 0] + 1) * (b[..., 3] - b[..., 1] + 1)
    den = area_a + area_b - inter
    bad = den <= 0
    den = np.where(bad, 1, den)
    out = inter / den
    out[bad] = 0
    return out


def wsol_boxes(scoremap, thresholds, multi):
    h, w = scoremap.shape
    img = (scoremap * 255).astype(np.uint8)
    mx = np.max(img)
    per_thr = []
    for t in thresholds:
        _, binary = cv2.threshold(img, int(t * mx), 255, cv2.THRESH_BINARY)
        contours = cv2.findContours(binary, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)[0]
        if len(contours) == 0:
            per_thr.append([[0, 0, 0, 0]])
            continue
        if not multi:
            contours = [max(contours, key=cv2.contourArea)]
        boxes = []
        for c in contours:
            x, y, bw, bh = cv2.boundingRect(c)
            boxes.append([x, y, min(x + bw, w - 1), min(y + bh, h - 1)])
        per_thr.append(boxes)
    return per_thr


def wsol_best_ious(scoremap, gts, thresholds, multi):
    out = []
    for boxes in wsol_boxes(scoremap, thresholds, multi):
        out.append(float(wsol_iou_matrix(boxes, gts).max()))
    return out


# ------------------------------------------------------------------ CAMKit's protocol (no sweep)

def camkit_iou(a, b):
    return get_iou(a, b)


def normalized_gt(sample):
    W, H = sample["width"], sample["height"]
    return [[y0 / H, x0 / W, y1 / H, x1 / W] for x0, y0, x1, y1 in sample["boxes"]]


def camkit_best_ious(m, gts, thresholds):
    """For each threshold: (best IoU of the largest component, best IoU over all components)."""
    h, w = m.shape
    mx = m.max()
    if not (mx > 0):
        return [0.0] * len(thresholds), [0.0] * len(thresholds)
    one, allb = [], []
    cache = {}
    for t in thresholds:
        tau = np.float32(t) * np.float32(mx)
        mask = (m > tau)
        key = mask.tobytes()
        if key not in cache:
            n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
            if n <= 1:
                cache[key] = (0.0, 0.0)
            else:
                flat = labels.reshape(-1)
                comps = []
                for k in range(1, n):
                    x, y, bw, bh, area = (int(v) for v in stats[k])
                    comps.append((int(np.argmax(flat == k)), area, [y / h, x / w, (y + bh) / h, (x + bw) / w]))
                comps.sort()
                best = comps[0]
                for c in comps:
                    if c[1] > best[1]:
                        best = c
                o = max(camkit_iou(best[2], g) for g in gts)
                a = max(max(camkit_iou(c[2], g) for g in gts) for c in comps)
                cache[key] = (o, a)
        o, a = cache[key]
        one.append(o)
        allb.append(a)
    return one, allb


def camkit_rule_iou(m, gts, fraction=0.20):
    r = rule_boxes(m, f"camkit:threshold={fraction}")
    if "no_box" in r:
        return 0.0
    return max(camkit_iou(b["normalized"], g) for b in r["boxes"] for g in gts)


def wsol_rule_iou(m, gts, fraction=0.20):
    boxes = wsol_boxes(m, [fraction], multi=False)[0]
    return float(wsol_iou_matrix(boxes, gts).max())


# ------------------------------------------------------------------ metrics

def accuracy_curve(ious, delta):
    """ious: [maps][thresholds] -> percent correct per threshold (counts too)."""
    arr = np.asarray(ious)
    counts = (arr >= delta).sum(axis=0)
    return counts.astype(int).tolist(), (counts * 100.0 / float(arr.shape[0])).tolist()


def best_of(curve, thresholds):
    a = np.asarray(curve)
    i = int(np.argmax(a))
    return {"accuracy": float(a[i]), "index": i, "threshold": float(thresholds[i])}


def summarise(one_ious, all_ious, rule_ious, samples, thresholds):
    n = len(samples)
    out = {"single": {}, "multi": {}}
    for d in IOUS:
        c, acc = accuracy_curve(one_ious, d)
        out["single"][str(d)] = {"counts": c, **best_of(acc, thresholds)}
        c, acc = accuracy_curve(all_ious, d)
        out["multi"][str(d)] = {"counts": c, **best_of(acc, thresholds)}
    out["max_box_acc"] = out["single"]["0.5"]["accuracy"]
    out["max_box_acc_v2"] = float(np.average([out["multi"][str(d)]["accuracy"] for d in IOUS]))
    best_index = out["single"]["0.5"]["index"]

    located = [r >= 0.5 for r in rule_ious]
    top1 = [s["predictions"][0] == s["label"] for s in samples]
    top5 = [s["label"] in s["predictions"][:5] for s in samples]
    one_at_best = [ious[best_index] >= 0.5 for ious in one_ious]
    out["rule_ious"] = [float(r) for r in rule_ious]
    out["mean_iou"] = float(sum(rule_ious) / n)
    out["gt_known_loc"] = sum(located) * 100.0 / n
    out["top1_cls"] = sum(top1) * 100.0 / n
    out["top5_cls"] = sum(top5) * 100.0 / n
    out["top1_loc"] = sum(a and b for a, b in zip(top1, located)) * 100.0 / n
    out["top5_loc"] = sum(a and b for a, b in zip(top5, located)) * 100.0 / n
    out["top1_loc_at_best_threshold"] = sum(a and b for a, b in zip(top1, one_at_best)) * 100.0 / n

    per_class = {}
    for k in sorted(set(s["label"] for s in samples)):
        idx = [i for i, s in enumerate(samples) if s["label"] == k]
        m = len(idx)
        v2 = [sum(all_ious[i][out["multi"][str(d)]["index"]] >= d for i in idx) * 100.0 / m for d in IOUS]
        per_class[str(k)] = {
            "samples": m,
            "mean_iou": sum(rule_ious[i] for i in idx) / m,
            "gt_known_loc": sum(located[i] for i in idx) * 100.0 / m,
            "top1_loc": sum(top1[i] and located[i] for i in idx) * 100.0 / m,
            "top5_loc": sum(top5[i] and located[i] for i in idx) * 100.0 / m,
            "box_acc_at_best_threshold": sum(one_ious[i][best_index] >= 0.5 for i in idx) * 100.0 / m,
            "box_acc_v2_at_best_thresholds": sum(v2) / len(v2),
        }
    out["per_class"] = per_class

    gts = [normalized_gt(s) for s in samples]
    allg = [g for gs in gts for g in gs]
    mw = sum(g[3] - g[1] for g in allg) / len(allg)
    mh = sum(g[2] - g[0] for g in allg) / len(allg)
    centre = [0.5 - mh / 2, 0.5 - mw / 2, 0.5 + mh / 2, 0.5 + mw / 2]
    baselines = {}
    for name, box in [("full-image", [0.0, 0.0, 1.0, 1.0]), ("center-mean-size", centre)]:
        ious = [max(camkit_iou(box, g) for g in gs) for gs in gts]
        acc = [sum(v >= d for v in ious) * 100.0 / n for d in IOUS]
        baselines[name] = {"box": box, "mean_iou": sum(ious) / n, "accuracy": acc}
    out["baselines"] = baselines
    return out


def main():
    rng = np.random.default_rng(20240611)
    os.makedirs(ROOT, exist_ok=True)
    expected = {"interval": INTERVAL, "ious": IOUS, "rules_checked": RULES, "rules": {}}

    for name, m in special_maps().items():
        np.save(path("special", f"{name}.npy"), m)
        expected["rules"][f"special/{name}"] = {r: rule_boxes(m, r) for r in RULES}

    maps = random_maps(rng)
    np.save(path("random_maps.npy"), maps)
    samples = random_samples(rng, maps)
    with open(path("samples.json"), "w") as f:
        json.dump({"classes": N_CLASSES, "samples": samples}, f, separators=(",", ":"))

    for i in range(N_RULE_MAPS):
        m = maps[i].astype(np.float32)
        expected["rules"][f"random/{i}"] = {r: rule_boxes(m, r) for r in RULES}

    thresholds = wsol_thresholds()
    expected["threshold_count"] = len(thresholds)
    expected["threshold_samples"] = {str(i): float(thresholds[i]) for i in (0, 1, 3, 7, 100, 333, 999)}

    # wsolevaluation: float64 maps, GT resized to the map size.
    w_one, w_all, w_rule = [], [], []
    c_one, c_all, c_rule = [], [], []
    for m16, s in zip(maps, samples):
        m64 = m16.astype(np.float64)
        gts = [wsol_resize_box(b, (s["width"], s["height"]), (MAP_SIZE, MAP_SIZE)) for b in s["boxes"]]
        w_one.append(wsol_best_ious(m64, gts, thresholds, multi=False))
        w_all.append(wsol_best_ious(m64, gts, thresholds, multi=True))
        w_rule.append(wsol_rule_iou(m64, gts))
        m32 = m16.astype(np.float32)
        g = normalized_gt(s)
        o, a = camkit_best_ious(m32, g, thresholds)
        c_one.append(o)
        c_all.append(a)
        c_rule.append(camkit_rule_iou(m32, g))
    expected["wsolevaluation"] = summarise(w_one, w_all, w_rule, samples, thresholds)
    expected["camkit"] = summarise(c_one, c_all, c_rule, samples, thresholds)
    with open(path("expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))
    total = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(ROOT) for fn in fns)
    print(f"wrote {ROOT}: {total} bytes")
    for key in ("wsolevaluation", "camkit"):
        e = expected[key]
        print(key, "MaxBoxAcc", e["max_box_acc"], "V2", e["max_box_acc_v2"], "mean IoU", e["mean_iou"])


if __name__ == "__main__":
    main()
