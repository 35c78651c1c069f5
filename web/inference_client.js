// web/inference_client.js: the page's side of the inference worker (web/inference_worker.js, ONNX
// Runtime Web): one message per run of N slices, answered by id.
//   const worker = new InferenceClient(new URL("inference_worker.js", location.href));
//   await worker.init({modelBytes, ...}); const r = await worker.run(id, tensor, count);
//   batchRow(r, k) // row k of a batched run as a one-slice result

// ORT Web threads need cross-origin isolation. One core stays free for the UI thread: on the
// 2-vCPU machine of BENCHMARKS.md, 2 threads make back-to-back inference 1.7x faster but the
// app's classify() slower (8.3 vs 7.3 ms), because the canvas draws in between.
// `?threads=N` overrides it (1..hardwareConcurrency) for measurements (make bench-web --threads).
export function inferenceThreads() {
  if (!self.crossOriginIsolated) return 1;
  const cores = Math.max(1, navigator.hardwareConcurrency || 1);
  const asked = Number(new URLSearchParams(location.search).get("threads"));
  if (Number.isInteger(asked) && asked >= 1) return Math.min(asked, cores);
  return Math.max(1, Math.min(4, cores - 1));
}

export class InferenceClient {
  constructor(url) {
    this.worker = new Worker(url, { type: "module" });
    this.pending = new Map();
    this.readyPromise = new Promise((resolve, reject) => { this.onReady = resolve; this.onInitError = reject; });
    this.worker.onmessage = (event) => this.dispatch(event.data);
    this.worker.onerror = (event) => {
      const message = `inference worker failed to start: ${event.message || "script error"}`;
      this.onInitError(new Error(message));
      for (const { reject } of this.pending.values()) reject(new Error(message));
      this.pending.clear();
    };
  }
  dispatch(msg) {
    if (msg.type === "ready") this.onReady(msg);
    else if (msg.type === "init-error") this.onInitError(new Error(msg.message));
    else {
      const waiter = this.pending.get(msg.id);
      if (!waiter) return;
      this.pending.delete(msg.id);
      if (msg.type === "result") waiter.resolve(msg);
      else waiter.reject(new Error(msg.message));
    }
  }
  init(config, transfer = []) {
    this.worker.postMessage({ type: "init", ...config }, transfer);
    return this.readyPromise;
  }
  bench(id, tensor, runs, count = 1) {
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: "bench", id, tensor, runs, count });
    });
  }
  // count slices of H x W in `tensor` (N,1,H,W), one ORT run -> {count, probabilities, features, cam, inferenceMs}
  run(id, tensor, count = 1) {
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: "run", id, tensor, count }, [tensor.buffer]);
    });
  }
}

// Row k of a batched worker result ({count, probabilities, features, cam, inferenceMs}) as a
// one-slice result; its inferenceMs is its share of the run's.
export function batchRow(result, k) {
  const row = (data) => {
    const size = data.length / result.count;
    return data.subarray(k * size, (k + 1) * size);
  };
  return {
    probabilities: row(result.probabilities),
    features: result.features ? row(result.features) : null,
    cam: result.cam ? { ...result.cam, data: row(result.cam.data) } : null,
    inferenceMs: result.inferenceMs / result.count,
  };
}
