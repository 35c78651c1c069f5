// web/ort_session_config.mjs: how the page creates its ONNX Runtime session, shared with the
// benchmarks (scripts/bench_web.mjs, scripts/bench_ort_kernels.mjs) so that native and browser
// runs are configured alike.
//   ort.InferenceSession.create(bytes, webSessionOptions())                  // ORT Web (the worker)
//   ortNode.InferenceSession.create(file, { ..., extra: { session: ortSessionConfig() } })
// Fresh objects per session: ORT adds its own entries to the ones it is given (a frozen or shared
// object breaks that).
//
// disable_quant_qdq: ORT keeps DequantizeLinear nodes unfolded for its QDQ fusions, which need
// quantized activations; an int8-weights model has none, so without this every run dequantizes all
// weights again (0.21 of 4.15 ms here). With it the constant folder does that once, at load.
export function ortSessionConfig() {
  return { disable_quant_qdq: "1" };
}

// ORT Web's options in the worker: the WASM backend, all graph optimizations, the config above.
export function webSessionOptions() {
  return { executionProviders: ["wasm"], graphOptimizationLevel: "all", extra: { session: ortSessionConfig() } };
}
