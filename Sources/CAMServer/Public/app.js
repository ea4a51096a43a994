// CAMKit web page: plain JavaScript, no dependencies, no build step.
//
// The server computes each map once per image (POST /api/explain) and returns it normalised,
// at the map size, as an 8-bit grayscale PNG. Colour map and opacity are applied here, in a
// canvas, with the server's own OpenCV colour tables (GET /api/colormaps). A new threshold or
// normalisation asks GET /api/results/{id}, which re-boxes the cached maps without a network pass.
"use strict";

const METHOD_NAMES = {
  cam: "CAM", gradcam: "Grad-CAM", "gradcam++": "Grad-CAM++", xgradcam: "XGrad-CAM",
  layercam: "LayerCAM", hirescam: "HiResCAM", scorecam: "Score-CAM", eigencam: "Eigen-CAM",
};
const PAGE_SIZE = 24;

const S = {
  model: null,
  luts: {},
  datasetCount: 0,
  page: 0,
  source: null,        // {kind: "upload", file} or {kind: "sample", index}
  sourceImage: null,   // decoded image for display
  result: null,        // last explain / results response
  grays: [],           // per map: Uint8ClampedArray of mapWidth * mapHeight values
  original: null,      // ImageData of the image at the map size
  seq: 0,
  boxSeq: 0,
};

const $ = (id) => document.getElementById(id);

function setState(state, text) {
  document.body.dataset.state = state;
  if (text !== undefined) $("status").textContent = text;
}

function showError(err) {
  const box = $("error");
  if (!err) { box.hidden = true; box.textContent = ""; return; }
  box.hidden = false;
  box.textContent = "";
  const strong = document.createElement("strong");
  strong.textContent = err.status ? `${err.status} ${err.code || ""}` : "Error";
  const msg = document.createElement("span");
  msg.textContent = " " + (err.message || String(err));
  box.append(strong, msg);
  if (Array.isArray(err.valid) && err.valid.length) {
    const v = document.createElement("div");
    v.className = "small";
    const shown = err.valid.slice(0, 40).join(", ");
    v.textContent = "Valid: " + shown + (err.valid.length > 40 ? ` … (${err.valid.length} in all)` : "");
    box.append(v);
  }
}

