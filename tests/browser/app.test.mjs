// Headless-Chromium tests of the browser app, against the built WEB_OUT and the shipped
// model. One browser for the whole file (Chromium + SwiftShader start is the slow part); the tests
// run in order and the last one stops the server to prove the offline reload.
//
//   make test-browser      (or: WEB_OUT=build/web ALZSCAN=build/native/alzscan node --test tests/browser/)
//
// Expectations are independent of the page: probabilities come from `alzscan predict --json`
// (LibTorch + native shared/) on the very same files; bad-input messages must name the problem.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { after, before, test } from "node:test";
import { ALZSCAN, DATA, REPO, WEB_OUT, openApp } from "./harness.mjs";
import { CHECKPOINT, nativePredict, nativeScan, referenceProblem } from "./native_reference.mjs";
import { encodePng, pngWithHeaderOnly, phantom } from "./synthetic_images.mjs";

const TOLERANCE = 1e-5;
const FIXTURES = path.join(REPO, "tests/fixtures");
const HAVE_DATA = fs.existsSync(path.join(DATA, "KAGGLE_SPLIT.tsv"));

let h;           // the open app (harness)
let tmp;         // files the native reference reads
let gallery = [];  // [{file, label, path}]
let slices = [];   // 20 real test slices [{path, label}]
let corpus = [];   // bad-input corpus [{name, path, bytes, mustFail: RegExp|null}]
let native = null;  // Map path -> alzscan predict JSON
let nativeProblem = null;
const singleOutcomes = new Map();  // corpus name -> browser outcome when classified alone

function requireData(t) {
  if (HAVE_DATA) return true;
  const message = `DID NOT RUN: the dataset is missing at ${DATA} (set DATA=...)`;
  if (process.env.CI === "true") assert.fail(message);
  t.skip(message);
  return false;
}

function requireNative() {
  assert.equal(nativeProblem, null, `no reference to compare with: ${nativeProblem}`);
}

// Browser outcome vs `alzscan predict --json` on the same file.
function assertMatchesNative(outcome, file, what) {
  const ref = native.get(file);
  if (ref.error !== undefined) {
    assert.equal(outcome.ok, false, `${what}: native fails ("${ref.error}") but the browser classified it`);
    assert.equal(outcome.error, ref.error, `${what}: browser and native messages differ`);
    return;
  }
  assert.equal(outcome.ok, true, `${what}: native classifies it but the browser said: ${outcome.error}`);
  assert.deepEqual(outcome.classes, ref.classes, `${what}: class order differs from the checkpoint's`);
  assert.equal(outcome.label, ref.label, `${what}: class ${outcome.label} vs native ${ref.label}`);
  assert.equal(outcome.probabilities.length, ref.probabilities.length);
  for (let i = 0; i < ref.probabilities.length; ++i) {
    const d = Math.abs(outcome.probabilities[i] - ref.probabilities[i]);
    assert.ok(d <= TOLERANCE, `${what}: |Δp[${i}]| = ${d.toExponential(2)} > ${TOLERANCE} (browser ${outcome.probabilities[i]}, native ${ref.probabilities[i]})`);
  }
  // A lone file is a scan of one slice: the same atrophy evidence (shared/ atrophy.h on the same
  // prepared slice), number for number.
  assert.ok(ref.atrophy, `${what}: alzscan predict printed no atrophy`);
  assert.deepEqual(outcome.atrophy, ref.atrophy, `${what}: atrophy evidence differs from the CLI's`);
}

// The result panel's atrophy chart, a frame after a result: drawn for the selected row, with the
// training classes' bands and the scan's points at each position it has.
async function assertChartDrawn(atrophy, what) {
  await h.page.waitForTimeout(250);
  const drawn = await h.page.evaluate(() => window.alzscan.chartDrawn());
  const sel = await h.page.evaluate(() => window.alzscan.selection());
  assert.ok(drawn.item > 0, `${what}: no atrophy chart drawn (${JSON.stringify(drawn)}, selection ${JSON.stringify(sel)})`);
  const model = JSON.parse(fs.readFileSync(path.join(WEB_OUT, "model/model.json"), "utf8"));
  const classes = Object.values(model.atrophy.csf_fraction).filter((v) => v.length >= 5).length;
  assert.equal(drawn.classes, classes, `${what}: bands drawn`);
  assert.equal(drawn.points, atrophy.by_position.filter((v) => v !== null).length, `${what}: the scan's points`);
  assert.match(drawn.caption, /^CSF \d+\.\d % of the brain: more than in \d+ % of the training /, what);
}

// RFC 4180, whole text: quoted fields may hold commas, doubled quotes and line breaks.
function parseCsv(text) {
  const rows = [];
  let row = [], field = "", quoted = false;
  for (let i = 0; i < text.length; ++i) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; ++i; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(field); field = ""; } else if (c === "\n") { row.push(field); rows.push(row); row = []; field = ""; } else field += c;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  return rows;
}

const twoFramesOf = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

function assertOneLine(message, what) {
  assert.ok(typeof message === "string" && message.length > 10, `${what}: expected a specific message, got ${JSON.stringify(message)}`);
  assert.ok(!message.includes("\n"), `${what}: message should be one line: ${message}`);
}

function pickSlices() {
  const rows = fs.readFileSync(path.join(DATA, "KAGGLE_SPLIT.tsv"), "utf8").trim().split("\n").slice(1).map((l) => l.split("\t"));
  const byClass = new Map();
  for (const [rel, cls, kaggle] of rows) {
    if (kaggle !== "test" || !rel.startsWith("test/")) continue;
    if (!byClass.has(cls)) byClass.set(cls, []);
    byClass.get(cls).push(rel);
  }
  const picked = [];
  for (const cls of [...byClass.keys()].sort()) {
    // Skip the first two of each class: the gallery has them.
    const list = byClass.get(cls).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
    for (const rel of list.slice(2, 7)) picked.push({ path: path.join(DATA, rel), label: cls });
  }
  const rest = [...byClass.values()].flat().map((rel) => path.join(DATA, rel)).filter((p) => !picked.some((s) => s.path === p));
  while (picked.length < 20 && rest.length) picked.push({ path: rest.pop(), label: "" });
  return picked.slice(0, 20);
}

