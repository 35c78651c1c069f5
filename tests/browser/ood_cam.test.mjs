// The page's out-of-distribution warnings and activation maps against `alzscan predict`:
//   - the first file of each far group of configs/ood_corpus.json (and every volume) is refused in the
//     page with the CLI's reason (every file of the corpus: tests/node/shipped_ood.test.mjs), and a
//     real slice classifies as the CLI's afterwards;
//   - the page's cam maps equal LibTorch Grad-CAM (predict --cam, both scaled to max 1) within 1e-4;
//   - the scan view draws the overlay when "Activation map" is on, and not when it is off.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { ALZSCAN, DATA, openApp } from "./harness.mjs";
import { CHECKPOINT, referenceProblem } from "./native_reference.mjs";
import { heldOutSlices, isVolume, oodCorpus } from "../node/ood_corpus.mjs";

let h, tmp;

before(async () => {
  const problem = referenceProblem();
  assert.equal(problem, null, `no reference to compare with: ${problem}`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "alzscan-ood-cam-"));
  h = await openApp();
  const r = await h.ready();
  assert.ok(r.ok, r.error);
});
after(async () => {
  await h?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function cli(files, extra = []) {
  const r = spawnSync(ALZSCAN, ["predict", "--checkpoint", CHECKPOINT, "--json", ...extra, ...files],
    { encoding: "utf8", maxBuffer: 1 << 26, env: { ...process.env, OMP_NUM_THREADS: "1" } });
  assert.ok(r.status === 0 || r.status === 1, `alzscan predict exited ${r.status}: ${r.stderr}`);
  return r.stdout.trim().split("\n").map((l) => JSON.parse(l));
}

function heldOut(n) {
  const model = JSON.parse(fs.readFileSync(path.join(path.dirname(CHECKPOINT), "model.json"), "utf8"));
  return heldOutSlices(DATA, model).filter((_, i) => i % 200 === 7).slice(0, n);
}

async function scanInPage(file) {
  return h.page.evaluate(async ([b64, n]) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    try { return { ok: true, ...(await window.alzscan.classifyScan(bytes, { name: n })) }; } catch (e) { return { ok: false, error: e.message }; }
  }, [fs.readFileSync(file).toString("base64"), path.basename(file)]);
}

test("far out-of-distribution files are refused in the page with the CLI's reason; the page keeps classifying", async () => {
  const { far } = oodCorpus();
  const firsts = [...new Map(far.filter((f) => !isVolume(f.file)).map((f) => [f.group, f])).values()];
  const ref = cli(firsts.map((f) => f.file));
  for (const [i, { group, file }] of firsts.entries()) {
    const o = await h.classify(fs.readFileSync(file), path.basename(file));
    const what = `${group}: ${path.basename(file)}`;
    if (ref[i].error) {
      assert.equal(o.ok, false, `${what}: the CLI refuses it (${ref[i].error}) but the page classified it`);
      assert.equal(o.error, ref[i].error);
      continue;
    }
    assert.ok(o.ok, `${what}: ${o.error}`);
    assert.equal(o.ood?.flag, true, `${what}: the page classified it as ${o.label}`);
    assert.equal(o.label, null);
    assert.equal(o.ood.reason, ref[i].ood.reason, `${what}: reason`);
    assert.ok(Math.abs(o.ood.score - ref[i].ood.score) <= 1e-3, `${what}: score ${o.ood.score} vs ${ref[i].ood.score}`);
  }
  for (const { group, file } of far.filter((f) => isVolume(f.file))) {
    const o = await scanInPage(file);
    const out = cli([file]);
    if (out.length === 1 && out[0].error) {   // refused by its registration: the same reason in the page
      assert.equal(o.ok, false, `${file}: the CLI refuses it (${out[0].error}) but the page classified it`);
      assert.equal(o.error, out[0].error);
      continue;
    }
    const scan = out[out.length - 1].scan;
    assert.ok(o.ok, `${file}: ${o.error}`);
    assert.equal(o.ood?.flag, true, `${group}: ${path.basename(file)}'s scan classified as ${o.label} in the page`);
    assert.equal(o.label, null);
    assert.equal(o.ood.reason, scan.ood.reason);
  }
  const [real] = heldOut(1);
  const o = await h.classify(fs.readFileSync(real), path.basename(real));
  const r = cli([real])[0];
  assert.ok(o.ok, o.error);
  assert.equal(o.label, r.label, "a real slice after the refused files");
  for (let c = 0; c < 4; ++c) assert.ok(Math.abs(o.probabilities[c] - r.probabilities[c]) <= 1e-5);
});

test("the page's activation maps equal LibTorch Grad-CAM within 1e-4", async () => {
  const files = heldOut(6);
  const ref = cli(files, ["--cam", path.join(tmp, "cam")]);
  let worst = 0;
  for (const [i, file] of files.entries()) {
    const o = await h.classify(fs.readFileSync(file), path.basename(file));
    assert.ok(o.ok && o.cam, `${file}: ${o.error ?? "no cam in the result"}`);
    assert.equal(o.cam.height, ref[i].cam.height);
    assert.equal(o.cam.width, ref[i].cam.width);
    assert.equal(o.cam.maps.length, ref[i].cam.maps.length);
    o.cam.maps.forEach((v, k) => { worst = Math.max(worst, Math.abs(v - ref[i].cam.maps[k])); });
  }
  assert.ok(worst <= 1e-4, `page cam vs Grad-CAM: max |delta| = ${worst}`);
});

test("the scan view draws the activation map when it is on, not when it is off", async () => {
  const [file] = heldOut(1);
  const o = await h.classify(fs.readFileSync(file), path.basename(file));
  assert.ok(o.ok, o.error);
  const rampPixels = async () => {
    await h.page.mouse.move(700, 890);
    await h.page.waitForTimeout(300);
    const shot = await h.page.locator("#canvas").screenshot();
    return h.page.evaluate(async (b64) => {
      const bmp = await createImageBitmap(new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: "image/png" }));
      const g = new OffscreenCanvas(bmp.width, bmp.height).getContext("2d");
      g.drawImage(bmp, 0, 0);
      const d = g.getImageData(0, 0, bmp.width, bmp.height).data;
      let n = 0;   // coloured pixels (the slice is gray; the overlay's ramp is not)
      for (let i = 0; i < d.length; i += 4)
        if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 40) ++n;
      return n;
    }, shot.toString("base64"));
  };
  await h.page.evaluate(() => window.alzscan.testing.showCam(false));
  const off = await rampPixels();
  await h.page.evaluate(() => window.alzscan.testing.showCam(true));
  const on = await rampPixels();
  await h.page.evaluate(() => window.alzscan.testing.showCam(false));
  assert.ok(on > off + 5000, `the overlay adds ${on - off} coloured pixels (off ${off}, on ${on})`);
});

