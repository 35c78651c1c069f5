#!/usr/bin/env node
// scripts/bench_ort_kernels.mjs (make bench-kernels): where the browser's per-image gap comes from,
// without a browser. The same ONNX file, side by side in one run:
//   - onnxruntime-node (native MLAS) with 1 and 2 intra-op threads
//   - ORT Web's WASM build (ort.wasm.min.mjs, the one the page ships) run by node, 1 thread
// with the page's session config (web/ort_session_config.mjs: int8 weights dequantized once at load)
// at batch 1, 8 and 32 (ms per image), then ORT Web's own profile: time per ONNX node type and
// the convolutions' multiply-add rate.
//
//   node scripts/bench_ort_kernels.mjs [--runs 200] MODEL.onnx [MODEL2.onnx ...]
// Input: the model's "input" [N,1,H,W] (H, W read from the graph), values in [-1, 1].
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import ortNode from "onnxruntime-node";
import { ortSessionConfig, webSessionOptions } from "../web/ort_session_config.mjs";
import { verifyModelDir } from "./verify_model.mjs";

// Deterministic input values in [-1, 1] (the model's normalised range).
const syntheticInput = (n) => new Float32Array(n).map((_, i) => Math.sin(i * 0.37));

const webDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../node_modules/onnxruntime-web/dist");
const ortWeb = await import(path.join(webDist, "ort.wasm.min.mjs"));
ortWeb.env.wasm.wasmPaths = webDist + "/";
ortWeb.env.wasm.numThreads = 1;   // ORT Web's thread pool cannot start its workers under node
ortWeb.env.logLevel = "error";

if (process.argv[2] === "--profile-child") {   // internal: node bench_ort_kernels.mjs --profile-child MODEL H W
  const [model, h, w] = [process.argv[3], Number(process.argv[4]), Number(process.argv[5])];
  const prof = await ortWeb.InferenceSession.create(new Uint8Array(fs.readFileSync(model)),
    { ...webSessionOptions(), enableProfiling: true });
  const x = new ortWeb.Tensor("float32", syntheticInput(h * w), [1, 1, h, w]);
  for (let i = 0; i < 110; ++i) await prof.run({ [prof.inputNames[0]]: x });
  prof.endProfiling();
  process.exit(0);
}

const args = { runs: 200, models: [] };
for (let i = 2; i < process.argv.length; ++i) {
  const a = process.argv[i];
  if (a === "--runs") args.runs = Number(process.argv[++i]);
  else if (a.startsWith("--")) {
    console.error(`bench_ort_kernels: unknown option ${a} (--runs N MODEL.onnx...)`);
    process.exit(2);
  } else args.models.push(a);
}
if (args.models.length === 0 || !(args.runs >= 10)) {
  console.error("usage: node scripts/bench_ort_kernels.mjs [--runs N>=10] MODEL.onnx [MODEL2.onnx ...]");
  process.exit(2);
}
for (const m of args.models) {
  if (!fs.existsSync(m)) {
    console.error(`bench_ort_kernels: ${m}: no such file (make export writes models/default/model.onnx)`);
    process.exit(1);
  }
  // A model.onnx beside its model.json must be the file that model.json describes.
  if (path.basename(m) === "model.onnx" && fs.existsSync(path.join(path.dirname(m), "model.json"))) {
    try {
      verifyModelDir(path.dirname(m));
    } catch (e) {
      console.error(`bench_ort_kernels: ${e.message}`);
      process.exit(1);
    }
  }
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

async function timePerImage(ort, session, shape, runs) {
  const [n, , h, w] = shape;
  const feeds = { [session.inputNames[0]]: new ort.Tensor("float32", syntheticInput(n * h * w), shape) };
  for (let i = 0; i < 10; ++i) await session.run(feeds);
  const times = [];
  for (let i = 0; i < runs; ++i) {
    const t0 = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t0);
  }
  return median(times) / n;
}

function inputHW(session) {
  const meta = session.inputMetadata?.[0];
  const dims = meta?.shape ?? [];
  const h = typeof dims[2] === "number" ? dims[2] : 64, w = typeof dims[3] === "number" ? dims[3] : 64;
  return [h, w];
}

