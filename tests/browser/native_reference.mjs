// tests/browser/native_reference.mjs: the independent expectation for the browser's numbers:
// `alzscan predict --checkpoint models/default/checkpoint.pt --json FILE...` (LibTorch, native shared/).
//
//   const problem = referenceProblem();     // null, or why the comparison cannot run (a failure)
//   const byFile = nativePredict(["a.jpg", "b.png"]);  // Map file -> {label, index, probabilities} | {error}
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ALZSCAN, REPO, WEB_OUT } from "./harness.mjs";

// The shipped model; ALZSCAN_MODEL_DIR points elsewhere (the same variable assemble_web.sh reads).
export const MODEL_DIR = path.resolve(process.env.ALZSCAN_MODEL_DIR ?? path.join(REPO, "models/default"));
export const CHECKPOINT = path.join(MODEL_DIR, "checkpoint.pt");

export function referenceProblem() {
  for (const f of ["model.onnx", "model.json", "checkpoint.pt"]) {
    if (!fs.existsSync(path.join(MODEL_DIR, f)))
      return `${MODEL_DIR}/${f} missing: the shipped default model is required (make train && make export)`;
  }
  if (!fs.existsSync(ALZSCAN)) return `${ALZSCAN} missing: build the native CLI (make native) or set ALZSCAN`;
  const served = path.join(WEB_OUT, "model/model.json");
  if (!fs.existsSync(served) || fs.readFileSync(served, "utf8") !== fs.readFileSync(path.join(MODEL_DIR, "model.json"), "utf8"))
    return `${served} differs from ${MODEL_DIR}/model.json: rebuild the web app (make web)`;
  return null;
}

export function nativePredict(files) {
  const r = spawnSync(ALZSCAN, ["predict", "--checkpoint", CHECKPOINT, "--json", ...files], {
    encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, OMP_NUM_THREADS: "1" },
  });
  if (r.error) throw new Error(`${ALZSCAN} predict: ${r.error.message}`);
  if (r.status !== 0 && r.status !== 1) throw new Error(`${ALZSCAN} predict exited ${r.status}: ${r.stderr.trim()}`);
  const out = new Map();
  for (const line of r.stdout.split("\n")) {
    if (!line.trim()) continue;
    const j = JSON.parse(line);
    out.set(j.file, j);
  }
  for (const f of files) if (!out.has(f)) throw new Error(`${ALZSCAN} predict printed nothing for ${f}: ${r.stderr.trim()}`);
  return out;
}

// `alzscan predict --scan --json FILE...`: the files as one stack (or one .nii/.nii.gz volume)
// -> {slices: [per-slice objects], scan}.
export function nativeScan(files) {
  const r = spawnSync(ALZSCAN, ["predict", "--checkpoint", CHECKPOINT, "--json", "--scan", ...files], {
    encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, OMP_NUM_THREADS: "1" },
  });
  if (r.error || r.status !== 0) throw new Error(`${ALZSCAN} predict --scan exited ${r.status}: ${r.stderr.trim()}`);
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  return { slices: lines.slice(0, -1), scan: lines[lines.length - 1].scan };
}
