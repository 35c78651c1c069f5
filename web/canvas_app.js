// web/canvas_app.js: the ImGui/WASM app (alzscan_app.js, wasm/app_exports.cpp) wrapped for the page:
// strings and byte buffers in, JSON out. A trap, abort or uncaught C++ exception inside any call is
// a ModuleCrash (web/supervisor.js restarts the app); a Refusal is the page's own "no" before the
// module ran.
//   const app = new CanvasApp(await createAlzscanApp({canvas, ...}), canvas, onCrash);
//   app.start(); const {id, row, tensor} = app.addFile(name, trueLabel, bytes);

// A crash inside the WASM app: a trap (WebAssembly.RuntimeError "unreachable", "memory access out
// of bounds"), an abort() or an uncaught C++ exception. Its memory can no longer be trusted: the
// page discards that instance and starts a new one (web/supervisor.js).
export class ModuleCrash extends Error {
  constructor(cause) {
    const what = cause instanceof Error ? `${cause.name}: ${cause.message}`
      : typeof cause === "number" ? "an uncaught C++ exception" : String(cause);
    super(`the WebAssembly app crashed (${what})`);
    this.what = what;
  }
}

// Refused by the page before the module ran (it is fine): no crash.
export class Refusal extends Error {}

// The WASM app, wrapped: strings and byte buffers in, strings out. Every call into the module goes
// through call(): anything thrown from inside it is a ModuleCrash, reported once to onCrash, and
// from then on every method throws that crash without entering the module again.
export class CanvasApp {
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
  // The head volume that answered {need_reference: true}, once loadReference ran -> openVolume's
  // answers, without copying or decoding the file again.
  openAwaiting() { return this.call((m) => JSON.parse(m.UTF8ToString(m._alzscan_app_open_awaiting(this.app)))); }
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