async function buildCorpus(page) {
  const items = [];
  const add = (name, bytes, mustFail = null) => {
    const p = path.join(tmp, name);
    fs.writeFileSync(p, bytes);
    items.push({ name, path: p, bytes: Buffer.from(bytes), mustFail });
  };
  add("empty.png", Buffer.alloc(0), /empty|0 bytes|no data/i);
  add("notes_renamed.png", Buffer.from("Patient notes: this is a text file renamed to .png\n"), /not a PNG|format|not an image|unknown/i);
  if (HAVE_DATA) {
    const jpeg = fs.readFileSync(path.join(DATA, "test/Non_Demented", fs.readdirSync(path.join(DATA, "test/Non_Demented")).sort()[0]));
    add("truncated.jpg", jpeg.subarray(0, Math.floor(jpeg.length * 0.4)), /truncat|corrupt|incomplete|ends/i);
  }
  add("header_60000x60000.png", pngWithHeaderOnly(60000, 60000), /60000/);
  add("png_pixels_missing.png", pngWithHeaderOnly(64, 64), /PNG/);  // honest header, pixel data cut short
  add("gray16.png", encodePng({ width: 96, height: 96, bitDepth: 16, colorType: 0, samples: phantom(96, 96, 1, 65535) }));
  add("rgba.png", encodePng({ width: 96, height: 96, colorType: 6, samples: phantom(96, 96, 4, 255, (v, c) => (c === 3 ? 0.6 + 0.4 * v : v)) }));
  add("cmyk.jpg", fs.readFileSync(path.join(FIXTURES, "cmyk.jpg")));
  add("animated.gif", fs.readFileSync(path.join(FIXTURES, "animated.gif")), /looks like a GIF image.*PNG/);
  // The crafted JPEGs of ../shared/reliability (edits of dataset slices: read from there, never
  // committed): each is refused as corrupt, with the same words as the CLI.
  const crafted = path.join(DATA, "../../reliability/jpeg");
  if (HAVE_DATA) {
    assert.ok(fs.existsSync(crafted), `${crafted} is missing (it comes with the dataset)`);
    for (const f of fs.readdirSync(crafted).filter((n) => n.endsWith(".jpg")).sort())
      add(`crafted_${f}`, fs.readFileSync(path.join(crafted, f)), /^the JPEG file is corrupt: the decoder stopped with "/);
  }
  add("one_pixel.png", encodePng({ width: 1, height: 1, colorType: 0, samples: Uint8Array.of(200) }));
  // A 12-megapixel camera-style JPEG, encoded by the browser itself.
  const photo = await page.evaluate(async () => {
    const c = new OffscreenCanvas(4032, 3024);
    const g = c.getContext("2d");
    const grad = g.createRadialGradient(2016, 1512, 100, 2016, 1512, 1800);
    grad.addColorStop(0, "#d8c4a0");
    grad.addColorStop(1, "#203040");
    g.fillStyle = grad;
    g.fillRect(0, 0, 4032, 3024);
    for (let i = 0; i < 300; ++i) {
      g.fillStyle = `hsl(${(i * 37) % 360} 50% ${30 + (i % 40)}%)`;
      g.fillRect((i * 997) % 4000, (i * 613) % 3000, 40 + (i % 200), 30 + (i % 150));
    }
    const blob = await c.convertToBlob({ type: "image/jpeg", quality: 0.9 });
    const b = new Uint8Array(await blob.arrayBuffer());
    let s = "";
    for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
    return btoa(s);
  });
  add("photo_4032x3024.jpg", Buffer.from(photo, "base64"));
  return items;
}

before(async () => {
  if (!fs.existsSync(path.join(WEB_OUT, "model/model.json")))
    throw new Error(`${WEB_OUT}/model/model.json missing: models/default (model.onnx, model.json, checkpoint.pt) was absent ` +
      "when the web app was assembled; produce it (make train && make export) and rebuild (make web)");
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "alzscan-browser-"));
  h = await openApp();
  corpus = await buildCorpus(h.page);
  const galleryJson = JSON.parse(fs.readFileSync(path.join(WEB_OUT, "gallery/gallery.json"), "utf8"));
  if (Array.isArray(galleryJson)) gallery = galleryJson.map((g) => ({ ...g, path: path.join(WEB_OUT, g.file) }));
  if (HAVE_DATA) slices = pickSlices();
  nativeProblem = referenceProblem();
  if (!nativeProblem) native = nativePredict([...gallery.map((g) => g.path), ...slices.map((s) => s.path), ...corpus.map((c) => c.path)]);
});

after(async () => {
  await h?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test("the page loads with no console error, cross-origin isolated, ORT on threads", () => {
  assert.deepEqual(h.pageErrors, [], "uncaught page errors");
  assert.deepEqual(h.consoleErrors, [], "console errors while loading");
  assert.equal(h.info.crossOriginIsolated, true, "COOP/COEP missing: ORT cannot use threads");
  assert.ok(h.info.threads >= 1);
  assert.equal(h.info.classes.length, 4);
});

test("the shipped default model is present and is what the page serves", () => {
  assert.equal(nativeProblem, null, nativeProblem ?? "");
});

test("every gallery sample: same class and probabilities within 1e-5 of alzscan predict", async (t) => {
  if (!requireData(t)) return;
  assert.ok(gallery.length >= 8, `gallery has ${gallery.length} samples, expected 8 (assemble_web.sh copies them from ${DATA})`);
  const outcomes = [];
  for (const g of gallery) outcomes.push(await h.classify(fs.readFileSync(g.path), path.basename(g.file), { trueLabel: g.label }));
  for (const o of outcomes) assert.ok(o.ok && o.timings.preprocess_ms >= 0 && o.timings.inference_ms > 0, o.error);
  requireNative();
  outcomes.forEach((o, i) => assertMatchesNative(o, gallery[i].path, gallery[i].file));
  const last = outcomes[outcomes.length - 1];
  if (!last.ood?.flag) await assertChartDrawn(last.atrophy, `a slice (${gallery[gallery.length - 1].file})`);
});

test("a batch of 20 real slices, submitted at once, all match alzscan predict", async (t) => {
  if (!requireData(t)) return;
  assert.equal(slices.length, 20);
  const payload = slices.map((s) => ({ b64: fs.readFileSync(s.path).toString("base64"), name: path.basename(s.path), trueLabel: s.label }));
  const outcomes = await h.page.evaluate(async (files) => {
    const decode = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const settled = await Promise.allSettled(files.map((f) => window.alzscan.classify(decode(f.b64), { name: f.name, trueLabel: f.trueLabel })));
    return settled.map((s) => (s.status === "fulfilled" ? { ok: true, ...s.value } : { ok: false, error: s.reason.message }));
  }, payload);
  requireNative();
  outcomes.forEach((o, i) => assertMatchesNative(o, slices[i].path, path.basename(slices[i].path)));
});

// One person's slice files (SUBJECTS.tsv), in slice_rank order: their stack.
function personSlices(subject) {
  const lines = fs.readFileSync(path.join(DATA, "SUBJECTS.tsv"), "utf8").trim().split("\n");
  const col = Object.fromEntries(lines[0].split("\t").map((name, i) => [name, i]));
  const files = lines.slice(1).map((l) => l.split("\t")).filter((c) => c[col.subject] === subject)
    .sort((a, b) => Number(a[col.slice_rank]) - Number(b[col.slice_rank])).map((c) => path.join(DATA, c[col.relative_path]));
  assert.equal(files.length, 32, `${subject}: ${files.length} slices`);
  return files;
}

test("a person's 32 slices: the browser's scan verdict (alzscan.aggregate) equals alzscan predict --scan", async (t) => {
  if (!requireData(t)) return;
  requireNative();
  const files = personSlices("S000");
  const cli = nativeScan(files);
  assert.equal(cli.scan.slices, 32);
  const browser = [];
  for (const f of files) browser.push(await h.classify(fs.readFileSync(f), path.basename(f)));
  // The same function on the same numbers: the CLI's slice probabilities aggregated in the page.
  const same = await h.page.evaluate((p) => window.alzscan.aggregate(p), cli.slices.map((s) => s.probabilities));
  // The whole path: the page's own slice probabilities, aggregated in the page.
  const own = await h.page.evaluate((p) => window.alzscan.aggregate(p), browser.map((o) => o.probabilities));
  for (let c = 0; c < 4; ++c) {
    assert.ok(Math.abs(same[c] - cli.scan.probabilities[c]) <= 1e-6, `aggregate of the CLI's slices: ${same} vs ${cli.scan.probabilities}`);
    assert.ok(Math.abs(own[c] - cli.scan.probabilities[c]) <= TOLERANCE, `browser verdict ${own} vs CLI ${cli.scan.probabilities}`);
  }
});

// A NIfTI-1 uint8 volume written here (little endian, sform = identity: stored RAS, so the reader
// must flip columns and rows back): slice k = image k.
function niftiOf(images, width, height) {
  const h = Buffer.alloc(352);
  h.writeInt32LE(348, 0);
  [3, width, height, images.length, 1, 1, 1, 1].forEach((d, i) => h.writeInt16LE(d, 40 + 2 * i));
  h.writeInt16LE(2, 70);   // uint8
  h.writeInt16LE(8, 72);
  for (let i = 0; i < 8; ++i) h.writeFloatLE(1, 76 + 4 * i);
  h.writeFloatLE(352, 108);
  h.writeInt16LE(1, 254);  // sform_code
  [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]].forEach((row, r) => row.forEach((v, c) => h.writeFloatLE(v, 280 + 16 * r + 4 * c)));
  h.write("n+1\0", 344, "latin1");
  const voxels = Buffer.alloc(width * height * images.length);
  images.forEach((img, k) => {
    for (let j = 0; j < height; ++j)
      for (let i = 0; i < width; ++i) voxels[i + width * (j + height * k)] = img[(height - 1 - j) * width + (width - 1 - i)];
  });
  return Buffer.concat([h, voxels]);
}

async function scanInPage(bytes, name) {
  return h.page.evaluate(async ([b64, n]) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    try { return { ok: true, ...(await window.alzscan.classifyScan(bytes, { name: n })) }; } catch (e) { return { ok: false, error: e.message }; }
  }, [Buffer.from(bytes).toString("base64"), name]);
}

