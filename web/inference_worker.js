// web/inference_worker.js: ONNX Runtime Web in a Web Worker, so the canvas never waits on inference.
//
// Protocol (structured clone; tensors are transferred, not copied):
//   -> {type: "init", modelUrl, ortBase, numThreads, inputName, inputHeight, inputWidth,
//       probabilitiesOutput, logitsOutput, classCount, onnxSha256, onnxBytes}
//      (onnxSha256 / onnxBytes: model.json's; model.onnx must match them before ORT sees it)
//   <- {type: "ready", ortVersion, threads, initMs} | {type: "init-error", message}
//   -> {type: "run", id, tensor: Float32Array(1*1*H*W)}
//   <- {type: "result", id, probabilities: Float32Array(classCount), inferenceMs} | {type: "run-error", id, message}
//   -> {type: "bench", id, tensor, runs}  <- {type: "result", id, times: [ms...]}  (make bench-web)
// Runs are served one at a time in arrival order.
import * as ort from "./ort/ort.wasm.min.mjs";
import { webSessionOptions } from "./ort_session_config.mjs";

let session = null;
let config = null;
let queue = Promise.resolve();

function fail(message) {
  throw new Error(message);
}

// SHA-256 of `bytes` as lowercase hex. SubtleCrypto where the page is a secure context (https,
// localhost); elsewhere (plain http on a LAN address) crypto.subtle does not exist and this
// FIPS 180-4 implementation does it (~20 ms for a 1.2 MB model).
async function sha256Hex(bytes) {
  if (globalThis.crypto?.subtle) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  return sha256HexJs(bytes);
}

const SHA256_K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

function sha256HexJs(bytes) {
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const n = bytes.length;
  const padded = new Uint8Array(Math.ceil((n + 9) / 64) * 64);  // message, 0x80, zeros, 64-bit bit length
  padded.set(bytes);
  padded[n] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(n / 0x20000000));
  view.setUint32(padded.length - 4, (n * 8) >>> 0);
  const w = new Uint32Array(64);
  const rotr = (x, r) => (x >>> r) | (x << (32 - r));
  for (let block = 0; block < padded.length; block += 64) {
    for (let i = 0; i < 16; ++i) w[i] = view.getUint32(block + 4 * i);
    for (let i = 16; i < 64; ++i) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    let [a, b, c, d, e, f, g, k] = h;
    for (let i = 0; i < 64; ++i) {
      const t1 = (k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + SHA256_K[i] + w[i]) | 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      k = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
  }
  return Array.from(h, (x) => x.toString(16).padStart(8, "0")).join("");
}

// model.onnx must be the file model.json describes (its card's numbers are that model's): the
// SHA-256 and size that `alzscan export` wrote next to it.
async function verifyModel(bytes, msg) {
  const want = typeof msg.onnxSha256 === "string" ? msg.onnxSha256.toLowerCase() : "";
  if (!want) {
    console.warn("model.json has no onnx_sha256: model.onnx is used unverified");
    return;
  }
  if (!/^[0-9a-f]{64}$/.test(want)) fail(`model.json: onnx_sha256 is not a SHA-256 (64 hex digits): ${JSON.stringify(msg.onnxSha256).slice(0, 80)}`);
  const got = await sha256Hex(bytes);
  const sizeWrong = Number.isInteger(msg.onnxBytes) && msg.onnxBytes !== bytes.length;
  if (got !== want || sizeWrong) {
    const sizes = sizeWrong ? `, ${bytes.length} bytes≠${msg.onnxBytes}` : "";
    fail(`model.onnx does not match model.json (sha256 ${got.slice(0, 12)}…≠${want.slice(0, 12)}…${sizes}): ` +
      "not the model this model card describes; rebuild with make export (then make web)");
  }
}

