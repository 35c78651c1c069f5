// The assembled WEB_OUT (scripts/assemble_web.sh): ORT matches its npm package byte for byte,
// precompressed files decode to their originals, the service worker lists every asset, and the
// gallery holds only slices of people the shipped model never saw, with their true labels. No browser needed.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { test } from "node:test";
import { DATA, REPO, WEB_OUT, requireBuild } from "./harness.mjs";

requireBuild();
const ORT_DIST = path.join(REPO, "node_modules/onnxruntime-web/dist");
const sha256 = (p) => crypto.createHash("sha256").update(fs.readFileSync(p)).digest("hex");

function allFiles(dir, base = dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? allFiles(path.join(dir, e.name), base) : [path.relative(base, path.join(dir, e.name)).split(path.sep).join("/")]);
}

test("ONNX Runtime Web's JS, .mjs and .wasm are the npm package's own files (one version)", () => {
  for (const f of ["ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"])
    assert.equal(sha256(path.join(WEB_OUT, "ort", f)), sha256(path.join(ORT_DIST, f)), f);
  const info = JSON.parse(fs.readFileSync(path.join(WEB_OUT, "build-info.json"), "utf8"));
  assert.equal(info.ort_version, JSON.parse(fs.readFileSync(path.join(REPO, "node_modules/onnxruntime-web/package.json"), "utf8")).version);
});

test("every .br / .gz decodes to its original and is smaller", () => {
  const packed = allFiles(WEB_OUT).filter((f) => f.endsWith(".br") || f.endsWith(".gz"));
  assert.ok(packed.some((f) => f === "ort/ort-wasm-simd-threaded.wasm.br"), "ORT's .wasm is not precompressed");
  for (const f of packed) {
    const original = fs.readFileSync(path.join(WEB_OUT, f.slice(0, -3)));
    const data = fs.readFileSync(path.join(WEB_OUT, f));
    const decoded = f.endsWith(".br") ? zlib.brotliDecompressSync(data) : zlib.gunzipSync(data);
    assert.ok(decoded.equals(original), `${f} does not decode to its original`);
    assert.ok(data.length < original.length, `${f} is not smaller`);
  }
});

test("the service worker caches every asset of the build and nothing else", () => {
  const sw = fs.readFileSync(path.join(WEB_OUT, "sw.js"), "utf8");
  const assets = JSON.parse(sw.match(/const ASSETS = (\[.*?\]);/)[1]);
  assert.match(sw, /const VERSION = "[0-9a-f]{16}"/);
  const expected = allFiles(WEB_OUT).filter((f) => !/\.(br|gz)$/.test(f) && !["sw.js", "build-info.json"].includes(f));
  assert.deepEqual(assets.filter((a) => a !== "./").sort(), expected.sort());
  for (const f of ["index.html", "app.js", "alzscan_app.wasm", "alzscan_dicom_reader.wasm", "inference_worker.js", "model/model.onnx", "ort/ort-wasm-simd-threaded.wasm"])
    assert.ok(assets.includes(f), `${f} not cached for offline use`);
});

test("the gallery: slices of people in the fold the shipped model held out, every class, true labels", (t) => {
  const gallery = JSON.parse(fs.readFileSync(path.join(WEB_OUT, "gallery/gallery.json"), "utf8"));
  if (!fs.existsSync(path.join(DATA, "MANIFEST.tsv"))) {
    assert.equal(typeof gallery.note, "string", "without the data the gallery must say where to get it");
    const message = `DID NOT RUN (gallery contents): the dataset is missing at ${DATA}`;
    if (process.env.CI === "true") assert.fail(message);
    t.skip(message);
    return;
  }
  const options = JSON.parse(fs.readFileSync(path.join(WEB_OUT, "model/model.json"), "utf8")).training.options;
  assert.ok(Number.isInteger(options.test_fold) && options.split_file.endsWith("SUBJECTS.tsv"),
    `the shipped model must hold out a fold of SUBJECTS.tsv (training.options: ${options.split_file} ${options.test_fold})`);
  assert.ok(gallery.length >= 8, `gallery has ${gallery.length} slices`);
  const manifest = new Map(fs.readFileSync(path.join(DATA, "MANIFEST.tsv"), "utf8").trim().split("\n").slice(1)
    .map((l) => l.split("\t")).map(([split, cls, rel, sha]) => [sha, { split, cls, rel }]));
  const lines = fs.readFileSync(path.join(DATA, "SUBJECTS.tsv"), "utf8").trim().split("\n");
  const col = Object.fromEntries(lines[0].split("\t").map((name, i) => [name, i]));
  const person = new Map(lines.slice(1).map((l) => l.split("\t")).map((c) => [c[col.relative_path], c]));
  const perClass = {};
  for (const g of gallery) {
    const row = manifest.get(sha256(path.join(WEB_OUT, g.file)));
    assert.ok(row, `${g.file} is not a dataset image`);
    const p = person.get(row.rel);
    assert.equal(Number(p[col.subject_fold]), options.test_fold, `${g.file}: person ${p[col.subject]} was in training`);
    assert.equal(g.label, row.cls, `${g.file}: label ${g.label} but the dataset says ${row.cls}`);
    perClass[g.label] = (perClass[g.label] ?? 0) + 1;
  }
  assert.equal(Object.keys(perClass).length, 4, `classes in the gallery: ${JSON.stringify(perClass)}`);
});