function assertScanMatches(browser, cli, what) {
  assert.ok(browser.ok, `${what}: ${browser.error}`);
  assert.equal(browser.slices.length, cli.slices.length, `${what}: slice count`);
  browser.slices.forEach((s, i) => {
    if (cli.slices[i].slice !== undefined) assert.equal(s.slice, cli.slices[i].slice, `${what}: slice ${i} index`);
    for (let c = 0; c < 4; ++c)
      assert.ok(Math.abs(s.probabilities[c] - cli.slices[i].probabilities[c]) <= TOLERANCE, `${what}: slice ${i} p[${c}] ${s.probabilities[c]} vs ${cli.slices[i].probabilities[c]}`);
  });
  for (let c = 0; c < 4; ++c)
    assert.ok(Math.abs(browser.probabilities[c] - cli.scan.probabilities[c]) <= TOLERANCE, `${what}: verdict ${browser.probabilities} vs CLI ${cli.scan.probabilities}`);
  assert.equal(browser.label, cli.scan.label);
  // The out-of-distribution verdicts agree too: each slice's flag and score, and the scan's.
  browser.slices.forEach((s, i) => {
    assert.equal(s.ood?.flag, cli.slices[i].ood?.flag, `${what}: slice ${i} out-of-distribution flag`);
    assert.ok(Math.abs(s.ood.score - cli.slices[i].ood.score) <= 1e-3, `${what}: slice ${i} score ${s.ood.score} vs ${cli.slices[i].ood.score}`);
  });
  assert.equal(browser.ood?.flag, cli.scan.ood?.flag, `${what}: the scan's out-of-distribution flag`);
  assert.deepEqual(browser.atrophy, cli.scan.atrophy, `${what}: the scan's atrophy evidence`);
}

test("classifyScan on Colin27 (mricron-data's ch2bet.nii.gz): every slice and the verdict equal alzscan predict", async () => {
  requireNative();
  const file = "/usr/share/mricron/templates/ch2bet.nii.gz";
  assert.ok(fs.existsSync(file), `${file} missing: make setup installs mricron-data`);
  await h.page.evaluate(() => window.alzscan.progressDrawn());   // forget earlier frames
  // What the aria-live region says during the scan: its verdict once, not each of its slices.
  await h.page.evaluate(() => {
    window.__announced = [];
    const region = document.getElementById("announce");
    new MutationObserver((records) => records.forEach((r) => window.__announced.push([...r.addedNodes].map((n) => n.textContent).join(""))))
      .observe(region, { childList: true, characterData: true, subtree: true });
  });
  const browser = await scanInPage(fs.readFileSync(file), "ch2bet.nii.gz");
  const announced = await h.page.evaluate(() => window.__announced);
  assert.equal(announced.length, 1, `announced: ${JSON.stringify(announced)}`);
  assert.match(announced[0], /^ch2bet\.nii\.gz: scan of 32 slices: /);
  // The progress card was drawn while the volume was read and registered: its bar moved forward
  // over several frames, and it is gone once the slices are classified.
  const bar = await h.page.evaluate(() => window.alzscan.progressDrawn());
  console.log(`progress card, per frame: ${bar.map((f) => f.toFixed(2)).join(" ")}`);
  assert.ok(bar.length >= 4, `the progress card in ${bar.length} frames: ${bar}`);
  assert.ok(bar.every((f, i) => i === 0 || f >= bar[i - 1]), `the bar went back: ${bar}`);
  // A 1.3 MB file gets no "Reading" frame (web/volume_open.js): the bar starts at the reading share.
  assert.ok(Math.abs(bar[0] - 0.1) < 1e-6 && bar[bar.length - 1] >= 0.6, `the bar's first and last: ${bar}`);
  assert.ok(new Set(bar).size >= 4, `the bar took ${new Set(bar).size} values: ${bar}`);
  await h.page.waitForTimeout(200);
  assert.deepEqual(await h.page.evaluate(() => window.alzscan.progressDrawn()), [], "the card stays after the scan");
  const cli = nativeScan([file]);
  assert.equal(cli.scan.slices, 32);
  assertScanMatches(browser, cli, "ch2bet");
  // Each side's timings name the same stages; the page's parts of opening the volume add up to it.
  const t = browser.timings, stages = ["decode_ms", "template_ms", "registration_ms", "slab_ms", "frames_ms"];
  for (const key of [...stages, "registration_frames_ms", "ood_cam_ms", "aggregate_ms"]) assert.ok(t[key] >= 0, `${key}: ${JSON.stringify(t)}`);
  for (const key of ["decode_ms", "registration_ms", "slab_ms"]) assert.ok(t[key] > 0, `${key}: ${JSON.stringify(t)}`);
  const parts = stages.reduce((a, k) => a + t[k], 0);
  assert.ok(parts <= t.open_ms + 1 && parts >= 0.9 * t.open_ms, `stages ${parts} ms of open ${t.open_ms} ms: ${JSON.stringify(t)}`);
  assert.ok(t.registration_frames_ms <= t.frames_ms && t.open_ms + t.read_ms <= t.total_ms, JSON.stringify(t));
  for (const key of ["registration_ms", "slab_ms", "preprocess_ms", "inference_ms"])
    assert.ok(cli.scan.timings[key] > 0, `the CLI's ${key}: ${JSON.stringify(cli.scan.timings)}`);
  assert.equal(browser.how, cli.scan.how);
  await assertChartDrawn(browser.atrophy, "a registered volume (ch2bet)");
  assert.equal(browser.atrophy.by_position.filter((v) => v !== null).length, 8, "a registered volume's slices span every position");
  // The scan view shows the slice strip: 32 thumbnails, each classified slice framed in its class's
  // colour (a flagged one in gray); the most common class's frames are looked for.
  await h.page.mouse.move(700, 890);
  await h.page.waitForTimeout(300);
  const shot = await h.page.locator("#canvas").screenshot();
  fs.writeFileSync(path.join(path.dirname(WEB_OUT), "browser-scan-strip.png"), shot);
  const counts = new Map();
  for (const s of cli.slices) if (s.label) counts.set(s.label, (counts.get(s.label) ?? 0) + 1);
  const [common, n] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
  const colour = { Mild_Demented: [230, 126, 34], Moderate_Demented: [192, 57, 43], Non_Demented: [39, 174, 96], Very_Mild_Demented: [241, 196, 15] }[common];
  const framed = await h.page.evaluate(async ([b64, [r, g, b]]) => {
    const bmp = await createImageBitmap(new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: "image/png" }));
    const ctx = new OffscreenCanvas(bmp.width, bmp.height).getContext("2d");
    ctx.drawImage(bmp, 0, 0);
    const d = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - r) <= 6 && Math.abs(d[i + 1] - g) <= 6 && Math.abs(d[i + 2] - b) <= 6) ++n;
    return n;
  }, [shot.toString("base64"), colour]);
  assert.ok(framed > 30 * n, `the slice strip's ${n} ${common} frames are missing (${framed} px of its colour)`);
});

