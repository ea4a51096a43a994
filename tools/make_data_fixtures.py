#!/usr/bin/env python3
"""Writes the dataset fixtures under Tests/Fixtures/data/ with the real tools.

What it makes (all tiny: a handful of small JPEGs, well under 500 KB in all):

  stanford-cars/   the Stanford Cars layout: cars_train/*.jpg, cars_test/*.jpg,
                   devkit/cars_meta.mat, devkit/cars_train_annos.mat (compressed MAT v5, as
                   MATLAB 7 saves by default), cars_test_annos_withlabels.mat (uncompressed),
                   all written by scipy.io.savemat with the devkit's struct layout; plus the
                   common CSV conversion anno_train.csv / anno_test.csv (fname,x1,y1,x2,y2,class;
                   1-based pixels, 1-based class) and names.csv.
  tfds/cars196/2.1.0/
                   prepared by tensorflow_datasets itself: its own Cars196 builder runs on the
                   stanford-cars/ files above (only `_split_generators` is pointed at the local
                   folders instead of the download URLs), with 2 shards per split. So
                   dataset_info.json, features.json, label.labels.txt and the
                   cars196-{train,test}.tfrecord-0000N-of-00002 shards are tfds' own output.
  tfrecord/        single TFRecord files written by tf.io.TFRecordWriter with tf.train.Example:
                   good.tfrecord (3 records, cars196 layout), object_detection.tfrecord (TF object
                   detection API names, 2 boxes in one record), and corrupted copies:
                   bad_data_crc.tfrecord (record 1's payload has one flipped byte),
                   bad_length_crc.tfrecord (record 2's length CRC is wrong), truncated.tfrecord
                   (cut inside record 2), garbage.tfrecord (record 1 is framed correctly but is
                   not a tf.train.Example), missing_feature.tfrecord (record 0 lacks `image`).
  tfds-corrupt/cars196/2.1.0/
                   a copy of the prepared test split whose first shard has record 1's payload
                   corrupted (the CRC no longer matches).
  voc/             Pascal VOC: JPEGImages/, Annotations/*.xml (one image with two objects, one
                   marked difficult), ImageSets/Main/test.txt.
  coco/            instances.json in COCO's format (bbox = [x, y, width, height] in pixels) and
                   its images/.
  folder/          images/ with annotations.csv (id,file,label,class_name,ymin,xmin,ymax,xmax in
                   normalised units, several rows = several boxes) and annotations.json.
  wsol/            wsolevaluation metadata (image_ids.txt, class_labels.txt, image_sizes.txt,
                   localization.txt with x0,y0,x1,y1 pixels, several lines = several boxes) and
                   the images under images/.
  inflate/         zlib streams of one text made by Python's zlib at levels 0 (stored blocks),
                   1 and 9, for the DEFLATE decoder, with the text itself.
  expected.json    what the readers must return: per source, per sample in order: id, label,
                   boxes (normalised [ymin, xmin, ymax, xmax]), width, height, sha256 of the
                   encoded image bytes, and the sum of all RGB samples as PIL decodes them.

Regenerate (from the repository root; needs the TensorFlow venv):

  python3.11 -m venv tools/.venv-tf
  tools/.venv-tf/bin/pip install -r tools/requirements-tensorflow.txt
  tools/.venv-tf/bin/python tools/make_data_fixtures.py

Reruns give the same images, annotations and expected values (fixed seeds; the MAT headers'
creation time is pinned; our own Examples are serialized deterministically). The shards tfds
writes may differ byte-wise between runs (protobuf map order) but decode to the same records.
"""

import hashlib
import io
import json
import os
import shutil
import struct
import sys
import tempfile
import xml.etree.ElementTree as ET

import numpy as np
from PIL import Image
import scipy.io

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "data")

