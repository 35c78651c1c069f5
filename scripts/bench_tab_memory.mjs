#!/usr/bin/env node
// scripts/bench_tab_memory.mjs (make bench-dicom): the browser tab's peak memory while it opens large
// volumes, against the ≤ 2 GB per tab target. Writes (with nibabel, Debian's python3-nibabel) Colin27's
// brain at 0.5 mm as float64 (362 x 434 x 362) and 512^3 uint8 noise, hands each to classifyScan as
// a picked file, and samples every Chromium process's resident memory (ps) every 100 ms.
//   node scripts/bench_tab_memory.mjs --web-out build/web
// Prints, per file: the page's answer, its time, the largest process's peak RSS (the tab's
// renderer) and the peak of all Chromium processes together.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { launchBrowser } from "../tests/browser/harness.mjs";
import { startServer } from "../web/server.mjs";

let webOut = "build/web";
for (let i = 2; i < process.argv.length; ++i) {
  if (process.argv[i] === "--web-out") webOut = process.argv[++i];
  else {
    console.error(`bench_tab_memory: unknown option ${process.argv[i]} (--web-out DIR)`);
    process.exit(2);
  }
}
const work = fs.mkdtempSync(path.join(os.tmpdir(), "alzscan-tab-memory-"));
execFileSync("/usr/bin/python3", ["-c", `
import nibabel as nib, numpy as np, os, sys
bet = nib.load("/usr/share/mricron/templates/ch2bet.nii.gz")
half = np.asanyarray(bet.dataobj).astype(np.float64).repeat(2, 0).repeat(2, 1).repeat(2, 2)
aff = bet.affine.copy(); aff[:3, :3] /= 2; aff[:3, 3] -= aff[:3, :3] @ [0.5, 0.5, 0.5]
nib.save(nib.Nifti1Image(half, aff), os.path.join(sys.argv[1], "half_mm_f64.nii.gz"))
noise = np.random.default_rng(1).integers(0, 256, size=(512, 512, 512), dtype=np.uint8)
nib.save(nib.Nifti1Image(noise, np.diag([0.5, 0.5, 0.5, 1])), os.path.join(sys.argv[1], "noise512.nii.gz"))
`, work], { stdio: "inherit" });

// Resident memory (MB) of each Chromium process now.
function chromiumRss() {
  const out = execFileSync("ps", ["-C", "chromium", "-o", "rss="], { encoding: "utf8" }).trim();
  return out ? out.split("\n").map((l) => Number(l) / 1024) : [];
}

const server = await startServer({ root: path.resolve(webOut), port: 0 });
const browser = await launchBrowser();
const page = browser.context.pages()[0] ?? (await browser.context.newPage());
const rows = [];
try {
  await page.goto(server.url);
  await page.evaluate(async () => window.alzscan.ready);
  await page.evaluate(() => document.body.append(Object.assign(document.createElement("input"), { type: "file", id: "bench-file", hidden: true })));
  for (const name of ["half_mm_f64.nii.gz", "noise512.nii.gz"]) {
    await page.setInputFiles("#bench-file", path.join(work, name));
    const before = chromiumRss();
    let tab = Math.max(...before), all = before.reduce((a, b) => a + b, 0);
    const timer = setInterval(() => {
      const now = chromiumRss();
      tab = Math.max(tab, ...now);
      all = Math.max(all, now.reduce((a, b) => a + b, 0));
    }, 100);
    const t0 = Date.now();
    const answer = await page.evaluate(async () => {
      try {
        const s = await window.alzscan.classifyScan(document.getElementById("bench-file").files[0]);
        return s.label ? `${s.label} (${s.slices.length} slices)` : "not classified";
      } catch (e) { return `message: ${e.message}`; }
    });
    clearInterval(timer);
    rows.push({ name, answer, seconds: (Date.now() - t0) / 1000, tab_peak_mb: tab, all_peak_mb: all,
      restarts: await page.evaluate(() => window.alzscan.testing.restarts()) });
  }
} finally {
  await browser.close();
  await server.close();
  fs.rmSync(work, { recursive: true, force: true });
}
for (const r of rows)
  console.log(`${r.name}: ${r.answer.slice(0, 90)}; ${r.seconds.toFixed(1)} s; largest process peak ${r.tab_peak_mb.toFixed(0)} MB, ` +
    `all Chromium processes ${r.all_peak_mb.toFixed(0)} MB; app restarts ${r.restarts}`);