test("a person's 32 slices written into a .nii.gz: the page's verdict equals the slices as files and the CLI's", async (t) => {
  if (!requireData(t)) return;
  requireNative();
  const files = personSlices("S001");
  // The slices' pixels (grayscale JPEGs) read by Pillow, an independent decoder; the CLI's verdict
  // on the volume equalling its verdict on the files proves they are the pixels alzscan decodes.
  const py = spawnSync("/usr/bin/python3", ["-c",
    "import sys, PIL.Image as I; sys.stdout.buffer.write(b''.join(I.open(f).tobytes() for f in sys.argv[1:]))", ...files],
    { maxBuffer: 16 << 20 });
  assert.equal(py.status, 0, String(py.stderr));
  const images = files.map((_, k) => py.stdout.subarray(k * 128 * 128, (k + 1) * 128 * 128));
  const volume = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "alzscan-scan-")), "S001.nii.gz");
  fs.writeFileSync(volume, zlib.gzipSync(niftiOf(images, 128, 128)));
  const cliFiles = nativeScan(files), cliVolume = nativeScan([volume]);
  const asFiles = await h.page.evaluate(async (list) => {
    const files = list.map(([b64, name]) => new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name));
    const r = await window.alzscan.classifyScan(files);
    return { ok: true, ...r };
  }, files.map((f) => [fs.readFileSync(f).toString("base64"), path.basename(f)]));
  await assertChartDrawn(asFiles.atrophy, "a stack of slice files");
  const asVolume = await scanInPage(fs.readFileSync(volume), "S001.nii.gz");
  assertScanMatches(asFiles, cliFiles, "slices as files vs CLI");
  assertScanMatches(asVolume, cliVolume, "volume vs CLI");
  assertScanMatches(asVolume, { slices: cliFiles.slices, scan: cliFiles.scan }, "volume vs the slices as files");
  assert.match(asVolume.how, /all 32 axial slices/);
});

test("a damaged .nii.gz and a file that is not NIfTI get the CLI's message, word for word (zlib's reason included); the page keeps working", async () => {
  requireNative();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "alzscan-bad-scan-"));
  const gz = zlib.gzipSync(niftiOf([Buffer.alloc(256, 90), Buffer.alloc(256, 90)], 16, 16));
  const cases = [["cut.nii.gz", gz.subarray(0, gz.length >> 1), "the .nii.gz is damaged or truncated"],
                 ["text.nii", Buffer.alloc(400, 120), "not a NIfTI file (sizeof_hdr is"]];
  for (const [name, bytes, message] of cases) {
    fs.writeFileSync(path.join(dir, name), bytes);
    const r = await scanInPage(bytes, name);
    assert.equal(r.ok, false, `${name}: classified`);
    assert.ok(r.error.includes(message), `${name}: ${r.error}`);
    const cli = spawnSync(ALZSCAN, ["predict", "--checkpoint", CHECKPOINT, "--json", path.join(dir, name)], { encoding: "utf8" });
    const cliError = JSON.parse(cli.stdout.trim()).error;
    assert.equal(r.error, cliError, `${name}: the same message on both sides`);
  }
  const after = await h.classify(fs.readFileSync(corpus.find((c) => c.name === "rgba.png").path), "rgba.png");
  assert.ok(after.ok, after.error);
});

