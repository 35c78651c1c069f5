// web/inference_worker.js: ONNX Runtime Web in a Web Worker, so the canvas never waits on inference.
//
// Protocol (structured clone; tensors are transferred, not copied):
//   -> {type: "init", modelBytes: Uint8Array (model.onnx, transferred; the page has checked it
//       against model.json's onnx_sha256 / onnx_bytes), ortBase, numThreads, inputName,
//       inputHeight, inputWidth, probabilitiesOutput, logitsOutput, featuresOutput?, camOutput?,
//       classCount}  (featuresOutput / camOutput: "" or absent when model.json names none)
//   <- {type: "ready", ortVersion, threads, initMs} | {type: "init-error", message}
//   -> {type: "run", id, tensor: Float32Array(N*1*H*W), count: N (1 when absent)}: one ORT run
//   <- {type: "result", id, count, probabilities: Float32Array(N*classCount), inferenceMs,
//       features: Float32Array(N*F) | null, cam: {data: Float32Array(N*C*h*w), height, width} | null}
//      | {type: "run-error", id, message}     (row n of each: its n-th slice of the batch)
//   -> {type: "bench", id, tensor, runs, count}  <- {type: "result", id, times: [ms...]}  (make bench-web:
//      `runs` back-to-back runs of a count x 1 x H x W batch)
// Runs are served one at a time in arrival order.
import * as ort from "./ort/ort.wasm.min.mjs";
import { webSessionOptions } from "./ort_session_config.mjs";

let session = null;
let config = null;
let queue = Promise.resolve();

function fail(message) {
  throw new Error(message);
}

async function init(msg) {
  const t0 = performance.now();
  config = msg;
  // ORT's own .wasm/.mjs come from this app's origin, never a CDN.
  ort.env.wasm.wasmPaths = msg.ortBase;
  ort.env.wasm.numThreads = msg.numThreads;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = "error";

  const bytes = msg.modelBytes;   // already checked against model.json by the page (app.js)
  try {
    session = await ort.InferenceSession.create(bytes, webSessionOptions());
  } catch (e) {
    fail(`model.onnx: ONNX Runtime cannot load it: ${e.message ?? e}`);
  }

  // model.json against the graph: names, input shape, class count.
  if (!session.inputNames.includes(msg.inputName))
    fail(`model.json: input "${msg.inputName}" is not an input of model.onnx (it has ${JSON.stringify(session.inputNames)})`);
  for (const name of [msg.logitsOutput, msg.probabilitiesOutput, msg.featuresOutput, msg.camOutput].filter(Boolean)) {
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
  const { inputName, inputHeight: h, inputWidth: w, probabilitiesOutput, featuresOutput, camOutput } = config;
  const count = msg.count ?? 1;
  if (!(count >= 1) || msg.tensor.length !== count * h * w)
    fail(`internal: tensor has ${msg.tensor.length} values, expected ${count} x ${h * w}`);
  const t0 = performance.now();
  const out = await session.run({ [inputName]: new ort.Tensor("float32", msg.tensor, [count, 1, h, w]) });
  const inferenceMs = performance.now() - t0;
  const probabilities = Float32Array.from(out[probabilitiesOutput].data);
  const features = featuresOutput ? Float32Array.from(out[featuresOutput].data) : null;
  const c = camOutput ? out[camOutput] : null;
  const cam = c ? { data: Float32Array.from(c.data), height: c.dims[2], width: c.dims[3] } : null;
  return { count, probabilities, inferenceMs, features, cam };
}

// For make bench-web: the same session.run, `runs` times back to back, no UI in between.
async function bench(msg) {
  if (!session) fail("the model is not loaded");
  const { inputName, inputHeight: h, inputWidth: w } = config;
  const count = msg.count ?? 1;
  if (msg.tensor.length !== count * h * w) fail(`internal: tensor has ${msg.tensor.length} values, expected ${count} x ${h * w}`);
  const times = [];
  for (let i = 0; i < msg.runs; ++i) {
    const t0 = performance.now();
    await session.run({ [inputName]: new ort.Tensor("float32", msg.tensor, [count, 1, h, w]) });
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
      (r) => self.postMessage({ type: "result", id: msg.id, ...r },
        [r.probabilities.buffer, r.features?.buffer, r.cam?.data.buffer].filter(Boolean)),
      (e) => self.postMessage({ type: "run-error", id: msg.id, message: `inference failed: ${e.message ?? e}` }));
  }
};
