// tests/node/test_env.mjs: what the node tests run against. `make test-node` sets these from the
// Makefile's variables; a test run alone (`node --test tests/node/atrophy.test.mjs`) gets the
// defaults of a checkout built by `make build`:
//   ALZSCAN     the native CLI              build/native/alzscan
//   WASM_BUILD  the Emscripten build tree   build-wasm
//   DATA        the dataset                 ../shared/data/alzheimer_mri (beside the checkout)
//   CI=true     a missing dataset fails a test instead of skipping it
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DATA = path.resolve(process.env.DATA ?? path.join(REPO, '../shared/data/alzheimer_mri'));
export const WASM_BUILD = path.resolve(process.env.WASM_BUILD ?? path.join(REPO, 'build-wasm'));
const ALZSCAN_PATH = path.resolve(process.env.ALZSCAN ?? path.join(REPO, 'build/native/alzscan'));

// The CLI's path; fails with the hint when it is not built.
export function alzscan() {
  assert.ok(fs.existsSync(ALZSCAN_PATH), `${ALZSCAN_PATH} missing: build it (make native) or set ALZSCAN`);
  return ALZSCAN_PATH;
}

// A file of the WASM build tree; fails with the hint when it is not built.
export function wasmFile(...parts) {
  const file = path.join(WASM_BUILD, ...parts);
  assert.ok(fs.existsSync(file), `${file} missing: build it (make wasm) or set WASM_BUILD`);
  return file;
}

// The dataset folder; fails with the hint when it is missing.
export function dataDir() {
  assert.ok(fs.existsSync(path.join(DATA, 'SUBJECTS.tsv')), `${DATA}/SUBJECTS.tsv missing: the dataset folder (set DATA)`);
  return DATA;
}