async function api(url, options = {}, retries = 2) {
  const response = await fetch(url, options);
  const type = response.headers.get("Content-Type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  if (response.ok) return body;
  const err = (body && body.error) ? body.error : { status: response.status, message: String(body).slice(0, 200) };
  if (response.status === 503 && retries > 0) {
    const wait = Number(response.headers.get("Retry-After") || err.retryAfter || 1);
    setState("busy", `Server busy — retrying in ${wait} s…`);
    await new Promise((r) => setTimeout(r, wait * 1000));
    return api(url, options, retries - 1);
  }
  throw err;
}

function debounce(fn, ms) {
  let t = null;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

// ---------- setup ----------

async function init() {
  try {
    const [model, maps, layers] = await Promise.all([api("/api/model"), api("/api/colormaps"), api("/api/layers")]);
    model.layersList = layers.layers;
    S.model = model;
    S.luts = maps.colormaps;
    $("model-line").textContent =
      `${model.file} · ${model.layout} ResNet · ${model.classes} classes · input ${model.inputSize}px · ${model.preprocessing} preprocessing`;
    buildControls(model, maps.default);
    if (model.dataset) {
      $("tab-dataset").hidden = false;
      S.datasetCount = model.dataset.count;
      $("dataset-name").textContent = `${model.dataset.name} · ${model.dataset.count} images`;
    }
    setState("idle", "");
  } catch (e) {
    showError(e);
    setState("error", "The server did not answer.");
  }
}

function buildControls(model, defaultMap) {
  const methods = $("methods");
  for (const m of model.methods) {
    const label = document.createElement("label");
    label.className = "chip";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = m;
    box.id = "method-" + m.replace(/\+/g, "p");
    box.checked = model.defaults.methods.includes(m);
    box.addEventListener("change", () => { if (!selectedMethods().length) box.checked = true; rerun(); });
    label.append(box, document.createTextNode(" " + (METHOD_NAMES[m] || m)));
    methods.append(label);
  }
  const layers = $("layers");
  // Stage outputs first (what people usually pick), then every other tappable layer.
  const stage = /^(layer\d+|conv\d+_block\d+_out|conv\d+_relu|relu|maxpool|pool1_pool)$/;
  const groups = [["Stage outputs", (n) => stage.test(n)], ["All layers", (n) => !stage.test(n)]];
  for (const [title, keep] of groups) {
    const g = document.createElement("optgroup");
    g.label = title;
    for (const l of model.layersList || []) if (keep(l.name)) g.append(new Option(`${l.name}  ${shapeText(l.shape)}`, l.name));
    if (g.children.length) layers.append(g);
  }
  for (const o of layers.options) o.selected = model.defaults.layers.includes(o.value);
  layers.addEventListener("change", () => { if (!selectedLayers().length) selectDefaultLayer(); rerun(); });

  const norm = $("normalize");
  for (const n of model.normalizations) norm.append(new Option(n === "minMax" ? "min-max (keeps negatives)" : n === "standard" ? "standard (ReLU, min-max)" : "tutorial (÷ max)", n));
  norm.value = model.defaults.normalize;
  norm.addEventListener("change", () => rerender(true));

  $("score").value = model.defaults.score;
  $("score").addEventListener("change", rerun);
  $("class-select").addEventListener("change", rerun);
  $("faithfulness").addEventListener("change", rerun);

  const cmap = $("colormap");
  for (const name of model.colormaps) if (S.luts[name]) cmap.append(new Option(name, name));
  cmap.value = defaultMap;
  cmap.addEventListener("change", drawAll);

  $("alpha").value = model.defaults.alpha;
  $("alpha").addEventListener("input", () => { $("alpha-value").textContent = Number($("alpha").value).toFixed(2); drawAll(); });
  $("alpha-value").textContent = Number(model.defaults.alpha).toFixed(2);
  $("threshold").value = model.defaults.threshold;
  $("threshold-value").textContent = Number(model.defaults.threshold).toFixed(2);
  $("threshold").addEventListener("input", () => {
    $("threshold-value").textContent = Number($("threshold").value).toFixed(2);
    drawAll();               // the dimmed region follows the slider at once
    reboxSoon();             // boxes and IoU from the server's cache
  });

  $("file-input").addEventListener("change", (e) => { if (e.target.files[0]) useFile(e.target.files[0]); });
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files[0]) useFile(e.dataTransfer.files[0]);
  });
  $("truth").addEventListener("change", () => { if (S.source && S.source.kind === "upload") rerun(); });

  $("tab-upload").addEventListener("click", () => showTab("upload"));
  $("tab-dataset").addEventListener("click", () => { showTab("dataset"); if (!$("grid").children.length) loadPage(0); });
  $("prev-page").addEventListener("click", () => loadPage(S.page - 1));
  $("next-page").addEventListener("click", () => loadPage(S.page + 1));
}

function shapeText(shape) { return "(" + shape.map((d) => (d === null ? "None" : d)).join(", ") + ")"; }
function selectedMethods() { return [...document.querySelectorAll("#methods input:checked")].map((b) => b.value); }
function selectedLayers() { return [...$("layers").selectedOptions].map((o) => o.value); }
function selectDefaultLayer() { for (const o of $("layers").options) o.selected = S.model.defaults.layers.includes(o.value); }

function showTab(which) {
  for (const t of ["upload", "dataset"]) {
    $("tab-" + t).classList.toggle("active", t === which);
    $("tab-" + t).setAttribute("aria-selected", String(t === which));
    $("pane-" + t).hidden = t !== which;
  }
}

// ---------- dataset ----------

async function loadPage(page) {
  const pages = Math.max(1, Math.ceil(S.datasetCount / PAGE_SIZE));
  page = Math.min(Math.max(0, page), pages - 1);
  try {
    const data = await api(`/api/dataset/samples?offset=${page * PAGE_SIZE}&limit=${PAGE_SIZE}`);
    S.page = page;
    const grid = $("grid");
    grid.textContent = "";
    for (const s of data.samples) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "thumb";
      b.dataset.index = s.index;
      b.title = `#${s.index} ${s.id} · ${s.className}`;
      const img = document.createElement("img");
      img.loading = "lazy";
      img.alt = s.className;
      img.src = `/api/dataset/samples/${s.index}/thumbnail?size=160`;
      const cap = document.createElement("span");
      cap.textContent = s.className;
      b.append(img, cap);
      b.addEventListener("click", () => useSample(s.index));
      if (S.source && S.source.kind === "sample" && S.source.index === s.index) b.classList.add("selected");
      grid.append(b);
    }
    $("page-label").textContent = `${data.offset + 1}–${data.offset + data.samples.length} of ${data.total}`;
    $("prev-page").disabled = page === 0;
    $("next-page").disabled = page >= pages - 1;
  } catch (e) { showError(e); }
}

// ---------- explaining ----------

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject({ message: "the browser cannot display this image" });
    img.src = url;
  });
}

