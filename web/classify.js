// web/classify.js: the page's classify/scan work. A file or a volume's slice becomes a batch row
// in the WASM app (decoded and preprocessed there), its tensor runs in the inference worker (ONNX
// Runtime Web), and the result goes back into the app; a scan's rows run as one batch and end in
// a verdict row (shared/ scan_verdict). Every failure is a row the UI shows and the caller's error.
//   const c = new Classifier(sup, session, ready);  // session: {worker, classes, hasOod}, set at start
//   await c.classify(file, {name, trueLabel}); await c.classifyScan(volumeOrFiles, options);

import { batchRow } from "./inference_client.js";
import { ModuleCrash } from "./canvas_app.js";
import { MAX_FILE_BYTES, announce, toBytes, tooLarge } from "./page_io.js";
import { crashNote } from "./supervisor.js";
import { sortFiles } from "./volume_files.js";
import { isDicomSet, openVolumeShown, volumeInput } from "./volume_open.js";

// Slices per ORT run of a scan (N,1,H,W). A scan's rows go to the worker in runs of this many as
// soon as they are preprocessed, so that the next rows' preprocessing (the pose step, 3-5 ms per
// slice file) overlaps the inference of the ones before (6 ms per slice). ORT Web takes the same
// time per slice in runs of 4 as in one run of 32 (192 vs 191 ms for 32 slices, BENCHMARKS.md).
const SCAN_CHUNK = 4;

export class Classifier {
  constructor(sup, session, ready) {
    this.sup = sup;
    this.session = session;
    this.ready = ready;
  }

  async classify(input, options = {}) {
    await this.ready;
    const bytes = await toBytes(input);
    const name = options.name ?? (input instanceof File ? input.name : "bytes");
    const trueLabel = options.trueLabel ?? "";
    const t0 = performance.now();
    const app = await this.sup.liveApp();
    if (bytes.length > MAX_FILE_BYTES) {
      const message = tooLarge(bytes.length);
      await this.sup.addFailedRow(app, name, trueLabel, message);
      throw new Error(message);
    }
    return this.runItem(app, name, trueLabel, t0, () => app.addFile(name, trueLabel, bytes));
  }

  // One batch row from add() (addFile, or a volume's slice) through the worker to its result.
  async runItem(app, name, trueLabel, t0, add) {
    const { entry, item } = await this.addRow(app, name, trueLabel, add);
    let result;
    // Show the "classifying…" row if the result is not there within 50 ms.
    const slowTimer = setTimeout(() => { try { app.wake(); } catch { /* onCrash has it */ } }, 50);
    try {
      result = await this.session.worker.run(item.id, item.tensor);
    } catch (e) {
      throw await this.failRow(app, name, entry, item, e);
    } finally {
      clearTimeout(slowTimer);
    }
    return this.finishRow(app, name, entry, item, result, t0);
  }

  // add() -> {entry (the page's copy of the row), item (its tensor)}; a row that could not be
  // added, or whose decode failed, throws its message once the UI shows it (a scan's rows,
  // `inScan`, are not announced one by one).
  async addRow(app, name, trueLabel, add, inScan = false) {
    let item;
    try {
      item = add();
    } catch (e) {
      if (e instanceof ModuleCrash) {
        const message = `the decoder crashed on this file (${e.what}); the app was restarted`;
        this.sup.rows.push({ id: 0, row: { name, true_label: trueLabel, status: "error", error: message } });
        throw await this.sup.failAfterCrash(name, message);
      }
      await this.sup.addFailedRow(app, name, trueLabel, e.message);
      throw e;
    }
    const entry = { id: item.id, row: item.row };
    this.sup.rows.push(entry);
    if (item.error) {
      if (!inScan) announce(`${name}: not classified. ${item.error}`);
      throw new Error(item.error);
    }
    return { entry, item };
  }

  // The app crashed while this row's result was on its way: the row is failed, never filled.
  lostRow(app, name, entry) {
    return this.sup.failAfterCrash(name, entry.row?.status === "error" ? entry.row.error : crashNote(app.crash));
  }

  // The worker failed a row: the row says so -> the error to throw.
  async failRow(app, name, entry, item, error) {
    if (app.crash) return this.lostRow(app, name, entry);
    try {
      entry.row = app.setFailure(item.id, error.message) ?? entry.row;
    } catch (c) {
      if (c instanceof ModuleCrash) return this.lostRow(app, name, entry);
      throw c;
    }
    return error;
  }

