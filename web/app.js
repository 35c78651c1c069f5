// web/app.js: glue between the page, the ImGui/WASM app (alzscan_app.js) and the inference worker.
//
// Public API (documented in web/README.md):
//   await window.alzscan.ready;                       // resolves once model + UI are up; rejects with the reason
//   const r = await window.alzscan.classify(fileOrBytes, {name, trueLabel});
//   // r = {file, label, index, probabilities: [4 numbers, model.json class order], classes,
//   //      ood: {flag, score, check, reason, scores} | null, cam: {height, width, maps} | null,
//   //      pose?, atrophy: {csf_fraction, by_slice, position, by_position, percentile} (as
//   //      `alzscan predict --json` prints it), timings: {preprocess_ms, inference_ms, total_ms}}
//   // A flagged input (ood.flag) is not classified: label null, index -1 (the UI says why).
//   // rejects with Error(message) where message is exactly what the UI shows next to the file.
//   window.alzscan.batchCsv()                          // the batch table as CSV text
//   window.alzscan.selection()                         // {index, count, zoom, panX}: what the UI shows
//   window.alzscan.chartDrawn()                        // {item, classes, points, caption}: the last frame's atrophy chart
//   window.alzscan.progressDrawn()                     // [0..1 per frame]: the progress card's bar since the last call
//   await window.alzscan.aggregate([[p...], ...])      // a scan's verdict from its slices' probabilities
//   await window.alzscan.classifyScan(volume | [files], {name, partner, series}) // {label, probabilities, slices:[...], how, notes, atrophy, timings}
//   //   volume: a .nii/.nii.gz/.mgh/.mgz/.hdr/.img File (partner: an Analyze pair's other file) or
//   //   bytes (taken as .nii/.nii.gz unless options.name names the format); [files]: DICOM files
//   //   (one series: options.series N, 1-based, else the only one or the one T1) or slice images
//   await window.alzscan.preprocess(bytes)             // Float32Array 1x1xHxW: the model's exact input
//   await window.alzscan.benchmarkInference(tensor, n, count) // [ms] of n back-to-back ORT runs of a count-slice batch (make bench-web)
//   await window.alzscan.testing.trap("decode" | "frame"); .restarts(); .liveModules()  // crash tests
//
// Data flow per file: bytes -> WASM (shared/ decode + preprocess, display texture) -> Float32Array
// 1x1xHxW -> worker (ORT Web) -> probabilities -> WASM (result panel, batch table) -> caller.
//
// The page's modules, by job: this file starts the page (bootstrap); web/supervisor.js keeps the app
// instance on screen and restarts it after a crash; web/canvas_app.js wraps the WASM app;
// web/classify.js and web/volume_open.js do the classify/scan work; web/model_check.js checks and
// starts the model; web/inference_client.js talks to the worker; web/api.js is window.alzscan;
// web/page_io.js fetches, reads and announces.

import { createApi } from "./api.js";
import { ModuleCrash } from "./canvas_app.js";
import { Classifier } from "./classify.js";
import { fetchModel, startModel } from "./model_check.js";
import { fetchOk, showFatal } from "./page_io.js";
import { chooseSeries } from "./series_dialog.js";
import { Supervisor } from "./supervisor.js";
import { droppedFiles } from "./volume_files.js";

const GALLERY_URL = "gallery/gallery.json";
const FONT_URL = "fonts/DejaVuSans.ttf";
const NO_GALLERY = '{"note": "No gallery in this build."}';

// The callbacks the C++ side calls (EM_JS): file and folder pickers, a gallery image, the CSV.
function makeHost(sup, classifier, gallery) {
  return {
    openFilePicker: () => document.getElementById("file-input").click(),
    openFolderPicker: () => document.getElementById("folder-input").click(),
    openGallery: async (index) => {
      const entry = gallery.entries[index];
      if (!entry) return;
      try {
        const bytes = new Uint8Array(await (await fetchOk(entry.file, "gallery")).arrayBuffer());
        await classifier.classify(bytes, { name: entry.file.split("/").pop(), trueLabel: entry.label });
      } catch { /* shown in the UI */ }
    },
    downloadCsv: (text) => {
      const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = "alzscan_batch.csv";
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    },
    batchCleared: () => { sup.rows.length = 0; },
  };
}

// The page's events into the live app: input wakes it, the wheel scrolls it, and a trap in one of
// the module's own DOM listeners (GLFW's mouse and key callbacks), which does not pass through
// CanvasApp.call, ends up in "error".
function listenToPage(sup) {
  for (const type of ["mousemove", "mousedown", "mouseup", "keydown", "keyup", "resize", "focus", "touchstart", "touchmove"])
    window.addEventListener(type, () => sup.onLive((a) => a.wake()), { passive: true, capture: true });
  // Wheel: normalised to notches here (DOM pixels/lines/pages -> +1 per notch up) and kept from
  // Emscripten's GLFW, which forwards raw, sign-inverted pixel deltas.
  window.addEventListener("wheel", (e) => {
    if (!sup.live || e.target !== sup.live.canvas) return;
    e.preventDefault();
    e.stopPropagation();
    const unit = e.deltaMode === 1 ? 1 / 3 : e.deltaMode === 2 ? 10 : 1 / 100;
    sup.onLive((a) => a.scroll(-e.deltaX * unit, -e.deltaY * unit));
  }, { passive: false, capture: true });
  window.addEventListener("error", (e) => {
    if (!sup.live || !(e.error instanceof WebAssembly.RuntimeError)) return;
    e.preventDefault();
    sup.live.crashed(e.error, "event");
  });
}

