// web/supervisor.js: the app instance on screen and its restart after a crash. A crash of the WASM
// app (a trap) discards that instance: the file it was on and any file still waiting for its
// result fail with a message, and a new instance on a new canvas gets the model, gallery, status
// and the rows before it (results, no images) from the copies kept here (`shown`, `rows`).
//   const sup = new Supervisor(host);
//   sup.goLive(await sup.launch(canvas, createAlzscanApp(sup.moduleOptions(canvas))));
//   const app = await sup.liveApp();   // the live app, or the one a restart brings up

import { CanvasApp, ModuleCrash } from "./canvas_app.js";
import { announce, showFatal } from "./page_io.js";

// A restarted app that crashes in its frame loop before it has drawn this many frames is crashed
// by the state it was given (the first frames draw all of it): that is fatal, not restarted again.
const RESTART_SETTLE_FRAMES = 2;
// While a scan's inference holds the frames, the UI still draws this often (ms).
const HELD_FRAME_MS = 500;

export function crashNote(crash) {
  return `not classified: the app crashed (${crash.what}) and was restarted; open this file again`;
}

export class Supervisor {
  constructor() {
    this.live = null;       // the CanvasApp on screen; null before it starts and while a crash restarts it
    this.liveReady = null;  // resolves to the app to use (a restart replaces it); rejects when none can run
    this.started = false;   // the page is ready: from then on a crash restarts the app instead of failing the start
    this.restarts = 0;
    this.moduleRefs = [];   // every module instance started, weakly: tests check a crashed one is freed
    this.host = null;       // the page's callbacks the C++ side calls (EM_JS: file pickers, gallery, CSV)
    // What the UI shows, kept to hand to a new instance after a crash. Only what the old one
    // accepted without crashing is kept (a gallery image that crashed it is not shown again).
    this.shown = { font: null, galleryText: null, galleryImages: [], modelJson: null, inputLength: 0, status: null };
    // The batch: [{id, row}], row = the item's JSON copy (wasm/scan_batch.h item_json) as the
    // module last returned it, before any crash; "Clear" empties it (host.batchCleared).
    this.rows = [];
    this.held = 0;          // scans whose inference holds the frames (holdFrames)
    this.lastFrame = 0;     // performance.now() of the last frame drawn while held
  }

  // The app to call: the live one, or the one a restart is bringing up.
  liveApp() { return this.live ?? this.liveReady; }
  // Once a restart has settled (or failed).
  settled() { return this.liveReady.catch(() => {}); }

  goLive(app) {
    this.live = app;
    this.liveReady = Promise.resolve(app);
    this.runFrames(app);
  }

  onCrash(app, crash, where) {
    if (app !== this.live) return;  // one being set up or already replaced: its caller sees the throw
    this.live = null;
    console.warn(`alzscan: ${crash.message}${this.started ? "; starting a new instance" : ""}`);
    // Results that had not arrived are never shown (the file may have been what crashed it).
    for (const r of this.rows)
      if (r.row?.status === "running") r.row = { ...r.row, status: "error", error: crashNote(crash) };
    if (!this.started || (app.restarted && where === "frame" && app.frames < RESTART_SETTLE_FRAMES)) {
      const message = this.started ? `alzscan crashed again right after a restart (${crash.what}); reload the page` : crash.message;
      app.detach();  // its canvas goes blank: only plain HTML can say why
      showFatal(message);
      this.liveReady = Promise.reject(new Error(message));
    } else {
      announce(`alzscan crashed (${crash.what}) and restarts.`);
      this.liveReady = this.restart(app, crash);
    }
    this.liveReady.catch(() => {});
  }

  // A new module instance on a new canvas element (the old one's WebGL context is lost with it),
  // given everything `shown` and `rows` hold.
  async restart(old, crash) {
    old.detach();
    const canvas = old.canvas.cloneNode(false);
    const hadFocus = document.activeElement === old.canvas;
    old.canvas.replaceWith(canvas);
    try {
      const app = await this.launch(canvas, createAlzscanApp(this.moduleOptions(canvas)));
      app.restarted = true;
      this.live = app;
      this.restarts += 1;
      this.runFrames(app);
      if (hadFocus) canvas.focus();
      return app;
    } catch (e) {
      const message = `alzscan crashed (${crash.what}) and could not restart: ${e.message}; reload the page`;
      showFatal(message);
      throw new Error(message);
    }
  }

  moduleOptions(canvas) {
    return { canvas, alzscanHost: this.host, print: console.log, printErr: console.warn };
  }

  // Starts the UI of a loaded module and gives it what the page has so far.
  async launch(canvas, modulePromise) {
    const app = new CanvasApp(await modulePromise, canvas, (a, crash, where) => this.onCrash(a, crash, where));
    this.moduleRefs.push(new WeakRef(app.m));
    const { shown, rows } = this;
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

  // The page runs the frame loop; it ends with its app (a crash, or a restart replaced it). While
  // frames are held it draws one every HELD_FRAME_MS only: the frames a scan's status changes ask
  // for wait for its results instead of drawing while its inference runs.
  runFrames(app) {
    const step = (now) => {
      if (app !== this.live) return;
      if (!this.held || now - this.lastFrame >= HELD_FRAME_MS) {
        this.lastFrame = now;
        try { app.frame(); } catch { return; /* a crash: onCrash restarts the app or says why not */ }
      }
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }

  // await work() with the frames held (runFrames) -> its result. Under software GL a frame is a
  // full redraw on the CPU, taken from the inference worker's core: on the 2-core machine of
  // BENCHMARKS.md the frames a volume's status changes ask for made its batched inference 1.4x
  // slower. The results then draw in one frame.
  async holdFrames(work) {
    if (!this.held) this.lastFrame = performance.now();
    this.held += 1;
    try { return await work(); } finally { this.held -= 1; }
  }

  // Calls from DOM events: a crash there is handled by onCrash; the event itself has nothing to do.
  onLive(fn) {
    if (!this.live) return;
    try { fn(this.live); } catch (e) { if (!(e instanceof ModuleCrash)) throw e; }
  }

  // A sync API call during a restart (or the call that crashed) sees no app, as before the start.
  fromLive(fn, none) {
    if (!this.live) return none;
    try { return fn(this.live); } catch (e) { if (e instanceof ModuleCrash) return none; throw e; }
  }

  // The status line, shown now and kept for a restarted instance.
  setStatus(app, ...args) {
    app.setStatus(...args);
    this.shown.status = args;
  }

  // The status line the page last set (e.g. "Ready"), back after a step's own; none on a crashed app.
  restoreStatus(app) {
    if (this.shown.status && !app.crash) app.setStatus(...this.shown.status);
  }

  // A row the page fails itself (no decode); after a crash in that very call, the restarted app gets it.
  async addFailedRow(app, name, trueLabel, message) {
    try {
      this.rows.push(app.addFailed(name, trueLabel, message));
    } catch (e) {
      if (!(e instanceof ModuleCrash)) throw e;
      this.rows.push({ id: 0, row: { name, true_label: trueLabel, status: "error", error: message } });
      await this.settled();
    }
  }

  // The caller's error once the restarted app shows the row with the same message.
  async failAfterCrash(name, message) {
    announce(`${name}: not classified. ${message}`);
    await this.settled();
    return new Error(message);
  }
}
