#!/usr/bin/env python3
"""Checks a `camkit report` page as headless Chromium loaded it (standard library only).

Usage: check_report.py REPORT_DIR DOM_FILE

DOM_FILE is the output of `chromium --headless --dump-dom file://REPORT_DIR/index.html`, i.e. the
page after Chromium parsed and laid it out. Checks: the summary table is there with rows; the
charts are inline SVG with bars and lines; every <img src> and local <a href> points at a file
inside REPORT_DIR, and every image is a PNG whose size is the width/height the page states;
nothing is fetched from the network and there is no script. Exits non-zero on the first failures,
listing them.
"""
import os
import struct
import sys
from html.parser import HTMLParser
from urllib.parse import unquote, urlparse


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.links, self.external, self.scripts = [], [], [], 0
        self.ids, self.svgs, self.bars, self.series, self.rows = set(), 0, 0, 0, {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        cls = a.get("class", "")
        if tag == "script":
            self.scripts += 1
        elif tag == "img":
            self.imgs.append(a)
        elif tag == "a" and "href" in a:
            self.links.append(a["href"])
        elif tag == "svg":
            self.svgs += 1
        elif tag == "rect" and cls == "bar":
            self.bars += 1
        elif tag == "polyline" and cls == "series":
            self.series += 1
        elif tag == "tr" and cls:
            self.rows[cls] = self.rows.get(cls, 0) + 1
        for key in ("src", "href"):
            v = a.get(key) or ""
            if urlparse(v).scheme in ("http", "https"):
                self.external.append(v)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def main():
    root, dom = os.path.realpath(sys.argv[1]), sys.argv[2]
    page = Page()
    with open(dom, encoding="utf-8") as f:
        page.feed(f.read())
    problems = []

    def local(ref):
        path = os.path.realpath(os.path.join(root, unquote(urlparse(ref).path)))
        if not path.startswith(root + os.sep):
            problems.append(f"{ref} points outside the report folder")
        return path

    if "summary-table" not in page.ids and "no-results" not in page.ids:
        problems.append("no summary table")
    if page.rows.get("method", 0) == 0 and "no-results" not in page.ids:
        problems.append("the summary table has no method rows")
    if page.svgs == 0 or page.bars == 0 or page.series == 0:
        problems.append(f"charts missing: {page.svgs} svg, {page.bars} bars, {page.series} lines")
    if page.scripts:
        problems.append(f"{page.scripts} script elements")
    if page.external:
        problems.append(f"network references: {page.external}")
    for img in page.imgs:
        path = local(img.get("src", ""))
        size = png_size(path) if os.path.isfile(path) else None
        if size is None:
            problems.append(f"broken image {img.get('src')}")
        elif (str(size[0]), str(size[1])) != (img.get("width"), img.get("height")):
            problems.append(f"{img.get('src')} is {size[0]}x{size[1]}, the page says {img.get('width')}x{img.get('height')}")
    for href in page.links:
        if href.startswith("#"):
            if href[1:] not in page.ids:
                problems.append(f"anchor {href} has no target")
        elif not os.path.isfile(local(href)):
            problems.append(f"broken link {href}")
    print(f"report check: {page.rows.get('method', 0)} method rows, {page.rows.get('baseline', 0)} baselines, "
          f"{page.svgs} charts ({page.bars} bars, {page.series} lines), {len(page.imgs)} images, {len(page.links)} links")
    if problems:
        print("\n".join("FAIL: " + p for p in problems))
        sys.exit(1)
    print("report check: ok")


if __name__ == "__main__":
    main()
