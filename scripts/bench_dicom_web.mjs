#!/usr/bin/env node
// scripts/bench_dicom_web.mjs (make bench-dicom): reading a DICOM series in the browser, timed beside
// the same library natively, in one run.
//   - the series: Colin27 (mricron-data ch2.nii.gz) zero-padded to 256^3 at 1 mm and written by
//     pydicom (tests/dicom/test_dicom.py's writer) as 256 files of 256x256 int16 (32 MB)
//   - browser (headless Chromium, the files handed over as a picker would): the DICOM reader's
//     first load, then per run: read + header listing, decoding the series into the NIfTI-2 the
//     app gets, and classifyScan(files) from call to verdict (registration and inference included)
//   - natively: dicom_dump (the dicom/ library: list + decode, and it writes the voxels) and
//     `alzscan predict DIR` (files to verdict, as classifyScan)
//   Medians of --runs (default 3) after one warm-up.
//
//   node scripts/bench_dicom_web.mjs --web-out build/web --native build [--runs 3]
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { launchBrowser } from "../tests/browser/harness.mjs";
import { startServer } from "../web/server.mjs";

const args = { webOut: "build/web", native: "build", runs: 3 };
for (let i = 2; i < process.argv.length; ++i) {
  const a = process.argv[i];
  if (a === "--web-out") args.webOut = process.argv[++i];
  else if (a === "--native") args.native = process.argv[++i];
  else if (a === "--runs") args.runs = Number(process.argv[++i]);
  else {
    console.error(`bench_dicom_web: unknown option ${a} (--web-out DIR --native BUILD --runs N)`);
    process.exit(2);
  }
}
const dump = path.resolve(args.native, "tests/dicom/dicom_dump"), alzscan = path.resolve(args.native, "native/alzscan");
for (const f of [path.join(args.webOut, "alzscan_dicom_reader.wasm"), dump, alzscan]) {
  if (!fs.existsSync(f)) {
    console.error(`bench_dicom_web: ${f} missing (make build)`);
    process.exit(1);
  }
}
const work = fs.mkdtempSync(path.join(os.tmpdir(), "alzscan-bench-dicom-"));
const series = path.join(work, "t1");
execFileSync("/usr/bin/python3", ["-c", String.raw`
import os, sys
sys.path.insert(0, sys.argv[1])
import numpy as np, nibabel as nib, test_dicom
img = nib.load(os.path.join(test_dicom.TEMPLATES, "ch2.nii.gz"))
d = np.asanyarray(img.get_fdata(dtype=np.float64))
pad = [((256 - n) // 2, 256 - n - (256 - n) // 2) for n in d.shape]
aff = img.affine.copy()
aff[:3, 3] -= aff[:3, :3] @ [p[0] for p in pad]
test_dicom.write_series(sys.argv[2], np.pad(d, pad), aff, "T1 MPRAGE sag")
`, path.resolve("tests/dicom"), series]);
const names = fs.readdirSync(series).map((f) => path.join(series, f));
const megabytes = names.reduce((a, f) => a + fs.statSync(f).size, 0) / 1e6;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const time = (fn) => { const t0 = process.hrtime.bigint(); fn(); return Number(process.hrtime.bigint() - t0) / 1e6; };

const native = { dump: [], predict: [] };
for (let r = 0; r <= args.runs; ++r) {
  const d = time(() => spawnSync(dump, [path.join(work, "vox"), series]));
  const p = time(() => spawnSync(alzscan, ["predict", "--checkpoint", "models/default/checkpoint.pt", "--json", series],
    { env: { ...process.env, OMP_NUM_THREADS: "1" } }));
  if (r > 0) native.dump.push(d), native.predict.push(p);   // run 0 warms the file cache
}

const server = await startServer({ root: path.resolve(args.webOut), port: 0 });
const browser = await launchBrowser();
const page = browser.context.pages()[0] ?? (await browser.context.newPage());
await page.goto(server.url);
await page.evaluate(() => window.alzscan.ready);
await page.evaluate(() => document.body.append(Object.assign(document.createElement("input"), { type: "file", id: "bench-files", multiple: true, hidden: true })));
await page.setInputFiles("#bench-files", names);
const web = await page.evaluate(async (runs) => {
  const files = Array.from(document.getElementById("bench-files").files);
  const { readDicom } = await import("./dicom.js");
  const out = { first_load_ms: 0, read_ms: [], decode_ms: [], verdict_ms: [] };
  let t0 = performance.now();
  (await readDicom(files.slice(0, 1))).close();   // the reader module's first load
  out.first_load_ms = performance.now() - t0;
  for (let r = 0; r <= runs; ++r) {
    t0 = performance.now();
    const set = await readDicom(files);
    const t1 = performance.now();
    set.volume(set.listing.chosen);
    const t2 = performance.now();
    set.close();
    const t3 = performance.now();
    await window.alzscan.classifyScan(files);
    const t4 = performance.now();
    if (r > 0) out.read_ms.push(t1 - t0), out.decode_ms.push(t2 - t1), out.verdict_ms.push(t4 - t3);
  }
  return out;
}, args.runs);
await browser.close();
await server.close();
fs.rmSync(work, { recursive: true, force: true });

const read = median(web.read_ms), decode = median(web.decode_ms);
const result = {
  series: { files: names.length, megabytes, size: "256x256x256 int16" },
  browser: { first_load_ms: web.first_load_ms, read_and_list_ms: read, decode_ms: decode, read_total_ms: read + decode,
             call_to_verdict_ms: median(web.verdict_ms) },
  native: { dicom_dump_ms: median(native.dump), predict_ms: median(native.predict) },
};
result.ratio_verdict_browser_to_native = result.browser.call_to_verdict_ms / result.native.predict_ms;
const f = (x) => `${x.toFixed(0)} ms`;
console.log(`DICOM series: ${names.length} files, ${megabytes.toFixed(1)} MB (${result.series.size}); medians of ${args.runs} runs`);
console.log(`  browser  reader first load ${f(web.first_load_ms)}; read + list ${f(read)}, decode ${f(decode)}: ` +
  `${f(read + decode)} to the volume (target <= 2000 ms); classifyScan call -> verdict ${f(result.browser.call_to_verdict_ms)}`);
console.log(`  native   dicom_dump ${f(result.native.dicom_dump_ms)} (list + decode + writing the 134 MB of voxels, ` +
  `process start included); alzscan predict DIR ${f(result.native.predict_ms)} (process start and model load included)`);
console.log(`  files -> verdict, browser / native: ${result.ratio_verdict_browser_to_native.toFixed(2)}x`);
fs.writeFileSync(path.join(path.dirname(path.resolve(args.webOut)), "bench-dicom.json"), JSON.stringify(result, null, 1));