// The gallery's list into the app, then its images as they arrive (to whichever app is live).
function loadGallery(sup, app, galleryText, gallery) {
  app.setGallery(galleryText);
  sup.shown.galleryText = galleryText;
  try {
    const parsed = JSON.parse(galleryText);
    if (Array.isArray(parsed)) gallery.entries = parsed;
  } catch { /* the app shows its note */ }
  Promise.all(gallery.entries.map(async (entry, i) => {
    const r = await fetch(entry.file);
    if (!r.ok) return;
    const bytes = new Uint8Array(await r.arrayBuffer());
    const target = sup.live;
    if (target) {
      try { target.setGalleryImage(i, bytes); } catch (e) { if (e instanceof ModuleCrash) return; throw e; }
    }
    sup.shown.galleryImages[i] = bytes;  // while a restart runs (no live app) it shows it
  })).catch((e) => console.warn(`gallery: ${e.message}`));
}

// Files from the pickers and drops, once the model runs.
function acceptFiles(classifier) {
  const classifyFiles = (files) => classifier.classifyFiles(files, chooseSeries);
  for (const input of [document.getElementById("file-input"), document.getElementById("folder-input")]) {
    input.addEventListener("change", () => {
      const files = Array.from(input.files).filter((f) => !/(^|\/)\./.test(f.webkitRelativePath || f.name));   // no hidden files
      input.value = "";
      classifyFiles(files);
    });
  }
  window.addEventListener("dragover", (e) => { e.preventDefault(); document.body.classList.add("dragging"); });
  window.addEventListener("dragleave", () => document.body.classList.remove("dragging"));
  window.addEventListener("drop", (e) => {
    e.preventDefault();
    document.body.classList.remove("dragging");
    droppedFiles(e.dataTransfer).then(classifyFiles, (err) => console.warn(`drop: ${err.message}`));
  });
}

// Everything independent starts at once (WASM app, model.json, model.onnx, font, gallery); the
// UI runs first, then the model. -> what `ready` resolves to.
async function start(sup, classifier, session) {
  const gallery = { entries: [] };
  sup.host = makeHost(sup, classifier, gallery);
  const canvas = document.getElementById("canvas");
  const modulePromise = createAlzscanApp(sup.moduleOptions(canvas));
  const modelFiles = fetchModel();
  const fontPromise = fetch(FONT_URL).then((r) => (r.ok ? r.arrayBuffer() : null)).catch(() => null);
  const galleryPromise = fetch(GALLERY_URL).then((r) => (r.ok ? r.text() : NO_GALLERY)).catch(() => NO_GALLERY);

  const font = await fontPromise;
  if (font) sup.shown.font = new Uint8Array(font);
  let app = await sup.launch(canvas, modulePromise);
  sup.goLive(app);
  listenToPage(sup);
  canvas.focus();
  loadGallery(sup, app, await galleryPromise, gallery);

  const { model, jsonText, worker, info } = await startModel(app, modelFiles, (...args) => sup.setStatus(app, ...args));
  sup.shown.modelJson = jsonText;
  Object.assign(session, { worker, classes: model.classes, hasOod: Boolean(model.ood) });
  sup.shown.inputLength = app.inputLength = model.input.height * model.input.width;
  sup.setStatus(app, "Ready", "Ready", `ONNX Runtime Web ${info.ortVersion} · ${info.threads} thread${info.threads === 1 ? "" : "s"}`);
  if (app.crash) throw app.crash;  // before ready, a crash is the start's failure
  sup.started = true;
  // Only sup.live names the app from now on: holding the first instance here would keep a crashed
  // instance's memory alive after a restart.
  app = null;
  acceptFiles(classifier);
  return { ortVersion: info.ortVersion, threads: info.threads, crossOriginIsolated: self.crossOriginIsolated, classes: model.classes.slice() };
}

function createAlzscan() {
  const sup = new Supervisor();
  const session = { worker: null, classes: [], hasOod: false };   // the model's, once it runs
  let resolveReady, rejectReady;
  const ready = new Promise((res, rej) => { resolveReady = res; rejectReady = rej; });
  ready.catch(() => {});  // callers handle it; no unhandled-rejection noise
  const classifier = new Classifier(sup, session, ready);
  start(sup, classifier, session).then((info) => {
    performance.mark("alzscan-ready");
    resolveReady(info);
  }, (e) => {
    console.warn(`alzscan: ${e.message}`);
    // Without a running UI (no module, no WebGL2, or it crashed) only plain HTML can say why.
    if (!sup.live) showFatal(e.message);
    rejectReady(e);
  });
  return createApi({ sup, classifier, session, ready });
}

window.alzscan = createAlzscan();

// Offline: a service worker caches every asset of this build (sw.js lists them).
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("sw.js").catch((e) => console.warn(`service worker: ${e.message}`));
}