async function useFile(file) {
  if (S.sourceURL) URL.revokeObjectURL(S.sourceURL);
  S.sourceURL = URL.createObjectURL(file);
  S.source = { kind: "upload", file };
  S.sourceImage = null;
  $("class-select").value = "auto";
  for (const t of document.querySelectorAll(".thumb.selected")) t.classList.remove("selected");
  await explain();
}

async function useSample(index) {
  S.source = { kind: "sample", index };
  S.sourceImage = null;
  $("truth").value = "";
  $("class-select").value = "auto";
  for (const t of document.querySelectorAll(".thumb")) t.classList.toggle("selected", Number(t.dataset.index) === index);
  await explain();
}

const rerun = debounce(() => { if (S.source) explain(); }, 200);

function explainQuery() {
  const q = new URLSearchParams();
  q.set("methods", selectedMethods().join(","));
  q.set("layers", selectedLayers().join(","));
  q.set("class", $("class-select").value || "auto");
  q.set("score", $("score").value);
  q.set("normalize", $("normalize").value);
  q.set("threshold", $("threshold").value);
  if ($("faithfulness").checked) q.set("faithfulness", "true");
  return q;
}

async function explain() {
  const seq = ++S.seq;
  showError(null);
  setState("busy", "Explaining…");
  const q = explainQuery();
  let options = { method: "POST" };
  if (S.source.kind === "upload") {
    const truth = $("truth").value.trim();
    if (truth) q.set("truth", truth);
    options.body = S.source.file;
    options.headers = { "Content-Type": S.source.file.type || "application/octet-stream" };
  } else {
    q.set("sample", String(S.source.index));
  }
  try {
    const result = await api("/api/explain?" + q.toString(), options);
    if (seq !== S.seq) return;
    if (!S.sourceImage) {
      const url = S.source.kind === "upload" ? S.sourceURL : `/api/dataset/samples/${S.source.index}/image`;
      S.sourceImage = await loadImage(url);
    }
    if (seq !== S.seq) return;
    await show(result);
    setState("ready", `Ready · ${result.maps.length} map${result.maps.length === 1 ? "" : "s"}`);
  } catch (e) {
    if (seq !== S.seq) return;
    showError(e);
    setState("error", "");
  }
}

// A new normalisation (with maps) or threshold (boxes only) from the server's cache.
async function rerender(withMaps) {
  if (!S.result) return;
  const seq = withMaps ? ++S.seq : S.seq;
  const boxSeq = ++S.boxSeq;
  const q = new URLSearchParams({ normalize: $("normalize").value, threshold: $("threshold").value, maps: withMaps ? "png" : "none" });
  try {
    const result = await api(`/api/results/${S.result.id}?${q}`);
    if (seq !== S.seq || boxSeq !== S.boxSeq) return;
    if (withMaps) {
      await show(result);
    } else {
      result.maps.forEach((m, i) => { Object.assign(S.result.maps[i], { boxes: m.boxes, noBox: m.noBox, iou: m.iou }); });
      S.result.threshold = result.threshold;
      updateCaptions();
      drawAll();
    }
    setState("ready", `Ready · threshold ${Number(result.threshold).toFixed(2)}`);
  } catch (e) {
    if (e && e.code === "result_expired" && S.source) return explain();
    showError(e);
  }
}
const reboxSoon = debounce(() => rerender(false), 120);

async function show(result) {
  const W = result.image.mapWidth, H = result.image.mapHeight;
  // The image at the map size, once.
  const c = document.createElement("canvas");
  c.width = W; c.height = H;
  const ctx = c.getContext("2d", { willReadFrequently: true });
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(S.sourceImage, 0, 0, W, H);
  S.original = ctx.getImageData(0, 0, W, H);
  // Maps: grayscale PNG -> one byte per pixel.
  S.grays = await Promise.all(result.maps.map(async (m) => {
    if (!m.png) return null;
    const img = await loadImage("data:image/png;base64," + m.png);
    ctx.clearRect(0, 0, W, H);
    ctx.drawImage(img, 0, 0, W, H);
    const rgba = ctx.getImageData(0, 0, W, H).data;
    const g = new Uint8ClampedArray(W * H);
    for (let i = 0; i < g.length; i++) g[i] = rgba[4 * i];
    return g;
  }));
  S.result = result;
  buildSummary(result);
  buildCards(result);
  drawAll();
  const t = result.timing;
  const skipped = (result.skipped || []).length ? ` · CAM is made at ${S.model.lastFeatureLayer} only` : "";
  $("timing").textContent = `${result.image.width}×${result.image.height} image, maps at ${W}×${H} · ` +
    `waited ${t.waitMs} ms · network ${t.networkMs} ms · render ${t.renderMs} ms${skipped}`;
}