test("bad-input corpus, one file at a time: a specific message or a correct result", async () => {
  for (const item of corpus) {
    const outcome = await h.classify(item.bytes, item.name);
    singleOutcomes.set(item.name, outcome);
    if (process.env.ALZSCAN_TEST_VERBOSE) console.log(`${item.name}: ${outcome.ok ? outcome.label + " " + JSON.stringify(outcome.probabilities) : outcome.error}`);
    if (item.mustFail) {
      assert.equal(outcome.ok, false, `${item.name} must be refused`);
      assertOneLine(outcome.error, item.name);
      assert.match(outcome.error, item.mustFail, `${item.name}: message does not name the problem`);
    } else if (!outcome.ok) {
      assertOneLine(outcome.error, item.name);
    } else {
      assert.equal(outcome.probabilities.length, 4);
      assert.ok(Math.abs(outcome.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-4, `${item.name}: probabilities do not sum to 1`);
    }
  }
  // Still working afterwards.
  const after = await h.classify(corpus.find((c) => c.name === "rgba.png").bytes, "rgba_again.png");
  assert.equal(after.ok, singleOutcomes.get("rgba.png").ok);
  requireNative();
  for (const item of corpus) assertMatchesNative(singleOutcomes.get(item.name), item.path, item.name);
});

test("alzscan.preprocess: the model's input, or the message classify gives; the batch is left as it was", async () => {
  const selectionBefore = await h.page.evaluate(() => window.alzscan.selection());
  const [height, width] = (() => {
    const model = JSON.parse(fs.readFileSync(path.join(WEB_OUT, "model/model.json"), "utf8"));
    return [model.input.height, model.input.width];
  })();
  for (const item of corpus) {
    const r = await h.page.evaluate(async (b64) => {
      const bin = atob(b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; ++i) bytes[i] = bin.charCodeAt(i);
      try {
        const tensor = await window.alzscan.preprocess(bytes);
        return { ok: true, float32: tensor instanceof Float32Array, length: tensor.length };
      } catch (e) {
        return { ok: false, error: e.message };
      }
    }, item.bytes.toString("base64"));
    const single = singleOutcomes.get(item.name);
    assert.equal(r.ok, single.ok, `${item.name}: preprocess ${r.ok ? "accepted" : "refused"} it, classify did not`);
    if (r.ok) {
      assert.ok(r.float32, `${item.name}: not a Float32Array`);
      assert.equal(r.length, height * width, item.name);
    } else {
      assert.equal(r.error, single.error, `${item.name}: preprocess and classify messages differ`);
    }
  }
  assert.deepEqual(await h.page.evaluate(() => window.alzscan.selection()), selectionBefore);
});

test("bad inputs mixed into a batch with real slices: same outcomes, the page keeps working", async (t) => {
  if (!requireData(t)) return;
  const real = slices.slice(0, 5);
  const mixed = [];
  corpus.forEach((c, i) => {
    mixed.push({ name: c.name, b64: c.bytes.toString("base64") });
    if (i < real.length) mixed.push({ name: path.basename(real[i].path), b64: fs.readFileSync(real[i].path).toString("base64"), real: real[i].path });
  });
  const outcomes = await h.page.evaluate(async (files) => {
    const decode = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const settled = await Promise.allSettled(files.map((f) => window.alzscan.classify(decode(f.b64), { name: f.name })));
    return settled.map((s) => (s.status === "fulfilled" ? { ok: true, ...s.value } : { ok: false, error: s.reason.message }));
  }, mixed);
  outcomes.forEach((o, i) => {
    const f = mixed[i];
    if (f.real) {
      assert.equal(o.ok, true, `${f.name} (real slice) failed in a mixed batch: ${o.error}`);
      if (native) assertMatchesNative(o, f.real, f.name);
    } else {
      const single = singleOutcomes.get(f.name);
      assert.equal(o.ok, single.ok, `${f.name}: outcome in a batch differs from alone`);
      if (!o.ok) assert.equal(o.error, single.error);
      else o.probabilities.forEach((p, k) => assert.ok(Math.abs(p - single.probabilities[k]) <= TOLERANCE));
    }
  });
  assert.deepEqual(h.pageErrors, []);
  assert.deepEqual(h.consoleErrors, [], "bad input must be reported in the UI, not as console errors");
});

test("a file over 256 MB is refused before it is copied into WASM, with its size in the message", async () => {
  const r = await h.page.evaluate(async () => {
    const big = new Uint8Array(257e6);
    big.set([0x89, 0x50, 0x4e, 0x47]);
    try {
      await window.alzscan.classify(big, { name: "huge.png" });
      return { ok: true };
    } catch (e) {
      return { ok: false, error: e.message, row: window.alzscan.batchCsv().split("\n").find((l) => l.startsWith("huge.png,")) };
    }
  });
  assert.equal(r.ok, false);
  assert.match(r.error, /257 MB: over the 256 MB/);
  assert.ok(r.row && r.row.includes(",error,"), `batch row: ${r.row}`);
  const after = await h.classify(corpus.find((c) => c.name === "rgba.png").bytes, "after_huge.png");
  assert.equal(after.ok, singleOutcomes.get("rgba.png").ok);
});

test("keyboard navigation moves the selection through the batch", async () => {
  const page = h.page;
  // ImGui 1.86 samples key state once per frame: hold the key until the app has drawn two frames
  // (a person's key press also lasts several frames), then release it the same way.
  const twoFrames = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const press = async (key) => {
    await page.keyboard.down(key);
    await twoFrames();
    await page.keyboard.up(key);
    await twoFrames();
  };
  await page.locator("#canvas").focus();
  const { count } = await page.evaluate(() => window.alzscan.selection());
  assert.ok(count >= 3, `batch has ${count} rows`);
  await press("Home");
  assert.equal((await page.evaluate(() => window.alzscan.selection())).index, 0);
  await press("ArrowDown");
  await press("ArrowDown");
  assert.equal((await page.evaluate(() => window.alzscan.selection())).index, 2);
  await press("ArrowUp");
  assert.equal((await page.evaluate(() => window.alzscan.selection())).index, 1);
  await press("End");
  assert.equal((await page.evaluate(() => window.alzscan.selection())).index, count - 1);
});

test("the scan view zooms with the wheel and +/-, pans by dragging, and 0 fits again", async () => {
  const page = h.page;
  const twoFrames = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const view = () => page.evaluate(() => window.alzscan.selection());
  // Select a classified image (the last row of the batch is a real slice or a valid corpus file).
  await h.classify(corpus.find((c) => c.name === "rgba.png").bytes, "zoom_me.png");
  await twoFrames();
  const box = await page.locator("#canvas").boundingBox();
  const centre = { x: box.x + box.width * 0.45, y: box.y + box.height * 0.35 };  // inside the scan view
  await page.mouse.move(centre.x, centre.y);
  await twoFrames();
  assert.equal((await view()).zoom, 1);
  await page.mouse.wheel(0, -240);
  await twoFrames();
  const zoomed = (await view()).zoom;
  assert.ok(zoomed > 1.05, `wheel up did not zoom in (zoom ${zoomed})`);
  await page.mouse.down();
  await twoFrames();
  await page.mouse.move(centre.x + 80, centre.y, { steps: 4 });
  await twoFrames();
  await page.mouse.up();
  await twoFrames();
  assert.ok((await view()).panX > 20, `dragging did not pan (panX ${(await view()).panX})`);
  for (const key of ["0", "Equal"]) {
    await page.keyboard.down(key);
    await twoFrames();
    await page.keyboard.up(key);
    await twoFrames();
  }
  const after = await view();
  assert.ok(Math.abs(after.zoom - 1.25) < 1e-6 && after.panX === 0, `0 then + should give zoom 1.25, pan 0: ${JSON.stringify(after)}`);
});

test("\"Open files…\" opens the browser's file picker; the chosen files are classified", async (t) => {
  if (!requireData(t)) return;
  const page = h.page;
  const before = (await page.evaluate(() => window.alzscan.selection())).count;
  const files = slices.slice(0, 2).map((s) => s.path);
  const box = await page.locator("#canvas").boundingBox();
  // The button sits at the header's right: (width - 468 + 65, 33) in canvas pixels (wasm/app_ui.cpp).
  const [chooser] = await Promise.all([
    page.waitForEvent("filechooser", { timeout: 10_000 }),
    page.mouse.click(box.x + box.width - 468 + 65, box.y + 33),
  ]);
  assert.equal(chooser.isMultiple(), true);
  await chooser.setFiles(files);
  await page.waitForFunction((n) => window.alzscan.selection().count === n, before + 2, { timeout: 20_000 });
  const csv = await page.evaluate(() => window.alzscan.batchCsv());
  for (const f of files) {
    await page.waitForFunction((name) => window.alzscan.batchCsv().split("\n").some((l) => l.startsWith(name + ",") && l.includes(",done,")),
      path.basename(f), { timeout: 20_000 });
  }
  assert.ok(csv.length > 0);
});

test("with \"Files opened together are one scan\" ticked, the chosen slices become one scan with a verdict row", async (t) => {
  if (!requireData(t)) return;
  requireNative();
  const page = h.page;
  const files = personSlices("S002").slice(10, 13);
  const before = (await page.evaluate(() => window.alzscan.selection())).count;
  await page.evaluate(() => window.alzscan.testing.setOneScan(true));
  const box = await page.locator("#canvas").boundingBox();
  // The pointer comes from elsewhere and rests on the button for two frames before the click, as a
  // user's would. The picker's opening is counted, so a missing chooser says whether the app never
  // saw the click (0) or the browser did not open the picker it asked for (1).
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await twoFramesOf(page);
  const button = { x: box.x + box.width - 468 + 65, y: box.y + 33 };
  await page.mouse.move(button.x, button.y, { steps: 4 });
  await twoFramesOf(page);
  await page.evaluate(() => {
    const input = document.getElementById("file-input"), click = input.click.bind(input);
    window.pickerOpened = 0;
    input.click = () => { window.pickerOpened += 1; click(); };
  });
  const [chooser] = await Promise.all([
    page.waitForEvent("filechooser", { timeout: 10_000 }).catch(async (e) => {
      throw new Error(`${e.message}; the app asked for the picker ${await page.evaluate(() => window.pickerOpened)} time(s)`);
    }),
    page.mouse.click(button.x, button.y),
  ]);
  await page.evaluate(() => { delete document.getElementById("file-input").click; });
  await chooser.setFiles(files);
  await page.waitForFunction((n) => window.alzscan.selection().count === n, before + 4, { timeout: 20_000 });
  await page.evaluate(() => window.alzscan.testing.setOneScan(false));
  const rows = (await page.evaluate(() => window.alzscan.batchCsv())).trim().split("\n");
  const verdict = rows[rows.length - 1].split(",");
  assert.equal(verdict[0], `${path.basename(files[0])}: scan of 3 slices`);
  const cli = nativeScan(files);
  assert.equal(verdict[3], cli.scan.label, `verdict row ${verdict} vs CLI ${cli.scan.label}`);
});

test("files dropped on the page are classified, bad ones get their message", async (t) => {
  if (!requireData(t)) return;
  const page = h.page;
  const before = (await page.evaluate(() => window.alzscan.selection())).count;
  await page.evaluate(async ({ good, goodName }) => {
    const dt = new DataTransfer();
    dt.items.add(new File([Uint8Array.from(atob(good), (c) => c.charCodeAt(0))], goodName, { type: "image/jpeg" }));
    dt.items.add(new File([new Uint8Array(0)], "dropped_empty.png", { type: "image/png" }));
    document.getElementById("canvas").dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, { good: fs.readFileSync(slices[2].path).toString("base64"), goodName: "dropped_" + path.basename(slices[2].path) });
  await page.waitForFunction((n) => window.alzscan.selection().count === n, before + 2, { timeout: 20_000 });
  await page.waitForFunction(() => window.alzscan.batchCsv().split("\n").some((l) => l.startsWith("dropped_") && l.includes(",done,")), null, { timeout: 20_000 });
  const csv = await page.evaluate(() => window.alzscan.batchCsv());
  const empty = csv.split("\n").find((l) => l.startsWith("dropped_empty.png,"));
  assert.ok(empty && empty.includes(",error,") && /empty/.test(empty), `dropped empty file row: ${empty}`);
});

test("CSV export has one row per file with its class or its message", async () => {
  const csv = await h.page.evaluate(() => window.alzscan.batchCsv());
  const lines = csv.trim().split("\n");
  const { count } = await h.page.evaluate(() => window.alzscan.selection());
  assert.match(lines[0], /^file,true_label,status,predicted,confidence,p_Mild_Demented,p_Moderate_Demented,p_Non_Demented,p_Very_Mild_Demented,preprocess_ms,inference_ms,error$/);
  assert.equal(lines.length - 1, count);
  // RFC 4180: messages hold commas and are quoted; every row parses to the header's 12 fields.
  const parse = (line) => {
    const fields = [];
    let field = "", quoted = false;
    for (let i = 0; i < line.length; ++i) {
      const c = line[i];
      if (quoted) {
        if (c === '"' && line[i + 1] === '"') { field += '"'; ++i; } else if (c === '"') quoted = false; else field += c;
      } else if (c === '"') quoted = true;
      else if (c === ",") { fields.push(field); field = ""; } else field += c;
    }
    fields.push(field);
    return fields;
  };
  const rows = lines.slice(1).map(parse);
  for (const r of rows) assert.equal(r.length, 12, `CSV row does not parse to 12 fields: ${r.join(" | ")}`);
  for (const item of corpus) {
    const single = singleOutcomes.get(item.name);
    const row = rows.find((r) => r[0] === item.name);
    assert.ok(row, `no CSV row for ${item.name}`);
    assert.equal(row[2], single.ok ? "done" : "error", item.name);
    if (!single.ok) assert.equal(row[11], single.error, `${item.name}: CSV message differs from the UI's`);
    else assert.equal(row[3], single.label ?? "", item.name);   // a flagged input has no class
    if (single.ok && single.ood?.flag) assert.equal(row[11], `not classified: ${single.ood.reason}`, item.name);
  }
  if (gallery.length) {
    const g = lines.find((l) => l.startsWith(path.basename(gallery[0].file) + ","));
    assert.ok(g && g.includes(",done,") && g.includes(gallery[0].label), `CSV row for a gallery sample: ${g}`);
  }
});

test("\"Export CSV\" downloads the batch table (a same-origin blob, no server round trip)", async () => {
  const page = h.page;
  const box = await page.locator("#canvas").boundingBox();
  // Export CSV is the second header button: x = width - 330 + 130 + 8 + 55 (wasm/app_ui.cpp).
  const [download] = await Promise.all([
    page.waitForEvent("download", { timeout: 10_000 }),
    page.mouse.click(box.x + box.width - 330 + 193, box.y + 33),
  ]);
  assert.equal(download.suggestedFilename(), "alzscan_batch.csv");
  assert.ok(download.url().startsWith("blob:" + new URL(h.url).origin), download.url());
  const saved = fs.readFileSync(await download.path(), "utf8");
  assert.equal(saved, await page.evaluate(() => window.alzscan.batchCsv()));
});

test("a screenshot of the canvas shows the ImGui UI (header, notice band, scan view, text)", async () => {
  // Select a classified real slice so every panel has content.
  await h.page.mouse.move(700, 890);  // off every widget: no hover colours
  if (gallery.length) await h.classify(fs.readFileSync(gallery[0].path), path.basename(gallery[0].file), { trueLabel: gallery[0].label });
  await h.page.waitForTimeout(300);
  const shot = await h.page.locator("#canvas").screenshot();
  const out = path.join(path.dirname(WEB_OUT), "browser-screenshot.png");
  fs.writeFileSync(out, shot);
  const s = await h.page.evaluate(async (b64) => {
    const blob = new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: "image/png" });
    const bmp = await createImageBitmap(blob);
    const g = new OffscreenCanvas(bmp.width, bmp.height).getContext("2d");
    g.drawImage(bmp, 0, 0);
    const d = g.getImageData(0, 0, bmp.width, bmp.height).data;
    const near = (i, r, gg, b, tol) => Math.abs(d[i] - r) <= tol && Math.abs(d[i + 1] - gg) <= tol && Math.abs(d[i + 2] - b) <= tol;
    const colours = new Set();
    let sum = 0, sum2 = 0, notice = 0, accent = 0, dark = 0;
    for (let y = 0; y < bmp.height; ++y) {
      for (let x = 0; x < bmp.width; ++x) {
        const i = 4 * (y * bmp.width + x);
        colours.add((d[i] >> 4) << 8 | (d[i + 1] >> 4) << 4 | (d[i + 2] >> 4));
        const l = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
        sum += l; sum2 += l * l;
        if (y >= 64 && y < 96 && near(i, 255, 243, 205, 3)) ++notice;
        if (y < 64 && near(i, 23, 92, 173, 12)) ++accent;
        if (near(i, 16, 18, 22, 3)) ++dark;
      }
    }
    const n = bmp.width * bmp.height;
    return { width: bmp.width, height: bmp.height, colours: colours.size, std: Math.sqrt(sum2 / n - (sum / n) ** 2), notice, accent, dark };
  }, shot.toString("base64"));
  assert.ok(s.width >= 1000 && s.height >= 600, `canvas is ${s.width}x${s.height}`);
  assert.ok(s.colours >= 40, `only ${s.colours} distinct colours: blank or broken canvas (${out})`);
  assert.ok(s.std > 15, `luminance std ${s.std.toFixed(1)}: nearly uniform canvas (${out})`);
  assert.ok(s.notice > s.width * 20, `the amber "not a diagnosis" band is missing (${s.notice} px; ${out})`);
  assert.ok(s.accent > 500, `the header (title, Open files button) is missing (${s.accent} accent px; ${out})`);
  assert.ok(s.dark > 50_000, `the scan view is missing (${s.dark} px of its dark background; ${out})`);
});

