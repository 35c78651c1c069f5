// The shipped model's out-of-distribution checks and activation maps, through `alzscan predict`
// (LibTorch) and ONNX Runtime on model.onnx:
//   - every far-out-of-distribution file of configs/ood_corpus.json is refused with its reason (an
//     image flagged or undecodable; a volume refused by its registration or its scan flagged);
//   - the held-out people's real slices are flagged at most at the validation rate + 1 point
//     (binomial standard error at 1 % over 1294 slices: 0.28 points);
//   - model.onnx's "cam" equals LibTorch Grad-CAM (both scaled to max 1) within 1e-4, and no longer
//     does when one int8 classifier weight in the file is changed.
// Env: ALZSCAN, WASM_BUILD, DATA (tests/node/test_env.mjs: make test-node sets them; defaults otherwise).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { REPO, heldOutSlices, isVolume, oodCorpus } from './ood_corpus.mjs';
import { camDelta } from './cam_delta.mjs';
import { DATA, alzscan, wasmFile } from './test_env.mjs';

const MODEL_DIR = path.join(REPO, 'models/default');
const CHECKPOINT = path.join(MODEL_DIR, 'checkpoint.pt');
const model = JSON.parse(fs.readFileSync(path.join(MODEL_DIR, 'model.json'), 'utf8'));

