// web/app.js: glue between the page, the ImGui/WASM app (alzscan_app.js) and the inference worker.
//
// Public API (documented in web/README.md):
//   await window.alzscan.ready;                       // resolves once model + UI are up; rejects with the reason
//   const r = await window.alzscan.classify(fileOrBytes, {name, trueLabel});
//   // r = {file, label, index, probabilities: [4 numbers, model.json class order], classes,
//   //      timings: {preprocess_ms, inference_ms, total_ms}}
//   // rejects with Error(message) where message is exactly what the UI shows next to the file.
//   window.alzscan.batchCsv()                          // the batch table as CSV text
//   window.alzscan.selection()                         // {index, count, zoom, panX}: what the UI shows
//   await window.alzscan.preprocess(bytes)             // Float32Array 1x1xHxW: the model's exact input
//   await window.alzscan.benchmarkInference(tensor, n) // [ms] of n back-to-back ORT runs (make bench-web)
//
// Data flow per file: bytes -> WASM (shared/ decode + preprocess, display texture) -> Float32Array
// 1x1xHxW -> worker (ORT Web) -> probabilities -> WASM (result panel, batch table) -> caller.

const MODEL_JSON_URL = "model/model.json";
const MODEL_ONNX_URL = "model/model.onnx";
const GALLERY_URL = "gallery/gallery.json";
const FONT_URL = "fonts/DejaVuSans.ttf";
// Larger files are refused before they are copied into WASM memory (8192x8192 RGBA PNG ~ 256 MB
// is already beyond what shared/ decodes).
const MAX_FILE_BYTES = 256e6;

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
  init(config) {
    this.worker.postMessage({ type: "init", ...config });
    return this.readyPromise;
  }
  bench(id, tensor, runs) {
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: "bench", id, tensor, runs });
    });
  }
  run(id, tensor) {
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: "run", id, tensor }, [tensor.buffer]);
    });
  }
}