function pct(p) { return (100 * p).toFixed(p >= 0.1 ? 1 : 2) + "%"; }

function buildSummary(r) {
  $("empty").hidden = true;
  $("summary").hidden = false;
  $("toolbar").hidden = false;
  const src = r.sample ? `Dataset #${r.sample.index} · ${r.sample.id} · label ${r.sample.className} (${r.sample.label})`
                       : `Upload · ${S.source.file.name || "image"}`;
  $("image-line").textContent = `${src} · ${r.image.width}×${r.image.height}`;
  const list = $("predictions");
  list.textContent = "";
  const explained = r.maps.length ? r.maps[0].class : null;
  for (const p of r.predictions) {
    const li = document.createElement("li");
    li.className = "pred" + (p.class === explained ? " explained" : "") + (r.sample && p.class === r.sample.label ? " truth" : "");
    li.title = "Explain this class";
    const name = document.createElement("span");
    name.className = "pred-name";
    name.textContent = `${p.name} (${p.class})`;
    const bar = document.createElement("span");
    bar.className = "bar";
    const fill = document.createElement("span");
    fill.style.width = Math.max(1, Math.round(100 * p.probability)) + "%";
    bar.append(fill);
    const val = document.createElement("span");
    val.className = "pred-p";
    val.textContent = pct(p.probability);
    li.append(name, bar, val);
    li.addEventListener("click", () => { $("class-select").value = String(p.class); rerun(); });
    list.append(li);
  }
  // Class menu: predicted, the top five with probabilities, then every class.
  const sel = $("class-select");
  const keep = sel.value;
  sel.textContent = "";
  const top = r.predictions[0];
  sel.append(new Option(`Predicted — ${top.name} (${pct(top.probability)})`, "auto"));
  const g1 = document.createElement("optgroup");
  g1.label = "Top 5";
  for (const p of r.predictions) g1.append(new Option(`${p.name} (${p.class}) — ${pct(p.probability)}`, String(p.class)));
  sel.append(g1);
  const g2 = document.createElement("optgroup");
  g2.label = "All classes";
  const inTop = new Set(r.predictions.map((p) => p.class));
  S.model.classNames.forEach((n, i) => { if (!inTop.has(i)) g2.append(new Option(`${n} (${i})`, String(i))); });
  if (g2.children.length) sel.append(g2);
  sel.value = keep;
  if (sel.value !== keep) sel.value = "auto";
}

function buildCards(r) {
  const root = $("maps");
  root.textContent = "";
  r.maps.forEach((m, i) => {
    const card = document.createElement("article");
    card.className = "card";
    card.dataset.index = i;
    card.dataset.method = m.method;
    card.dataset.layer = m.layer;
    const head = document.createElement("header");
    const h = document.createElement("h3");
    h.textContent = `${METHOD_NAMES[m.method] || m.method} · ${m.layer}`;
    const p = document.createElement("p");
    p.className = "caption";
    head.append(h, p);
    const row = document.createElement("div");
    row.className = "triptych";
    for (const [cls, label] of [["c-orig", "Original"], ["c-map", "Map"], ["c-boxes", "Boxes"]]) {
      const fig = document.createElement("figure");
      const cv = document.createElement("canvas");
      cv.className = cls;
      cv.width = r.image.mapWidth;
      cv.height = r.image.mapHeight;
      const cap = document.createElement("figcaption");
      cap.textContent = label;
      fig.append(cv, cap);
      row.append(fig);
    }
    card.append(head, row);
    if (m.faithfulness) card.append(faithfulnessBlock(m.faithfulness));
    root.append(card);
  });
  updateCaptions();
}

// Drop/increase in confidence and the deletion curve of one map (docs/PROTOCOLS.md, Faithfulness).
function faithfulnessBlock(f) {
  const block = document.createElement("div");
  block.className = "faith";
  block.dataset.drop = f.drop.toFixed(6);
  block.dataset.increase = String(f.increase);
  block.dataset.deletion = f.deletion.toFixed(6);
  const text = document.createElement("p");
  text.className = "caption";
  text.textContent = `Faithfulness: score ${pct(f.score)} → ${pct(f.maskedScore)} on image × map · drop ${f.drop.toFixed(3)}` +
    ` · increase ${f.increase ? "yes" : "no"} · deletion AUC ${f.deletion.toFixed(3)} (lower is better)`;
  block.append(text, deletionChart(f.fractions, f.deletionCurve));
  return block;
}

