#!/usr/bin/env node
// scripts/bench_web.mjs (make bench-web): the browser app's speed, measured side by side in one run.
//   - cold load: bytes the first visit transfers (raw and as served compressed), time to "ready"
//     and to the first classification, in a fresh Chromium profile
//   - per image, in headless Chromium: decode + preprocess (WASM shared/), inference (ORT Web in
//     the worker), classify() end to end, and drop -> result on screen (next animation frame)
//   - the same inference natively with onnxruntime-node on the identical tensors, and the ratios
//
//   node scripts/bench_web.mjs --web-out build/web --data ../shared/data/alzheimer_mri [--images 40] [--threads N]
// Writes the numbers as JSON next to WEB_OUT (bench-web.json) and prints a table.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ort from "onnxruntime-node";
import { launchBrowser } from "../tests/browser/harness.mjs";
import { ortSessionConfig, webSessionOptions } from "../web/ort_session_config.mjs";
import { startServer } from "../web/server.mjs";
import { verifyModelDir } from "./verify_model.mjs";

const args = { webOut: "build/web", data: "../shared/data/alzheimer_mri", images: 40, warmup: 5, threads: 0 };
for (let i = 2; i < process.argv.length; ++i) {
  const a = process.argv[i];
  if (a === "--web-out") args.webOut = process.argv[++i];
  else if (a === "--data") args.data = process.argv[++i];
  else if (a === "--images") args.images = Number(process.argv[++i]);
  else if (a === "--threads") args.threads = Number(process.argv[++i]);
  else {
    console.error(`bench_web: unknown option ${a} (--web-out DIR --data DIR --images N --threads N)`);
    process.exit(2);
  }
}
const webOut = path.resolve(args.webOut);
for (const f of ["index.html", "model/model.onnx", "model/model.json"]) {
  if (!fs.existsSync(path.join(webOut, f))) {
    console.error(`bench_web: ${webOut}/${f} missing (make build; the default model comes from models/default)`);
    process.exit(1);
  }
}
const split = path.join(args.data, "KAGGLE_SPLIT.tsv");
if (!fs.existsSync(split)) {
  console.error(`bench_web: ${split} missing: the benchmark needs the dataset (DATA=...)`);
  process.exit(1);
}
const files = fs.readFileSync(split, "utf8").trim().split("\n").slice(1).map((l) => l.split("\t"))
  .filter(([rel, , k]) => k === "test" && rel.startsWith("test/")).map(([rel]) => path.join(args.data, rel))
  .sort().filter((_, i) => i % 5 === 0).slice(0, args.images + args.warmup);

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))];
const fileSize = (p) => (fs.existsSync(p) ? fs.statSync(p).size : 0);