// The WASM app, wrapped: strings and byte buffers in, strings out.
class CanvasApp {
  constructor(module) {
    this.m = module;
    // The numbers the app takes and returns, by name: {StatusKind: {Loading, Ready, Error},
    // StartResult: {Ok, NoGlfw, NoWindow}}, defined once in wasm/app_constants.h.
    this.constants = JSON.parse(module.UTF8ToString(module._alzscan_app_constants()));
    this.app = module._alzscan_app_create();
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
    if (!ptr) throw new Error(`out of WebAssembly memory for ${bytes.length} bytes: close other tabs or open fewer files at once`);
    m.HEAPU8.set(bytes, ptr);
    try { return fn(ptr); } finally { m._free(ptr); }
  }
  setFont(bytes) {
    const ptr = this.m._malloc(bytes.length);  // ownership passes to WASM
    this.m.HEAPU8.set(bytes, ptr);
    this.m._alzscan_app_set_font(this.app, ptr, bytes.length);
  }
  // true once the canvas UI runs; false without WebGL2.
  start() { return this.m._alzscan_app_start(this.app) === this.constants.StartResult.Ok; }
  wake() { this.m._alzscan_app_wake(this.app); }
  scroll(dx, dy) { this.m._alzscan_app_scroll(this.app, dx, dy); }
  setModel(jsonText) {
    return this.withString(jsonText, (p) => this.m.UTF8ToString(this.m._alzscan_app_set_model(this.app, p)));
  }
  // kind: a name of StatusKind ("Loading", "Ready", "Error").
  setStatus(kind, text, runtime = "") {
    const value = this.constants.StatusKind[kind];
    if (value === undefined) throw new Error(`internal: no status kind ${kind}`);
    this.withString(text, (t) => this.withString(runtime, (r) => this.m._alzscan_app_set_status(this.app, value, t, r)));
  }
  setGallery(jsonText) { this.withString(jsonText, (p) => this.m._alzscan_app_set_gallery(this.app, p)); }
  setGalleryImage(index, bytes) {
    this.withBytes(bytes, (p) => this.m._alzscan_app_set_gallery_image(this.app, index, p, bytes.length));
  }
  // Synchronous decode + preprocess in WASM. Returns {id, error} or {id, tensor, preprocessMs}.
  addFile(name, trueLabel, bytes) {
    const m = this.m;
    const id = this.withString(name, (n) => this.withString(trueLabel, (l) =>
      this.withBytes(bytes, (b) => m._alzscan_app_add_file(this.app, n, l, b, bytes.length))));
    const error = m.UTF8ToString(m._alzscan_app_item_error(this.app, id));
    if (error) return { id, error };
    const ptr = m._alzscan_app_item_tensor(this.app, id);
    const length = m._alzscan_app_item_tensor_length(this.app, id);
    const tensor = m.HEAPF32.slice(ptr >> 2, (ptr >> 2) + length);
    const preprocessMs = m._alzscan_app_item_preprocess_ms(this.app, id);
    m._alzscan_app_release_tensor(this.app, id);
    return { id, tensor, preprocessMs };
  }
  // preprocess_bytes() only: {tensor} or {error}; nothing is added to the batch.
  preprocess(bytes) {
    const m = this.m;
    const ptr = this.withBytes(bytes, (b) => m._alzscan_app_preprocess(this.app, b, bytes.length));
    if (!ptr) return { error: m.UTF8ToString(m._alzscan_app_preprocess_error(this.app)) };
    const n = this.height * this.width;
    return { tensor: m.HEAPF32.slice(ptr >> 2, (ptr >> 2) + n) };
  }
  addFailed(name, trueLabel, message) {
    this.withString(name, (n) => this.withString(trueLabel, (l) => this.withString(message, (msg) =>
      this.m._alzscan_app_add_failed(this.app, n, l, msg))));
  }
  setResult(id, probabilities, inferenceMs) {
    const m = this.m;
    const ptr = m._malloc(probabilities.length * 4);
    m.HEAPF32.set(probabilities, ptr >> 2);
    m._alzscan_app_set_result(this.app, id, ptr, probabilities.length, inferenceMs);
    m._free(ptr);
  }
  setFailure(id, message) { this.withString(message, (p) => this.m._alzscan_app_set_failure(this.app, id, p)); }
  batchCsv() { return this.m.UTF8ToString(this.m._alzscan_app_batch_csv(this.app)); }
  selection() {
    return {
      index: this.m._alzscan_app_selected_index(this.app),
      count: this.m._alzscan_app_item_count(this.app),
      zoom: this.m._alzscan_app_view_zoom(this.app),
      panX: this.m._alzscan_app_view_pan_x(this.app),
    };
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

async function toBytes(input) {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (input instanceof Blob) return new Uint8Array(await input.arrayBuffer());
  throw new TypeError("alzscan.classify: expected a File, Blob, ArrayBuffer or Uint8Array");
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

function createAlzscan() {
  let canvasApp = null;
  let worker = null;
  let classes = [];
  let resolveReady, rejectReady;
  const ready = new Promise((res, rej) => { resolveReady = res; rejectReady = rej; });
  ready.catch(() => {});  // callers handle it; no unhandled-rejection noise

  async function classify(input, options = {}) {
    await ready;
    const bytes = await toBytes(input);
    const name = options.name ?? (input instanceof File ? input.name : "bytes");
    const trueLabel = options.trueLabel ?? "";
    const t0 = performance.now();
    if (bytes.length > MAX_FILE_BYTES) {
      const message = `the file is ${(bytes.length / 1e6).toFixed(0)} MB: over the ${MAX_FILE_BYTES / 1e6} MB alzscan reads; ` +
        "export the slice as a PNG or JPEG of at most 8192x8192 pixels";
      canvasApp.addFailed(name, trueLabel, message);
      throw new Error(message);
    }
    let item;
    try {
      item = canvasApp.addFile(name, trueLabel, bytes);
    } catch (e) {
      canvasApp.addFailed(name, trueLabel, e.message);
      throw e;
    }
    if (item.error) {
      announce(`${name}: not classified. ${item.error}`);
      throw new Error(item.error);
    }
    let result;
    // Show the "classifying…" row if the result is not there within 50 ms.
    const slowTimer = setTimeout(() => canvasApp.wake(), 50);
    try {
      result = await worker.run(item.id, item.tensor);
    } catch (e) {
      canvasApp.setFailure(item.id, e.message);
      throw e;
    } finally {
      clearTimeout(slowTimer);
    }
    canvasApp.setResult(item.id, result.probabilities, result.inferenceMs);
    const probabilities = Array.from(result.probabilities);
    let index = 0;
    for (let i = 1; i < probabilities.length; ++i) if (probabilities[i] > probabilities[index]) index = i;
    announce(`${name}: ${classes[index].replaceAll("_", " ")}, model confidence ${(probabilities[index] * 100).toFixed(1)} percent. Research demo, not a diagnosis.`);
    return {
      file: name,
      label: classes[index],
      index,
      probabilities,
      classes: classes.slice(),
      timings: { preprocess_ms: item.preprocessMs, inference_ms: result.inferenceMs, total_ms: performance.now() - t0 },
    };
  }

  // Files from the picker or a drop: one after another, in order; errors are shown in the UI.
  async function classifyFiles(files) {
    for (const file of files) {
      try { await classify(file); } catch { /* shown next to the file */ }
    }
  }

  async function start() {
    const canvas = document.getElementById("canvas");
    const fileInput = document.getElementById("file-input");
    const host = {
      openFilePicker: () => fileInput.click(),
      openGallery: (index) => openGallery(index),
      downloadCsv: (text) => {
        const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
        const a = document.createElement("a");
        a.href = url;
        a.download = "alzscan_batch.csv";
        a.click();
        setTimeout(() => URL.revokeObjectURL(url), 1000);
      },
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

    // Everything independent starts at once: WASM app, model.json, font, gallery, worker + model.onnx.
    const modulePromise = createAlzscanApp({ canvas, alzscanHost: host, print: console.log, printErr: console.warn });
    const modelJsonPromise = fetchOk(MODEL_JSON_URL, "model.json").then((r) => r.text());
    const fontPromise = fetch(FONT_URL).then((r) => (r.ok ? r.arrayBuffer() : null)).catch(() => null);
    const galleryPromise = fetch(GALLERY_URL).then((r) => (r.ok ? r.text() : '{"note": "No gallery in this build."}'))
      .catch(() => '{"note": "No gallery in this build."}');

    const module = await modulePromise;
    canvasApp = new CanvasApp(module);
    const font = await fontPromise;
    if (font) canvasApp.setFont(new Uint8Array(font));
    if (!canvasApp.start()) throw new Error("WebGL2 is not available in this browser; alzscan needs it to draw its UI");
    for (const type of ["mousemove", "mousedown", "mouseup", "keydown", "keyup", "resize", "focus", "touchstart", "touchmove"])
      window.addEventListener(type, () => canvasApp.wake(), { passive: true, capture: true });
    // Wheel: normalised to notches here (DOM pixels/lines/pages -> +1 per notch up) and kept from
    // Emscripten's GLFW, which forwards raw, sign-inverted pixel deltas.
    window.addEventListener("wheel", (e) => {
      if (e.target !== canvas) return;
      e.preventDefault();
      e.stopPropagation();
      const unit = e.deltaMode === 1 ? 1 / 3 : e.deltaMode === 2 ? 10 : 1 / 100;
      canvasApp.scroll(-e.deltaX * unit, -e.deltaY * unit);
    }, { passive: false, capture: true });
    canvas.focus();

    const galleryText = await galleryPromise;
    canvasApp.setGallery(galleryText);
    try {
      const parsed = JSON.parse(galleryText);
      if (Array.isArray(parsed)) gallery = parsed;
    } catch { /* the app shows its note */ }
    Promise.all(gallery.map(async (entry, i) => {
      const r = await fetch(entry.file);
      if (r.ok) canvasApp.setGalleryImage(i, new Uint8Array(await r.arrayBuffer()));
    })).catch((e) => console.warn(`gallery: ${e.message}`));

    let modelJsonText;
    try {
      modelJsonText = await modelJsonPromise;
    } catch (e) {
      canvasApp.setStatus("Error", e.message);
      throw e;
    }
    const modelError = canvasApp.setModel(modelJsonText);
    if (modelError) throw new Error(modelError);  // the app already shows it
    const model = JSON.parse(modelJsonText);  // valid: WASM (shared/) just accepted it
    classes = model.classes;
    canvasApp.height = model.input.height;
    canvasApp.width = model.input.width;

    const threads = inferenceThreads();
    worker = new InferenceClient(new URL("inference_worker.js", location.href));
    let info;
    try {
      info = await worker.init({
        modelUrl: new URL(MODEL_ONNX_URL, location.href).href,
        ortBase: new URL("ort/", location.href).href,
        numThreads: threads,
        inputName: model.input.name ?? "input",
        inputHeight: model.input.height,
        inputWidth: model.input.width,
        logitsOutput: model.outputs.logits,
        probabilitiesOutput: model.outputs.probabilities,
        classCount: classes.length,
      });
    } catch (e) {
      canvasApp.setStatus("Error", e.message);
      throw e;
    }
    const runtime = `ONNX Runtime Web ${info.ortVersion} · ${info.threads} thread${info.threads === 1 ? "" : "s"}`;
    canvasApp.setStatus("Ready", "Ready", runtime);

    fileInput.addEventListener("change", () => {
      const files = Array.from(fileInput.files);
      fileInput.value = "";
      classifyFiles(files);
    });
    window.addEventListener("dragover", (e) => { e.preventDefault(); document.body.classList.add("dragging"); });
    window.addEventListener("dragleave", () => document.body.classList.remove("dragging"));
    window.addEventListener("drop", (e) => {
      e.preventDefault();
      document.body.classList.remove("dragging");
      classifyFiles(Array.from(e.dataTransfer?.files ?? []));
    });
    return { ortVersion: info.ortVersion, threads: info.threads, crossOriginIsolated: self.crossOriginIsolated, classes: classes.slice() };
  }

  start().then((info) => {
    performance.mark("alzscan-ready");
    resolveReady(info);
  }, (e) => {
    console.warn(`alzscan: ${e.message}`);
    if (!canvasApp) showFatal(e.message);
    rejectReady(e);
  });

  return Object.freeze({
    ready,
    classify,
    batchCsv: () => (canvasApp ? canvasApp.batchCsv() : ""),
    selection: () => (canvasApp ? canvasApp.selection() : { index: -1, count: 0 }),
    // make bench-web: ORT Web inference alone, `runs` times on one preprocessed tensor -> [ms].
    benchmarkInference: async (tensor, runs = 50) => (await ready, (await worker.bench(-1, Float32Array.from(tensor), runs)).times),
    preprocess: async (input) => {
      await ready;
      const r = canvasApp.preprocess(await toBytes(input));
      if (r.error) throw new Error(r.error);
      return r.tensor;
    },
  });
}

window.alzscan = createAlzscan();

// Offline: a service worker caches every asset of this build (sw.js lists them).
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("sw.js").catch((e) => console.warn(`service worker: ${e.message}`));
}
