#!/usr/bin/env node
// scripts/bench_scans_web.mjs (make bench-web): a person's scan in the browser, measured side by side
// in one run, median of --runs after one warm-up (printed apart):
//   - a 32-slice stack (one held-out person's slice files, bytes handed to classifyScan), Colin27's
//     ch2bet.nii.gz (a brain volume: decode, registration, slab) and a 1 mm 256^3 T1 with skull
//     (scripts/make_t1_256.py: a head as a scanner stores it): call -> verdict and its stages;
//   - ORT Web's own time for the same 32 slices in the page: one batched run right after each stack
//     scan (the ratio is the median of each scan's over the kernel beside it), 20 batched runs and
//     50 single runs after all scans;
//   - onnxruntime-node on the identical 32-slice tensor (batched).
//   node scripts/bench_scans_web.mjs --web-out build/web --data ../shared/data/alzheimer_mri [--runs 5]
// Writes bench-web-scans.json next to WEB_OUT and prints a table.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ort from "onnxruntime-node";
import { launchBrowser } from "../tests/browser/harness.mjs";
import { ortSessionConfig } from "../web/ort_session_config.mjs";
import { startServer } from "../web/server.mjs";
import { verifyModelDir } from "./verify_model.mjs";

const args = { webOut: "build/web", data: "../shared/data/alzheimer_mri", runs: 5 };
for (let i = 2; i < process.argv.length; ++i) {
  const a = process.argv[i];
  if (a === "--web-out") args.webOut = process.argv[++i];
  else if (a === "--data") args.data = process.argv[++i];
  else if (a === "--runs") args.runs = Number(process.argv[++i]);
  else {
    console.error(`bench_scans_web: unknown option ${a} (--web-out DIR --data DIR --runs N)`);
    process.exit(2);
  }
}
const webOut = path.resolve(args.webOut);
const CH2BET = "/usr/share/mricron/templates/ch2bet.nii.gz";
for (const f of [path.join(webOut, "index.html"), path.join(args.data, "SUBJECTS.tsv"), CH2BET]) {
  if (!fs.existsSync(f)) {
    console.error(`bench_scans_web: ${f} missing (make build; DATA=...; make setup installs mricron-data)`);
    process.exit(1);
  }
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

// The first held-out (fold 0) person with 32 slices, in slice_rank order.
function heldOutPerson() {
  const lines = fs.readFileSync(path.join(args.data, "SUBJECTS.tsv"), "utf8").trim().split("\n");
  const col = Object.fromEntries(lines[0].split("\t").map((name, i) => [name, i]));
  const rows = lines.slice(1).map((l) => l.split("\t")).filter((c) => c[col.subject_fold] === "0" && c[col.subject_slices] === "32");
  const subject = rows.map((c) => c[col.subject]).sort()[0];
  return rows.filter((c) => c[col.subject] === subject).sort((a, b) => Number(a[col.slice_rank]) - Number(b[col.slice_rank]))
    .map((c) => path.join(args.data, c[col.relative_path]));
}

// In the page: classifyScan `runs` + 1 times (the first is the warm-up) -> each run's timings. With
// `kernel` ({tensor, count}), ORT Web's own batch time right after each scan (median of 3 runs):
// this machine's speed drifts over a minute, so each scan is compared with the kernel beside it.
// Before each scan and each kernel run the page settles for 0.5 s: the base64 input's garbage and
// the last result's frames are not the scan's (files a person drops are read as bytes).
async function timeScans(page, inputs, name, kernel = null) {
  return page.evaluate(async ({ b64s, name, runs, kernel }) => {
    const decode = (b) => Uint8Array.from(atob(b), (c) => c.charCodeAt(0));
    const settle = () => new Promise((done) => setTimeout(done, 500));
    const out = [];
    for (let r = 0; r <= runs; ++r) {
      const input = b64s.length === 1 ? decode(b64s[0]) : b64s.map(decode);
      await settle();   // the input's own garbage and the last result's frames, before the clock starts
      const s = await window.alzscan.classifyScan(input, { name });
      await settle();
      const kernel_times = kernel ? await window.alzscan.benchmarkInference(kernel.tensor, 3, kernel.count) : [0];
      out.push({ ...s.timings, kernel_times, probabilities: s.probabilities, warm_up: r === 0 });
    }
    return out;
  }, { b64s: inputs.map((b) => b.toString("base64")), name, runs: args.runs, kernel })
    .then((runs) => runs.map(({ kernel_times, ...r }) => ({ ...r, kernel_ms: median(kernel_times) })));
}

// The warm-up run apart from the timed ones: V8 runs a WebAssembly function's first calls in its
// baseline compiler's code, so the first volume after the page loads is slower than the medians.
const warmUp = (runs) => ({ first: runs.find((r) => r.warm_up), timed: runs.filter((r) => !r.warm_up) });

const stack = heldOutPerson();
const t1Path = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "alzscan-scans-")), "t1_256.nii.gz");
execFileSync("/usr/bin/python3", [path.join(path.dirname(new URL(import.meta.url).pathname), "make_t1_256.py"), t1Path]);
const server = await startServer({ root: webOut, port: 0 });
const browser = await launchBrowser();
const page = browser.context.pages()[0] ?? (await browser.context.newPage());
let result;
try {
  await page.goto(server.url);
  const info = await page.evaluate(async () => window.alzscan.ready);
  // The first visit's service worker copies every asset (34 MB) for offline use: the scans are
  // timed once it is active, as on any later visit.
  await page.evaluate(async () => { await navigator.serviceWorker.ready; await new Promise((done) => setTimeout(done, 1000)); });
  // The identical 32-slice tensor: the page's own preprocessing of each file.
  const tensor = await page.evaluate(async (b64s) => {
    const parts = [];
    for (const b of b64s) parts.push(...await window.alzscan.preprocess(Uint8Array.from(atob(b), (c) => c.charCodeAt(0))));
    return parts;
  }, stack.map((f) => fs.readFileSync(f).toString("base64")));
  const n = stack.length, hw = tensor.length / n;
  const stackAll = warmUp(await timeScans(page, stack.map((f) => fs.readFileSync(f)), "stack", { tensor, count: n }));
  const volumeAll = warmUp(await timeScans(page, [fs.readFileSync(CH2BET)], "ch2bet.nii.gz"));
  const headAll = warmUp(await timeScans(page, [fs.readFileSync(t1Path)], "t1_256.nii.gz"));
  const [stackRuns, volumeRuns, headRuns] = [stackAll.timed, volumeAll.timed, headAll.timed];
  const batchWeb = await page.evaluate(async ({ t, n }) => window.alzscan.benchmarkInference(t, 20, n), { t: tensor, n });
  const singleWeb = await page.evaluate(async (t) => window.alzscan.benchmarkInference(t, 50, 1), tensor.slice(0, hw));

  const model = verifyModelDir(path.join(webOut, "model"));
  const { height: h, width: w, name: inputName = "input" } = model.input;
  const session = await ort.InferenceSession.create(path.join(webOut, "model/model.onnx"), {
    intraOpNumThreads: info.threads, interOpNumThreads: 1, graphOptimizationLevel: "all", extra: { session: ortSessionConfig() },
  });
  const feed = () => ({ [inputName]: new ort.Tensor("float32", Float32Array.from(tensor), [n, 1, h, w]) });
  await session.run(feed());
  const batchNative = [];
  for (let i = 0; i < 20; ++i) {
    const t0 = performance.now();
    await session.run(feed());
    batchNative.push(performance.now() - t0);
  }
  const stage = (runs, key) => median(runs.map((r) => r[key] ?? 0));
  // Without the registration: the scan less the template, the registration and the progress frames
  // shown while they run (each run's own; the median of those).
  const withoutRegistration = (r) => r.total_ms - r.template_ms - r.registration_ms - r.registration_frames_ms;
  const volumeStages = (runs, first) => ({
    ...Object.fromEntries(["total_ms", "read_ms", "open_ms", "decode_ms", "template_ms", "registration_ms", "slab_ms",
      "frames_ms", "registration_frames_ms", "preprocess_ms", "inference_ms", "ood_cam_ms", "aggregate_ms"].map((k) => [k, stage(runs, k)])),
    without_registration_ms: median(runs.map(withoutRegistration)),
    first: { total_ms: first.total_ms, without_registration_ms: withoutRegistration(first), decode_ms: first.decode_ms,
      slab_ms: first.slab_ms, template_ms: first.template_ms, registration_ms: first.registration_ms,
      registration_frames_ms: first.registration_frames_ms },
  });
  const kernelBatch = median(batchWeb), kernelSingles = n * median(singleWeb);
  result = {
    date: new Date().toISOString(), ort_web: info.ortVersion, threads: info.threads, runs: args.runs, slices: n,
    stack: { total_ms: stage(stackRuns, "total_ms"), preprocess_ms: stage(stackRuns, "preprocess_ms"), inference_ms: stage(stackRuns, "inference_ms"),
      ood_cam_ms: stage(stackRuns, "ood_cam_ms"), aggregate_ms: stage(stackRuns, "aggregate_ms"),
      kernel_beside_ms: stage(stackRuns, "kernel_ms"), over_kernel_beside: median(stackRuns.map((r) => r.total_ms / r.kernel_ms)),
      first: { total_ms: stackAll.first.total_ms } },
    volume: volumeStages(volumeRuns, volumeAll.first),
    head_256: volumeStages(headRuns, headAll.first),
    kernel_ms: { ort_web_batch: kernelBatch, ort_web_32_single: kernelSingles, onnxruntime_node_batch: median(batchNative) },
    ratio: { stack_over_web_batch_kernel: stage(stackRuns, "total_ms") / kernelBatch, stack_over_web_single_kernels: stage(stackRuns, "total_ms") / kernelSingles,
      web_batch_over_node_batch: kernelBatch / median(batchNative) },
  };
} finally {
  await browser.close();
  await server.close();
}