  // A row's result from the worker into the app -> what classify returns. A scan's rows are not
  // announced one by one (`inScan`): its verdict is, once (a screen reader hears one line, and the
  // page does not repaint per slice while the scan's other runs are still working).
  async finishRow(app, name, entry, item, result, t0, inScan = false) {
    if (app.crash) throw await this.lostRow(app, name, entry);
    const { classes } = this.session;
    let extras, atrophy, index, oodCamMs;
    try {
      const e0 = performance.now();
      extras = app.setExtras(item.id, result.features, result.cam);
      oodCamMs = performance.now() - e0;
      entry.row = app.setResult(item.id, result.probabilities, result.inferenceMs) ?? entry.row;
      atrophy = app.itemAtrophy(item.id);
      ({ index } = app.itemVerdict(item.id));
    } catch (e) {
      if (e instanceof ModuleCrash) throw await this.lostRow(app, name, entry);
      throw e;
    }
    const probabilities = Array.from(result.probabilities);
    if (!inScan)
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
      timings: { preprocess_ms: item.preprocessMs, inference_ms: result.inferenceMs, ood_cam_ms: oodCamMs, total_ms: performance.now() - t0 },
    };
  }

  // One ORT run over `chunk` (rows added by runRows), sent to the worker now -> a promise that sets
  // each row's classify result into out[i] once the main thread is free again.
  async runChunk(app, names, chunk, out, t0) {
    const n = app.inputLength, tensor = new Float32Array(chunk.length * n);
    chunk.forEach((a, k) => tensor.set(a.item.tensor, k * n));
    let result;
    try {
      result = await this.session.worker.run(chunk[0].item.id, tensor, chunk.length);
    } catch (e) {
      for (const a of chunk) out[a.i] = { error: (await this.failRow(app, names[a.i], a.entry, a.item, e)).message };
      return;
    }
    for (const [k, a] of chunk.entries()) {
      try {
        out[a.i] = await this.finishRow(app, names[a.i], a.entry, a.item, batchRow(result, k), t0, true);
      } catch (e) { out[a.i] = { error: e.message }; }
    }
  }

  // A scan's rows: each added by add(i) (preprocessed in WASM) and sent to the worker SCAN_CHUNK at
  // a time while the next are preprocessed. Their results are taken in once every row is sent, run
  // by run, with the frames held meanwhile, so the UI draws once instead of once per slice. -> per
  // row what classify returns, or {error}. A row's inference_ms is its share of its run's. A run
  // that throws fails the scan once every run sent has ended (none is left working on the app).
  async runRows(app, names, add, t0) {
    const out = new Array(names.length);
    const runs = [];
    let chunk = [];
    const send = () => {
      if (chunk.length) runs.push(this.runChunk(app, names, chunk, out, t0));
      chunk = [];
    };
    return this.sup.holdFrames(async () => {
      for (let i = 0; i < names.length; ++i) {
        // After a crash the rest of the scan is not read: the new instance never saw it.
        if (app.crash) {
          out[i] = { error: crashNote(app.crash) };
          continue;
        }
        try {
          chunk.push({ i, ...(await this.addRow(app, names[i], "", () => add(i), true)) });
        } catch (e) { out[i] = { error: e.message }; }
        if (chunk.length === SCAN_CHUNK) send();
      }
      send();
      const failed = (await Promise.allSettled(runs)).find((r) => r.status === "rejected");
      if (failed) throw failed.reason;
      return out;
    });
  }

  // A volume (a NIfTI/MGH/Analyze file or bytes, or DICOM files) or a stack of slice files: each
  // slice as a batch row, then a verdict row: shared/ aggregate_slices over the slices that
  // classified, the aggregation `alzscan cv` measures per person and `alzscan predict` prints.
  async classifyScan(input, options = {}) {
    await this.ready;
    const t0 = performance.now();
    const app = await this.sup.liveApp();
    app.beginScan();
    try {
      const scan = Array.isArray(input) && !options.dicom && !(await isDicomSet(input))
        ? await this.stackRows(app, input, options)
        : await this.volumeRows(app, input, options);
      return scan && this.verdict(app, scan, t0);
    } finally {
      if (!app.crash) app.endScan();
    }
  }

  // Slice files as one scan, in the order given -> {name, how, results}.
  async stackRows(app, input, options) {
    const name = options.name ?? (input[0] instanceof File ? input[0].name : "stack");
    const names = input.map((f, i) => (f instanceof File ? f.name : `${name} #${i}`));
    const bytes = await Promise.all(input.map(toBytes));
    const results = await this.runRows(app, names, (i) => {
      if (bytes[i].length > MAX_FILE_BYTES) throw new Error(tooLarge(bytes[i].length));
      return app.addFile(names[i], "", bytes[i]);
    }, performance.now());
    return { name, how: `a stack of ${input.length} slice files, in the order given`, results, notes: [] };
  }

  // A volume's slab, opened (and registered) in WASM, its slices as rows -> {name, how, notes,
  // results, registration, timings}; null when the series table was cancelled.
  async volumeRows(app, input, options) {
    let volume;
    const r0 = performance.now();
    try {
      volume = await volumeInput(this.sup, app, input, options);
    } catch (e) {
      const what = options.name ?? (Array.isArray(input) ? `${input.length} DICOM files` : input?.name ?? "volume");
      await this.sup.addFailedRow(app, what, "", e.message);
      throw e;
    }
    if (!volume) return null;
    const readMs = performance.now() - r0, name = volume.name;
    const o0 = performance.now();
    const opened = await openVolumeShown(this.sup, app, name, volume);
    const openMs = performance.now() - o0;
    if (opened.error) {
      await this.sup.addFailedRow(app, name, "", opened.error);
      throw new Error(opened.error);
    }
    const names = opened.slices.map((k) => `${name} slice ${k}`);
    const rowsOut = await this.runRows(app, names, (i) => app.addVolumeSlice(names[i], i), performance.now());
    return {
      name, how: opened.how, notes: [...volume.notes, ...opened.notes], registration: opened.registration,
      results: rowsOut.map((r, i) => ({ ...r, slice: opened.slices[i] })),
      // read_ms (the files' bytes; DICOM: read, parsed and decoded by the reader, the series table's
      // wait included), open_ms (decode, registration and slab in the app) and its stages
      // (volume_open.js): decode_ms, template_ms, registration_ms, slab_ms, frames_ms and of them
      // registration_frames_ms
      timings: { read_ms: readMs, open_ms: openMs, ...opened.stages },
    };
  }

  // The scan's verdict row -> what classifyScan returns.
  verdict(app, scan, t0) {
    const { name, how, notes, results, registration } = scan;
    const { classes, hasOod } = this.session;
    const done = results.filter((r) => !r.error);
    if (!done.length) throw new Error(`${name}: no slice could be classified (${results[0]?.error ?? "no slices"})`);
    const verdictName = `${name}: scan of ${done.length} slices`;
    const a0 = performance.now();
    const verdictId = app.addVerdict(verdictName, [how, ...notes].join("; "));
    this.sup.rows.push({ id: verdictId, row: app.itemRow(verdictId) });
    const { index, probabilities } = app.itemVerdict(verdictId);
    const ood = hasOod ? app.itemOod(verdictId) : null;
    const atrophy = app.itemAtrophy(verdictId);
    const aggregateMs = performance.now() - a0;
    announce(index < 0 ? `${verdictName}: not classified. ${ood.reason}.`
                       : `${verdictName}: ${classes[index].replaceAll("_", " ")}, ${(probabilities[index] * 100).toFixed(1)} percent. Research demo, not a diagnosis.`);
    const sum = (key) => done.reduce((a, r) => a + r.timings[key], 0);
    return {
      file: name, label: index < 0 ? null : classes[index], index, ood, probabilities,
      classes: classes.slice(), how, notes, slices: results, atrophy, ...(registration ? { registration } : {}),
      timings: {
        ...(scan.timings ?? {}),
        preprocess_ms: sum("preprocess_ms"), inference_ms: sum("inference_ms"), ood_cam_ms: sum("ood_cam_ms"),
        aggregate_ms: aggregateMs, total_ms: performance.now() - t0,
      },
    };
  }

  // Files from the picker or a drop: one after another, in order; errors are shown in the UI.
  // Volumes are scans of their own (an Analyze pair is one); DICOM files are read together, one
  // scan for the series picked in the series table; with the batch panel's "one scan" box ticked,
  // the slice files opened together are one scan (in name order).
  async classifyFiles(files, chooseSeries) {
    const app = await this.sup.liveApp();
    const { volumes, dicom, slices } = await sortFiles(files);
    const together = slices.length > 1 && app.oneScan();
    for (const file of files) {
      const volume = volumes.find((v) => v.file === file);
      try {
        if (volume) await this.classifyScan(volume.file, { partner: volume.partner });
        else if (!together && slices.includes(file)) await this.classify(file);
      } catch { /* shown next to the file */ }
    }
    if (dicom.length) {
      try { await this.classifyScan(dicom, { dicom: true, chooseSeries }); } catch { /* shown in the batch */ }
    }
    if (together) {
      slices.sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
      try { await this.classifyScan(slices); } catch { /* shown next to the files */ }
    }
  }
}
