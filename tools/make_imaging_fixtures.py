#!/usr/bin/env python3
"""Golden fixtures for CAMKit's imaging layer, computed by OpenCV 4.6 in Python.

Writes Tests/Fixtures/imaging/: small source images in each codec (incl. JPEGs with
EXIF orientation 6 and 8, 16-bit, grayscale, palette and RGBA PNGs), and what OpenCV
makes of them (.npy arrays, C order, RGB channel order) plus JSON for ragged results
(contours, scalars). The Swift tests in Tests/CAMKitTests/Imaging*.swift read them.

Regenerate (from the repository root). opencv-python-headless 4.6 is built against NumPy 1.x
and fails to import under NumPy 2, while tools/.venv holds NumPy 2 for the torch tooling, so
give it a venv of its own inside tools/.venv (ignored by git like tools/.venv itself):

    python3.11 -m venv tools/.venv/imaging
    tools/.venv/imaging/bin/pip install -r tools/requirements-imaging.txt
    tools/.venv/imaging/bin/python tools/make_imaging_fixtures.py

tools/requirements-imaging.txt pins the versions the fixtures in the repository were made with:
opencv-python-headless 4.6.0.66, numpy 1.26.4, Pillow 13.0.0. Debian's OpenCV 4.6 is built
without Intel IPP, so this script turns IPP off in the wheel (cv2.ipp.setUseIPP(False)) to run the
same code paths.
The output is deterministic: running it twice gives identical files.
"""

import json
import os
import sys

import cv2
import numpy as np
from PIL import Image

assert cv2.__version__.startswith("4.6."), f"need OpenCV 4.6.x, have {cv2.__version__}"
cv2.ipp.setUseIPP(False)
cv2.setNumThreads(1)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "imaging")
ROOT = os.path.normpath(ROOT)

INTERPOLATIONS = [
    ("nearest", cv2.INTER_NEAREST),
    ("linear", cv2.INTER_LINEAR),
    ("cubic", cv2.INTER_CUBIC),
    ("area", cv2.INTER_AREA),
    ("lanczos4", cv2.INTER_LANCZOS4),
    ("linear_exact", cv2.INTER_LINEAR_EXACT),
    ("nearest_exact", cv2.INTER_NEAREST_EXACT),
]
COLORMAPS = [
    "AUTUMN", "BONE", "JET", "WINTER", "RAINBOW", "OCEAN", "SUMMER", "SPRING", "COOL", "HSV", "PINK", "HOT",
    "PARULA", "MAGMA", "INFERNO", "PLASMA", "VIRIDIS", "CIVIDIS", "TWILIGHT", "TWILIGHT_SHIFTED", "TURBO",
    "DEEPGREEN",
]
RETRIEVALS = [("external", 0), ("list", 1), ("ccomp", 2), ("tree", 3), ("floodfill", 4)]
APPROXIMATIONS = [("none", 1), ("simple", 2), ("tc89_l1", 3), ("tc89_kcos", 4)]


