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
// A crash of the WASM app (a trap) discards that instance: the file it was on and any file still
// waiting for its result fail with a message, and a new instance on a new canvas gets the model,
// gallery, status and the rows before it (results, no images) from the copies kept here.

import { readDicom } from "./dicom.js";
import { checkModelDigest } from "./model_digest.js";
import { chooseSeries } from "./series_dialog.js";
import { droppedFiles, looksDicom, sortFiles } from "./volume_files.js";

const MODEL_JSON_URL = "model/model.json";
const MODEL_ONNX_URL = "model/model.onnx";
const GALLERY_URL = "gallery/gallery.json";
const FONT_URL = "fonts/DejaVuSans.ttf";
// Larger files are refused before they are copied into WASM memory (8192x8192 RGBA PNG ~ 256 MB
// is already beyond what shared/ decodes).
const MAX_FILE_BYTES = 256e6;
// A volume file (one of an Analyze pair), as the CLI's reader (native/commands/predictor.cpp).
const MAX_VOLUME_FILE_BYTES = 256 * 1048576;

// ORT Web threads need cross-origin isolation. One core stays free for the UI thread: on the
// 2-vCPU machine of BENCHMARKS.md, 2 threads make back-to-back inference 1.7x faster but the
// app's classify() slower (8.3 vs 7.3 ms), because the canvas draws in between.
// `?threads=N` overrides it (1..hardwareConcurrency) for measurements (make bench-web --threads).
function inferenceThreads() {
  if (!self.crossOriginIsolated) return 1;
  const cores = Math.max(1, navigator.hardwareConcurrency || 1);
  const asked = Number(new URLSearchParams(location.search).get("threads"));
  if (Number.isInteger(asked) && asked >= 1) return Math.min(asked, cores);
  return Math.max(1, Math.min(4, cores - 1));
}

class InferenceClient {
  constructor(url) {
    this.worker = new Worker(url, { type: "module" });
    this.pending = new Map();
    this.readyPromise = new Promise((resolve, reject) => { this.onReady = resolve; this.onInitError = reject; });
    this.worker.onmessage = (event) => this.dispatch(event.data);
    this.worker.onerror = (event) => {
      const message = `inference worker failed to start: ${event.message || "script error"}`;
      this.onInitError(new Error(message));
      for (const { reject } of this.pending.values()) reject(new Error(message));
      this.pending.clear();
    };
  }
  dispatch(msg) {
    if (msg.type === "ready") this.onReady(msg);
    else if (msg.type === "init-error") this.onInitError(new Error(msg.message));
    else {
      const waiter = this.pending.get(msg.id);
      if (!waiter) return;
      this.pending.delete(msg.id);
      if (msg.type === "result") waiter.resolve(msg);
      else waiter.reject(new Error(msg.message));
    }
  }
  init(config, transfer = []) {
    this.worker.postMessage({ type: "init", ...config }, transfer);
    return this.readyPromise;
  }
  bench(id, tensor, runs, count = 1) {
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: "bench", id, tensor, runs, count });
    });
  }
  // count slices of H x W in `tensor` (N,1,H,W), one ORT run -> {count, probabilities, features, cam, inferenceMs}
  run(id, tensor, count = 1) {
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: "run", id, tensor, count }, [tensor.buffer]);
    });
  }
}

// A crash inside the WASM app: a trap (WebAssembly.RuntimeError "unreachable", "memory access out
// of bounds"), an abort() or an uncaught C++ exception. Its memory can no longer be trusted: the
// page discards that instance and starts a new one (createAlzscan's restart).
class ModuleCrash extends Error {
  constructor(cause) {
    const what = cause instanceof Error ? `${cause.name}: ${cause.message}`
      : typeof cause === "number" ? "an uncaught C++ exception" : String(cause);
    super(`the WebAssembly app crashed (${what})`);
    this.what = what;
  }
}

// Refused by the page before the module ran (it is fine): no crash.
class Refusal extends Error {}

