// The shipped model is what its card and sidecar say it is:
//   - model.json's onnx_sha256 is the SHA-256 of model.onnx (computed here, independently);
//   - `alzscan eval` on models/default/checkpoint.pt, on the slices of the people it never saw (the
//     SUBJECTS.tsv fold its model.json says it held out), reproduces every metric and per-class
//     number printed in MODEL_CARD.md (to the 4 decimals the card shows) and its confusion matrix.
// Env (set by `make test-node`): ALZSCAN = native binary, DATA = dataset root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DATA, REPO, alzscan } from './test_env.mjs';

const MODEL_DIR = path.join(REPO, 'models/default');
const HAVE_DATA = fs.existsSync(path.join(DATA, 'SUBJECTS.tsv'));

test('model.json onnx_sha256 is the SHA-256 of the shipped model.onnx', () => {
  const onnx = fs.readFileSync(path.join(MODEL_DIR, 'model.onnx'));
  const sidecar = JSON.parse(fs.readFileSync(path.join(MODEL_DIR, 'model.json'), 'utf8'));
  assert.equal(sidecar.format, 'alzscan-model/1');
  assert.equal(crypto.createHash('sha256').update(onnx).digest('hex'), sidecar.onnx_sha256);
  assert.ok(onnx.length <= 8 * 1024 * 1024, `model.onnx is ${onnx.length} bytes: over the 8 MB budget`);
});

// "| name | 0.1234 |" rows and "| class | P | R | lo–hi | F1 | support |" rows of the card's
// held-out section (the text before the within-person section).
function cardHeldOutSection() {
  const card = fs.readFileSync(path.join(MODEL_DIR, 'MODEL_CARD.md'), 'utf8');
  const start = card.indexOf('## Metrics: the shipped checkpoint on the people it never saw');
  const end = card.indexOf('## For comparison: within-person splits');
  assert.ok(start >= 0 && end > start, 'MODEL_CARD.md lost its held-out metrics section');
  return card.slice(start, end);
}

test('alzscan eval on models/default/checkpoint.pt reproduces MODEL_CARD.md (its held-out people)', (t) => {
  if (!HAVE_DATA) {
    const message = `DID NOT RUN: the dataset is missing at ${DATA} (set DATA=...)`;
    if (process.env.CI === 'true') assert.fail(message);
    t.skip(message);
    return;
  }
  const ALZSCAN = alzscan();
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'alzscan-card-')), 'eval.json');
  const options = JSON.parse(fs.readFileSync(path.join(MODEL_DIR, 'model.json'), 'utf8')).training.options;
  assert.ok(Number.isInteger(options.test_fold) && options.test_fold >= 0, `model.json holds out no fold (${options.test_fold})`);
  execFileSync(ALZSCAN, ['eval', '--checkpoint', path.join(MODEL_DIR, 'checkpoint.pt'), '--data', DATA,
    '--split-file', path.join(DATA, 'SUBJECTS.tsv'), '--split-column', 'subject_fold',
    '--test-fold', String(options.test_fold), '--out', out],
  { stdio: ['ignore', 'ignore', 'inherit'] });
  const evaluation = JSON.parse(fs.readFileSync(out, 'utf8'));
  const measured = evaluation.test;
  const classes = evaluation.classes;   // index order of the confusion matrix
  const section = cardHeldOutSection();
  const fmt = (x) => x.toFixed(4);

  let checked = 0;
  for (const key of ['accuracy', 'balanced_accuracy', 'macro_f1', 'weighted_f1', 'macro_precision',
    'macro_recall', 'ece', 'log_loss']) {
    const row = section.match(new RegExp(`^\\| ${key} \\| ([0-9.]+) \\|$`, 'm'));
    assert.ok(row, `MODEL_CARD.md has no "${key}" row`);
    assert.equal(row[1], fmt(measured[key]), `${key}: card ${row[1]}, alzscan eval ${fmt(measured[key])}`);
    checked++;
  }
  for (const name of classes) {
    const c = measured.per_class[name];
    const row = section.match(new RegExp(`^\\| ${name} \\| ([0-9.]+) \\| ([0-9.]+) \\| [0-9.–-]+ \\| ([0-9.]+) \\| ([0-9]+) \\|$`, 'm'));
    assert.ok(row, `MODEL_CARD.md has no per-class row for ${name}`);
    assert.deepEqual(row.slice(1), [fmt(c.precision), fmt(c.recall), fmt(c.f1), String(c.support)], name);
    checked++;
  }
  measured.confusion.forEach((counts, i) => {
    const row = section.match(new RegExp(`^\\| ${classes[i]} \\| ([0-9 |]+) \\|$`, 'm'));
    assert.ok(row, `MODEL_CARD.md has no confusion row for ${classes[i]}`);
    assert.deepEqual(row[1].split('|').map((v) => Number(v.trim())), counts, `confusion row ${classes[i]}`);
    checked++;
  });
  assert.equal(checked, 8 + 4 + 4);
});
