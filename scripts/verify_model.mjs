// Checks that DIR/model.onnx is the file DIR/model.json describes (its onnx_sha256 and
// onnx_bytes, written by `alzscan export`), so the numbers beside a model are that model's.
//   node scripts/verify_model.mjs DIR         exit 0 (prints nothing) or 1 with one line
//   import { verifyModelDir } from "./verify_model.mjs"; verifyModelDir(dir)   // throws Error
// A model.json without onnx_sha256 (written by hand) passes with a warning on stderr. The check
// itself is web/model_digest.js, the page's too.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { checkModelDigest } from "../web/model_digest.js";

export function verifyModelDir(dir) {
  const jsonPath = path.join(dir, "model.json");
  const onnxPath = path.join(dir, "model.onnx");
  let model;
  try {
    model = JSON.parse(fs.readFileSync(jsonPath, "utf8"));
  } catch (e) {
    throw new Error(`${jsonPath}: ${e.code === "ENOENT" ? "missing" : e.message}; hint: make export`);
  }
  if (!fs.existsSync(onnxPath)) throw new Error(`${onnxPath}: missing; hint: make export`);
  const bytes = fs.readFileSync(onnxPath);
  const warning = checkModelDigest(bytes, model, (b) => crypto.createHash("sha256").update(b).digest("hex"),
                                   { json: jsonPath, onnx: onnxPath });
  if (warning) console.warn(`warning: ${warning}`);
  return model;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.length !== 3) {
    console.error("usage: node scripts/verify_model.mjs MODEL_DIR");
    process.exit(2);
  }
  try {
    verifyModelDir(process.argv[2]);
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
