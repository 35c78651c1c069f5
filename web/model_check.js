// web/model_check.js: the model the page runs. model.json is checked by the WASM app (shared/'s
// spec parser), model.onnx against model.json's digest (web/model_digest.js, hashed by shared/'s
// sha256_hex in WASM) before ONNX Runtime sees it, then the inference worker starts on it.
//   const files = fetchModel();                     // at once, beside the app's own start
//   const {model, worker, info} = await startModel(app, files, setStatus);

import { InferenceClient, inferenceThreads } from "./inference_client.js";
import { checkModelDigest } from "./model_digest.js";
import { fetchOk } from "./page_io.js";

const MODEL_JSON_URL = "model/model.json";
const MODEL_ONNX_URL = "model/model.onnx";

// Both model files, fetched now: {json: Promise<text>, onnx: Promise<Uint8Array>}. Each is awaited
// only once the UI runs, so a 404 that arrives before then must not count as unhandled.
export function fetchModel() {
  const json = fetchOk(MODEL_JSON_URL, "model.json").then((r) => r.text());
  json.catch(() => {});
  const onnxUrl = new URL(MODEL_ONNX_URL, location.href).href;
  const onnx = fetch(onnxUrl).then(async (r) => {
    if (!r.ok) throw new Error(`model.onnx: HTTP ${r.status} for ${onnxUrl} (run \`make export\` or check the build)`);
    return new Uint8Array(await r.arrayBuffer());
  });
  onnx.catch(() => {});
  return { json, onnx };
}

// model.json into the app -> {model, jsonText}; a failure is on the status line and thrown.
async function setModelJson(app, files, setStatus) {
  let jsonText;
  try {
    jsonText = await files.json;
  } catch (e) {
    setStatus("Error", e.message);
    throw e;
  }
  const modelError = app.setModel(jsonText);
  if (modelError) throw new Error(modelError);  // the app already shows it
  return { model: JSON.parse(jsonText), jsonText };  // valid: WASM (shared/) just accepted it
}

// The worker's settings from model.json: its input, its outputs by name, the class count.
function workerConfig(model, modelBytes) {
  return {
    modelBytes,
    ortBase: new URL("ort/", location.href).href,
    numThreads: inferenceThreads(),
    inputName: model.input.name ?? "input",
    inputHeight: model.input.height,
    inputWidth: model.input.width,
    logitsOutput: model.outputs.logits,
    probabilitiesOutput: model.outputs.probabilities,
    featuresOutput: model.outputs.features ?? "",
    camOutput: model.outputs.cam ?? "",
    classCount: model.classes.length,
  };
}

// The model into the app and the worker -> {model, jsonText, worker, info: {ortVersion, threads}}.
// setStatus(kind, text) shows a failure, which is also thrown.
export async function startModel(app, files, setStatus) {
  const { model, jsonText } = await setModelJson(app, files, setStatus);
  const worker = new InferenceClient(new URL("inference_worker.js", location.href));
  try {
    const modelBytes = await files.onnx;
    const warning = checkModelDigest(modelBytes, model, (b) => app.sha256(b), { rebuild: "make export (then make web)" });
    if (warning) console.warn(warning);
    const info = await worker.init(workerConfig(model, modelBytes), [modelBytes.buffer]);
    return { model, jsonText, worker, info };
  } catch (e) {
    setStatus("Error", e.message);
    throw e;
  }
}
