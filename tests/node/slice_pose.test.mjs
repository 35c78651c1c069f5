// Single 2-D slices framed the way another pipeline might frame them reach the model in the training
// slices' pose (shared/ slice_pose.h), checked with the shipped model through `alzscan predict`:
//   - slices of the people training held out, turned by 12 and 20 degrees either way, or stretched
//     back to OASIS's 176 x 208 mm aspect (the dataset squeezed it into 128 x 128), or both, written
//     by Pillow + scipy (tests/node/transform_slice.py, the independent writer);
//   - the pose step estimates the turn within 3 degrees and the stretch within 0.08, and turns the
//     slice back (pose.corrected);
//   - the turned-back slices get the untouched slices' class as often as the pose step promises,
//     and their probabilities stay close to the untouched slices';
//   - the held-out slices as they are: few are turned (the ranges are the training people's 0.1-99.9 %).
// Env (set by `make test-node`): ALZSCAN = native binary, DATA = the dataset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { heldOutSlices } from './ood_corpus.mjs';
import { REPO, alzscan, dataDir } from './test_env.mjs';

const CHECKPOINT = path.join(REPO, 'models/default/checkpoint.pt');
const MODEL = JSON.parse(fs.readFileSync(path.join(REPO, 'models/default/model.json'), 'utf8'));
const TRANSFORM = path.join(REPO, 'tests/node/transform_slice.py');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'alzscan-slice-pose-'));

// One JSON line per file from `alzscan predict --json`, keyed by file.
function predict(files) {
  const r = spawnSync(alzscan(),
                      ['predict', '--checkpoint', CHECKPOINT, '--json', ...files], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  const out = new Map();
  for (const line of r.stdout.trim().split('\n')) {
    const j = JSON.parse(line);
    out.set(j.file, j);
  }
  return out;
}

// The dataset's slices are 128 x 128 squeezed from 176 x 208 (x by 176/128, y by 208/128 undoes it).
const KINDS = [
  { name: 'turned +12', rotate: 12 },
  { name: 'turned -12', rotate: -12 },
  { name: 'turned +20', rotate: 20 },
  { name: 'turned -20', rotate: -20 },
  { name: '176x208 aspect', sx: 176 / 128, sy: 208 / 128, width: 200, height: 232, stretch: (176 / 128) / (208 / 128) },
  { name: '176x208 aspect, turned +10', rotate: 10, sx: 176 / 128, sy: 208 / 128, width: 220, height: 240,
    stretch: (176 / 128) / (208 / 128) },
];

const sample = () => heldOutSlices(dataDir(), MODEL).filter((_, i) => i % 16 === 0);

function writeTransformed(files) {
  const jobs = [];
  KINDS.forEach((k, ki) => files.forEach((f, fi) => jobs.push({ in: f, out: path.join(work, `k${ki}_${fi}.png`), ...k })));
  fs.writeFileSync(path.join(work, 'jobs.json'), JSON.stringify(jobs));
  execFileSync('/usr/bin/python3', [TRANSFORM, path.join(work, 'jobs.json')], { stdio: ['ignore', 'ignore', 'inherit'] });
  return jobs;
}

const argmax = (p) => p.indexOf(Math.max(...p));

test('slices from another framing are turned into the training pose and keep their verdict', () => {
  assert.ok(MODEL.input.pose, 'models/default/model.json has no input.pose: alzscan calibrate measures it');
  const files = sample();
  assert.ok(files.length >= 60, `only ${files.length} held-out slices`);
  const jobs = writeTransformed(files);
  const before = predict(files);
  const after = predict(jobs.map((j) => j.out));
  const rows = [];
  KINDS.forEach((k, ki) => {
    const mine = jobs.filter((_, i) => Math.floor(i / files.length) === ki);
    let turned = 0, sameClass = 0, flagged = 0, flaggedBefore = 0, maxRotErr = 0, maxStretchErr = 0, sumDiff = 0;
    mine.forEach((j, fi) => {
      const a = after.get(j.out), b = before.get(files[fi]);
      assert.ok(a.pose, `${j.out}: no pose member`);
      if (a.pose.corrected) ++turned;
      maxRotErr = Math.max(maxRotErr, Math.abs(a.pose.rotation - (k.rotate ?? 0)));
      if (k.stretch) maxStretchErr = Math.max(maxStretchErr, Math.abs(a.pose.scale_x / a.pose.scale_y - k.stretch));
      if (argmax(a.probabilities) === argmax(b.probabilities)) ++sameClass;
      sumDiff += Math.max(...a.probabilities.map((p, c) => Math.abs(p - b.probabilities[c])));
      if (a.ood.flag) ++flagged;
      if (b.ood.flag) ++flaggedBefore;
    });
    const n = mine.length;
    rows.push({ kind: k.name, n, turned, sameClass, flagged, flaggedBefore, maxRotErr: +maxRotErr.toFixed(2),
                maxStretchErr: +maxStretchErr.toFixed(3), meanMaxDiff: +(sumDiff / n).toFixed(3) });
  });
  console.table(rows);
  for (const r of rows) {
    assert.ok(r.turned >= 0.9 * r.n, `${r.kind}: only ${r.turned} of ${r.n} turned`);
    assert.ok(r.maxRotErr <= 3, `${r.kind}: rotation off by ${r.maxRotErr} degrees`);
    assert.ok(r.sameClass >= 0.8 * r.n, `${r.kind}: ${r.sameClass} of ${r.n} keep their class`);
    assert.ok(r.flagged <= r.flaggedBefore + 0.05 * r.n, `${r.kind}: ${r.flagged} of ${r.n} refused`);
  }
});

test('the held-out slices as they are: few are turned', () => {
  const files = heldOutSlices(dataDir(), MODEL);
  const out = predict(files);
  let turned = 0;
  for (const f of files) if (out.get(f).pose.corrected) ++turned;
  console.log(`held-out slices turned by the pose step: ${turned} of ${files.length}`);
  assert.ok(turned <= 0.05 * files.length, `${turned} of ${files.length} held-out slices turned`);
});