// The WASM app, wrapped: strings and byte buffers in, strings out. Every call into the module goes
// through call(): anything thrown from inside it is a ModuleCrash, reported once to onCrash, and
// from then on every method throws that crash without entering the module again.
class CanvasApp {
  constructor(module, canvas, onCrash) {
    this.m = module;
    this.canvas = canvas;
    this.onCrash = onCrash;
    this.crash = null;
    this.listeners = [];  // [target, type, listener, options] the module added (Emscripten's GLFW, Browser)
    this.frames = 0;      // frames run so far
    this.inputLength = 0; // H*W of the model's input, once model.json is set
    // The numbers the app takes and returns, by name: {StatusKind: {Loading, Ready, Error},
    // StartResult: {Ok, NoGlfw, NoWindow}, DebugTrap: {Off, NextDecode, NextFrame}}, defined once
    // in wasm/app_constants.h.
    this.constants = this.call((m) => JSON.parse(m.UTF8ToString(m._alzscan_app_constants())));
    this.app = this.call((m) => m._alzscan_app_create());
  }
  call(fn, where = "call") {
    if (this.crash) throw this.crash;
    try {
      return fn(this.m);
    } catch (e) {
      if (e instanceof Refusal || e === this.crash) throw e;
      throw this.crashed(e, where);
    }
  }
  // Records the crash (once) and reports it; also for a trap that reached window.onerror instead.
  crashed(cause, where) {
    if (!this.crash) {
      this.crash = new ModuleCrash(cause);
      this.onCrash(this, this.crash, where);
    }
    return this.crash;
  }
  withString(text, fn) {
    const m = this.m;
    const n = m.lengthBytesUTF8(text) + 1;
    const ptr = m._malloc(n);
    m.stringToUTF8(text, ptr, n);
    try { return fn(ptr); } finally { m._free(ptr); }
  }
  withBytes(bytes, fn) {
    const m = this.m;
    const ptr = m._malloc(Math.max(1, bytes.length));
    if (!ptr) throw new Refusal(`out of WebAssembly memory for ${bytes.length} bytes: close other tabs or open fewer files at once`);
    m.HEAPU8.set(bytes, ptr);
    try { return fn(ptr); } finally { m._free(ptr); }
  }
  // SHA-256 as 64 hex digits, by shared/'s sha256_hex (what `alzscan export` wrote into model.json).
  sha256(bytes) {
    return this.call((m) => this.withBytes(bytes, (p) => m.UTF8ToString(m._alzscan_app_sha256(this.app, p, bytes.length))));
  }
  // The item's JSON copy (wasm/scan_batch.h item_json); null when the batch no longer has it.
  itemRow(id) { return JSON.parse(this.m.UTF8ToString(this.m._alzscan_app_item_json(this.app, id))); }
  setFont(bytes) {
    this.call((m) => {
      const ptr = m._malloc(bytes.length);  // ownership passes to WASM
      m.HEAPU8.set(bytes, ptr);
      m._alzscan_app_set_font(this.app, ptr, bytes.length);
    });
  }
  // true once the canvas UI runs; false without WebGL2. The listeners Emscripten's GLFW and Browser
  // libraries add (window, document, canvas) are recorded so that detach() can remove them: they
  // call into this instance and keep it alive.
  start() {
    const original = EventTarget.prototype.addEventListener;
    const added = this.listeners;
    EventTarget.prototype.addEventListener = function (type, listener, options) {
      added.push([this, type, listener, options]);
      return original.call(this, type, listener, options);
    };
    try {
      return this.call((m) => m._alzscan_app_start(this.app)) === this.constants.StartResult.Ok;
    } finally {
      EventTarget.prototype.addEventListener = original;
    }
  }
  // One animation frame (the page runs the frame loop: a trap in it is caught here like any other).
  frame() {
    this.call((m) => m._alzscan_app_frame(this.app), "frame");
    this.frames += 1;
  }
  // After a crash: nothing of this instance runs again and it can be garbage-collected. Does not
  // call into the module.
  detach() {
    for (const [target, type, listener, options] of this.listeners.splice(0)) target.removeEventListener(type, listener, options);
    try { this.m.ctx?.getExtension("WEBGL_lose_context")?.loseContext(); } catch { /* already gone */ }
    delete this.canvas.getContext;   // Emscripten's wrapper on the element: it holds the module
  }
  wake() { this.call((m) => m._alzscan_app_wake(this.app)); }
  scroll(dx, dy) { this.call((m) => m._alzscan_app_scroll(this.app, dx, dy)); }
  setModel(jsonText) {
    return this.call((m) => this.withString(jsonText, (p) => m.UTF8ToString(m._alzscan_app_set_model(this.app, p))));
  }
  // kind: a name of StatusKind ("Loading", "Ready", "Error").
  setStatus(kind, text, runtime = "") {
    const value = this.constants.StatusKind[kind];
    if (value === undefined) throw new Error(`internal: no status kind ${kind}`);
    this.call((m) => this.withString(text, (t) => this.withString(runtime, (r) => m._alzscan_app_set_status(this.app, value, t, r))));
  }
  setGallery(jsonText) { this.call((m) => this.withString(jsonText, (p) => m._alzscan_app_set_gallery(this.app, p))); }
  setGalleryImage(index, bytes) {
    this.call((m) => this.withBytes(bytes, (p) => m._alzscan_app_set_gallery_image(this.app, index, p, bytes.length)));
  }
  // Synchronous decode + preprocess in WASM. Returns {id, row, error} or {id, row, tensor, preprocessMs}.
  addFile(name, trueLabel, bytes) {
    return this.call((m) => {
      const id = this.withString(name, (n) => this.withString(trueLabel, (l) =>
        this.withBytes(bytes, (b) => m._alzscan_app_add_file(this.app, n, l, b, bytes.length))));
      return this.takeItem(m, id);
    });
  }
  // A new row's {id, row, error} or {id, row, tensor, preprocessMs}; the tensor leaves WASM.
  takeItem(m, id) {
    const row = this.itemRow(id);
    const error = m.UTF8ToString(m._alzscan_app_item_error(this.app, id));
    if (error) return { id, row, error };
    const ptr = m._alzscan_app_item_tensor(this.app, id);
    const tensor = m.HEAPF32.slice(ptr >> 2, (ptr >> 2) + m._alzscan_app_item_tensor_length(this.app, id));
    const preprocessMs = m._alzscan_app_item_preprocess_ms(this.app, id);
    m._alzscan_app_release_tensor(this.app, id);
    return { id, row, tensor, preprocessMs };
  }
  // preprocess_bytes() only: {tensor} or {error}; nothing is added to the batch.
  preprocess(bytes) {
    return this.call((m) => {
      const ptr = this.withBytes(bytes, (b) => m._alzscan_app_preprocess(this.app, b, bytes.length));
      if (!ptr) return { error: m.UTF8ToString(m._alzscan_app_preprocess_error(this.app)) };
      return { tensor: m.HEAPF32.slice(ptr >> 2, (ptr >> 2) + this.inputLength) };
    });
  }
  // -> {id, row}
  addFailed(name, trueLabel, message) {
    return this.call((m) => {
      const id = this.withString(name, (n) => this.withString(trueLabel, (l) => this.withString(message, (msg) =>
        m._alzscan_app_add_failed(this.app, n, l, msg))));
      return { id, row: this.itemRow(id) };
    });
  }
  // Rows added between these two are one scan's (the UI's slice strip).
  beginScan() { return this.call((m) => m._alzscan_app_begin_scan(this.app)); }
  endScan() { this.call((m) => m._alzscan_app_end_scan(this.app)); }
  // The registration template's NIfTI bytes (head, brain; gzip or not) -> "" or the error.
  loadReference(head, brain) {
    return this.call((m) => this.withBytes(head, (h) => this.withBytes(brain, (b) =>
      m.UTF8ToString(m._alzscan_app_load_reference(this.app, h, head.length, b, brain.length)))));
  }
  // A volume file's bytes as opened (`name` picks the reader: .nii, .nii.gz, .mgh, .mgz, .hdr/.img
  // with `partner` {name, bytes} the pair's other file; gzip is inflated in WASM) -> {slices, how,
  // notes, width, height, registration?} or {error}, or {need_reference: true} for a head volume
  // before loadReference, or {registering: id, progress} for a head volume whose registration
  // registerStep carries on; the slab stays in WASM.
  openVolume(name, bytes, partner = null) {
    const open = (n, b, pn, pb) => JSON.parse(this.m.UTF8ToString(
      this.m._alzscan_app_open_volume(this.app, n, b, bytes.length, pn, pb, partner ? partner.bytes.length : 0)));
    return this.call(() => this.withString(name, (n) => this.withBytes(bytes, (b) => (partner
      ? this.withString(partner.name, (pn) => this.withBytes(partner.bytes, (pb) => open(n, b, pn, pb)))
      : open(n, b, 0, 0)))));
  }
  // Registration `id` carried on for about budgetMs -> openVolume's answers.
  registerStep(id, budgetMs) {
    return this.call((m) => JSON.parse(m.UTF8ToString(m._alzscan_app_register_step(this.app, id, budgetMs))));
  }
  // The progress card's bar (0..1) under the status text; < 0 hides it.
  setProgress(fraction) { this.call((m) => m._alzscan_app_set_progress(this.app, fraction)); }
  progressDrawn() { return this.call((m) => JSON.parse(m.UTF8ToString(m._alzscan_app_progress_drawn(this.app)))); }
  // Slice `index` of the opened volume as a batch row: the same result shape as addFile.
  addVolumeSlice(name, index) {
    return this.call((m) => {
      const id = this.withString(name, (n) => m._alzscan_app_add_volume_slice(this.app, n, index));
      return this.takeItem(m, id);
    });
  }
  oneScan() { return this.call((m) => m._alzscan_app_one_scan(this.app) === 1); }
  setOneScan(on) { this.call((m) => m._alzscan_app_set_one_scan(this.app, on ? 1 : 0)); }
  showCam(on, cls) { this.call((m) => m._alzscan_app_show_cam(this.app, on ? 1 : 0, cls)); }
  // The open scan's verdict row (shared/ scan_verdict over its classified slices) -> its id.
  addVerdict(name, note) {
    return this.call((m) => this.withString(name, (n) => this.withString(note, (t) => m._alzscan_app_add_verdict(this.app, n, t))));
  }
  // A classified row's {index (-1 when flagged), probabilities} (shared/ verdict.h): a file, a slice or a scan.
  itemVerdict(id) { return this.call((m) => JSON.parse(m.UTF8ToString(m._alzscan_app_item_verdict(this.app, id)))); }
  // slices: arrays of class probabilities, one per slice -> the scan's verdict (shared/ aggregate_slices)
  aggregate(slices) {
    return this.call((m) => {
      const n = slices.length, c = n ? slices[0].length : 0;
      const ptr = m._malloc(Math.max(1, n * c * 4)), out = m._malloc(Math.max(1, c * 4));
      slices.forEach((p, s) => m.HEAPF32.set(Float32Array.from(p), (ptr >> 2) + s * c));
      m._alzscan_app_aggregate(ptr, n, c, out);
      const verdict = Array.from(m.HEAPF32.slice(out >> 2, (out >> 2) + c));
      m._free(ptr);
      m._free(out);
      return verdict;
    });
  }
  // The features and activation maps beside the probabilities (before setResult) ->
  // {ood: {flag, score, check, reason, scores} | null, cam: {height, width, maps} | null}
  setExtras(id, features, cam) {
    return this.call((m) => {
      const nf = features?.length ?? 0, nc = cam?.data.length ?? 0;
      const fp = m._malloc(Math.max(1, nf) * 4), cp = m._malloc(Math.max(1, nc) * 4);
      if (nf) m.HEAPF32.set(features, fp >> 2);
      if (nc) m.HEAPF32.set(cam.data, cp >> 2);
      const classes = nc ? nc / (cam.height * cam.width) : 0;
      const text = m.UTF8ToString(m._alzscan_app_set_extras(this.app, id, nf ? fp : 0, nf, nc ? cp : 0, classes,
                                                            cam?.height ?? 0, cam?.width ?? 0));
      m._free(fp);
      m._free(cp);
      return JSON.parse(text);
    });
  }
  itemOod(id) { return this.call((m) => JSON.parse(m.UTF8ToString(m._alzscan_app_item_ood(this.app, id)))); }
  // A lone file's or a scan verdict's atrophy evidence (shared/ scan_atrophy_json); null for a scan's slice.
  itemAtrophy(id) { return this.call((m) => JSON.parse(m.UTF8ToString(m._alzscan_app_item_atrophy(this.app, id)))); }
  // What the result panel's atrophy chart showed in the last frame ({item, classes, points, caption}).
  chartDrawn() { return this.call((m) => JSON.parse(m.UTF8ToString(m._alzscan_app_chart_drawn(this.app)))); }
  // -> the item's row, null when the batch no longer has it ("Clear")
  setResult(id, probabilities, inferenceMs) {
    return this.call((m) => {
      const ptr = m._malloc(probabilities.length * 4);
      m.HEAPF32.set(probabilities, ptr >> 2);
      m._alzscan_app_set_result(this.app, id, ptr, probabilities.length, inferenceMs);
      m._free(ptr);
      return this.itemRow(id);
    });
  }
  setFailure(id, message) {
    return this.call((m) => {
      this.withString(message, (p) => m._alzscan_app_set_failure(this.app, id, p));
      return this.itemRow(id);
    });
  }
  // Rows (item JSON) into a fresh instance's batch; returns the first new id (the others follow).
  restoreBatch(rows) {
    return this.call((m) => this.withString(JSON.stringify(rows), (p) => m._alzscan_app_restore_batch(this.app, p)));
  }
  // kind: a name of DebugTrap ("NextDecode", "NextFrame").
  debugTrap(kind) {
    const value = this.constants.DebugTrap[kind];
    if (value === undefined) throw new Error(`internal: no debug trap ${kind}`);
    this.call((m) => m._alzscan_app_debug_trap(this.app, value));
  }
  batchCsv() { return this.call((m) => m.UTF8ToString(m._alzscan_app_batch_csv(this.app))); }
  selection() {
    return this.call((m) => ({
      index: m._alzscan_app_selected_index(this.app),
      count: m._alzscan_app_item_count(this.app),
      zoom: m._alzscan_app_view_zoom(this.app),
      panX: m._alzscan_app_view_pan_x(this.app),
    }));
  }
}

