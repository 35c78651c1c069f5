// The page on the volume formats beside NIfTI, against `alzscan predict` on the same files:
//   - Colin27 (Debian's mricron-data ch2.nii.gz, with skull) written by pydicom as a DICOM series
//     (tests/dicom/test_dicom.py's writer: shuffled file names, rescale 0.5/50, PatientName and
//     PatientID set) beside a 3-slice localizer: opened as a folder, the series table lists both
//     with the T1 preselected; "Classify" gives the CLI's verdict on the folder and on the NIfTI
//     (<= 1e-5); no patient identifier in the page's text, the table, the CSV or the result;
//   - ch2bet written by nibabel as .mgz and as an Analyze pair: opened like a user would (the
//     pair's two files together), each verdict equals the CLI's on the same file (<= 1e-5);
//   - large volumes (nifti.h: read averaged in blocks above 256^3 voxels): ch2bet at 0.5 mm as
//     float64 (362x434x362) gives the CLI's verdict; 512^3 uint8 noise the CLI's message, no crash;
//   - a .mgz gzip bomb and a lone .hdr: the CLI's message, word for word;
//   - pydicom's damaged and unusual test files one at a time: the CLI's verdict or its message
//     (file names for paths), never a crash, and the page keeps working.
// Env (set by `make test-browser`): WEB_OUT, ALZSCAN.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { ALZSCAN, REPO, openApp } from "./harness.mjs";
import { CHECKPOINT, nativeScan, referenceProblem } from "./native_reference.mjs";

const TOLERANCE = 1e-5;
const TEMPLATES = "/usr/share/mricron/templates";
const SECRETS = ["DOE", "JANE", "PID4242SECRET", "19450101", "ACC777123", "SECRET HOSPITAL"];
const work = fs.mkdtempSync(path.join(os.tmpdir(), "alzscan-browser-formats-"));
let h;

const WRITER = String.raw`
import os, sys, zlib, struct
sys.path.insert(0, sys.argv[1])
import nibabel as nib
import numpy as np
import test_dicom
work = sys.argv[2]
img = nib.load(os.path.join(test_dicom.TEMPLATES, "ch2.nii.gz"))
data = np.asanyarray(img.get_fdata(dtype=np.float64))
test_dicom.write_series(os.path.join(work, "dicom", "t1"), data, img.affine, "T1 MPRAGE sag")
test_dicom.write_series(os.path.join(work, "dicom", "loc"), data[:, :, 80:83], img.affine, "localizer", series_number=1)
bet = nib.load(os.path.join(test_dicom.TEMPLATES, "ch2bet.nii.gz"))
vox = np.asanyarray(bet.dataobj)
nib.save(nib.MGHImage(vox, bet.affine), os.path.join(work, "brain.mgz"))
hdr = nib.AnalyzeHeader()
hdr.set_data_dtype(vox.dtype)
hdr.set_data_shape(vox.shape)
hdr.set_zooms(bet.header.get_zooms()[:3])
nib.save(nib.AnalyzeImage(np.ascontiguousarray(vox[::-1]), None, header=hdr), os.path.join(work, "pair.hdr"))
nib.save(nib.AnalyzeImage(np.ascontiguousarray(vox[::-1]), None, header=hdr), os.path.join(work, "lone.hdr"))
os.remove(os.path.join(work, "lone.img"))
half = vox.astype(np.float64).repeat(2, 0).repeat(2, 1).repeat(2, 2)   # ch2bet at 0.5 mm, float64
aff = bet.affine.copy()
aff[:3, :3] /= 2
aff[:3, 3] -= aff[:3, :3] @ [0.5, 0.5, 0.5]
nib.save(nib.Nifti1Image(half, aff), os.path.join(work, "half_mm_f64.nii.gz"))
noise = np.random.default_rng(1).integers(0, 256, size=(512, 512, 512), dtype=np.uint8)
nib.save(nib.Nifti1Image(noise, np.diag([0.5, 0.5, 0.5, 1])), os.path.join(work, "noise512.nii.gz"))
header = struct.pack('>iiiiiiih', 1, 512, 512, 512, 4, 3, 0, 1) + struct.pack('>3f9f3f', 1, 1, 1, -1, 0, 0, 0, 0, -1, 0, 1, 0, 0, 0, 0)
z = zlib.compressobj(9, zlib.DEFLATED, 31)
with open(os.path.join(work, "bomb.mgz"), "wb") as f:
    f.write(z.compress(header + b"\0" * (284 - len(header))))
    for _ in range(1100):
        f.write(z.compress(b"\0" * (1 << 20)))
    f.write(z.flush())
`;