def path(*parts):
    p = os.path.join(ROOT, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def save(name, array):
    array = np.asarray(array)
    np.save(path(name), array if array.flags.c_contiguous else array.copy(order="C"))


def rgb(bgr):
    """OpenCV's BGR(A) result in RGB(A) order."""
    return np.ascontiguousarray(bgr[..., ::-1]) if bgr.ndim == 3 else bgr


def pattern(h, w):
    """A deterministic RGB test pattern with gradients, edges and saturated patches."""
    y, x = np.mgrid[0:h, 0:w]
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = (x * 255 // max(w - 1, 1)).astype(np.uint8)
    img[..., 1] = (y * 255 // max(h - 1, 1)).astype(np.uint8)
    img[..., 2] = ((x * 37 + y * 91) % 256).astype(np.uint8)
    img[2:6, 3:9] = (255, 255, 255)
    img[h - 5:h - 2, w - 7:w - 2] = (0, 0, 0)
    img[h // 2, :] = (250, 10, 120)
    return img


# ---------------------------------------------------------------- codecs


def codec_fixtures(expected):
    src = pattern(16, 24)  # RGB
    bgr = src[..., ::-1]
    files = {}

    cv2.imwrite(path("src.png"), bgr)
    files["src.png"] = "8-bit RGB PNG"
    cv2.imwrite(path("photo.jpg"), cv2.GaussianBlur(cv2.resize(bgr, (32, 24)), (5, 5), 0),
                [cv2.IMWRITE_JPEG_QUALITY, 90])
    files["photo.jpg"] = "baseline JPEG, quality 90"
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    cv2.imwrite(path("gray.png"), gray)
    files["gray.png"] = "8-bit grayscale PNG"
    cv2.imwrite(path("gray.jpg"), gray, [cv2.IMWRITE_JPEG_QUALITY, 90])
    files["gray.jpg"] = "grayscale JPEG"
    alpha = (np.arange(16 * 24).reshape(16, 24) % 256).astype(np.uint8)
    cv2.imwrite(path("rgba.png"), np.dstack([bgr, alpha]))
    files["rgba.png"] = "8-bit RGBA PNG (alpha varies)"
    deep = src.astype(np.uint16) * 256 + (np.arange(16 * 24 * 3).reshape(16, 24, 3) % 256).astype(np.uint16)
    cv2.imwrite(path("deep16.png"), deep[..., ::-1])
    files["deep16.png"] = "16-bit RGB PNG"
    cv2.imwrite(path("gray16.png"), (gray.astype(np.uint16) * 256 + 255 - gray))
    files["gray16.png"] = "16-bit grayscale PNG"
    Image.fromarray(src).convert("P", palette=Image.ADAPTIVE, colors=16).save(path("palette.png"))
    files["palette.png"] = "palette PNG (16 colours, written by Pillow)"
    cv2.imwrite(path("lossy.webp"), bgr, [cv2.IMWRITE_WEBP_QUALITY, 80])
    files["lossy.webp"] = "lossy WebP, quality 80"
    cv2.imwrite(path("lossless.webp"), bgr, [cv2.IMWRITE_WEBP_QUALITY, 101])
    files["lossless.webp"] = "lossless WebP"
    cv2.imwrite(path("src.bmp"), bgr)
    files["src.bmp"] = "24-bit BMP"

    # EXIF orientation: stored 24 wide x 16 high; distinct quadrants show the rotation.
    quad = np.zeros((16, 24, 3), np.uint8)
    quad[:8, :12] = (255, 0, 0)
    quad[:8, 12:] = (0, 255, 0)
    quad[8:, :12] = (0, 0, 255)
    quad[8:, 12:] = (255, 255, 0)
    for orientation in (6, 8):
        exif = Image.Exif()
        exif[0x0112] = orientation
        name = f"exif{orientation}.jpg"
        Image.fromarray(quad).save(path(name), quality=95, exif=exif.tobytes())
        files[name] = f"JPEG with EXIF orientation {orientation} (written by Pillow), stored 24x16"

    # Undecodable inputs.
    with open(path("photo.jpg"), "rb") as f:
        jpeg = f.read()
    with open(path("truncated.jpg"), "wb") as f:
        f.write(jpeg[:40])
    files["truncated.jpg"] = "the first 40 bytes of photo.jpg"
    with open(path("not_an_image.png"), "wb") as f:
        f.write(b"this is not an image, whatever the extension says\n")
    files["not_an_image.png"] = "text with a .png name"

    decoded = {}
    for name in files:
        p = path(name)
        via_read = cv2.imread(p)  # IMREAD_COLOR: 8-bit BGR, EXIF applied
        via_decode = cv2.imdecode(np.fromfile(p, np.uint8), cv2.IMREAD_COLOR)
        if via_read is None:
            assert via_decode is None, name
            decoded[name] = None
            continue
        assert np.array_equal(via_read, via_decode), f"imread and imdecode differ for {name}"
        save(f"decoded/{os.path.splitext(name)[0]}_{os.path.splitext(name)[1][1:]}.npy", rgb(via_read))
        decoded[name] = list(via_read.shape)
    expected["codec"] = {"files": files, "decoded_shapes": decoded}

    # Encoders: BMP is OpenCV's own writer, so its bytes are exact; JPEG goes through libjpeg.
    ok, bmp = cv2.imencode(".bmp", bgr)
    assert ok
    with open(path("encoded/src_encoded.bmp"), "wb") as f:
        f.write(bmp.tobytes())
    ok, jpg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    save("encoded/jpeg_q90_decoded.npy", rgb(cv2.imdecode(jpg, cv2.IMREAD_COLOR)))
    gray_bmp = cv2.imencode(".bmp", gray)[1]
    with open(path("encoded/gray_encoded.bmp"), "wb") as f:
        f.write(gray_bmp.tobytes())
    expected["codec"]["jpeg_sizes"] = {
        str(q): int(len(cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, q])[1])) for q in (10, 50, 90)
    }
    return src


# ---------------------------------------------------------------- resize, colour


def resize_fixtures(src, expected):
    targets = {"up": (37, 29), "down": (11, 7)}  # (width, height)
    for tag, size in targets.items():
        save(f"resize/u8_{tag}.npy", np.stack([cv2.resize(src, size, interpolation=f) for _, f in INTERPOLATIONS]))
    rng = np.random.default_rng(7)
    fmap = rng.random((7, 9), dtype=np.float32) * 2.0 - 0.5
    fmap[3, 4] = 3.0
    save("resize/map_f32.npy", fmap)
    ftargets = {"up": (31, 23), "down": (5, 4)}
    for tag, size in ftargets.items():
        save(f"resize/f32_{tag}.npy", np.stack([cv2.resize(fmap, size, interpolation=f) for _, f in INTERPOLATIONS]))
    expected["resize"] = {
        "interpolations": [n for n, _ in INTERPOLATIONS],
        "u8_targets": targets,
        "f32_targets": ftargets,
    }

    # Thresholds on the float map (threshold 0.3, max 1.0), one per type in cv2's order 0...4.
    save("threshold/f32.npy", np.stack([cv2.threshold(fmap, 0.3, 1.0, t)[1] for t in range(5)]))
    gray = cv2.cvtColor(src, cv2.COLOR_RGB2GRAY)
    otsu_t, otsu = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    tri_t, tri = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_TRIANGLE)
    save("threshold/u8_otsu.npy", otsu)
    save("threshold/u8_triangle.npy", tri)
    save("threshold/u8_tozero_100.npy", cv2.threshold(gray, 100, 255, cv2.THRESH_TOZERO)[1])
    expected["threshold"] = {"f32": {"threshold": 0.3, "max": 1.0}, "otsu": otsu_t, "triangle": tri_t}

    # Colour conversions.
    save("color/rgb2gray.npy", gray)
    save("color/gray2rgb.npy", cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB))
    rgba = np.dstack([src, (np.arange(16 * 24).reshape(16, 24) % 256).astype(np.uint8)])
    save("color/rgba_input.npy", rgba)
    save("color/rgba2rgb.npy", cv2.cvtColor(rgba, cv2.COLOR_RGBA2RGB))
    save("color/rgba2gray.npy", cv2.cvtColor(rgba, cv2.COLOR_RGBA2GRAY))

    # Colour maps over all 256 levels (16 x 16 ramp), every map, RGB.
    ramp = np.arange(256, dtype=np.uint8).reshape(16, 16)
    save("color/ramp.npy", ramp)
    save("color/colormaps.npy", np.stack([rgb(cv2.applyColorMap(ramp, getattr(cv2, "COLORMAP_" + n))) for n in COLORMAPS]))
    expected["colormaps"] = [n.lower() for n in COLORMAPS]

    # addWeighted: general weights with gamma, and the tutorial's 0.5 / 0.5 blend.
    other = np.ascontiguousarray(src[::-1, ::-1])
    save("color/addweighted_a03_b07_g5.npy", cv2.addWeighted(src, 0.3, other, 0.7, 5.0))
    save("color/addweighted_half.npy", cv2.addWeighted(src, 0.5, other, 0.5, 0.0))
    save("color/addweighted_f32.npy", cv2.addWeighted(fmap, 0.25, fmap[::-1].copy(), 1.5, -0.1))