test("every request the page made stayed on its own origin", () => {
  const origin = new URL(h.url).origin;
  assert.ok(h.requests.length > 10, `only ${h.requests.length} requests recorded`);
  const foreign = h.requests.filter((u) => {
    try {
      return new URL(u).origin !== origin;
    } catch {
      return true;
    }
  });
  assert.deepEqual(foreign, [], "requests that left the page's origin");
  for (const asset of ["model/model.onnx", "ort/ort-wasm-simd-threaded.wasm", "alzscan_app.wasm"])
    assert.ok(h.requests.some((u) => u === origin + "/" + asset), `${asset} was not requested from the app itself`);
});

// 200 hostile files made from one real slice (deterministic): bytes flipped or overwritten
// with markers, cuts, and the crafted reliability JPEGs spliced with the slice.
function craftedFromSlice(slice, craftedDir) {
  const crafted = fs.readdirSync(craftedDir).filter((n) => n.endsWith(".jpg")).sort()
    .map((n) => fs.readFileSync(path.join(craftedDir, n)));
  let state = 20261201;
  const next = (n) => { state = (state * 1103515245 + 12345) >>> 0; return state % n; };
  const files = [];
  for (let k = 0; k < 200; ++k) {
    let b = Buffer.from(slice);
    const kind = k % 5;
    if (kind === 0) for (let i = 0; i < 1 + next(8); ++i) b[2 + next(b.length - 2)] ^= 1 << next(8);
    else if (kind === 1) for (let i = 0; i < 1 + next(4); ++i) b[2 + next(b.length - 2)] = 0xFF;
    else if (kind === 2) b = b.subarray(0, 3 + next(b.length - 3));
    else if (kind === 3) { const c = crafted[k % crafted.length]; b = Buffer.concat([c.subarray(0, 2 + next(c.length - 2)), slice.subarray(next(slice.length))]); }
    else { b = Buffer.from(crafted[k % crafted.length]); b[2 + next(b.length - 2)] = next(256); }
    files.push(b);
  }
  return files;
}