const rows = [];
for (const model of args.models) {
  const bytes = fs.readFileSync(model);
  const native = {};
  for (const threads of [1, 2])
    native[threads] = await ortNode.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1,
      graphOptimizationLevel: "all", extra: { session: { ...ortSessionConfig(), "intra_op.allow_spinning": "0" } } });
  const web = await ortWeb.InferenceSession.create(new Uint8Array(bytes), webSessionOptions());
  const [h, w] = inputHW(web);
  for (const batch of [1, 8, 32]) {
    const runs = Math.max(10, Math.round(args.runs / batch));
    const shape = [batch, 1, h, w];
    const n1 = await timePerImage(ortNode, native[1], shape, runs);
    const n2 = await timePerImage(ortNode, native[2], shape, runs);
    const wb = await timePerImage(ortWeb, web, shape, runs);
    rows.push({ model: path.basename(path.dirname(path.resolve(model))) + "/" + path.basename(model), batch,
      native_1: n1, native_2: n2, web_1: wb, ratio_1: wb / n1 });
  }

  for (const session of [...Object.values(native), web]) await session.release();
  // ORT Web's profiler prints its JSON trace straight to stdout from inside the WASM module, so the
  // profiled session runs in a child process (this script with --profile-child) and is parsed here.
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--profile-child", model, String(h), String(w)],
    { encoding: "utf8", maxBuffer: 64 << 20 });
  let events = [];
  const open = child.stdout.indexOf("[\n{"), close = child.stdout.lastIndexOf("}\n]");
  if (child.status === 0 && open >= 0 && close > open) events = JSON.parse(child.stdout.slice(open, close + 3));
  else rows.push({ profile: model, text: `ORT Web profile not available (exit ${child.status}): ${child.stderr.trim().split("\n").pop() ?? ""}` });
  const perNode = new Map();   // name -> {op, durations[], macs}
  for (const e of events) {
    if (e.cat !== "Node" || !e.name.endsWith("_kernel_time")) continue;
    const name = e.name.slice(0, -"_kernel_time".length);
    const entry = perNode.get(name) ?? { op: e.args.op_name, us: [], macs: 0 };
    const ins = e.args.input_type_shape ?? [], outs = e.args.output_type_shape ?? [];
    if ((entry.op === "Conv" || entry.op === "FusedConv") && ins[1] && outs[0]) {
      const wdims = Object.values(ins[1])[0], odims = Object.values(outs[0])[0];   // [Co,Ci/g,kh,kw], [N,Co,oh,ow]
      entry.macs = odims.reduce((a, b) => a * b, 1) * wdims.slice(1).reduce((a, b) => a * b, 1);
    }
    entry.us.push(e.dur);
    perNode.set(name, entry);
  }
  const byOp = new Map();
  let convUs = 0, convMacs = 0, totalUs = 0;
  for (const { op, us, macs } of perNode.values()) {
    const m = median(us.slice(10));
    totalUs += m;
    byOp.set(op, (byOp.get(op) ?? 0) + m);
    if (macs) { convUs += m; convMacs += macs; }
  }
  if (totalUs > 0) {
    const ops = [...byOp].sort((a, b) => b[1] - a[1]).map(([op, us]) => `${op} ${(us / 1e3).toFixed(2)} ms`).join(", ");
    rows.push({ profile: model, text: `ORT Web profile, batch 1 (sum of per-node medians ${(totalUs / 1e3).toFixed(2)} ms): ${ops}; ` +
      `convolutions ${(convMacs / 1e6).toFixed(1)} M multiply-adds at ${(convMacs / convUs / 1e3).toFixed(1)} GMAC/s` });
  }
}

console.log(`bench-kernels: ${os.cpus()[0].model}, ${os.cpus().length} vCPU; onnxruntime-node vs ORT Web ${ortWeb.env.versions?.web ?? "?"} WASM in node; ms per image (median)`);
console.log(`${"model".padEnd(28)} ${"batch".padStart(5)} ${"native 1 thr".padStart(13)} ${"native 2 thr".padStart(13)} ${"ORT Web 1 thr".padStart(14)} ${"web / native (1 thr)".padStart(21)}`);
for (const r of rows) {
  if (r.profile) { console.log(`  ${r.text}`); continue; }
  console.log(`${r.model.padEnd(28)} ${String(r.batch).padStart(5)} ${r.native_1.toFixed(3).padStart(13)} ${r.native_2.toFixed(3).padStart(13)} ${r.web_1.toFixed(3).padStart(14)} ${(r.ratio_1.toFixed(2) + "x").padStart(21)}`);
}