async function fetchOk(url, what) {
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`${what}: cannot fetch ${url} (${e.message})`);
  }
  if (!response.ok) {
    const hint = response.status === 404 && what.startsWith("model")
      ? "this build has no model: models/default was missing when it was built (make train && make export, then make web)"
      : "check the build (make web) and the server";
    throw new Error(`${what}: HTTP ${response.status} for ${url}; ${hint}`);
  }
  return response;
}

// model.onnx must be the file model.json describes (web/model_digest.js), checked before ONNX
// Runtime sees it; the hash is shared/'s sha256_hex in WASM.
function verifyModel(bytes, model, app) {
  const warning = checkModelDigest(bytes, model, (b) => app.sha256(b), { rebuild: "make export (then make web)" });
  if (warning) console.warn(warning);
}

// The registration template (Colin27 from Debian's mricron-data, copied into the build by
// scripts/assemble_web.sh): fetched once per page, handed to each app instance that asks.
const REFERENCE_URLS = ["reference/ch2.nii", "reference/ch2bet.nii"];
let referenceBytes = null;
async function registrationReference() {
  referenceBytes ??= Promise.all(REFERENCE_URLS.map(async (url) =>
    new Uint8Array(await (await fetchOk(url, "registration template")).arrayBuffer())));
  try {
    return await referenceBytes;
  } catch (e) {
    referenceBytes = null;
    throw e;
  }
}