# ---------------------------------------------------------------- contours


def blobs_mask():
    """40 x 48 mask: rectangle, rotated ellipse, ring with an island, blobs on the border, a pixel, a line."""
    m = np.zeros((40, 48), np.uint8)
    m[4:12, 6:18] = 255  # rectangle
    cv2.ellipse(m, (32, 10), (9, 4), 30, 0, 360, 255, -1)  # rotated ellipse
    cv2.circle(m, (14, 27), 9, 255, -1)  # disc ...
    cv2.circle(m, (14, 27), 5, 0, -1)  # ... with a hole ...
    m[26:29, 13:16] = 255  # ... holding an island
    m[0:5, 0:4] = 255  # touches top and left border
    m[20:33, 44:48] = 255  # touches the right border
    m[35:40, 30:38] = 255  # touches the bottom border
    m[36, 2] = 255  # single pixel
    for i in range(8):  # diagonal line
        m[18 + i, 28 + i] = 255
    return m


def contour_fixtures(expected):
    mask = blobs_mask()
    save("contours/blobs.npy", mask)
    results = {}
    for rname, rmode in RETRIEVALS:
        for aname, amethod in APPROXIMATIONS:
            src = mask.astype(np.int32) if rmode == cv2.RETR_FLOODFILL else mask
            contours, hierarchy = cv2.findContours(src, rmode, amethod)
            results[f"{rname}/{aname}"] = {
                "contours": [c.reshape(-1, 2).tolist() for c in contours],
                "hierarchy": hierarchy.reshape(-1, 4).tolist() if hierarchy is not None else [],
            }
    measures = []
    contours, _ = cv2.findContours(mask, cv2.RETR_TREE, cv2.CHAIN_APPROX_NONE)
    for c in contours:
        rect = cv2.minAreaRect(c)
        measures.append({
            "points": c.reshape(-1, 2).tolist(),
            "area": cv2.contourArea(c),
            "oriented_area": cv2.contourArea(c, oriented=True),
            "min_area_rect": [rect[0][0], rect[0][1], rect[1][0], rect[1][1], rect[2]],
            "box_points": cv2.boxPoints(rect).tolist(),
            "bounding_rect": list(cv2.boundingRect(c)),
        })
    fpts = np.array([[1.5, 2.25], [10.75, 4.0], [8.0, 12.5], [0.25, 9.0], [5.0, 6.0]], np.float32)
    frect = cv2.minAreaRect(fpts)
    boxes = []
    for r in [((10.0, 20.0), (8.0, 4.0), 0.0), ((10.5, 20.25), (8.0, 4.0), 45.0), ((0.0, 0.0), (3.0, 7.0), 90.0),
              ((33.0, 12.0), (15.5, 6.25), -30.0), ((5.0, 5.0), (0.0, 0.0), 10.0)]:
        boxes.append({"rect": [r[0][0], r[0][1], r[1][0], r[1][1], r[2]], "points": cv2.boxPoints(r).tolist()})
    expected_contours = {
        "find": results,
        "tree_none_measures": measures,
        "float_points": {
            "points": fpts.tolist(),
            "min_area_rect": [frect[0][0], frect[0][1], frect[1][0], frect[1][1], frect[2]],
            "area": cv2.contourArea(fpts),
            "bounding_rect": list(cv2.boundingRect(fpts)),
        },
        "box_points": boxes,
        "empty_mask_count": len(cv2.findContours(np.zeros((5, 5), np.uint8), cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)[0]),
    }

    # The tutorial's get_bbox on a small CAM upsampled with cv2.resize (linear).
    rng = np.random.default_rng(3)
    cam = rng.random((7, 7), dtype=np.float32) * 0.1
    cam[2:5, 3:6] += np.array([[0.4, 0.6, 0.5], [0.7, 1.0, 0.8], [0.3, 0.5, 0.4]], np.float32)
    cam /= np.max(cam)
    save("contours/cam7.npy", cam)
    up = cv2.resize(cam, (64, 48))
    save("contours/cam_up.npy", up)
    work = up.copy()
    work[work <= 0.05] = 0
    work = (work * 255).astype(np.uint8)
    save("contours/cam_u8.npy", work)
    cs, _ = cv2.findContours(work, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    rr = cv2.minAreaRect(cs[0])
    box = cv2.boxPoints(rr)
    expected_contours["tutorial_bbox"] = {
        "first_contour": cs[0].reshape(-1, 2).tolist(),
        "min_area_rect": [rr[0][0], rr[0][1], rr[1][0], rr[1][1], rr[2]],
        "box_points": box.tolist(),
        "box_int0": np.intp(box).tolist(),  # the tutorial's np.int0 (an alias of np.intp)
    }
    with open(path("contours/contours.json"), "w") as f:
        json.dump(expected_contours, f, separators=(",", ":"))
    return mask


# ---------------------------------------------------------------- drawing


def drawing_fixtures(mask, expected):
    base = (pattern(40, 48) // 2).astype(np.uint8)  # RGB; colours below are (r, g, b)
    save("drawing/base.npy", base)
    contours, hierarchy = cv2.findContours(mask, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)

    img = base.copy()
    cv2.drawContours(img, contours, -1, (255, 0, 0), 1)
    save("drawing/contours_all.npy", img)
    img = base.copy()
    cv2.drawContours(img, contours, 2, (0, 255, 0), -1)
    save("drawing/contours_filled_2.npy", img)
    img = base.copy()
    cv2.drawContours(img, contours, -1, (10, 200, 250), 2, cv2.LINE_AA, hierarchy, 0)
    save("drawing/contours_aa_level0.npy", img)

    rect = cv2.minAreaRect(contours[1])
    box = np.intp(cv2.boxPoints(rect))  # np.int0 in the tutorial
    img = base.copy()
    cv2.drawContours(img, [box], 0, (0, 0, 255), 2)  # the tutorial's box drawing
    save("drawing/tutorial_box.npy", img)
    expected["drawing"] = {"tutorial_box": box.tolist()}

    polys = [np.array([[2, 2], [20, 5], [12, 30]], np.int32), np.array([[30, 35], [45, 20], [40, 38], [25, 39]], np.int32)]
    img = base.copy()
    cv2.polylines(img, polys, True, (255, 255, 0), 1, cv2.LINE_8)
    save("drawing/polylines_closed.npy", img)
    img = base.copy()
    cv2.polylines(img, polys, False, (255, 0, 255), 3, cv2.LINE_AA)
    save("drawing/polylines_open_aa.npy", img)
    img = base.copy()
    cv2.polylines(img, polys, True, (0, 128, 255), 2, cv2.LINE_4)
    save("drawing/polylines_line4.npy", img)

    img = base.copy()
    cv2.rectangle(img, (3, 4), (30, 25), (255, 255, 255), 2)
    cv2.rectangle(img, (35, 30), (46, 38), (200, 50, 25), -1)
    cv2.rectangle(img, (-5, 20), (10, 60), (0, 255, 0), 1, cv2.LINE_AA)  # clipped
    save("drawing/rectangles.npy", img)

    img = base.copy()
    cv2.putText(img, "CAM 0.87", (1, 15), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1)
    cv2.putText(img, "top-1", (2, 34), cv2.FONT_HERSHEY_PLAIN, 1.0, (255, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, "Ag", (20, 38), cv2.FONT_HERSHEY_COMPLEX | cv2.FONT_ITALIC, 0.5, (0, 255, 0), 1)
    save("drawing/text.npy", img)

    gray = np.zeros((20, 30), np.uint8)
    cv2.rectangle(gray, (2, 2), (27, 17), 200, 1)
    save("drawing/gray_rectangle.npy", gray)

    sizes = {}
    for text, font, scale, thick in [("CAM 0.87", 0, 0.4, 1), ("top-1", 1, 1.0, 1), ("Hello, world", 3, 1.5, 2)]:
        (w, h), b = cv2.getTextSize(text, font, scale, thick)
        sizes[text] = {"font": font, "scale": scale, "thickness": thick, "size": [w, h, b]}
    expected["drawing"]["text_sizes"] = sizes


# ---------------------------------------------------------------- npy


def npy_fixtures():
    save("npy/f4_2x3.npy", np.array([[0.0, 1.5, -2.25], [3.0e-8, np.float32(np.pi), 1e30]], np.float32))
    save("npy/u1_hwc.npy", np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4))
    save("npy/i8_1d.npy", np.array([-1, 0, 2**40, -(2**62)], np.int64))
    save("npy/f8_big_endian.npy", np.array([[1.0, -2.5], [1e-300, 6.25]], dtype=">f8"))
    save("npy/i2_big_endian.npy", np.array([1, -2, 300, -32768], dtype=">i2"))
    np.save(path("npy/i4_fortran.npy"), np.asfortranarray(np.arange(24, dtype=np.int32).reshape(2, 3, 4)))
    save("npy/f4_scalar.npy", np.array(2.5, np.float32))
    save("npy/f2.npy", np.array([0.0, 1.0, -2.0, 0.5, 65504.0, 6.1e-5, 5.96e-8], np.float16))
    save("npy/bool.npy", np.array([[True, False], [False, True]]))
    save("npy/f4_empty.npy", np.zeros((0, 3), np.float32))
    with open(path("npy/f4_v2.npy"), "wb") as f:
        np.lib.format.write_array(f, np.arange(6, dtype=np.float32).reshape(3, 2), version=(2, 0))


def main():
    expected = {"opencv": cv2.__version__, "numpy": np.__version__}
    src = codec_fixtures(expected)
    resize_fixtures(src, expected)
    mask = contour_fixtures(expected)
    drawing_fixtures(mask, expected)
    npy_fixtures()
    with open(path("expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
    total = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(ROOT) for n in ns)
    print(f"wrote {ROOT}: {total} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
