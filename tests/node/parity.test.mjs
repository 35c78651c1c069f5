// Export parity, proven: for every arch x head, a random-weight checkpoint (random BatchNorm
// statistics too) is exported with `alzscan export`; ONNX Runtime (onnxruntime-node) runs
// model.onnx on real sample images preprocessed by the WebAssembly build of shared/ (the
// browser's code path), and the probabilities must equal `alzscan predict --json` (LibTorch,
// native shared/) on the same files within 1e-5.
//
// Env (set by `make test-node`): ALZSCAN = native binary, WASM_BUILD = wasm build dir,
// DATA = dataset root. MAKE_RANDOM_CHECKPOINT overrides the tool's path (default: next to
// the native build's tests/native/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import * as ort from 'onnxruntime-node';
import { camDelta } from './cam_delta.mjs';
import { DATA, alzscan, wasmFile } from './test_env.mjs';

const TOLERANCE = 1e-5;
const SIZE = 64;   // input pixels: small enough to keep 12 models fast, large enough for stride 32
const ARCHS = ['small', 'resnet50', 'efficientnet_b2'];
const HEADS = ['linear', 'mlp', 'advanced', 'enhanced'];
const CLASSES = ['Mild_Demented', 'Moderate_Demented', 'Non_Demented', 'Very_Mild_Demented'];

const ALZSCAN = alzscan();
const TOOL = process.env.MAKE_RANDOM_CHECKPOINT
  ?? path.join(path.dirname(ALZSCAN), '..', 'tests', 'native', 'make_random_checkpoint');
const PREPROCESS = wasmFile('tests', 'node', 'preprocess_cli.js');