const ms = (x) => `${x.toFixed(1)} ms`;
console.log(`bench-web scans: ORT Web ${result.ort_web} (${result.threads} threads), medians of ${result.runs} runs after a warm-up`);
console.log(`  ${result.slices}-slice stack     call -> verdict ${ms(result.stack.total_ms)} (preprocess ${ms(result.stack.preprocess_ms)}, inference ${ms(result.stack.inference_ms)}, ` +
  `overlapping; OOD + CAM ${ms(result.stack.ood_cam_ms)}, aggregate ${ms(result.stack.aggregate_ms)}); ORT Web's batch right after each scan ${ms(result.stack.kernel_beside_ms)}: scan / kernel ${result.stack.over_kernel_beside.toFixed(2)}x (median of the runs' ratios); its warm-up run ${ms(result.stack.first.total_ms)}`);
for (const [label, v] of [["ch2bet.nii.gz      ", result.volume], ["t1_256.nii.gz (head)", result.head_256]])
  console.log(`  ${label} call -> verdict ${ms(v.total_ms)}: open ${ms(v.open_ms)} (decode ${ms(v.decode_ms)}, registration ${ms(v.registration_ms)}, slab ${ms(v.slab_ms)}, ` +
    `progress frames ${ms(v.frames_ms)} of which during the registration ${ms(v.registration_frames_ms)}), preprocess ${ms(v.preprocess_ms)}, inference ${ms(v.inference_ms)}, ` +
    `OOD + CAM ${ms(v.ood_cam_ms)}, aggregate ${ms(v.aggregate_ms)}; ` +
    `without the registration: ${ms(v.without_registration_ms)}; its warm-up run: ${ms(v.first.total_ms)}, without the registration ${ms(v.first.without_registration_ms)} ` +
    `(decode ${ms(v.first.decode_ms)}, slab ${ms(v.first.slab_ms)}; template ${ms(v.first.template_ms)}, registration ${ms(v.first.registration_ms)}, ` +
    `its frames ${ms(v.first.registration_frames_ms)})`);
console.log(`  kernels, ${result.slices} slices   ORT Web one batch ${ms(result.kernel_ms.ort_web_batch)}, ${result.slices} single runs ${ms(result.kernel_ms.ort_web_32_single)}; onnxruntime-node one batch ${ms(result.kernel_ms.onnxruntime_node_batch)}`);
console.log(`  ratios              stack / ORT Web batch kernel ${result.ratio.stack_over_web_batch_kernel.toFixed(2)}x, stack / ${result.slices} single kernels ${result.ratio.stack_over_web_single_kernels.toFixed(2)}x, ORT Web / onnxruntime-node (batch) ${result.ratio.web_batch_over_node_batch.toFixed(2)}x`);
const out = path.join(path.dirname(webOut), "bench-web-scans.json");
fs.writeFileSync(out, JSON.stringify(result, null, 1));
console.log(`  written to ${out}`);
