#!/usr/bin/env node
// scripts/bench_cam.mjs (make bench-cam): what the class activation maps cost per slice in the
// browser's engine. The shipped checkpoint exported twice, with and without the "cam" output
// (alzscan export --cam on|off), run side by side in one process by ORT Web's WASM build (the one the
// page ships; node, 1 thread, the page's session options), batch 1, the two sessions alternating.
//
//   node scripts/bench_cam.mjs ALZSCAN CHECKPOINT [--runs 400]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { webSessionOptions } from "../web/ort_session_config.mjs";

const [alzscan, checkpoint] = process.argv.slice(2, 4);
const runsAt = process.argv.indexOf("--runs");
const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 400;
if (!alzscan || !checkpoint || !fs.existsSync(alzscan) || !fs.existsSync(checkpoint) || !(runs >= 20)) {
  console.error("usage: node scripts/bench_cam.mjs ALZSCAN CHECKPOINT [--runs N>=20] (make bench-cam)");
  process.exit(2);
}
const webDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../node_modules/onnxruntime-web/dist");
const ort = await import(path.join(webDist, "ort.wasm.min.mjs"));
ort.env.wasm.wasmPaths = webDist + "/";
ort.env.wasm.numThreads = 1;
ort.env.logLevel = "error";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "alzscan-bench-cam-"));
const sessions = {};
for (const cam of ["on", "off"]) {
  const dir = path.join(tmp, cam);
  execFileSync(alzscan, ["export", "--checkpoint", checkpoint, "--out", dir, "--weights", "int8", "--cam", cam], { stdio: "ignore" });
  const meta = JSON.parse(fs.readFileSync(path.join(dir, "model.json"), "utf8"));
  sessions[cam] = { s: await ort.InferenceSession.create(new Uint8Array(fs.readFileSync(path.join(dir, "model.onnx"))), webSessionOptions()),
                    h: meta.input.height, w: meta.input.width, hasCam: Boolean(meta.outputs.cam) };
}
if (!sessions.on.hasCam || sessions.off.hasCam) throw new Error("bench_cam: the two exports do not differ in their cam output");
const x = new Float32Array(sessions.on.h * sessions.on.w).map((_, i) => Math.sin(i * 0.37));
const times = { on: [], off: [] };
for (let i = 0; i < runs + 20; ++i) {
  for (const cam of i % 2 ? ["on", "off"] : ["off", "on"]) {   // alternate the order: no drift favours one
    const { s, h, w } = sessions[cam];
    const t0 = performance.now();
    await s.run({ input: new ort.Tensor("float32", x, [1, 1, h, w]) });
    if (i >= 20) times[cam].push(performance.now() - t0);   // 20 warm-up rounds
  }
}
const median = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const on = median(times.on), off = median(times.off);
console.log(`ORT Web WASM (node, 1 thread), batch 1, ${runs} runs each, alternating:`);
console.log(`  without cam  ${off.toFixed(3)} ms/slice (median)`);
console.log(`  with cam     ${on.toFixed(3)} ms/slice (median)`);
console.log(`  cam adds     ${(100 * (on / off - 1)).toFixed(1)} % (target <= 10 %)`);
fs.rmSync(tmp, { recursive: true, force: true });