const server = await startServer({ root: webOut, port: 0 });
const browser = await launchBrowser();
const page = browser.context.pages()[0] ?? (await browser.context.newPage());
const requested = new Set();
browser.context.on("request", (r) => requested.add(r.url()));
let result;
try {
  // --threads N: the page's ?threads=N override (0: the app's own choice); native uses the same.
  await page.goto(args.threads > 0 ? `${server.url}?threads=${args.threads}` : server.url);
  await page.waitForFunction(() => window.alzscan !== undefined);
  const first = await page.evaluate(async (b64) => {
    const info = await window.alzscan.ready;
    const readyMs = performance.getEntriesByName("alzscan-ready")[0].startTime;
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const t0 = performance.now();
    await window.alzscan.classify(bytes, { name: "first.jpg" });
    await new Promise((r) => requestAnimationFrame(() => r()));
    return { info, readyMs, firstResultMs: performance.now() - t0, firstAtMs: performance.now() };
  }, fs.readFileSync(files[0]).toString("base64"));
  const coldUrls = [...requested];
  // Cost of one UI frame (headless Chromium draws WebGL with SwiftShader, on the CPU).
  const frameMs = await page.evaluate(async () => {
    let n = 0;
    const t0 = performance.now();
    await new Promise((done) => {
      const tick = () => { window.dispatchEvent(new Event("mousemove")); if (++n < 20) requestAnimationFrame(tick); else done(); };
      requestAnimationFrame(tick);
    });
    return (performance.now() - t0) / 20;
  });

  const payload = files.map((f) => fs.readFileSync(f).toString("base64"));
  const browserRuns = await page.evaluate(async ({ payload, warmup }) => {
    const out = [];
    for (let i = 0; i < payload.length; ++i) {
      const bytes = Uint8Array.from(atob(payload[i]), (c) => c.charCodeAt(0));
      const t0 = performance.now();
      const r = await window.alzscan.classify(bytes, { name: `bench_${i}.jpg` });
      const resolved = performance.now() - t0;
      await new Promise((res) => requestAnimationFrame(() => res()));
      const onScreen = performance.now() - t0;
      const tensor = await window.alzscan.preprocess(bytes);
      if (i >= warmup) out.push({ ...r.timings, resolved, onScreen, tensor: Array.from(tensor), probabilities: r.probabilities });
    }
    return out;
  }, { payload, warmup: args.warmup });

  // Inference alone in the worker, back to back with no UI work in between.
  const isolatedWeb = await page.evaluate(async ({ tensor, runs }) => window.alzscan.benchmarkInference(tensor, runs),
    { tensor: browserRuns[0].tensor, runs: 50 });

  // Native: onnxruntime-node on the identical tensors, with as many threads as the page's ORT.
  const model = verifyModelDir(path.join(webOut, "model"));
  const { height: h, width: w, name: inputName = "input" } = model.input;
  // The page's session config (web/ort_session_config.mjs: int8 weights dequantized once, at load).
  const session = await ort.InferenceSession.create(path.join(webOut, "model/model.onnx"), {
    intraOpNumThreads: first.info.threads, interOpNumThreads: 1, graphOptimizationLevel: "all",
    extra: { session: ortSessionConfig() },
  });
  for (let i = 0; i < args.warmup; ++i)
    await session.run({ [inputName]: new ort.Tensor("float32", new Float32Array(h * w), [1, 1, h, w]) });
  const isolatedNative = [];
  for (let i = 0; i < 50; ++i) {
    const t0 = performance.now();
    await session.run({ [inputName]: new ort.Tensor("float32", Float32Array.from(browserRuns[0].tensor), [1, 1, h, w]) });
    isolatedNative.push(performance.now() - t0);
  }
  // The same ORT Web WASM build run by node (V8, no browser, no UI): separates the kernels' speed
  // from the browser's. One thread: ORT Web's thread pool cannot start its workers under node.
  const ortWeb = await import("../node_modules/onnxruntime-web/dist/ort.wasm.min.mjs");
  ortWeb.env.wasm.numThreads = 1;
  const webInNode = await ortWeb.InferenceSession.create(fs.readFileSync(path.join(webOut, "model/model.onnx")),
    webSessionOptions());
  const webInNodeMs = [];
  for (let i = 0; i < 55; ++i) {
    const t0 = performance.now();
    await webInNode.run({ [inputName]: new ortWeb.Tensor("float32", Float32Array.from(browserRuns[0].tensor), [1, 1, h, w]) });
    if (i >= 5) webInNodeMs.push(performance.now() - t0);
  }
  const nativeMs = [];
  let maxDiff = 0;
  for (const run of browserRuns) {
    const t0 = performance.now();
    const out = await session.run({ [inputName]: new ort.Tensor("float32", Float32Array.from(run.tensor), [1, 1, h, w]) });
    nativeMs.push(performance.now() - t0);
    const p = out[model.outputs.probabilities].data;
    for (let k = 0; k < p.length; ++k) maxDiff = Math.max(maxDiff, Math.abs(p[k] - run.probabilities[k]));
  }

  const served = (url) => {
    const rel = decodeURIComponent(new URL(url).pathname).replace(/^\//, "") || "index.html";
    const p = path.join(webOut, rel.endsWith("/") ? rel + "index.html" : rel);
    const raw = fileSize(p);
    const br = fileSize(p + ".br");
    return { raw, compressed: br || raw };
  };
  const breakdown = (urls) => Object.fromEntries(urls.map((u) => [new URL(u).pathname, served(u)]).sort((a, b) => b[1].compressed - a[1].compressed).slice(0, 5));
  const sum = (urls) => urls.map(served).reduce((a, b) => ({ raw: a.raw + b.raw, compressed: a.compressed + b.compressed }), { raw: 0, compressed: 0 });
  const pick = (k) => browserRuns.map((r) => r[k]);
  const browserPerImage = median(pick("total_ms"));
  const nativeInference = median(nativeMs);
  const preprocess = median(pick("preprocess_ms"));
  // The work itself (decode + preprocess + inference), without waiting for UI frames.
  const browserWork = median(browserRuns.map((r) => r.preprocess_ms + r.inference_ms));
  result = {
    date: new Date().toISOString(),
    machine: `${os.cpus()[0].model}, ${os.cpus().length} vCPU`,
    chromium: await browser.context.browser()?.version?.() ?? "chromium",
    ort_web: first.info.ortVersion, threads: first.info.threads, cross_origin_isolated: first.info.crossOriginIsolated,
    model: `${model.model?.arch ?? "?"} ${model.input.height}x${model.input.width}`,
    images: browserRuns.length,
    cold_load: { ...sum(coldUrls), requests: coldUrls.length, ready_ms: first.readyMs, first_classification_ms: first.firstAtMs,
      largest_compressed: breakdown(coldUrls) },
    ui_frame_ms: frameMs,
    viewport: page.viewportSize(),
    service_worker_precache: sum([...new Set(JSON.parse(fs.readFileSync(path.join(webOut, "sw.js"), "utf8").match(/const ASSETS = (\[.*?\]);/)[1]).map((a) => new URL(a, server.url).href))]),
    browser_ms: {
      preprocess_median: preprocess, inference_median: median(pick("inference_ms")), work_per_image_median: browserWork,
      per_image_median: browserPerImage,
      per_image_p90: p90(pick("total_ms")), drop_to_screen_median: median(pick("onScreen")), drop_to_screen_p90: p90(pick("onScreen")),
    },
    native_ms: { onnxruntime_node_inference_median: nativeInference, isolated_inference_median: median(isolatedNative) },
    isolated_ms: { ort_web: median(isolatedWeb), onnxruntime_node: median(isolatedNative), ratio: median(isolatedWeb) / median(isolatedNative),
      ort_web_wasm_in_node: median(webInNodeMs) },
    ratio: {
      inference_browser_over_native: median(pick("inference_ms")) / nativeInference,
      work_per_image_browser_over_native: browserWork / (nativeInference + preprocess),
      end_to_end_browser_over_native: browserPerImage / (nativeInference + preprocess),
    },
    max_abs_probability_diff_browser_vs_native: maxDiff,
  };
  // A single slice's budget: its preprocessing, ORT Web's own inference and one UI frame.
  result.single_slice = { budget_ms: preprocess + median(isolatedWeb) + frameMs };
  result.single_slice.drop_to_screen_over_budget = result.browser_ms.drop_to_screen_median / result.single_slice.budget_ms;
} finally {
  await browser.close();
  await server.close();
}

const mb = (b) => `${(b / 1e6).toFixed(2)} MB`;
const ms = (x) => `${x.toFixed(2)} ms`;
console.log(`bench-web: ${result.images} test slices, ${result.model}, ORT Web ${result.ort_web} (${result.threads} threads, crossOriginIsolated=${result.cross_origin_isolated}); ${result.machine}`);
console.log(`  cold load             ${mb(result.cold_load.raw)} raw, ${mb(result.cold_load.compressed)} compressed (${result.cold_load.requests} requests); ready after ${ms(result.cold_load.ready_ms)}; first result on screen at ${ms(result.cold_load.first_classification_ms)}`);
console.log(`  offline precache      ${mb(result.service_worker_precache.raw)} raw, ${mb(result.service_worker_precache.compressed)} compressed`);
console.log(`  browser, per image    work ${ms(result.browser_ms.work_per_image_median)} median = preprocess ${ms(result.browser_ms.preprocess_median)} (WASM) + inference ${ms(result.browser_ms.inference_median)} (ORT Web)`);
console.log(`                        classify() end to end ${ms(result.browser_ms.per_image_median)} median (p90 ${ms(result.browser_ms.per_image_p90)}), incl. waiting for UI frames of ${ms(result.ui_frame_ms)} each (${result.viewport.width}x${result.viewport.height})`);
console.log(`  drop -> on screen     ${ms(result.browser_ms.drop_to_screen_median)} median (p90 ${ms(result.browser_ms.drop_to_screen_p90)}): ` +
  `${result.single_slice.drop_to_screen_over_budget.toFixed(2)}x preprocess + ORT Web's own inference + one frame (${ms(result.single_slice.budget_ms)})`);
console.log(`  onnxruntime-node      ${ms(result.native_ms.onnxruntime_node_inference_median)} median inference (${result.threads} thread${result.threads === 1 ? "" : "s"}, same tensors)`);
console.log(`  ratio browser/native  inference ${result.ratio.inference_browser_over_native.toFixed(2)}x, work per image ${result.ratio.work_per_image_browser_over_native.toFixed(2)}x, end to end ${result.ratio.end_to_end_browser_over_native.toFixed(2)}x`);
console.log(`  inference alone       ORT Web ${ms(result.isolated_ms.ort_web)} vs onnxruntime-node ${ms(result.isolated_ms.onnxruntime_node)} median of 50 back-to-back runs: ${result.isolated_ms.ratio.toFixed(2)}x`);
console.log(`                        the same ORT Web WASM run by node (no browser, 1 thread): ${ms(result.isolated_ms.ort_web_wasm_in_node)}`);
console.log(`                        (native side = onnxruntime-node inference + the same WASM preprocess time: shared/ has no node binding)`);
console.log(`  largest cold-load files (compressed): ${Object.entries(result.cold_load.largest_compressed).map(([f, v]) => `${f} ${mb(v.compressed)}`).join(", ")}`);
console.log(`  max |Δp| browser vs onnxruntime-node on identical tensors: ${result.max_abs_probability_diff_browser_vs_native.toExponential(2)}`);
const out = path.join(path.dirname(webOut), "bench-web.json");
fs.writeFileSync(out, JSON.stringify(result, null, 1));
console.log(`  written to ${out}`);