test("200 crafted files in a row: each gets the CLI's answer; then a real slice classifies as the CLI does and the UI still draws", async (t) => {
  if (!requireData(t)) return;
  const craftedDir = path.join(DATA, "../../reliability/jpeg");
  const slice = fs.readFileSync(slices[0].path);
  const files = craftedFromSlice(slice, craftedDir).map((bytes, k) => {
    const p = path.join(tmp, `hostile_${String(k).padStart(3, "0")}.jpg`);
    fs.writeFileSync(p, bytes);
    return { path: p, bytes };
  });
  const reference = nativePredict(files.map((f) => f.path));
  let refused = 0;
  for (const f of files) {
    const outcome = await h.classify(f.bytes, path.basename(f.path));
    if (!outcome.ok) { ++refused; assertOneLine(outcome.error, f.path); }
    const ref = reference.get(f.path);
    if (ref.error !== undefined) assert.equal(outcome.error, ref.error, `${f.path}: browser and native messages differ`);
    else {
      assert.equal(outcome.ok, true, `${f.path}: native classifies it, the browser said ${outcome.error}`);
      for (let i = 0; i < 4; ++i) assert.ok(Math.abs(outcome.probabilities[i] - ref.probabilities[i]) <= TOLERANCE, `${f.path}: p[${i}]`);
    }
  }
  assert.ok(refused >= 100, `only ${refused} of 200 hostile files were refused`);
  requireNative();
  const real = await h.classify(slice, "real_after_hostile.jpg");
  assertMatchesNative(real, slices[0].path, "the real slice after 200 hostile files");
  const started = Date.now();
  await twoFramesOf(h.page);
  assert.ok(Date.now() - started < 2000, `two frames took ${Date.now() - started} ms after the hostile files`);
  assert.deepEqual(h.pageErrors, [], "uncaught page errors");
});

test("\"Clear\" empties the batch and the page keeps classifying", async () => {
  const page = h.page;
  const box = await page.locator("#canvas").boundingBox();
  // Clear is the third header button: x = width - 330 + 130 + 8 + 110 + 8 + 35 (wasm/app_ui.cpp).
  await page.mouse.click(box.x + box.width - 330 + 291, box.y + 33);
  await page.waitForFunction(() => window.alzscan.selection().count === 0, null, { timeout: 10_000 });
  assert.equal((await page.evaluate(() => window.alzscan.batchCsv())).trim().split("\n").length, 1, "CSV keeps only its header");
  const again = await h.classify(corpus.find((c) => c.name === "rgba.png").bytes, "after_clear.png");
  assert.equal(again.ok, singleOutcomes.get("rgba.png").ok);
  assert.equal((await page.evaluate(() => window.alzscan.selection())).count, 1);
});

test("CSV cells are RFC 4180-quoted and never start a spreadsheet formula (file names, true labels)", async () => {
  const bytes = corpus.find((c) => c.name === "rgba.png").bytes;
  // [name, true label, the row's first cells exactly as written, the same cells as a spreadsheet reads them]
  const cases = [
    ['=HYPERLINK("http://x","y"),a.png', "", `"'=HYPERLINK(""http://x"",""y""),a.png",,`, [`'=HYPERLINK("http://x","y"),a.png`, ""]],
    ["+SUM(1;2).png", "=1+1", "'+SUM(1;2).png,'=1+1,", ["'+SUM(1;2).png", "'=1+1"]],
    ["-2+3.png", "@SUM(A1)", "'-2+3.png,'@SUM(A1),", ["'-2+3.png", "'@SUM(A1)"]],
    ["\tcmd.png", "", "'\tcmd.png,,", ["'\tcmd.png", ""]],
    ["\r=cr.png", "", `"'\r=cr.png",,`, ["'\r=cr.png", ""]],
    ["two\nlines.png", "", `"two\nlines.png",,`, ["two\nlines.png", ""]],
    ['say "hi".png', "", `"say ""hi"".png",,`, ['say "hi".png', ""]],
    ["plain-name_2.png", "Non_Demented", "plain-name_2.png,Non_Demented,", ["plain-name_2.png", "Non_Demented"]],
  ];
  for (const [name, trueLabel] of cases) await h.classify(bytes, name, { trueLabel });
  const csv = await h.page.evaluate(() => window.alzscan.batchCsv());
  const rows = parseCsv(csv);
  assert.match(csv.split("\n")[0], /^file,true_label,status,predicted,confidence,p_Mild_Demented,p_Moderate_Demented,p_Non_Demented,p_Very_Mild_Demented,preprocess_ms,inference_ms,error$/);
  for (const r of rows) assert.equal(r.length, 12, `CSV row does not parse to 12 fields: ${JSON.stringify(r)}`);
  for (const [name, , raw, cells] of cases) {
    assert.ok(csv.includes("\n" + raw), `${JSON.stringify(name)}: no row starting ${JSON.stringify(raw)} in\n${csv}`);
    assert.ok(rows.some((r) => r[0] === cells[0] && r[1] === cells[1]), `${JSON.stringify(name)}: no row with cells ${JSON.stringify(cells)}`);
  }
  // Only text cells change: no cell of any row starts with = + - @ TAB or CR.
  for (const r of rows) for (const cell of r) assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `cell ${JSON.stringify(cell)} can run as a formula`);
});