// A held-out slice turned 15 degrees by Pillow + scipy (tests/node/transform_slice.py): the page's pose
// step turns it back as the CLI's does (shared/ slice_pose.h, one code path), and classifies it alike.
test("a turned slice gets the CLI's pose and probabilities in the page", async () => {
  const [file] = heldOut(1);
  const turned = path.join(tmp, "turned15.png");
  fs.writeFileSync(path.join(tmp, "jobs.json"), JSON.stringify([{ in: file, out: turned, rotate: 15 }]));
  const py = spawnSync("/usr/bin/python3", [path.resolve("tests/node/transform_slice.py"), path.join(tmp, "jobs.json")],
    { encoding: "utf8" });
  assert.equal(py.status, 0, py.stderr);
  const [ref] = cli([turned]);
  assert.ok(ref.pose?.corrected, `the CLI did not turn it: ${JSON.stringify(ref.pose)}`);
  const o = await h.classify(fs.readFileSync(turned), "turned15.png");
  assert.ok(o.ok, o.error);
  assert.ok(o.pose, "the page's result has no pose member");
  assert.equal(o.pose.corrected, true, o.pose.reason);
  assert.equal(o.pose.reason, ref.pose.reason);
  assert.equal(o.pose.level, ref.pose.level);
  for (const k of ["rotation", "scale_x", "scale_y", "shear", "shift_x", "shift_y", "ncc"])
    assert.ok(Math.abs(o.pose[k] - ref.pose[k]) <= 1e-9, `${k}: page ${o.pose[k]}, CLI ${ref.pose[k]}`);
  o.probabilities.forEach((p, c) => assert.ok(Math.abs(p - ref.probabilities[c]) <= 1e-5,
    `class ${c}: page ${p}, CLI ${ref.probabilities[c]}`));
});