// ---- sample images: two real files per class, or generated PNGs when the data is absent ----
function crc32(buf) {
  let c, crc = 0xffffffff;
  for (const b of buf) {
    c = (crc ^ b) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function grayPng(width, height, pixel) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 0;   // 8-bit grayscale
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) raw[y * (width + 1) + 1 + x] = pixel(x, y);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

function sampleImages(tmp) {
  const dirs = CLASSES.map((c) => path.join(DATA, 'test', c));
  if (dirs.every((d) => fs.existsSync(d))) {
    return dirs.flatMap((d) => fs.readdirSync(d).sort().slice(0, 2).map((f) => path.join(d, f)));
  }
  assert.notEqual(process.env.CI, 'true', `dataset missing at ${DATA}: under CI=true the parity test needs real images`);
  console.warn(`parity.test: DATASET NOT FOUND at ${DATA}: using 4 generated PNGs instead of real MRI slices`);
  const files = [];
  for (let i = 0; i < 4; i++) {
    const f = path.join(tmp, `generated_${i}.png`);
    fs.writeFileSync(f, grayPng(128 + 16 * i, 128, (x, y) =>
      (Math.round(127 + 120 * Math.sin((x + 3 * i) / (5 + i)) * Math.cos(y / 7)) + 37 * i) & 0xff));
    files.push(f);
  }
  return files;
}

function run(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 });
  } catch (e) {
    throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${e.status}): ${e.stderr || e.message}`);
  }
}

// Exports ckpt to dir (extra export flags in exportArgs), checks model.json and the graph, runs
// ORT on the WASM-preprocessed images and `alzscan predict` on predictCkpt (default ckpt);
// returns {maxDelta, onnxBytes, probs}.
async function exportAndCompare({ arch, head, ckpt, dir, images, exportArgs = [], predictCkpt = ckpt }) {
  const n = images.length;
  run(ALZSCAN, ['export', '--checkpoint', ckpt, '--out', dir, ...exportArgs]);

  // model.json: the browser's contract, and the digest of the file actually written.
  const onnxBytes = fs.readFileSync(path.join(dir, 'model.onnx'));
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  assert.equal(meta.format, 'alzscan-model/1');
  assert.deepEqual(meta.classes, CLASSES);
  assert.equal(meta.input.height, SIZE);
  assert.equal(meta.model.arch, arch);
  assert.equal(meta.model.head, head);
  assert.equal(meta.onnx_sha256, crypto.createHash('sha256').update(onnxBytes).digest('hex'));
  // BatchNorm folded, dropout dropped: neither op type appears in the graph.
  assert.ok(!onnxBytes.includes('BatchNormalization'), 'BatchNormalization left in the graph');
  assert.ok(!onnxBytes.includes('Dropout'), 'Dropout left in the graph');
  if (arch === 'efficientnet_b2' || head === 'enhanced')   // SE / channel attention kept
    assert.ok(onnxBytes.includes('Sigmoid'));

  // The browser path: WASM shared/ preprocessing -> ONNX Runtime, all images as one batch.
  const f32 = path.join(dir, 'input.f32');
  run(process.execPath, ['--no-experimental-fetch', PREPROCESS, path.join(dir, 'model.json'), f32, ...images]);
  const raw = fs.readFileSync(f32);
  assert.equal(raw.length, n * SIZE * SIZE * 4);
  const input = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
  const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'));
  assert.deepEqual(session.inputNames, ['input']);
  // A pooling + linear head also has its class activation maps as an output (onnx_export.h).
  const hasCam = head === 'linear';
  assert.deepEqual([...session.outputNames].sort(), hasCam ? ['cam', 'features', 'logits', 'probabilities']
                                                           : ['features', 'logits', 'probabilities']);
  assert.equal(meta.outputs.features, 'features');
  assert.equal(meta.outputs.cam, hasCam ? 'cam' : undefined);
  const out = await session.run({ input: new ort.Tensor('float32', input, [n, 1, SIZE, SIZE]) });
  assert.deepEqual(out.probabilities.dims, [n, 4]);
  const probs = Array.from(out.probabilities.data);
  // Dynamic batch: image 0 alone gives the same answer as inside the batch.
  const single = await session.run({ input: new ort.Tensor('float32', input.slice(0, SIZE * SIZE), [1, 1, SIZE, SIZE]) });
  for (let k = 0; k < 4; k++) assert.ok(Math.abs(single.probabilities.data[k] - probs[k]) <= 1e-6);

  // LibTorch on the same files, through the native shared/ preprocessing.
  // With a cam output, `alzscan predict --cam` gives LibTorch autograd's Grad-CAM of every class.
  const camArgs = hasCam ? ['--cam', path.join(dir, 'cam')] : [];
  const lines = run(ALZSCAN, ['predict', '--checkpoint', predictCkpt, '--json', ...camArgs, ...images]).trim().split('\n');
  assert.equal(lines.length, n);
  let maxDelta = 0, leastConfident = 1, maxCamDelta = 0;
  lines.forEach((line, i) => {
    const r = JSON.parse(line);
    assert.equal(r.file, images[i]);
    const ortRow = probs.slice(4 * i, 4 * i + 4);
    for (let k = 0; k < 4; k++) maxDelta = Math.max(maxDelta, Math.abs(ortRow[k] - r.probabilities[k]));
    assert.equal(r.index, ortRow.indexOf(Math.max(...ortRow)), `${images[i]}: labels differ`);
    leastConfident = Math.min(leastConfident, Math.max(...ortRow));
    if (hasCam) maxCamDelta = Math.max(maxCamDelta, camDelta(out.cam, i, r.cam));
  });
  if (hasCam) assert.ok(maxCamDelta <= 1e-4, `cam vs Grad-CAM: max |delta| = ${maxCamDelta} > 1e-4 (both scaled to max 1)`);
  session.release?.();
  // Probabilities must not be saturated one-hots, or 1e-5 would prove nothing.
  assert.ok(leastConfident < 0.99, `all outputs saturated (min top-1 ${leastConfident}): the check would be vacuous`);
  assert.ok(maxDelta <= TOLERANCE, `max |delta p| = ${maxDelta} > ${TOLERANCE}`);
  return { maxDelta, onnxBytes, probs, meta };
}

test('ONNX export matches LibTorch within 1e-5 for every arch and head', async (t) => {
  for (const p of [ALZSCAN, TOOL, PREPROCESS])
    assert.ok(fs.existsSync(p), `${p} is missing: build the native and wasm trees first (make build)`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'alzscan-parity-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const images = sampleImages(tmp);
  const n = images.length;

  let seed = 1;
  for (const arch of ARCHS) {
    for (const head of HEADS) {
      await t.test(`${arch} + ${head}`, async () => {
        const dir = path.join(tmp, `${arch}_${head}`);
        const ckpt = path.join(tmp, `${arch}_${head}.pt`);
        run(TOOL, ['--arch', arch, '--head', head, '--size', String(SIZE), '--seed', String(seed++), '--out', ckpt]);
        const r = await exportAndCompare({ arch, head, ckpt, dir, images });
        assert.equal(r.meta.model.weights, 'float32');
        t.diagnostic(`${arch} + ${head}: max |delta p| = ${r.maxDelta.toExponential(2)} over ${n} images, ` +
          `model.onnx ${(r.onnxBytes.length / 1e6).toFixed(2)} MB`);
        fs.rmSync(dir, { recursive: true, force: true });
        fs.rmSync(ckpt, { force: true });
      });
    }
  }
});

// --weights int8: the ONNX carries int8 weights + per-channel scales, the --write-checkpoint copy
// carries the same rounded weights, and the two agree within 1e-5 like float32 exports do. The
// rounding must be real (probabilities move against the float32 export) and the file ~4x smaller.
test('int8 export matches its own weights-only checkpoint within 1e-5, and is 3.5x+ smaller', async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'alzscan-parity-int8-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const images = sampleImages(tmp);
  const pairs = [['small', 'linear'], ['resnet50', 'advanced'], ['efficientnet_b2', 'enhanced']];
  let seed = 101;
  for (const [arch, head] of pairs) {
    await t.test(`${arch} + ${head}, int8`, async () => {
      const ckpt = path.join(tmp, `${arch}_${head}.pt`);
      const quantized = path.join(tmp, `${arch}_${head}_int8.pt`);
      run(TOOL, ['--arch', arch, '--head', head, '--size', String(SIZE), '--seed', String(seed++), '--out', ckpt]);
      const f32 = await exportAndCompare({ arch, head, ckpt, dir: path.join(tmp, 'f32'), images });
      const q = await exportAndCompare({ arch, head, ckpt, dir: path.join(tmp, 'int8'), images,
        exportArgs: ['--weights', 'int8', '--write-checkpoint', quantized], predictCkpt: quantized });
      assert.equal(q.meta.model.weights, 'int8');
      assert.ok(q.onnxBytes.includes('DequantizeLinear'), 'no DequantizeLinear node in the int8 graph');
      const ratio = f32.onnxBytes.length / q.onnxBytes.length;
      assert.ok(ratio >= 3.5, `int8 model.onnx is only ${ratio.toFixed(2)}x smaller`);
      let moved = 0;
      for (let k = 0; k < f32.probs.length; k++) moved = Math.max(moved, Math.abs(f32.probs[k] - q.probs[k]));
      assert.ok(moved > TOLERANCE, `int8 probabilities equal float32 ones (max move ${moved}): nothing was rounded`);
      t.diagnostic(`${arch} + ${head} int8: max |delta p| vs its checkpoint ${q.maxDelta.toExponential(2)}, ` +
        `vs float32 ${moved.toExponential(2)}, ${(q.onnxBytes.length / 1e6).toFixed(2)} MB (${ratio.toFixed(2)}x smaller)`);
    });
  }
});
