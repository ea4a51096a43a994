#!/usr/bin/env python3
"""End-to-end test of `camkit serve`'s page in headless Chromium (run by tools/web_e2e.sh).

Drives the page as a person would: uploads an image with the file picker, changes the method,
the layer and the box threshold, checks the maps and boxes drawn in the canvases after each
step, opens a dataset image and checks its IoU, and writes screenshots (desktop and phone width).

Usage: web_e2e.py BASE_URL IMAGE SCREENSHOT [PHONE_SCREENSHOT]
Needs: selenium (tools/requirements-web.txt, in tools/.venv-web, which tools/web_e2e.sh creates:
`python3 -m venv tools/.venv-web && tools/.venv-web/bin/pip install -r tools/requirements-web.txt`),
Debian's chromium and chromium-driver.
"""
import json
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE, IMAGE, SHOT = sys.argv[1], sys.argv[2], sys.argv[3]
PHONE_SHOT = sys.argv[4] if len(sys.argv) > 4 else None
TIMEOUT = 60
checks = []


def check(name, ok, detail=""):
    checks.append((name, bool(ok)))
    print(("PASS" if ok else "FAIL") + f"  {name}" + (f"  ({detail})" if detail else ""), flush=True)
    if not ok:
        raise SystemExit(finish(1))


def finish(code):
    passed = sum(1 for _, ok in checks if ok)
    print(f"{passed} passed, {len(checks) - passed} failed")
    return code


options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,960",
            "--force-device-scale-factor=1", "--hide-scrollbars"]:
    options.add_argument(arg)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
wait = WebDriverWait(driver, TIMEOUT)


def state():
    return driver.execute_script("return document.body.dataset.state")


def wait_ready(after_seq=None):
    """Waits for the page to finish a request (data-state ready) and returns S.seq."""
    def done(_):
        s = state()
        if s == "error":
            raise AssertionError("page error: " + driver.find_element(By.ID, "error").text)
        seq = driver.execute_script("return S.seq")
        return s == "ready" and (after_seq is None or seq > after_seq)
    wait.until(done)
    return driver.execute_script("return S.seq")


# What the canvases show: per card, method, layer, box count, IoU, whether the map is non-blank,
# and how many red box pixels the boxes panel has.
INSPECT = """
return [...document.querySelectorAll('#maps .card')].map(card => {
  const px = (sel) => { const c = card.querySelector(sel); return c.getContext('2d').getImageData(0, 0, c.width, c.height).data; };
  const map = px('.c-map'), orig = px('.c-orig'), boxes = px('.c-boxes');
  let differs = 0, red = 0, min = 255, max = 0, diff = 0;
  for (let i = 0; i < map.length; i += 4) {
    diff += Math.abs(map[i] - orig[i]) + Math.abs(map[i+1] - orig[i+1]) + Math.abs(map[i+2] - orig[i+2]);
    if (Math.abs(map[i] - orig[i]) + Math.abs(map[i+1] - orig[i+1]) + Math.abs(map[i+2] - orig[i+2]) > 30) differs++;
    if (boxes[i] > 200 && boxes[i+1] < 90 && boxes[i+2] < 90) red++;
    const g = map[i+1]; if (g < min) min = g; if (g > max) max = g;
  }
  return {method: card.dataset.method, layer: card.dataset.layer, boxes: Number(card.dataset.boxes),
          iou: card.dataset.iou, threshold: Number(card.dataset.threshold), caption: card.querySelector('.caption').textContent,
          width: card.querySelector('.c-map').width, coloured: differs / (map.length / 4), red: red, spread: max - min,
          meanDiff: diff / (map.length / 4)};
});
"""


def cards():
    return driver.execute_script(INSPECT)