async function init(msg) {
  const t0 = performance.now();
  config = msg;
  // ORT's own .wasm/.mjs come from this app's origin, never a CDN.
  ort.env.wasm.wasmPaths = msg.ortBase;
  ort.env.wasm.numThreads = msg.numThreads;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = "error";

  const response = await fetch(msg.modelUrl);
  if (!response.ok) fail(`model.onnx: HTTP ${response.status} for ${msg.modelUrl} (run \`make export\` or check the build)`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  await verifyModel(bytes, msg);
  try {
    session = await ort.InferenceSession.create(bytes, webSessionOptions());
  } catch (e) {
    fail(`model.onnx: ONNX Runtime cannot load it: ${e.message ?? e}`);
  }

  // model.json against the graph: names, input shape, class count.
  if (!session.inputNames.includes(msg.inputName))
    fail(`model.json: input "${msg.inputName}" is not an input of model.onnx (it has ${JSON.stringify(session.inputNames)})`);
  for (const name of [msg.logitsOutput, msg.probabilitiesOutput]) {
    if (!session.outputNames.includes(name))
      fail(`model.json: output "${name}" is not an output of model.onnx (it has ${JSON.stringify(session.outputNames)})`);
  }
  const meta = (session.inputMetadata ?? []).find?.((m) => m.name === msg.inputName);
  if (meta && meta.isTensor && Array.isArray(meta.shape) && meta.shape.length === 4) {
    const [, c, h, w] = meta.shape;
    const fixed = (d, want) => typeof d !== "number" || d === want;
    if (!fixed(c, 1) || !fixed(h, msg.inputHeight) || !fixed(w, msg.inputWidth))
      fail(`model.json: input is 1x${msg.inputHeight}x${msg.inputWidth} but model.onnx expects ${JSON.stringify(meta.shape)}`);
  } else if (meta && meta.isTensor && Array.isArray(meta.shape)) {
    fail(`model.onnx: input "${msg.inputName}" has rank ${meta.shape.length}, expected 4 (N,1,H,W)`);
  }
  // One warm-up run proves the shapes and gives the real class count.
  const zeros = new ort.Tensor("float32", new Float32Array(msg.inputHeight * msg.inputWidth), [1, 1, msg.inputHeight, msg.inputWidth]);
  let out;
  try {
    out = await session.run({ [msg.inputName]: zeros });
  } catch (e) {
    fail(`model.onnx: a 1x1x${msg.inputHeight}x${msg.inputWidth} input does not run: ${e.message ?? e}`);
  }
  const probs = out[msg.probabilitiesOutput];
  const classes = probs.dims[probs.dims.length - 1];
  if (classes !== msg.classCount)
    fail(`model.json lists ${msg.classCount} classes but model.onnx output "${msg.probabilitiesOutput}" has ${classes}`);
  return { ortVersion: ort.env.versions?.web ?? "?", threads: ort.env.wasm.numThreads, initMs: performance.now() - t0 };
}

async function run(msg) {
  if (!session) fail("the model is not loaded");
  const { inputName, inputHeight: h, inputWidth: w, probabilitiesOutput } = config;
  if (msg.tensor.length !== h * w) fail(`internal: tensor has ${msg.tensor.length} values, expected ${h * w}`);
  const t0 = performance.now();
  const out = await session.run({ [inputName]: new ort.Tensor("float32", msg.tensor, [1, 1, h, w]) });
  const inferenceMs = performance.now() - t0;
  const probabilities = Float32Array.from(out[probabilitiesOutput].data);
  return { probabilities, inferenceMs };
}

// For make bench-web: the same session.run, `runs` times back to back, no UI in between.
async function bench(msg) {
  if (!session) fail("the model is not loaded");
  const { inputName, inputHeight: h, inputWidth: w } = config;
  const times = [];
  for (let i = 0; i < msg.runs; ++i) {
    const t0 = performance.now();
    await session.run({ [inputName]: new ort.Tensor("float32", msg.tensor, [1, 1, h, w]) });
    times.push(performance.now() - t0);
  }
  return times;
}

self.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === "init") {
    queue = queue.then(() => init(msg)).then(
      (info) => self.postMessage({ type: "ready", ...info }),
      (e) => self.postMessage({ type: "init-error", message: e.message ?? String(e) }));
  } else if (msg.type === "bench") {
    queue = queue.then(() => bench(msg)).then(
      (times) => self.postMessage({ type: "result", id: msg.id, times }),
      (e) => self.postMessage({ type: "run-error", id: msg.id, message: e.message ?? String(e) }));
  } else if (msg.type === "run") {
    queue = queue.then(() => run(msg)).then(
      (r) => self.postMessage({ type: "result", id: msg.id, ...r }, [r.probabilities.buffer]),
      (e) => self.postMessage({ type: "run-error", id: msg.id, message: `inference failed: ${e.message ?? e}` }));
  }
};