async function toBytes(input) {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (input instanceof Blob) return new Uint8Array(await input.arrayBuffer());
  throw new TypeError("alzscan.classify: expected a File, Blob, ArrayBuffer or Uint8Array");
}

// Row k of a batched worker result ({count, probabilities, features, cam, inferenceMs}) as a
// one-slice result; its inferenceMs is its share of the run's.
function batchRow(result, k) {
  const row = (data) => {
    const size = data.length / result.count;
    return data.subarray(k * size, (k + 1) * size);
  };
  return {
    probabilities: row(result.probabilities),
    features: result.features ? row(result.features) : null,
    cam: result.cam ? { ...result.cam, data: row(result.cam.data) } : null,
    inferenceMs: result.inferenceMs / result.count,
  };
}

// A slice file over MAX_FILE_BYTES: refused before it is copied into WASM.
function tooLarge(size) {
  return `the file is ${(size / 1e6).toFixed(0)} MB: over the ${MAX_FILE_BYTES / 1e6} MB alzscan reads; ` +
    "export the slice as a PNG or JPEG of at most 8192x8192 pixels";
}

function announce(text) {
  const region = document.getElementById("announce");
  if (region) region.textContent = text;
}

function showFatal(message) {
  document.getElementById("fallback-message").textContent = message;
  document.getElementById("fallback").hidden = false;
  document.getElementById("canvas").hidden = true;
}

// A restarted app that crashes in its frame loop before it has drawn this many frames is crashed
// by the state it was given (the first frames draw all of it): that is fatal, not restarted again.
const RESTART_SETTLE_FRAMES = 2;