function deletionChart(xs, ys) {
  const NS = "http://www.w3.org/2000/svg", W = 240, H = 90, pad = 6;
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("class", "deletion-curve");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "Deletion curve: the class score as the most relevant pixels are removed");
  const top = Math.max(1e-6, ...ys);
  const pts = xs.map((x, i) => `${(pad + x * (W - 2 * pad)).toFixed(1)},${(H - pad - (ys[i] / top) * (H - 2 * pad)).toFixed(1)}`);
  const axis = document.createElementNS(NS, "polyline");
  axis.setAttribute("points", `${pad},${pad} ${pad},${H - pad} ${W - pad},${H - pad}`);
  axis.setAttribute("class", "axis");
  const line = document.createElementNS(NS, "polyline");
  line.setAttribute("points", pts.join(" "));
  line.setAttribute("class", "series");
  line.dataset.points = String(pts.length);
  const title = document.createElementNS(NS, "title");
  title.textContent = "score versus fraction of pixels removed, most relevant first";
  svg.append(title, axis, line);
  return svg;
}

function updateCaptions() {
  const r = S.result;
  document.querySelectorAll("#maps .card").forEach((card, i) => {
    const m = r.maps[i];
    let text = `class ${m.class} · ${m.className} · p = ${pct(m.probability)} · `;
    text += m.boxes.length ? `${m.boxes.length} box${m.boxes.length > 1 ? "es" : ""}` : `no box (${m.noBox})`;
    if (m.iou !== undefined && m.iou !== null) text += ` · IoU ${m.iou.toFixed(3)}`;
    card.querySelector(".caption").textContent = text;
    card.dataset.boxes = String(m.boxes.length);
    card.dataset.iou = m.iou === undefined || m.iou === null ? "" : m.iou.toFixed(4);
    card.dataset.threshold = String(r.threshold);
  });
}

// ---------- drawing ----------

function drawAll() {
  if (!S.result || !S.original) return;
  const r = S.result;
  const W = r.image.mapWidth, H = r.image.mapHeight;
  const lut = S.luts[$("colormap").value] || S.luts.jet;
  const alpha = Number($("alpha").value);
  const t = Number($("threshold").value);
  const src = S.original.data;
  document.querySelectorAll("#maps .card").forEach((card, i) => {
    const gray = S.grays[i];
    card.querySelector(".c-orig").getContext("2d").putImageData(S.original, 0, 0);
    const mapCtx = card.querySelector(".c-map").getContext("2d");
    const boxCtx = card.querySelector(".c-boxes").getContext("2d");
    if (!gray) return;
    // Overlay: heat * alpha + image * (1 - alpha), as cv2.addWeighted.
    const over = mapCtx.createImageData(W, H);
    const dim = boxCtx.createImageData(W, H);
    let max = 0;
    for (let k = 0; k < gray.length; k++) if (gray[k] > max) max = gray[k];
    const cut = t * max;
    const o = over.data, d = dim.data;
    for (let k = 0, p = 0; k < gray.length; k++, p += 4) {
      const v = gray[k] * 3;
      o[p] = lut[v] * alpha + src[p] * (1 - alpha);
      o[p + 1] = lut[v + 1] * alpha + src[p + 1] * (1 - alpha);
      o[p + 2] = lut[v + 2] * alpha + src[p + 2] * (1 - alpha);
      o[p + 3] = 255;
      // Boxes panel: the image, dimmed where the map is at or below the threshold.
      const keep = max > 0 && gray[k] > cut ? 1 : 0.35;
      d[p] = src[p] * keep; d[p + 1] = src[p + 1] * keep; d[p + 2] = src[p + 2] * keep; d[p + 3] = 255;
    }
    mapCtx.putImageData(over, 0, 0);
    boxCtx.putImageData(dim, 0, 0);
    const lw = Math.max(2, Math.round(Math.min(W, H) / 110));
    const m = r.maps[i];
    const rect = (b, color, dash) => {
      boxCtx.save();
      boxCtx.strokeStyle = color;
      boxCtx.lineWidth = lw;
      if (dash) boxCtx.setLineDash([lw * 3, lw * 2]);
      boxCtx.strokeRect(b[1] * W + lw / 2, b[0] * H + lw / 2, (b[3] - b[1]) * W - lw, (b[2] - b[0]) * H - lw);
      boxCtx.restore();
    };
    for (const g of r.truth) rect(g, "#22c55e", true);
    for (const b of m.boxes) rect(b.box, "#ef4444", false);
  });
}

init();