# Class names of the fixture: the first entries of the real devkit's list (cars_meta.mat has 196).
# The tfds builder uses its own full list of 196; ours must agree with it, so the fixture
# cars_meta.mat is written with tfds' full list (see write_stanford_cars).
TRAIN = [
    # fname, width, height, (x1, y1, x2, y2) 1-based inclusive pixels, class (1-based)
    ("00001.jpg", 64, 40, (5, 8, 58, 35), 14),
    ("00002.jpg", 48, 36, (2, 3, 47, 34), 3),
    ("00003.jpg", 56, 48, (10, 12, 40, 44), 91),
    ("00004.jpg", 40, 40, (1, 1, 40, 40), 196),
    ("00005.jpg", 72, 32, (20, 4, 60, 30), 14),
]
TEST = [
    ("00001.jpg", 50, 42, (6, 5, 44, 40), 181),
    ("00002.jpg", 60, 40, (15, 10, 50, 39), 103),
    ("00003.jpg", 44, 52, (3, 20, 41, 50), 3),
]


def make_jpeg(width, height, box, seed):
    """A small deterministic picture: a noisy background and a brighter 'car' block in the box."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, height)[:, None]
    x = np.linspace(0, 1, width)[None, :]
    base = np.stack([60 + 80 * x + 0 * y, 90 + 60 * y + 0 * x, 120 - 50 * x * y], axis=-1)
    img = base + rng.normal(0, 12, size=(height, width, 3))
    x1, y1, x2, y2 = box
    colour = rng.uniform(150, 250, size=3)
    img[y1 - 1:y2, x1 - 1:x2, :] = colour + rng.normal(0, 6, size=(y2 - y1 + 1, x2 - x1 + 1, 3))
    img = np.clip(img, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(img, "RGB").save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def pil_stats(data):
    im = Image.open(io.BytesIO(data)).convert("RGB")
    arr = np.asarray(im, dtype=np.int64)
    return {"width": im.size[0], "height": im.size[1], "pixel_sum": int(arr.sum()),
            "sha256": hashlib.sha256(data).hexdigest()}


def fix_mat_header(path):
    """scipy writes the creation time into the 116-byte header text; pin it so reruns match."""
    with open(path, "r+b") as f:
        text = b"MATLAB 5.0 MAT-file Platform: posix, Created on: Thu Jan  1 00:00:00 2015"
        f.write(text.ljust(116, b" "))


def reset(path):
    if os.path.exists(path):
        shutil.rmtree(path)
    os.makedirs(path)


def tfds_names():
    from tensorflow_datasets.image_classification import cars196
    return list(cars196._NAMES)


def write_stanford_cars(names):
    root = os.path.join(ROOT, "stanford-cars")
    reset(root)
    os.makedirs(os.path.join(root, "devkit"))
    images = {}
    for split, rows in (("train", TRAIN), ("test", TEST)):
        d = os.path.join(root, f"cars_{split}")
        os.makedirs(d)
        for i, (fname, w, h, box, _) in enumerate(rows):
            data = make_jpeg(w, h, box, seed=(1000 if split == "train" else 2000) + i)
            with open(os.path.join(d, fname), "wb") as f:
                f.write(data)
            images[(split, fname)] = data

    def annotations(rows, dtypes):
        # The devkit's struct array: 1 x N struct with fields bbox_x1, bbox_y1, bbox_x2, bbox_y2,
        # class, fname. MATLAB saved the numbers as the smallest integer class that fits; scipy
        # keeps numpy dtypes, so we use uint8/uint16 like the originals (and one double column
        # to exercise that path too).
        dt = [("bbox_x1", "O"), ("bbox_y1", "O"), ("bbox_x2", "O"), ("bbox_y2", "O"), ("class", "O"), ("fname", "O")]
        arr = np.zeros((1, len(rows)), dtype=dt)
        for i, (fname, _, _, (x1, y1, x2, y2), cls) in enumerate(rows):
            vals = [x1, y1, x2, y2]
            for key, v, t in zip(["bbox_x1", "bbox_y1", "bbox_x2", "bbox_y2"], vals, dtypes):
                arr[0, i][key] = np.array([[v]], dtype=t)
            arr[0, i]["class"] = np.array([[cls]], dtype=np.uint8)
            arr[0, i]["fname"] = np.array([fname])
        return arr

    meta = np.empty((1, len(names)), dtype=object)
    for i, n in enumerate(names):
        meta[0, i] = np.array([n])
    scipy.io.savemat(os.path.join(root, "devkit", "cars_meta.mat"), {"class_names": meta},
                     do_compression=True, oned_as="row")
    scipy.io.savemat(os.path.join(root, "devkit", "cars_train_annos.mat"),
                     {"annotations": annotations(TRAIN, [np.uint8, np.uint8, np.uint16, np.float64])},
                     do_compression=True)
    scipy.io.savemat(os.path.join(root, "cars_test_annos_withlabels.mat"),
                     {"annotations": annotations(TEST, [np.uint16, np.uint8, np.uint8, np.uint8])},
                     do_compression=False)
    for name in ("devkit/cars_meta.mat", "devkit/cars_train_annos.mat", "cars_test_annos_withlabels.mat"):
        fix_mat_header(os.path.join(root, name))
    for split, rows in (("train", TRAIN), ("test", TEST)):
        with open(os.path.join(root, f"anno_{split}.csv"), "w") as f:
            for fname, _, _, (x1, y1, x2, y2), cls in rows:
                f.write(f"{fname},{x1},{y1},{x2},{y2},{cls}\n")
    with open(os.path.join(root, "names.csv"), "w") as f:
        for n in names:
            f.write(n + "\n")

    expected = {}
    for split, rows in (("train", TRAIN), ("test", TEST)):
        out = []
        for fname, w, h, (x1, y1, x2, y2), cls in rows:
            st = pil_stats(images[(split, fname)])
            assert (st["width"], st["height"]) == (w, h)
            out.append({"id": fname.split(".")[0], "file": fname, "label": cls - 1, "class_name": names[cls - 1],
                        # tfds' rule (cars196.py): pixel coordinate / size, as float32.
                        "boxes": [[float(np.float32(y1 / h)), float(np.float32(x1 / w)),
                                   float(np.float32(y2 / h)), float(np.float32(x2 / w))]],
                        **st})
        expected[split] = out
    return root, expected


def prepare_tfds(stanford_root):
    """Runs tfds' own Cars196 builder over the local Stanford Cars files."""
    import tensorflow_datasets as tfds
    from tensorflow_datasets.image_classification import cars196

    def local_split_generators(self, dl_manager):
        return [
            tfds.core.SplitGenerator(name="train", gen_kwargs={
                "split_name": "train",
                "data_dir_path": os.path.join(stanford_root, "cars_train"),
                "data_annotations_path": os.path.join(stanford_root, "devkit", "cars_train_annos.mat")}),
            tfds.core.SplitGenerator(name="test", gen_kwargs={
                "split_name": "test",
                "data_dir_path": os.path.join(stanford_root, "cars_test"),
                "data_annotations_path": os.path.join(stanford_root, "cars_test_annos_withlabels.mat")}),
        ]

    cars196.Cars196._split_generators = local_split_generators
    work = tempfile.mkdtemp(prefix="tfds-fixture-")
    builder = tfds.builder("cars196", data_dir=work)
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(num_shards=2))
    src = os.path.join(work, "cars196", "2.1.0")
    dst = os.path.join(ROOT, "tfds", "cars196", "2.1.0")
    reset(os.path.join(ROOT, "tfds"))
    shutil.copytree(src, dst)

    # What tfds itself yields, in file order: shard after shard, record after record
    # (no file shuffling, no interleaving).
    expected = {}
    for split in ("train", "test"):
        ds = builder.as_dataset(split=split, shuffle_files=False, decoders={"image": tfds.decode.SkipDecoding()},
                                read_config=tfds.ReadConfig(interleave_cycle_length=1))
        rows = []
        for ex in tfds.as_numpy(ds):
            data = bytes(ex["image"])
            rows.append({"id": ex["id"].decode(), "label": int(ex["label"]),
                         "boxes": [[float(v) for v in ex["bbox"]]], **pil_stats(data)})
        expected[split] = rows
    shutil.rmtree(work)
    return dst, expected