function predict(files, extra = []) {
  const r = spawnSync(alzscan(), ['predict', '--checkpoint', CHECKPOINT, '--json', ...extra, ...files],
    { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.ok(r.status === 0 || r.status === 1, `alzscan predict exited ${r.status}: ${r.stderr}`);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
}


test('every far-out-of-distribution file is refused, with its reason', () => {
  assert.ok(model.ood, 'model.json has no "ood" checks: make export calibrates them');
  const { far } = oodCorpus();
  const images = far.filter((f) => !isVolume(f.file));
  const lines = predict(images.map((f) => f.file));
  assert.equal(lines.length, images.length);
  lines.forEach((r, i) => {
    const what = `${images[i].group}: ${path.basename(images[i].file)}`;
    if (r.error) return assert.ok(r.error.length > 10, `${what}: refused without a message`);
    assert.equal(r.ood.flag, true, `${what}: classified as ${r.label} (score ${r.ood.score})`);
    assert.equal(r.label, null, `${what}: a flagged file still has a class`);
    assert.ok(r.ood.reason.length > 10, `${what}: flagged without a reason`);
  });
  for (const { group, file } of far.filter((f) => isVolume(f.file))) {
    const out = predict([file]);
    // Refused before any slice (registration: not a human head, not registered, not T1), with its reason,
    if (out.length === 1 && out[0].error) {
      assert.match(out[0].error, /not an adult human head|registration to the template failed|contrast is not T1/, `${group}: ${file}`);
      continue;
    }
    // or classified slice by slice and flagged as a scan.
    const scan = out[out.length - 1].scan;
    assert.ok(scan, `${file}: no scan verdict`);
    assert.equal(scan.ood.flag, true, `${group}: ${path.basename(file)}'s scan classified as ${scan.label}`);
    assert.equal(scan.label, null);
    assert.ok(scan.ood.reason.length > 10);
  }
});

test('the held-out people\'s real slices are flagged at most at the validation rate + 1 point', () => {
  const files = heldOutSlices(DATA, model);
  assert.ok(files.length > 1000, `only ${files.length} held-out slices`);
  const lines = predict(files);
  const flagged = lines.filter((r) => r.ood?.flag).length;
  const rate = flagged / files.length;
  assert.ok(lines.every((r) => r.ood), 'a slice without an out-of-distribution verdict');
  assert.ok(rate <= model.ood.validation_rate + 0.01,
    `${flagged} of ${files.length} held-out slices flagged (${(100 * rate).toFixed(2)} %), validation ${(100 * model.ood.validation_rate).toFixed(2)} %`);
});

// ONNX ModelProto -> {offset, length} of initializer `name`'s raw_data (protobuf: ModelProto.graph = 7,
// GraphProto.initializer = 5, TensorProto.name = 8, TensorProto.raw_data = 9).
function rawDataOf(bytes, name) {
  const varint = (b, at) => { let v = 0, s = 0, x; do { x = b[at.i++]; v += (x & 0x7f) * 2 ** s; s += 7; } while (x & 0x80); return v; };
  function* fields(b, start, end) {
    const at = { i: start };
    while (at.i < end) {
      const key = varint(b, at), field = Math.floor(key / 8), wire = key & 7;
      if (wire === 2) { const len = varint(b, at); yield { field, start: at.i, end: at.i + len }; at.i += len; }
      else if (wire === 0) varint(b, at);
      else at.i += wire === 1 ? 8 : 4;
    }
  }
  for (const g of fields(bytes, 0, bytes.length)) {
    if (g.field !== 7) continue;
    for (const init of fields(bytes, g.start, g.end)) {
      if (init.field !== 5) continue;
      let tensorName = null, raw = null;
      for (const f of fields(bytes, init.start, init.end)) {
        if (f.field === 8) tensorName = Buffer.from(bytes.subarray(f.start, f.end)).toString();
        if (f.field === 9) raw = f;
      }
      if (tensorName === name && raw) return { offset: raw.start, length: raw.end - raw.start };
    }
  }
  throw new Error(`model.onnx has no initializer ${name}`);
}

test('model.onnx\'s cam equals LibTorch Grad-CAM, and not once one classifier weight is changed', async (t) => {
  const PREPROCESS = wasmFile('tests', 'node', 'preprocess_cli.js');
  assert.equal(model.outputs.cam, 'cam');
  const files = heldOutSlices(DATA, model).filter((_, i) => i % 160 === 0).slice(0, 8);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'alzscan-cam-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const native = predict(files, ['--cam', tmp]);
  for (const f of files) assert.ok(fs.existsSync(path.join(tmp, `${path.basename(f)}.cam.png`)), `no overlay for ${f}`);
  const f32 = path.join(tmp, 'input.f32');
  execFileSync(process.execPath, ['--no-experimental-fetch', PREPROCESS, path.join(MODEL_DIR, 'model.json'), f32, ...files]);
  const raw = fs.readFileSync(f32);
  const [h, w] = [model.input.height, model.input.width];
  const input = new ort.Tensor('float32', new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4), [files.length, 1, h, w]);
  const bytes = new Uint8Array(fs.readFileSync(path.join(MODEL_DIR, 'model.onnx')));
  const runCam = async (b) => (await (await ort.InferenceSession.create(b)).run({ input })).cam;

  const cam = await runCam(bytes);
  const worst = Math.max(...files.map((_, i) => camDelta(cam, i, native[i].cam)));
  t.diagnostic(`cam vs Grad-CAM over ${files.length} held-out slices: max |delta| = ${worst.toExponential(2)}`);
  assert.ok(worst <= 1e-4, `cam vs Grad-CAM: max |delta| = ${worst}`);

  // One int8 weight of the first image's class, on its most active feature channel, changed.
  const out = await (await ort.InferenceSession.create(bytes)).run({ input });
  const F = out.features.dims[1], c = native[0].index >= 0 ? native[0].index : 0;
  let k = 0;
  for (let j = 1; j < F; ++j) if (out.features.data[j] > out.features.data[k]) k = j;
  const { offset, length } = rawDataOf(bytes, 'head.fc.weight.int8');
  assert.equal(length, model.classes.length * F, 'head.fc.weight.int8 is not classes x features');
  const perturbed = bytes.slice();
  const q = new Int8Array(perturbed.buffer, offset, length);
  q[c * F + k] = q[c * F + k] > 0 ? -127 : 127;
  const changed = camDelta(await runCam(perturbed), 0, native[0].cam);
  t.diagnostic(`one weight changed (class ${c}, channel ${k}): max |delta| = ${changed.toExponential(2)}`);
  assert.ok(changed > 1e-2, `changing a classifier weight moved the cam only ${changed}`);
});
