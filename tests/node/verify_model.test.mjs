// scripts/verify_model.mjs (used by assemble_web.sh and the benchmarks before they use a model):
// model.onnx must be the file model.json names; a model.json without onnx_sha256 passes with a
// warning. Digests are computed here independently (node:crypto).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { REPO } from "./test_env.mjs";

const SCRIPT = path.join(REPO, "scripts/verify_model.mjs");

function modelDir(onnx, meta) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "alzscan-verify-"));
  fs.writeFileSync(path.join(dir, "model.onnx"), onnx);
  fs.writeFileSync(path.join(dir, "model.json"), JSON.stringify(meta));
  return dir;
}
const run = (dir) => spawnSync(process.execPath, [SCRIPT, dir], { encoding: "utf8" });
const onnx = Buffer.from("not really onnx, but bytes with a digest");
const sha = crypto.createHash("sha256").update(onnx).digest("hex");

test("a model.onnx that is the file model.json names passes silently", () => {
  const r = run(modelDir(onnx, { onnx_sha256: sha, onnx_bytes: onnx.length }));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, "");
});

test("one byte changed: refused, naming both digests and the fix", () => {
  const changed = Buffer.from(onnx);
  changed[3] ^= 1;
  const r = run(modelDir(changed, { onnx_sha256: sha, onnx_bytes: onnx.length }));
  assert.equal(r.status, 1);
  const got = crypto.createHash("sha256").update(changed).digest("hex");
  assert.match(r.stderr, new RegExp(`model\\.onnx does not match .*model\\.json \\(sha256 ${got.slice(0, 12)}…≠${sha.slice(0, 12)}…\\).*make export`));
});

test("a cut model.onnx names both sizes; a malformed digest is named", () => {
  let r = run(modelDir(onnx.subarray(0, 10), { onnx_sha256: sha, onnx_bytes: onnx.length }));
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`, 10 bytes≠${onnx.length}\\)`));
  r = run(modelDir(onnx, { onnx_sha256: "abc" }));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /onnx_sha256 is not a SHA-256 \(64 hex digits\): "abc"/);
});

test("no onnx_sha256 (a hand-written model.json): used, with a warning that says so", () => {
  const r = run(modelDir(onnx, { format: "alzscan-model/1" }));
  assert.equal(r.status, 0);
  assert.match(r.stderr, /has no onnx_sha256: .*model\.onnx is used unverified/);
});

test("the shipped models/default passes", () => {
  const r = run(path.join(REPO, "models/default"));
  assert.equal(r.status, 0, r.stderr);
});
