// web/model_digest.js: whether model.onnx is the file model.json describes (its onnx_sha256 and
// onnx_bytes, written by `alzscan export`), so the numbers beside a model are that model's. The one
// check for the page (hashing with shared/'s sha256_hex in WASM) and scripts/verify_model.mjs
// (node's crypto):
//   const warning = checkModelDigest(bytes, model, sha256Hex, { json: "model.json", onnx: "model.onnx" });
//   // "" when verified; a warning when model.json has no digest (written by hand);
//   // throws Error(one line) when the digest is malformed or the file is not the one described.
export function checkModelDigest(bytes, model, sha256Hex, { json = "model.json", onnx = "model.onnx", rebuild = "make export" } = {}) {
  const want = typeof model.onnx_sha256 === "string" ? model.onnx_sha256.toLowerCase() : "";
  if (!want) return `${json} has no onnx_sha256: ${onnx} is used unverified`;
  if (!/^[0-9a-f]{64}$/.test(want))
    throw new Error(`${json}: onnx_sha256 is not a SHA-256 (64 hex digits): ${JSON.stringify(model.onnx_sha256).slice(0, 80)}`);
  const got = sha256Hex(bytes);
  const sizeWrong = Number.isInteger(model.onnx_bytes) && model.onnx_bytes !== bytes.length;
  if (got !== want || sizeWrong) {
    const sizes = sizeWrong ? `, ${bytes.length} bytes≠${model.onnx_bytes}` : "";
    throw new Error(`${onnx} does not match ${json} (sha256 ${got.slice(0, 12)}…≠${want.slice(0, 12)}…${sizes}): ` +
      `not the model its card describes; rebuild with ${rebuild}`);
  }
  return "";
}