try:
    driver.get(BASE + "/")
    wait.until(lambda d: state() == "idle")
    check("page loads and reads the model", "classes" in driver.find_element(By.ID, "model-line").text,
          driver.find_element(By.ID, "model-line").text)

    # 1. Upload with the file picker.
    driver.find_element(By.ID, "file-input").send_keys(IMAGE)
    seq = wait_ready()
    c = cards()
    check("upload shows one map (default Grad-CAM at the last layer)", len(c) == 1 and c[0]["method"] == "gradcam", json.dumps(c))
    check("the map is coloured over the image", c[0]["coloured"] > 0.2 and c[0]["spread"] > 40, f"{c[0]['coloured']:.2f} of pixels")
    check("boxes are drawn", c[0]["boxes"] >= 1 and c[0]["red"] > 20, f"{c[0]['boxes']} box(es), {c[0]['red']} red pixels")
    preds = driver.find_elements(By.CSS_SELECTOR, "#predictions li")
    check("top-5 predictions are listed with probabilities", len(preds) == 5 and "%" in preds[0].text, preds[0].text)
    options_text = [o.text for o in Select(driver.find_element(By.ID, "class-select")).options]
    check("the class menu lists the top 5", options_text[0].startswith("Predicted") and len(options_text) >= 6, options_text[0])

    # 2. Change the method: Grad-CAM off, LayerCAM on.
    driver.find_element(By.CSS_SELECTOR, "label.chip:has(#method-layercam)").click()
    seq = wait_ready(seq)
    driver.find_element(By.CSS_SELECTOR, "label.chip:has(#method-gradcam)").click()
    seq = wait_ready(seq)
    c = cards()
    check("changing the method recomputes the maps", [x["method"] for x in c] == ["layercam"], json.dumps([x["method"] for x in c]))
    check("the new map is drawn", c[0]["coloured"] > 0.2, f"{c[0]['coloured']:.2f}")

    # 3. Change the layer: layer3 and layer4.
    layers = Select(driver.find_element(By.ID, "layers"))
    layer_names = [o.get_attribute("value") for o in layers.options]
    target = "layer3" if "layer3" in layer_names else layer_names[-2]
    driver.execute_script("""
      const sel = document.getElementById('layers');
      for (const o of sel.options) o.selected = (o.value === arguments[0] || o.value === arguments[1]);
      sel.dispatchEvent(new Event('change'));""", target, driver.execute_script("return S.model.lastFeatureLayer"))
    seq = wait_ready(seq)
    c = cards()
    check("changing the layers gives one map per layer", sorted(x["layer"] for x in c) == sorted([target, driver.execute_script("return S.model.lastFeatureLayer")]),
          json.dumps([x["layer"] for x in c]))
    check("every map is drawn", all(x["coloured"] > 0.1 for x in c), json.dumps([round(x["coloured"], 2) for x in c]))

    # 4. Move the threshold: boxes are recomputed from the server's cache, the network does not run again.
    COUNT = "return performance.getEntriesByType('resource').filter(e => e.name.includes(arguments[0])).length"
    BOXES = "return S.result.maps.map(m => m.boxes.map(b => b.box))"
    AREA = lambda boxes: [max([(b[2] - b[0]) * (b[3] - b[1]) for b in bs], default=0) for bs in boxes]
    explains = driver.execute_script(COUNT, "/api/explain")
    before = cards()
    boxes_before = driver.execute_script(BOXES)
    driver.execute_script("""
      const t = document.getElementById('threshold'); t.value = '0.75';
      t.dispatchEvent(new Event('input'));""")
    wait.until(lambda d: all(abs(x["threshold"] - 0.75) < 1e-9 for x in cards()))
    after = cards()
    check("a new threshold re-boxes from the cache, without a new explain request",
          driver.execute_script(COUNT, "/api/explain") == explains and driver.execute_script(COUNT, "/api/results/") >= 1)
    boxes_after = driver.execute_script(BOXES)
    a0, a1 = AREA(boxes_before), AREA(boxes_after)
    check("the boxes shrink as the threshold rises, and are redrawn",
          all(y <= x + 1e-9 for x, y in zip(a0, a1)) and any(y < x for x, y in zip(a0, a1))
          and [x["red"] for x in after] != [x["red"] for x in before],
          f"largest box areas {[round(x, 3) for x in a0]} -> {[round(x, 3) for x in a1]}")

    # 5. Opacity is applied in the page: the map panel changes, nothing is requested.
    requests = driver.execute_script("return performance.getEntriesByType('resource').length")
    driver.execute_script("""
      const a = document.getElementById('alpha'); a.value = '0.9'; a.dispatchEvent(new Event('input'));""")
    c2 = cards()
    check("opacity re-colours in the page without a request",
          c2[0]["meanDiff"] > after[0]["meanDiff"] * 1.3 and driver.execute_script("return performance.getEntriesByType('resource').length") == requests,
          f"mean |overlay - image| {after[0]['meanDiff']:.1f} -> {c2[0]['meanDiff']:.1f}")

    # 6. A dataset image: its IoU against the ground truth.
    if driver.find_element(By.ID, "tab-dataset").is_displayed():
        driver.find_element(By.ID, "tab-dataset").click()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#grid .thumb")) > 0)
        driver.execute_script("""
          const t = document.getElementById('threshold'); t.value = '0.3'; t.dispatchEvent(new Event('input'));
          const a = document.getElementById('alpha'); a.value = '0.5'; a.dispatchEvent(new Event('input'));""")
        driver.find_elements(By.CSS_SELECTOR, "#grid .thumb")[1].click()
        seq = wait_ready(seq)
        c = cards()
        check("a dataset image shows its IoU", all(x["iou"] != "" for x in c), " | ".join(x["caption"] for x in c))
        green = driver.execute_script("""
          const c = document.querySelector('#maps .card .c-boxes'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i+1] > 150 && d[i] < 90 && d[i+2] < 140) n++; return n;""")
        check("the ground-truth box is drawn", green > 20, f"{green} green pixels")

    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(SHOT)
    check("screenshot written", True, SHOT)
    if PHONE_SHOT:
        driver.set_window_size(390, 1400)
        time.sleep(0.5)
        driver.save_screenshot(PHONE_SHOT)
        check("phone-width screenshot written", True, PHONE_SHOT)
except SystemExit:
    driver.quit()
    raise
except Exception as e:  # a timeout or an assertion from the page
    print("FAIL  " + repr(e))
    checks.append(("unexpected", False))
    driver.quit()
    sys.exit(finish(1))
driver.quit()
sys.exit(finish(0))