function createAlzscan() {
  let live = null;       // the CanvasApp on screen; null before it starts and while a crash restarts it
  let liveReady = null;  // resolves to the app to use (a restart replaces it); rejects when none can run
  let started = false;   // ready resolved: from then on a crash restarts the app instead of failing the start
  let restarts = 0;
  const moduleRefs = [];  // every module instance started, weakly: tests check a crashed one is freed
  let worker = null;
  let classes = [];
  let hasOod = false;   // model.json has out-of-distribution checks
  let host = null;
  let resolveReady, rejectReady;
  const ready = new Promise((res, rej) => { resolveReady = res; rejectReady = rej; });
  ready.catch(() => {});  // callers handle it; no unhandled-rejection noise
  // What the UI shows, kept here to hand to a new instance after a crash. Only what the old one
  // accepted without crashing is kept (a gallery image that crashed it is not shown again).
  const shown = { font: null, galleryText: null, galleryImages: [], modelJson: null, inputLength: 0, status: null };
  // The batch: [{id, row}], row = the item's JSON copy (wasm/scan_batch.h item_json) as the
  // module last returned it, before any crash; "Clear" empties it (host.batchCleared).
  const rows = [];

  // The app to call: the live one, or the one a restart is bringing up.
  const liveApp = () => live ?? liveReady;

  function onCrash(app, crash, where) {
    if (app !== live) return;  // one being set up or already replaced: its caller sees the throw
    live = null;
    console.warn(`alzscan: ${crash.message}${started ? "; starting a new instance" : ""}`);
    // Results that had not arrived are never shown (the file may have been what crashed it).
    for (const r of rows)
      if (r.row?.status === "running") r.row = { ...r.row, status: "error", error: crashNote(crash) };
    if (!started || (app.restarted && where === "frame" && app.frames < RESTART_SETTLE_FRAMES)) {
      const message = started ? `alzscan crashed again right after a restart (${crash.what}); reload the page` : crash.message;
      app.detach();  // its canvas goes blank: only plain HTML can say why
      showFatal(message);
      liveReady = Promise.reject(new Error(message));
    } else {
      announce(`alzscan crashed (${crash.what}) and restarts.`);
      liveReady = restart(app, crash);
    }
    liveReady.catch(() => {});
  }

  function crashNote(crash) {
    return `not classified: the app crashed (${crash.what}) and was restarted; open this file again`;
  }

  // A new module instance on a new canvas element (the old one's WebGL context is lost with it),
  // given everything `shown` and `rows` hold.
  async function restart(old, crash) {
    old.detach();
    const canvas = old.canvas.cloneNode(false);
    const hadFocus = document.activeElement === old.canvas;
    old.canvas.replaceWith(canvas);
    try {
      const app = await launch(canvas, createAlzscanApp(moduleOptions(canvas)));
      app.restarted = true;
      live = app;
      restarts += 1;
      runFrames(app);
      if (hadFocus) canvas.focus();
      return app;
    } catch (e) {
      const message = `alzscan crashed (${crash.what}) and could not restart: ${e.message}; reload the page`;
      showFatal(message);
      throw new Error(message);
    }
  }

  function moduleOptions(canvas) {
    return { canvas, alzscanHost: host, print: console.log, printErr: console.warn };
  }

  // Starts the UI of a loaded module and gives it what the page has so far.
  async function launch(canvas, modulePromise) {
    const app = new CanvasApp(await modulePromise, canvas, onCrash);
    moduleRefs.push(new WeakRef(app.m));
    try {
      if (shown.font) app.setFont(shown.font);
      if (!app.start()) throw new Error("WebGL2 is not available in this browser; alzscan needs it to draw its UI");
      if (shown.galleryText !== null) app.setGallery(shown.galleryText);
      shown.galleryImages.forEach((bytes, i) => { if (bytes) app.setGalleryImage(i, bytes); });
      if (shown.modelJson !== null) app.setModel(shown.modelJson);
      app.inputLength = shown.inputLength;
      if (shown.status) app.setStatus(...shown.status);
      if (rows.length) {
        const first = app.restoreBatch(rows.map((r) => r.row));
        rows.forEach((r, i) => { r.id = first + i; });
      }
    } catch (e) {
      app.detach();
      throw e;
    }
    return app;
  }

  // The page runs the frame loop; it ends with its app (a crash, or a restart replaced it).
  function runFrames(app) {
    const step = () => {
      if (app !== live) return;
      try { app.frame(); } catch { return; /* a crash: onCrash restarts the app or says why not */ }
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }

  // Calls from DOM events: a crash there is handled by onCrash; the event itself has nothing to do.
  function onLive(fn) {
    if (!live) return;
    try { fn(live); } catch (e) { if (!(e instanceof ModuleCrash)) throw e; }
  }

  // A row the page fails itself (no decode); after a crash in that very call, the restarted app gets it.
  async function addFailedRow(app, name, trueLabel, message) {
    try {
      rows.push(app.addFailed(name, trueLabel, message));
    } catch (e) {
      if (!(e instanceof ModuleCrash)) throw e;
      rows.push({ id: 0, row: { name, true_label: trueLabel, status: "error", error: message } });
      await liveReady.catch(() => {});
    }
  }

  // The caller's error once the restarted app shows the row with the same message.
  async function failAfterCrash(name, message) {
    announce(`${name}: not classified. ${message}`);
    await liveReady.catch(() => {});
    return new Error(message);
  }

  async function classify(input, options = {}) {
    await ready;
    const bytes = await toBytes(input);
    const name = options.name ?? (input instanceof File ? input.name : "bytes");
    const trueLabel = options.trueLabel ?? "";
    const t0 = performance.now();
    const app = await liveApp();
    if (bytes.length > MAX_FILE_BYTES) {
      const message = tooLarge(bytes.length);
      await addFailedRow(app, name, trueLabel, message);
      throw new Error(message);
    }
    return runItem(app, name, trueLabel, t0, () => app.addFile(name, trueLabel, bytes));
  }

  // One batch row from add() (addFile, or a volume's slice) through the worker to its result.
  async function runItem(app, name, trueLabel, t0, add) {
    const { entry, item } = await addRow(app, name, trueLabel, add);
    let result;
    // Show the "classifying…" row if the result is not there within 50 ms.
    const slowTimer = setTimeout(() => { try { app.wake(); } catch { /* onCrash has it */ } }, 50);
    try {
      result = await worker.run(item.id, item.tensor);
    } catch (e) {
      throw await failRow(app, name, entry, item, e);
    } finally {
      clearTimeout(slowTimer);
    }
    return finishRow(app, name, entry, item, result, t0);
  }

  // add() -> {entry (the page's copy of the row), item (its tensor)}; a row that could not be
  // added, or whose decode failed, throws its message once the UI shows it.
  async function addRow(app, name, trueLabel, add) {
    let item;
    try {
      item = add();
    } catch (e) {
      if (e instanceof ModuleCrash) {
        const message = `the decoder crashed on this file (${e.what}); the app was restarted`;
        rows.push({ id: 0, row: { name, true_label: trueLabel, status: "error", error: message } });
        throw await failAfterCrash(name, message);
      }
      await addFailedRow(app, name, trueLabel, e.message);
      throw e;
    }
    const entry = { id: item.id, row: item.row };
    rows.push(entry);
    if (item.error) {
      announce(`${name}: not classified. ${item.error}`);
      throw new Error(item.error);
    }
    return { entry, item };
  }

  // The app crashed while this row's result was on its way: the row is failed, never filled.
  function lostRow(app, name, entry) {
    return failAfterCrash(name, entry.row?.status === "error" ? entry.row.error : crashNote(app.crash));
  }

  // The worker failed a row: the row says so -> the error to throw.
  async function failRow(app, name, entry, item, error) {
    if (app.crash) return lostRow(app, name, entry);
    try {
      entry.row = app.setFailure(item.id, error.message) ?? entry.row;
    } catch (c) {
      if (c instanceof ModuleCrash) return lostRow(app, name, entry);
      throw c;
    }
    return error;
  }

  // A row's result from the worker into the app -> what classify returns.
  async function finishRow(app, name, entry, item, result, t0) {
    if (app.crash) throw await lostRow(app, name, entry);
    let extras, atrophy, index;
    try {
      extras = app.setExtras(item.id, result.features, result.cam);
      entry.row = app.setResult(item.id, result.probabilities, result.inferenceMs) ?? entry.row;
      atrophy = app.itemAtrophy(item.id);
      ({ index } = app.itemVerdict(item.id));
    } catch (e) {
      if (e instanceof ModuleCrash) throw await lostRow(app, name, entry);
      throw e;
    }
    const probabilities = Array.from(result.probabilities);
    announce(index < 0 ? `${name}: not classified. ${extras.ood.reason}.`
                       : `${name}: ${classes[index].replaceAll("_", " ")}, model confidence ${(probabilities[index] * 100).toFixed(1)} percent. Research demo, not a diagnosis.`);
    return {
      file: name,
      // An input unlike the training data gets no class (the UI says why); its probabilities stay.
      label: index < 0 ? null : classes[index],
      index,
      ood: extras.ood,
      cam: extras.cam,
      ...(extras.pose ? { pose: extras.pose } : {}),
      ...(atrophy ? { atrophy } : {}),
      probabilities,
      classes: classes.slice(),
      timings: { preprocess_ms: item.preprocessMs, inference_ms: result.inferenceMs, total_ms: performance.now() - t0 },
    };
  }

  // Slices per ORT run of a scan (N,1,H,W): 32 slices of 128 x 128 are 2 MB of input.
  const SCAN_BATCH = 32;

  // A scan's rows: each added by add(i) (preprocessed in WASM), then classified together, one ORT
  // run per SCAN_BATCH rows, and the results set into the app in one go, so the UI draws once
  // instead of once per slice. -> per row what classify returns, or {error}. A row's inference_ms is
  // its share of its run's.
  async function runRows(app, names, add, t0) {
    const out = new Array(names.length);
    const added = [];
    for (let i = 0; i < names.length; ++i) {
      try {
        added.push({ i, ...(await addRow(app, names[i], "", () => add(i))) });
      } catch (e) { out[i] = { error: e.message }; }
    }
    for (let c = 0; c < added.length; c += SCAN_BATCH) {
      const chunk = added.slice(c, c + SCAN_BATCH);
      const n = app.inputLength, tensor = new Float32Array(chunk.length * n);
      chunk.forEach((a, k) => tensor.set(a.item.tensor, k * n));
      let result;
      try {
        result = await worker.run(chunk[0].item.id, tensor, chunk.length);
      } catch (e) {
        for (const a of chunk) out[a.i] = { error: (await failRow(app, names[a.i], a.entry, a.item, e)).message };
        continue;
      }
      for (const [k, a] of chunk.entries()) {
        try {
          out[a.i] = await finishRow(app, names[a.i], a.entry, a.item, batchRow(result, k), t0);
        } catch (e) { out[a.i] = { error: e.message }; }
      }
    }
    return out;
  }

  // A NIfTI volume (bytes of a .nii, or gzip bytes of a .nii.gz) or a stack of slice files: each
  // slice as a batch row, then a verdict row: shared/ aggregate_slices over the slices that
  // classified, the aggregation `alzscan cv` measures per person and `alzscan predict` prints.
  async function classifyScan(input, options = {}) {
    await ready;
    const t0 = performance.now();
    const app = await liveApp();
    app.beginScan();
    try {
      return await classifyScanRows(app, input, options, t0);
    } finally {
      if (!app.crash) app.endScan();
    }
  }

  // The status line the page last set (e.g. "Ready"), back after a step's own; none on a crashed app.
  function restoreStatus(app) {
    if (shown.status && !app.crash) app.setStatus(...shown.status);
  }

  // The header's status line (and the progress card's bar when `progress` is 0..1), drawn and
  // painted before the work that follows starts: the app draws in its animation frame, which runs
  // before ours; the task after ours runs once that frame is painted.
  async function say(app, text, progress = -1) {
    app.setStatus("Loading", text);
    app.setProgress(progress);
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  }

  // Shares of the progress card's bar: reading the volume, the template (first head volume only),
  // the registration's steps; extraction, levels and the slab follow the last step.
  const OPEN_SHARE = 0.1, TEMPLATE_SHARE = 0.3;
  // Registration work between two progress frames: each frame redraws the whole UI, so a few per
  // registration (~0.6 s in WebAssembly) move the bar without slowing it much.
  const REGISTER_SLICE_MS = 100;

  // The volume opened in WASM (registered there when it is a head), with the status and the
  // progress card saying so while it runs; the registration template is fetched first when the app
  // asks for it. A registration runs REGISTER_SLICE_MS of its steps per frame so the card's bar moves.
  async function openVolumeShown(app, name, volume) {
    // Where the time goes (ms): decode (+ the registration's setup), the template, the registration's
    // steps (extraction, levels and slab in the last), and the progress frames between them.
    const stages = { decode_ms: 0, template_ms: 0, registration_ms: 0, frames_ms: 0 };
    const timed = (key, fn) => {
      const t0 = performance.now();
      try { return fn(); } finally { stages[key] += performance.now() - t0; }
    };
    const showStep = async (...a) => { const t0 = performance.now(); await say(app, ...a); stages.frames_ms += performance.now() - t0; };
    const open = () => timed("decode_ms", () => app.openVolume(volume.fileName, volume.bytes, volume.partner));
    try {
      await showStep(`Reading ${name}…`, 0);
      let opened = open();
      let base = OPEN_SHARE;
      if (opened.need_reference) {
        await showStep("Loading the registration template (Colin27, once per page)…", base);
        let error;
        try {
          const t0 = performance.now();
          const bytes = await registrationReference();
          stages.template_ms += performance.now() - t0;
          error = timed("template_ms", () => app.loadReference(...bytes));
        } catch (e) { error = e.message; }
        if (error) return { error };
        base += TEMPLATE_SHARE;
        await showStep(`Reading ${name}…`, base);
        opened = open();
      }
      while (opened.registering) {
        await showStep(`Registering ${name} to the template…`, base + (1 - base) * opened.progress);
        opened = timed("registration_ms", () => app.registerStep(opened.registering, REGISTER_SLICE_MS));
      }
      return { ...opened, stages };
    } finally {
      if (!app.crash) app.setProgress(-1);
      restoreStatus(app);
    }
  }

  // DICOM files -> {name, fileName, bytes, notes} of one series (web/dicom.js): read with
  // progress in the header, the series taken from options.series (1-based, as the CLI's
  // --series), else chosen in the series table (options.chooseSeries), else the reader's own
  // choice. null when the table is cancelled.
  async function dicomVolume(app, files, options) {
    let set;
    try {
      set = await readDicom(files, (done, total) => say(app, `Reading DICOM files: ${done} of ${total}…`));
    } finally {
      restoreStatus(app);
    }
    try {
      const { listing } = set;
      let index = options.series ? options.series - 1 : listing.chosen;
      if (options.chooseSeries) index = await options.chooseSeries(listing, `${files.length} files`);
      else if (index < 0) throw new Error(`${dicomSetName(files)}: ${listing.choose_error}`);   // as the CLI: DIR: ...
      if (index === null) return null;
      const s = listing.series[index];
      if (!s) throw new Error(`no series ${index + 1} in these files (${listing.series.length} series)`);
      await say(app, `Decoding DICOM series ${s.number >= 0 ? s.number : index + 1} (${s.frames} slices)…`);
      const { bytes, notes } = set.volume(index);
      const how = listing.series.length > 1
        ? [`series ${s.line} of ${listing.series.length} (${options.series ? "options.series" : options.chooseSeries ? "chosen in the series table" : "named as a T1"})`]
        : [];
      return { name: options.name ?? `DICOM ${s.description || `series ${index + 1}`}`, fileName: "dicom.nii", bytes, notes: [...notes, ...how] };
    } finally {
      set.close();
      restoreStatus(app);
    }
  }

  // What the CLI would name as the set's first argument: the dropped folder, else the first file.
  function dicomSetName(files) {
    const rel = files[0].webkitRelativePath || "";
    return rel.includes("/") ? rel.slice(0, rel.indexOf("/")) : files[0].name;
  }

  // A scan's volume input -> {name, fileName, bytes, partner?, notes}: a volume file (options.partner:
  // an Analyze pair's other file), bytes (options.name, else taken as a .nii/.nii.gz), or DICOM files.
  async function volumeInput(app, input, options) {
    if (Array.isArray(input)) return dicomVolume(app, input, options);
    const fileName = input instanceof File ? input.name : (options.name ?? "volume.nii");
    for (const part of [input, options.partner]) {   // the CLI's limit per file, checked before reading
      const size = part?.size ?? part?.byteLength ?? 0;
      if (size > MAX_VOLUME_FILE_BYTES) throw new Error(`${size} bytes: over the ${MAX_VOLUME_FILE_BYTES / 1048576} MiB limit for one image file`);
    }
    const partner = options.partner ? { name: options.partner.name, bytes: await toBytes(options.partner) } : null;
    return { name: options.name ?? fileName, fileName, bytes: await toBytes(input), partner, notes: [] };
  }

  async function isDicomSet(input) {
    if (!Array.isArray(input) || !input.length || !input.every((f) => f instanceof File)) return false;
    for (const f of input) if (!(await looksDicom(f))) return false;
    return true;
  }

  async function classifyScanRows(app, input, options, t0) {
    const results = [];
    let name, how, registration, stages, notes = [], readMs, openMs;
    if (Array.isArray(input) && !options.dicom && !(await isDicomSet(input))) {
      name = options.name ?? (input[0] instanceof File ? input[0].name : "stack");
      const names = input.map((f, i) => (f instanceof File ? f.name : `${name} #${i}`));
      const bytes = await Promise.all(input.map(toBytes));
      results.push(...await runRows(app, names, (i) => {
        if (bytes[i].length > MAX_FILE_BYTES) throw new Error(tooLarge(bytes[i].length));
        return app.addFile(names[i], "", bytes[i]);
      }, performance.now()));
      how = `a stack of ${input.length} slice files, in the order given`;
    } else {
      let volume;
      try {
        const r0 = performance.now();
        volume = await volumeInput(app, input, options);
        readMs = performance.now() - r0;
      } catch (e) {
        const what = options.name ?? (Array.isArray(input) ? `${input.length} DICOM files` : input?.name ?? "volume");
        await addFailedRow(app, what, "", e.message);
        throw e;
      }
      if (!volume) return null;   // the series table was cancelled
      name = volume.name;
      const o0 = performance.now();
      const opened = await openVolumeShown(app, name, volume);
      openMs = performance.now() - o0;
      if (opened.error) {
        await addFailedRow(app, name, "", opened.error);
        throw new Error(opened.error);
      }
      ({ how, registration, stages } = opened);
      notes = [...volume.notes, ...opened.notes];
      const names = opened.slices.map((k) => `${name} slice ${k}`);
      const rowsOut = await runRows(app, names, (i) => app.addVolumeSlice(names[i], i), performance.now());
      results.push(...rowsOut.map((r, i) => ({ ...r, slice: opened.slices[i] })));
    }
    const done = results.filter((r) => !r.error);
    if (!done.length) throw new Error(`${name}: no slice could be classified (${results[0]?.error ?? "no slices"})`);
    const verdictName = `${name}: scan of ${done.length} slices`;
    const verdictId = app.addVerdict(verdictName, [how, ...notes].join("; "));
    rows.push({ id: verdictId, row: app.itemRow(verdictId) });
    const { index, probabilities } = app.itemVerdict(verdictId);
    const ood = hasOod ? app.itemOod(verdictId) : null;
    const atrophy = app.itemAtrophy(verdictId);
    announce(index < 0 ? `${verdictName}: not classified. ${ood.reason}.`
                       : `${verdictName}: ${classes[index].replaceAll("_", " ")}, ${(probabilities[index] * 100).toFixed(1)} percent. Research demo, not a diagnosis.`);
    const sum = (key) => done.reduce((a, r) => a + r.timings[key], 0);
    return {
      file: name, label: index < 0 ? null : classes[index], index, ood, probabilities,
      classes: classes.slice(), how, notes, slices: results, atrophy, ...(registration ? { registration } : {}),
      timings: {
        // volumes: read_ms (the files' bytes; DICOM: read, parsed and decoded by the reader, the
        // series table's wait included), open_ms (decode, registration and slab in the app) and its
        // stages: decode_ms, template_ms, registration_ms (work), frames_ms (the progress frames)
        ...(readMs !== undefined ? { read_ms: readMs, open_ms: openMs, ...stages } : {}),
        preprocess_ms: sum("preprocess_ms"), inference_ms: sum("inference_ms"), total_ms: performance.now() - t0,
      },
    };
  }

  // Files from the picker or a drop: one after another, in order; errors are shown in the UI.
  // Volumes are scans of their own (an Analyze pair is one); DICOM files are read together, one
  // scan for the series picked in the series table; with the batch panel's "one scan" box ticked,
  // the slice files opened together are one scan (in name order).
  async function classifyFiles(files) {
    const app = await liveApp();
    const { volumes, dicom, slices } = await sortFiles(files);
    const together = slices.length > 1 && app.oneScan();
    for (const file of files) {
      const volume = volumes.find((v) => v.file === file);
      try {
        if (volume) await classifyScan(volume.file, { partner: volume.partner });
        else if (!together && slices.includes(file)) await classify(file);
      } catch { /* shown next to the file */ }
    }
    if (dicom.length) {
      try { await classifyScan(dicom, { dicom: true, chooseSeries }); } catch { /* shown in the batch */ }
    }
    if (together) {
      slices.sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
      try { await classifyScan(slices); } catch { /* shown next to the files */ }
    }
  }

  async function start() {
    let canvas = document.getElementById("canvas");
    const fileInput = document.getElementById("file-input");
    const folderInput = document.getElementById("folder-input");
    host = {
      openFilePicker: () => fileInput.click(),
      openFolderPicker: () => folderInput.click(),
      openGallery: (index) => openGallery(index),
      downloadCsv: (text) => {
        const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
        const a = document.createElement("a");
        a.href = url;
        a.download = "alzscan_batch.csv";
        a.click();
        setTimeout(() => URL.revokeObjectURL(url), 1000);
      },
      batchCleared: () => { rows.length = 0; },
    };
    let gallery = [];
    async function openGallery(index) {
      const entry = gallery[index];
      if (!entry) return;
      try {
        const bytes = new Uint8Array(await (await fetchOk(entry.file, "gallery")).arrayBuffer());
        await classify(bytes, { name: entry.file.split("/").pop(), trueLabel: entry.label });
      } catch { /* shown in the UI */ }
    }

    // Everything independent starts at once: WASM app, model.json, model.onnx, font, gallery.
    const modulePromise = createAlzscanApp(moduleOptions(canvas));
    const modelJsonPromise = fetchOk(MODEL_JSON_URL, "model.json").then((r) => r.text());
    // Awaited only once the UI runs: a 404 that arrives before then must not count as unhandled.
    modelJsonPromise.catch(() => {});
    const fontPromise = fetch(FONT_URL).then((r) => (r.ok ? r.arrayBuffer() : null)).catch(() => null);
    const modelOnnxUrl = new URL(MODEL_ONNX_URL, location.href).href;
    const modelOnnxPromise = fetch(modelOnnxUrl).then(async (r) => {
      if (!r.ok) throw new Error(`model.onnx: HTTP ${r.status} for ${modelOnnxUrl} (run \`make export\` or check the build)`);
      return new Uint8Array(await r.arrayBuffer());
    });
    modelOnnxPromise.catch(() => {});   // awaited after model.json, like it
    const galleryPromise = fetch(GALLERY_URL).then((r) => (r.ok ? r.text() : '{"note": "No gallery in this build."}'))
      .catch(() => '{"note": "No gallery in this build."}');

    const font = await fontPromise;
    if (font) shown.font = new Uint8Array(font);
    let app = await launch(canvas, modulePromise);
    live = app;
    liveReady = Promise.resolve(app);
    runFrames(app);
    for (const type of ["mousemove", "mousedown", "mouseup", "keydown", "keyup", "resize", "focus", "touchstart", "touchmove"])
      window.addEventListener(type, () => onLive((a) => a.wake()), { passive: true, capture: true });
    // Wheel: normalised to notches here (DOM pixels/lines/pages -> +1 per notch up) and kept from
    // Emscripten's GLFW, which forwards raw, sign-inverted pixel deltas.
    window.addEventListener("wheel", (e) => {
      if (!live || e.target !== live.canvas) return;
      e.preventDefault();
      e.stopPropagation();
      const unit = e.deltaMode === 1 ? 1 / 3 : e.deltaMode === 2 ? 10 : 1 / 100;
      onLive((a) => a.scroll(-e.deltaX * unit, -e.deltaY * unit));
    }, { passive: false, capture: true });
    canvas.focus();
    // A trap in one of the module's own DOM listeners (GLFW's mouse and key callbacks) does not
    // pass through CanvasApp.call: it ends up here.
    window.addEventListener("error", (e) => {
      if (!live || !(e.error instanceof WebAssembly.RuntimeError)) return;
      e.preventDefault();
      live.crashed(e.error, "event");
    });

    const galleryText = await galleryPromise;
    app.setGallery(galleryText);
    shown.galleryText = galleryText;
    try {
      const parsed = JSON.parse(galleryText);
      if (Array.isArray(parsed)) gallery = parsed;
    } catch { /* the app shows its note */ }
    Promise.all(gallery.map(async (entry, i) => {
      const r = await fetch(entry.file);
      if (!r.ok) return;
      const bytes = new Uint8Array(await r.arrayBuffer());
      const target = live;
      if (target) {
        try { target.setGalleryImage(i, bytes); } catch (e) { if (e instanceof ModuleCrash) return; throw e; }
      }
      shown.galleryImages[i] = bytes;  // while a restart runs (no live app) it shows it
    })).catch((e) => console.warn(`gallery: ${e.message}`));

    const setStatus = (...args) => {
      app.setStatus(...args);
      shown.status = args;
    };
    let modelJsonText;
    try {
      modelJsonText = await modelJsonPromise;
    } catch (e) {
      setStatus("Error", e.message);
      throw e;
    }
    const modelError = app.setModel(modelJsonText);
    shown.modelJson = modelJsonText;
    if (modelError) throw new Error(modelError);  // the app already shows it
    const model = JSON.parse(modelJsonText);  // valid: WASM (shared/) just accepted it
    classes = model.classes;
    hasOod = Boolean(model.ood);
    shown.inputLength = app.inputLength = model.input.height * model.input.width;

    const threads = inferenceThreads();
    worker = new InferenceClient(new URL("inference_worker.js", location.href));
    let info;
    try {
      const modelBytes = await modelOnnxPromise;
      verifyModel(modelBytes, model, app);
      info = await worker.init({
        modelBytes,
        ortBase: new URL("ort/", location.href).href,
        numThreads: threads,
        inputName: model.input.name ?? "input",
        inputHeight: model.input.height,
        inputWidth: model.input.width,
        logitsOutput: model.outputs.logits,
        probabilitiesOutput: model.outputs.probabilities,
        featuresOutput: model.outputs.features ?? "",
        camOutput: model.outputs.cam ?? "",
        classCount: classes.length,
      }, [modelBytes.buffer]);
    } catch (e) {
      setStatus("Error", e.message);
      throw e;
    }
    const runtime = `ONNX Runtime Web ${info.ortVersion} · ${info.threads} thread${info.threads === 1 ? "" : "s"}`;
    setStatus("Ready", "Ready", runtime);
    if (app.crash) throw app.crash;  // before ready, a crash is the start's failure
    started = true;
    // The closures made here (host, listeners) share this scope: holding the first instance and its
    // canvas here would keep a crashed instance's memory alive after a restart. From now on only
    // `live` names the app.
    app = null;
    canvas = null;

    for (const input of [fileInput, folderInput]) {
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
    return { ortVersion: info.ortVersion, threads: info.threads, crossOriginIsolated: self.crossOriginIsolated, classes: classes.slice() };
  }

  start().then((info) => {
    performance.mark("alzscan-ready");
    resolveReady(info);
  }, (e) => {
    console.warn(`alzscan: ${e.message}`);
    // Without a running UI (no module, no WebGL2, or it crashed) only plain HTML can say why.
    if (!live) showFatal(e.message);
    rejectReady(e);
  });

  // A sync API call during a restart (or the call that crashed) sees no app, as before the start.
  function fromLive(fn, none) {
    if (!live) return none;
    try { return fn(live); } catch (e) { if (e instanceof ModuleCrash) return none; throw e; }
  }

  return Object.freeze({
    ready,
    classify,
    batchCsv: () => fromLive((a) => a.batchCsv(), ""),
    selection: () => fromLive((a) => a.selection(), { index: -1, count: 0 }),
    chartDrawn: () => fromLive((a) => a.chartDrawn(), { item: 0 }),
    progressDrawn: () => fromLive((a) => a.progressDrawn(), []),
    // A scan's verdict from its slices' probabilities ([[p_class...], ...]): the aggregation
    // `alzscan cv` reports per person and `alzscan predict` per scan (shared/ aggregate_slices).
    aggregate: async (slices) => (await ready, (await liveApp()).aggregate(slices)),
    classifyScan,
    // make bench-web: ORT Web inference alone, `runs` times on one preprocessed tensor -> [ms].
    benchmarkInference: async (tensor, runs = 50, count = 1) =>
      (await ready, (await worker.bench(-1, Float32Array.from(tensor), runs, count)).times),
    preprocess: async (input) => {
      await ready;
      const bytes = await toBytes(input);
      const app = await liveApp();
      let r;
      try {
        r = app.preprocess(bytes);
      } catch (e) {
        if (!(e instanceof ModuleCrash)) throw e;
        await liveReady.catch(() => {});
        throw new Error(`the decoder crashed on this input (${e.what}); the app was restarted`);
      }
      if (r.error) throw new Error(r.error);
      return r.tensor;
    },
    // For tests of the crash recovery: trap("decode") makes the WASM app trap (RuntimeError
    // "unreachable", as a decoder bug would) in its next decode, trap("frame") in its next frame;
    // restarts() counts the new instances the page has started since.
    testing: Object.freeze({
      trap: async (where) => {
        const kind = { decode: "NextDecode", frame: "NextFrame" }[where];
        if (!kind) throw new TypeError(`alzscan.testing.trap: "decode" or "frame", not ${JSON.stringify(where)}`);
        await ready;
        (await liveApp()).debugTrap(kind);
      },
      restarts: () => restarts,
      // Module instances not yet garbage-collected (1 once a crashed instance has been freed).
      liveModules: () => moduleRefs.filter((r) => r.deref()).length,
      // The batch panel's "Files opened together are one scan" checkbox, without clicking it.
      setOneScan: async (on) => { await ready; (await liveApp()).setOneScan(on); },
      // The scan view's "Activation map" checkbox and its class (-1: the predicted one).
      showCam: async (on, cls = -1) => { await ready; (await liveApp()).showCam(on, cls); },
    }),
  });
}

window.alzscan = createAlzscan();

// Offline: a service worker caches every asset of this build (sw.js lists them).
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("sw.js").catch((e) => console.warn(`service worker: ${e.message}`));
}