def example_bytes(image, label, bbox, ident):
    import tensorflow as tf
    feats = {
        "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[image])),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[label])),
        "bbox": tf.train.Feature(float_list=tf.train.FloatList(value=bbox)),
        "id": tf.train.Feature(bytes_list=tf.train.BytesList(value=[ident.encode()])),
    }
    return tf.train.Example(features=tf.train.Features(feature=feats)).SerializeToString(deterministic=True)


def record_offsets(data):
    """(start, length) of each record in a TFRecord byte string."""
    out, pos = [], 0
    while pos < len(data):
        (n,) = struct.unpack("<Q", data[pos:pos + 8])
        out.append((pos, n))
        pos += 12 + n + 4
    return out


def write_tfrecords(stanford_root):
    import tensorflow as tf
    root = os.path.join(ROOT, "tfrecord")
    reset(root)
    rows = []
    for i, (fname, w, h, (x1, y1, x2, y2), cls) in enumerate(TRAIN[:3]):
        with open(os.path.join(stanford_root, "cars_train", fname), "rb") as f:
            img = f.read()
        bbox = [y1 / h, x1 / w, y2 / h, x2 / w]
        rows.append((img, cls - 1, bbox, fname.split(".")[0]))

    def write(name, records):
        path = os.path.join(root, name)
        with tf.io.TFRecordWriter(path) as wr:
            for r in records:
                wr.write(r)
        with open(path, "rb") as f:
            return bytearray(f.read())

    good = [example_bytes(*r) for r in rows]
    data = write("good.tfrecord", good)
    offs = record_offsets(data)

    # Object-detection style: separate coordinate lists, two boxes in one record.
    feats = {
        "image/encoded": tf.train.Feature(bytes_list=tf.train.BytesList(value=[rows[0][0]])),
        "image/filename": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"00001.jpg"])),
        "image/object/class/label": tf.train.Feature(int64_list=tf.train.Int64List(value=[13, 2])),
        "image/object/bbox/ymin": tf.train.Feature(float_list=tf.train.FloatList(value=[0.2, 0.5])),
        "image/object/bbox/xmin": tf.train.Feature(float_list=tf.train.FloatList(value=[0.078125, 0.5])),
        "image/object/bbox/ymax": tf.train.Feature(float_list=tf.train.FloatList(value=[0.875, 0.75])),
        "image/object/bbox/xmax": tf.train.Feature(float_list=tf.train.FloatList(value=[0.90625, 1.0])),
    }
    write("object_detection.tfrecord",
          [tf.train.Example(features=tf.train.Features(feature=feats)).SerializeToString(deterministic=True)])

    bad = bytearray(data)
    start, n = offs[1]
    bad[start + 12 + n // 2] ^= 0x40
    open(os.path.join(root, "bad_data_crc.tfrecord"), "wb").write(bad)

    bad = bytearray(data)
    start, _ = offs[2]
    bad[start + 8] ^= 0x01
    open(os.path.join(root, "bad_length_crc.tfrecord"), "wb").write(bad)

    start, n = offs[2]
    open(os.path.join(root, "truncated.tfrecord"), "wb").write(bytes(data[:start + 12 + n // 2]))

    write("garbage.tfrecord", [good[0], b"\xff\xff\xff\xff\x0fnot an example at all", good[2]])

    import tensorflow as tf  # noqa: F811
    no_image = tf.train.Example(features=tf.train.Features(feature={
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[1])),
        "bbox": tf.train.Feature(float_list=tf.train.FloatList(value=[0.1, 0.1, 0.9, 0.9])),
    })).SerializeToString(deterministic=True)
    write("missing_feature.tfrecord", [no_image, good[1]])

    return {"good": [{"id": r[3], "label": r[1], "boxes": [[float(np.float32(v)) for v in r[2]]],
                      **pil_stats(r[0])} for r in rows],
            "good_offsets": [[s, n] for s, n in offs]}


def write_tfds_corrupt(tfds_dir):
    dst = os.path.join(ROOT, "tfds-corrupt", "cars196", "2.1.0")
    reset(os.path.join(ROOT, "tfds-corrupt"))
    os.makedirs(dst)
    for name in os.listdir(tfds_dir):
        if "-train." in name:
            continue  # only the test split is kept
        shutil.copy(os.path.join(tfds_dir, name), os.path.join(dst, name))
    shard = os.path.join(dst, "cars196-test.tfrecord-00000-of-00002")
    data = bytearray(open(shard, "rb").read())
    offs = record_offsets(data)
    assert len(offs) >= 2, "the first test shard needs 2 records"
    start, n = offs[1]
    data[start + 12 + n - 3] ^= 0x10
    open(shard, "wb").write(data)
    # The info still lists the train split; its shards are absent on purpose (an error case).
    return {"corrupt_shard": os.path.basename(shard), "corrupt_record": 1, "records_in_shard": len(offs)}


def write_voc(stanford_root, names):
    root = os.path.join(ROOT, "voc")
    reset(root)
    for d in ("JPEGImages", "Annotations", os.path.join("ImageSets", "Main")):
        os.makedirs(os.path.join(root, d))
    # All object names are VOC classes, so CAMKit uses the standard 20-class list (car = 6).
    voc_classes = ["aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
                   "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train",
                   "tvmonitor"]
    items = []
    # Image 1: one car. Image 2: a car and a (difficult) person. VOC pixels are 1-based.
    for k, (fname, w, h, (x1, y1, x2, y2), _) in enumerate(TEST[:2]):
        stem = f"2007_00000{k + 1}"
        shutil.copy(os.path.join(stanford_root, "cars_test", fname), os.path.join(root, "JPEGImages", stem + ".jpg"))
        objs = [("car", (x1, y1, x2, y2), 0)]
        if k == 1:
            objs.append(("person", (2, 3, 12, 30), 1))
        ann = ET.Element("annotation")
        ET.SubElement(ann, "folder").text = "VOC2007"
        ET.SubElement(ann, "filename").text = stem + ".jpg"
        size = ET.SubElement(ann, "size")
        ET.SubElement(size, "width").text = str(w)
        ET.SubElement(size, "height").text = str(h)
        ET.SubElement(size, "depth").text = "3"
        ET.SubElement(ann, "segmented").text = "0"
        for name, (a, b, c, d), diff in objs:
            o = ET.SubElement(ann, "object")
            ET.SubElement(o, "name").text = name
            ET.SubElement(o, "pose").text = "Unspecified"
            ET.SubElement(o, "truncated").text = "0"
            ET.SubElement(o, "difficult").text = str(diff)
            bb = ET.SubElement(o, "bndbox")
            for tag, v in zip(("xmin", "ymin", "xmax", "ymax"), (a, b, c, d)):
                ET.SubElement(bb, tag).text = str(v)
        ET.indent(ann)
        ET.ElementTree(ann).write(os.path.join(root, "Annotations", stem + ".xml"), encoding="utf-8")
        data = open(os.path.join(root, "JPEGImages", stem + ".jpg"), "rb").read()
        # VOC: 1-based inclusive pixels -> [(ymin - 1) / h, (xmin - 1) / w, ymax / h, xmax / w];
        # the sample's label is its first non-difficult object's class, its boxes that class's objects.
        boxes = [[(b - 1) / h, (a - 1) / w, d / h, c / w] for name, (a, b, c, d), _ in objs if name == "car"]
        items.append({"id": stem, "label": voc_classes.index("car"), "class_name": "car",
                      "boxes": boxes, "difficult": [diff for *_, diff in objs], **pil_stats(data)})
    with open(os.path.join(root, "ImageSets", "Main", "test.txt"), "w") as f:
        for it in items:
            f.write(it["id"] + "\n")
    return items


def write_coco(stanford_root):
    root = os.path.join(ROOT, "coco")
    reset(root)
    os.makedirs(os.path.join(root, "images"))
    cats = [{"id": 3, "name": "car", "supercategory": "vehicle"},
            {"id": 1, "name": "person", "supercategory": "person"}]
    images, anns, items = [], [], []
    aid = 100
    for k, (fname, w, h, (x1, y1, x2, y2), _) in enumerate(TRAIN[:3]):
        name = f"{k + 1:012d}.jpg"
        shutil.copy(os.path.join(stanford_root, "cars_train", fname), os.path.join(root, "images", name))
        image_id = 500 + k
        images.append({"id": image_id, "file_name": name, "width": w, "height": h})
        # COCO boxes: [x, y, width, height] in continuous pixel units from the top-left corner.
        bx = [float(x1 - 1), float(y1 - 1), float(x2 - x1 + 1), float(y2 - y1 + 1)]
        anns.append({"id": aid, "image_id": image_id, "category_id": 3, "bbox": bx,
                     "area": bx[2] * bx[3], "iscrowd": 0})
        aid += 1
        boxes = [[bx[1] / h, bx[0] / w, (bx[1] + bx[3]) / h, (bx[0] + bx[2]) / w]]
        if k == 2:
            extra = [1.5, 2.0, 10.0, 20.0]
            anns.append({"id": aid, "image_id": image_id, "category_id": 1, "bbox": extra,
                         "area": 200.0, "iscrowd": 0})
            aid += 1
        data = open(os.path.join(root, "images", name), "rb").read()
        items.append({"id": str(image_id), "label": 1, "class_name": "car", "boxes": boxes, **pil_stats(data)})
    # Category order in CAMKit: sorted by category id -> person (1) = 0, car (3) = 1.
    with open(os.path.join(root, "instances.json"), "w") as f:
        json.dump({"info": {"description": "CAMKit fixture"}, "images": images, "annotations": anns,
                   "categories": cats}, f, indent=1)
    return items


def write_folder(stanford_root):
    root = os.path.join(ROOT, "folder")
    reset(root)
    os.makedirs(os.path.join(root, "images"))
    classes = ["sedan", "coupe"]
    items = []
    rows = [("a", "train", TRAIN[0], 0), ("b", "train", TRAIN[1], 1), ("c", "test", TEST[0], 1)]
    for ident, split, (fname, w, h, (x1, y1, x2, y2), _), label in rows:
        src = os.path.join(stanford_root, f"cars_{split}", fname)
        shutil.copy(src, os.path.join(root, "images", ident + ".jpg"))
        boxes = [[y1 / h, x1 / w, y2 / h, x2 / w]]
        if ident == "b":
            boxes.append([0.0, 0.0, 0.5, 0.25])
        data = open(src, "rb").read()
        items.append({"id": ident, "file": f"images/{ident}.jpg", "label": label, "class_name": classes[label],
                      "boxes": boxes, **pil_stats(data)})
    with open(os.path.join(root, "annotations.csv"), "w") as f:
        f.write("id,file,label,class_name,ymin,xmin,ymax,xmax\n")
        for it in items:
            for b in it["boxes"]:
                f.write(f"{it['id']},{it['file']},{it['label']},{it['class_name']},{b[0]!r},{b[1]!r},{b[2]!r},{b[3]!r}\n")
    with open(os.path.join(root, "annotations.json"), "w") as f:
        json.dump({"classes": classes,
                   "samples": [{"id": it["id"], "file": it["file"], "label": it["label"], "boxes": it["boxes"]}
                               for it in items]}, f, indent=1)
    return items


def write_wsol(stanford_root):
    root = os.path.join(ROOT, "wsol")
    reset(root)
    os.makedirs(os.path.join(root, "images", "001.Sedan"))
    os.makedirs(os.path.join(root, "images", "002.Coupe"))
    rows = [("001.Sedan/s1.jpg", TEST[0], 0, [(5, 4, 43, 39)]),
            ("002.Coupe/c1.jpg", TEST[1], 1, [(14, 9, 49, 38), (0, 0, 10, 12)]),
            ("001.Sedan/s2.jpg", TEST[2], 0, [(2, 19, 40, 49)])]
    items = []
    for image_id, (fname, w, h, _, _), label, boxes in rows:
        src = os.path.join(stanford_root, "cars_test", fname)
        shutil.copy(src, os.path.join(root, "images", image_id))
        data = open(src, "rb").read()
        # wsolevaluation: x0,y0,x1,y1 pixels; CAMKit normalises as coordinate / size.
        items.append({"id": image_id, "label": label, "boxes": [[y0 / h, x0 / w, y1 / h, x1 / w] for x0, y0, x1, y1 in boxes],
                      **pil_stats(data)})
    with open(os.path.join(root, "image_ids.txt"), "w") as f:
        f.writelines(r[0] + "\n" for r in rows)
    with open(os.path.join(root, "class_labels.txt"), "w") as f:
        f.writelines(f"{r[0]},{r[2]}\n" for r in rows)
    with open(os.path.join(root, "image_sizes.txt"), "w") as f:
        f.writelines(f"{r[0]},{r[1][1]},{r[1][2]}\n" for r in rows)
    with open(os.path.join(root, "localization.txt"), "w") as f:
        for image_id, _, _, boxes in rows:
            for x0, y0, x1, y1 in boxes:
                f.write(f"{image_id},{x0},{y0},{x1},{y1}\n")
    return items


def write_inflate():
    import zlib
    root = os.path.join(ROOT, "inflate")
    reset(root)
    rng = np.random.default_rng(7)
    words = ["car", "box", "class", "activation", "map", "Cars196", "tfds", "\u00e9t\u00e9", "\n"]
    text = " ".join(words[int(i)] for i in rng.integers(0, len(words), size=3000)).encode("utf-8")
    text += bytes(rng.integers(0, 256, size=2000, dtype=np.uint8))  # an incompressible tail
    with open(os.path.join(root, "text.bin"), "wb") as f:
        f.write(text)
    for level in (0, 1, 9):
        with open(os.path.join(root, f"text.z{level}"), "wb") as f:
            f.write(zlib.compress(text, level))


def main():
    os.makedirs(ROOT, exist_ok=True)
    write_inflate()
    names = tfds_names()
    stanford_root, stanford = write_stanford_cars(names)
    tfds_dir, tfds_expected = prepare_tfds(stanford_root)
    tfrecord = write_tfrecords(stanford_root)
    corrupt = write_tfds_corrupt(tfds_dir)
    expected = {
        "stanford_cars": stanford,
        "tfds": tfds_expected,
        "tfrecord": tfrecord,
        "tfds_corrupt": corrupt,
        "voc": write_voc(stanford_root, names),
        "coco": write_coco(stanford_root),
        "folder": write_folder(stanford_root),
        "wsol": write_wsol(stanford_root),
        "num_class_names": len(names),
    }
    with open(os.path.join(ROOT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
    total = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(ROOT) for n in ns)
    print(f"wrote {ROOT}: {total} bytes")


if __name__ == "__main__":
    sys.exit(main())