test("a trap in the WASM app: its file fails with a message, a fresh instance takes over, no result after the trap is shown", async () => {
  const page = h.page;
  const sample = gallery.length ? { path: gallery[0].path, label: gallery[0].label } : { path: corpus.find((c) => c.name === "rgba.png").path, label: "" };
  const bytes = fs.readFileSync(sample.path);
  const csv = () => page.evaluate(() => window.alzscan.batchCsv());
  const restarts = () => page.evaluate(() => window.alzscan.testing.restarts());
  const before = await h.classify(bytes, "before_trap.png");
  assert.equal(before.ok, true, before.error);
  const csvBefore = await csv();
  const restarts0 = await restarts();

  // The next decode traps (RuntimeError "unreachable", as a decoder bug would): that file's row
  // fails with the message; once the promise settles the new instance shows every earlier row as it was.
  await page.evaluate(() => window.alzscan.testing.trap("decode"));
  const trapped = await h.classify(bytes, "trapped.png");
  assert.equal(trapped.ok, false, "a file classified in the instance that trapped");
  assert.equal(trapped.error, "the decoder crashed on this file (RuntimeError: unreachable); the app was restarted");
  assert.equal(await restarts(), restarts0 + 1);
  const csvAfter = await csv();
  assert.ok(csvAfter.startsWith(csvBefore), `rows before the trap were not restored as they were:\n${csvBefore}\n---\n${csvAfter}`);
  const last = parseCsv(csvAfter).at(-1);
  assert.deepEqual([last[0], last[2], last[11]], ["trapped.png", "error", trapped.error]);
  const selection = await page.evaluate(() => window.alzscan.selection());
  assert.equal(selection.index, selection.count - 1, "the failed file is the selected row");

  // The crashed instance is freed (its WebAssembly memory with it): after a garbage collection only
  // the live module is left.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("HeapProfiler.enable");
  for (let i = 0; i < 3; ++i) await cdp.send("HeapProfiler.collectGarbage");
  assert.equal(await page.evaluate(() => window.alzscan.testing.liveModules()), 1, "a crashed module instance is still referenced");
  await cdp.detach();

  // The fresh instance: the same slice, the same probabilities as before the trap and as alzscan predict.
  const again = await h.classify(bytes, "after_trap.png", { trueLabel: sample.label });
  assert.equal(again.ok, true, again.error);
  assert.deepEqual(again.probabilities, before.probabilities);
  requireNative();
  assertMatchesNative(again, sample.path, "after the restart");

  // A file still waiting for its result when another one traps gets no result: ORT is kept busy by
  // a benchmark so that in_flight.png is decoded and waiting when trapped_too.png traps.
  const both = await page.evaluate(async (b64) => {
    const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bench = window.alzscan.benchmarkInference(await window.alzscan.preprocess(data), 100);
    const inFlight = window.alzscan.classify(data, { name: "in_flight.png" });
    await new Promise((r) => setTimeout(r, 0));
    await window.alzscan.testing.trap("decode");
    const trappedToo = window.alzscan.classify(data, { name: "trapped_too.png" });
    const settled = await Promise.allSettled([inFlight, trappedToo]);
    await bench;
    return settled.map((s) => (s.status === "fulfilled" ? { ok: true } : { ok: false, error: s.reason.message }));
  }, bytes.toString("base64"));
  assert.deepEqual(both, [
    { ok: false, error: "not classified: the app crashed (RuntimeError: unreachable) and was restarted; open this file again" },
    { ok: false, error: "the decoder crashed on this file (RuntimeError: unreachable); the app was restarted" },
  ]);
  const rows = parseCsv(await csv());
  for (const [name, { error }] of [["in_flight.png", both[0]], ["trapped_too.png", both[1]]]) {
    const row = rows.find((r) => r[0] === name);
    assert.deepEqual(row && [row[2], row[3], row[11]], ["error", "", error], `${name}: ${JSON.stringify(row)}`);
  }
  assert.equal(await restarts(), restarts0 + 2);

  // alzscan.preprocess (no batch row) says so too, and the batch stays as it was.
  const preprocessed = await page.evaluate(async (b64) => {
    await window.alzscan.testing.trap("decode");
    try {
      await window.alzscan.preprocess(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
      return { ok: true };
    } catch (e) {
      return { ok: false, error: e.message };
    }
  }, bytes.toString("base64"));
  assert.deepEqual(preprocessed, { ok: false, error: "the decoder crashed on this input (RuntimeError: unreachable); the app was restarted" });
  assert.equal((await page.evaluate(() => window.alzscan.selection())).count, rows.length - 1);
  assert.equal(await restarts(), restarts0 + 3);

  // A trap outside any call (in a frame): the page restarts the app by itself; the UI responds.
  await twoFramesOf(page);
  await page.evaluate(() => window.alzscan.testing.trap("frame"));
  await page.waitForFunction((n) => window.alzscan.testing.restarts() === n, restarts0 + 4, { timeout: 20_000 });
  const { count } = await page.evaluate(() => window.alzscan.selection());
  assert.equal(count, rows.length - 1, "rows lost in the frame trap's restart");
  await page.locator("#canvas").focus();
  for (const key of ["Home", "ArrowDown"]) {
    await page.keyboard.down(key);
    await twoFramesOf(page);
    await page.keyboard.up(key);
    await twoFramesOf(page);
  }
  assert.equal((await page.evaluate(() => window.alzscan.selection())).index, 1, "the keyboard does not reach the restarted UI");
  if (gallery.length) {
    // The first sample thumbnail (left panel, wasm/app_ui.cpp layout) classifies it with its true label.
    await page.mouse.click(65, 215);
    await page.waitForFunction((n) => window.alzscan.selection().count === n, count + 1, { timeout: 20_000 });
    await page.waitForFunction(() => window.alzscan.batchCsv().trim().split("\n").at(-1).includes(",done,"), null, { timeout: 20_000 });
    const row = parseCsv(await csv()).at(-1);
    assert.deepEqual([row[0], row[1], row[2]], [path.basename(gallery[0].file), gallery[0].label, "done"]);
  }
  const final = await h.classify(bytes, "after_frame_trap.png");
  assert.deepEqual(final.probabilities, before.probabilities);
  assert.deepEqual(h.pageErrors, []);
  assert.deepEqual(h.consoleErrors, [], "a trap is handled, not a console error");
});

test("a decoder crash on a scan's first slice: one row says so, the rest of the scan is not read, the scan fails", async () => {
  const page = h.page;
  const files = corpus.filter((c) => c.name === "rgba.png").map((c) => c.bytes);
  assert.equal(files.length, 1, "the corpus's rgba.png");
  const rowsOf = async () => parseCsv(await page.evaluate(() => window.alzscan.batchCsv())).length;
  const rows0 = await rowsOf(), restarts0 = await page.evaluate(() => window.alzscan.testing.restarts());
  const scan = await page.evaluate(async (b64) => {
    await window.alzscan.testing.trap("decode");
    const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const announced = [], region = document.getElementById("announce");
    // Each record's own text (the region is set by textContent: one added text node per record).
    const observer = new MutationObserver((records) => records.forEach((r) => announced.push([...r.addedNodes].map((n) => n.textContent).join(""))));
    observer.observe(region, { childList: true, characterData: true, subtree: true });
    try {
      await window.alzscan.classifyScan([data, data, data, data, data], { name: "crashing stack" });
      return { ok: true };
    } catch (e) { return { ok: false, error: e.message, announced }; } finally { observer.disconnect(); }
  }, Buffer.from(files[0]).toString("base64"));
  const crashed = "the decoder crashed on this file (RuntimeError: unreachable); the app was restarted";
  assert.deepEqual(scan, {
    ok: false, error: `crashing stack: no slice could be classified (${crashed})`,
    // The crash and the slice it happened on; nothing for the four slices after it.
    announced: ["alzscan crashed (RuntimeError: unreachable) and restarts.", `crashing stack #0: not classified. ${crashed}`],
  });
  assert.equal(await page.evaluate(() => window.alzscan.testing.restarts()), restarts0 + 1);
  assert.equal(await rowsOf(), rows0 + 1, "one row for the slice that crashed the decoder, none for the slices never read");
  const after = await h.classify(files[0], "after_scan_crash.png");
  assert.equal(after.ok, true, after.error);
});

test("offline: with the server stopped, a reload still loads and classifies (service worker)", async () => {
  const page = h.page;
  const sw = fs.readFileSync(path.join(WEB_OUT, "sw.js"), "utf8");
  const assets = JSON.parse(sw.match(/const ASSETS = (\[.*?\]);/)[1]);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(async (n) => {
    let count = 0;
    for (const key of await caches.keys()) count += (await (await caches.open(key)).keys()).length;
    return count >= n;
  }, assets.length, { timeout: 60_000, polling: 250 });
  const sample = HAVE_DATA && gallery.length ? fs.readFileSync(gallery[0].path) : corpus.find((c) => c.name === "rgba.png").bytes;
  const online = await h.classify(sample, "online.jpg");
  assert.equal(online.ok, true, online.error);

  await h.server.close();
  const requestsBefore = h.requests.length;
  await page.reload();
  const ready = await h.ready();
  assert.equal(ready.ok, true, `offline reload: ${ready.error}`);
  assert.equal(await page.evaluate(() => navigator.serviceWorker.controller !== null), true, "page not controlled by the service worker");
  const offline = await h.classify(sample, "offline.jpg");
  assert.equal(offline.ok, true, `offline classify: ${offline.error}`);
  assert.deepEqual(offline.probabilities, online.probabilities);
  assert.ok(h.requests.length > requestsBefore);
  assert.deepEqual(h.pageErrors, []);
});