before(async () => {
  const problem = referenceProblem();
  assert.equal(problem, null, `no reference to compare with: ${problem}`);
  const py = spawnSync("/usr/bin/python3", ["-c", WRITER, path.join(REPO, "tests/dicom"), work], { encoding: "utf8" });
  assert.equal(py.status, 0, `the test files could not be written: ${py.stderr}`);
  h = await openApp();
});
after(async () => {
  await h?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

function assertSameVerdict(browser, cli, what) {
  assert.equal(browser.slices.length, cli.slices.length, `${what}: slice count`);
  browser.slices.forEach((s, i) => {
    for (let c = 0; c < 4; ++c)
      assert.ok(Math.abs(s.probabilities[c] - cli.slices[i].probabilities[c]) <= TOLERANCE,
        `${what}: slice ${i} p[${c}] ${s.probabilities[c]} vs ${cli.slices[i].probabilities[c]}`);
  });
  for (let c = 0; c < 4; ++c)
    assert.ok(Math.abs(browser.probabilities[c] - cli.scan.probabilities[c]) <= TOLERANCE,
      `${what}: verdict ${browser.probabilities} vs CLI ${cli.scan.probabilities}`);
}

// The batch CSV's last row (the scan's verdict) as its probabilities, once it is there.
async function lastVerdictFromCsv(page, namePart, timeout = 120_000) {
  await page.waitForFunction((n) => window.alzscan.batchCsv().split("\n").some((l) => l.includes(n) && l.includes("scan of")), namePart, { timeout });
  const csv = await page.evaluate(() => window.alzscan.batchCsv());
  const header = csv.split("\n")[0].split(",");
  const row = csv.split("\n").find((l) => l.includes(namePart) && l.includes("scan of")).split(",");
  const probabilities = header.map((c, i) => [c, i]).filter(([c]) => c.startsWith("p_")).map(([, i]) => Number(row[i]));
  return { csv, probabilities };
}

// classifyScan in the page on files from disk, handed over as a user's picker would (a file input
// of the test's own, so the app's change handler is not involved): File objects with their names.
async function scanFiles(page, files, options = {}) {
  await page.evaluate(() => {
    if (document.getElementById("test-files")) return;
    const input = Object.assign(document.createElement("input"), { type: "file", id: "test-files", multiple: true, hidden: true });
    document.body.append(input);
  });
  await page.setInputFiles("#test-files", files);
  return page.evaluate(async (opts) => {
    const made = Array.from(document.getElementById("test-files").files);
    const o = { ...opts };
    if (o.partnerIndex !== undefined) { o.partner = made[o.partnerIndex]; delete o.partnerIndex; }
    try {
      return { ok: true, ...(await window.alzscan.classifyScan(o.dicom ? made : made[0], o)) };
    } catch (e) { return { ok: false, error: e.message }; }
  }, options);
}

test("a DICOM folder: the series table, then the CLI's verdict on the folder and on the NIfTI, and no patient identifier", async () => {
  const page = h.page;
  const folder = path.join(work, "dicom");
  const cliFolder = nativeScan([folder]);
  const cliNifti = nativeScan([path.join(TEMPLATES, "ch2.nii.gz")]);
  await page.setInputFiles("#folder-input", folder);
  const dialog = page.locator("#series-dialog");
  await dialog.waitFor({ state: "visible", timeout: 60_000 });
  const rows = await dialog.locator("tbody tr").allInnerTexts();
  assert.equal(rows.length, 2, `two series: ${rows.join(" | ")}`);
  assert.match(rows[0], /localizer[\s\S]*MR[\s\S]*\b3\b/);
  assert.match(rows[1], /T1 MPRAGE sag[\s\S]*181/);
  assert.equal(await dialog.locator("tbody tr").nth(1).locator("input").isChecked(), true, "the T1 is preselected");
  const dialogText = await dialog.innerText();
  await dialog.getByRole("button", { name: "Classify" }).click();
  const { csv, probabilities } = await lastVerdictFromCsv(page, "T1 MPRAGE sag");
  for (let c = 0; c < 4; ++c) {
    assert.ok(Math.abs(probabilities[c] - cliFolder.scan.probabilities[c]) <= TOLERANCE, `folder: ${probabilities} vs CLI ${cliFolder.scan.probabilities}`);
    assert.ok(Math.abs(probabilities[c] - cliNifti.scan.probabilities[c]) <= TOLERANCE, `folder: ${probabilities} vs the NIfTI ${cliNifti.scan.probabilities}`);
  }
  // The API on the same files, --series as options.series: every slice as the CLI's.
  const t1 = fs.readdirSync(path.join(folder, "t1")).map((f) => path.join(folder, "t1", f));
  const api = await scanFiles(page, t1, { dicom: true });
  assert.ok(api.ok, api.error);
  assertSameVerdict(api, cliFolder, "classifyScan(DICOM files)");
  const t = api.timings;
  console.log(`DICOM, ${t1.length} files of 181x217 int16: read + decoded in ${t.read_ms.toFixed(0)} ms, opened (registration, slab) ` +
    `in ${t.open_ms.toFixed(0)} ms, call to verdict ${t.total_ms.toFixed(0)} ms`);
  assert.ok(api.notes.some((n) => n.includes("T1 MPRAGE sag")), `the series description is a note: ${api.notes}`);
  const shown = [dialogText, csv, JSON.stringify(api), await page.locator("body").innerText()].join("\n").toUpperCase();
  for (const s of SECRETS) assert.ok(!shown.includes(s), `a patient identifier (${s}) reached the page`);
});

test("an .mgz and an Analyze pair opened together: the CLI's verdict on each", async () => {
  const page = h.page;
  const mgz = path.join(work, "brain.mgz"), hdr = path.join(work, "pair.hdr"), img = path.join(work, "pair.img");
  const m = await scanFiles(page, [mgz]);
  assert.ok(m.ok, m.error);
  assertSameVerdict(m, nativeScan([mgz]), "brain.mgz");
  const cliPair = nativeScan([img]);
  const pair = await scanFiles(page, [img, hdr], { partnerIndex: 1 });
  assert.ok(pair.ok, pair.error);
  assertSameVerdict(pair, cliPair, "pair.img + pair.hdr");
  // As a user opens them: both files of the pair picked at once give one scan.
  await page.setInputFiles("#file-input", [img, hdr]);
  const { probabilities } = await lastVerdictFromCsv(page, "pair.hdr");
  for (let c = 0; c < 4; ++c) assert.ok(Math.abs(probabilities[c] - cliPair.scan.probabilities[c]) <= TOLERANCE, `opened pair: ${probabilities}`);
});

test("large volumes: ch2bet at 0.5 mm as float64 gives the CLI's verdict, 512^3 noise its message; no crash", async () => {
  const half = path.join(work, "half_mm_f64.nii.gz"), noise = path.join(work, "noise512.nii.gz");
  const b = await scanFiles(h.page, [half]);
  assert.ok(b.ok, b.error);
  assertSameVerdict(b, nativeScan([half]), "half_mm_f64.nii.gz");
  assert.ok(b.notes.some((n) => n.startsWith("362x434x362 voxels averaged in 2x2x2 blocks")), String(b.notes));
  const r = spawnSync(ALZSCAN, ["predict", "--checkpoint", CHECKPOINT, "--json", noise], { encoding: "utf8" });
  const cliError = JSON.parse(r.stdout.trim().split("\n").pop()).error;
  const n = await scanFiles(h.page, [noise]);
  assert.equal(n.ok, false, "512^3 noise classified");
  assert.equal(n.error, cliError);
  assert.equal(await h.page.evaluate(() => window.alzscan.testing.restarts()), 0, "the app restarted");
  console.log(`half_mm_f64: ${b.timings.total_ms.toFixed(0)} ms to the verdict; noise512: "${n.error}"`);
});

test("a .mgz gzip bomb and a .hdr without its .img: the CLI's messages", async () => {
  // Each side ends a lone .hdr's message with its own hint (a folder on disk, files in the page).
  const hints = { "bomb.mgz": ["", ""], "lone.hdr": [": put both files in one folder", ": open the .hdr and the .img together"] };
  for (const [name, [cliHint, pageHint]] of Object.entries(hints)) {
    const file = path.join(work, name);
    const r = spawnSync(ALZSCAN, ["predict", "--checkpoint", CHECKPOINT, "--json", file], { encoding: "utf8" });
    const cliError = JSON.parse(r.stdout.trim().split("\n").pop()).error;
    const started = Date.now();
    const b = await scanFiles(h.page, [file]);
    assert.equal(b.ok, false, `${name}: classified`);
    assert.ok(b.error.endsWith(pageHint), `${name}: the page's hint: ${b.error}`);
    assert.equal(b.error.slice(0, b.error.length - pageHint.length) + cliHint, cliError, `${name}: browser vs CLI`);
    console.log(`${name}: "${b.error}" in ${Date.now() - started} ms`);
  }
  const memory = await h.page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0);
  console.log(`JS heap after the bomb: ${(memory / 1e6).toFixed(0)} MB`);
});

test("pydicom's hostile DICOM files, one at a time: the CLI's verdict or its message; the page keeps working", async () => {
  const dir = "/usr/lib/python3/dist-packages/pydicom/data/test_files";
  const names = ["MR_truncated.dcm", "SC_rgb_jpeg.dcm", "rtdose.dcm", "badVR.dcm", "reportsi.dcm", "rtplan_truncated.dcm",
    "no_meta.dcm", "MR_small_jpeg_ls_lossless.dcm", "JPEG2000.dcm", "MR_small_RLE.dcm"];
  for (const name of names) {
    const file = path.join(dir, name);
    assert.ok(fs.existsSync(file), `${file} missing: make setup installs python3-pydicom`);
    const r = spawnSync(ALZSCAN, ["predict", "--checkpoint", CHECKPOINT, "--json", "--scan", file], { encoding: "utf8" });
    const lines = r.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const cli = lines[lines.length - 1] ?? {};
    const b = await scanFiles(h.page, [file], { dicom: true });
    if (cli.error !== undefined) {
      assert.equal(b.ok, false, `${name}: the CLI refuses it ("${cli.error}") but the page classified it`);
      assert.equal(b.error, cli.error.replaceAll(file, name), `${name}: page vs CLI message`);
    } else {
      assert.ok(b.ok, `${name}: the CLI classifies it but the page said: ${b.error}`);
      for (let c = 0; c < 4; ++c)
        assert.ok(Math.abs(b.probabilities[c] - cli.scan.probabilities[c]) <= TOLERANCE, `${name}: ${b.probabilities} vs ${cli.scan.probabilities}`);
    }
    console.log(`${name}: ${b.ok ? `${b.label ?? "flagged"} (${b.slices.length} slices)` : b.error}`);
  }
  const mgz = await scanFiles(h.page, [path.join(work, "brain.mgz")]);
  assert.ok(mgz.ok, `after the hostile files: ${mgz.error}`);
});
