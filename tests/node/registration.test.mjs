// A real person's volume reaches the model through registration (shared/ training_space.h), checked
// with the shipped model through `alzscan predict`:
//   - Colin27 with skull (ch2) and without (ch2bet), Debian's mricron-data: classified, not refused,
//     verdicts within 0.05 of each other;
//   - copies of them written by nibabel + scipy (tests/node/transform_volume.py: resampled through
//     random affines, stored as LIA, cut into 3 mm slices, gamma-changed): the same verdict within
//     0.05 per class, never refused;
//   - the macaque, a label atlas and an inverted tissue order: refused, each for its own reason.
// Env (set by `make test-node`): ALZSCAN = native binary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, alzscan } from './test_env.mjs';

const CHECKPOINT = path.join(REPO, 'models/default/checkpoint.pt');
const TEMPLATES = '/usr/share/mricron/templates';
const TRANSFORM = path.join(REPO, 'tests/node/transform_volume.py');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'alzscan-registration-'));

function template(name) {
  const file = path.join(TEMPLATES, name);
  assert.ok(fs.existsSync(file), `${file} missing: make setup installs mricron-data`);
  return file;
}

// The scan object of `alzscan predict --json FILE`, or {error} for a volume it could not classify.
function predictScan(file) {
  const r = spawnSync(alzscan(), ['predict', '--checkpoint', CHECKPOINT, '--json', file], { encoding: 'utf8' });
  const lines = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const scan = lines.find((l) => l.scan);
  if (scan) return scan.scan;
  assert.equal(lines.length, 1, `${file}: neither a scan nor one error line:\n${r.stdout}${r.stderr}`);
  assert.ok(lines[0].error, `${file}: no error given: ${JSON.stringify(lines[0])}`);
  return { error: lines[0].error };
}

function transformed(source, name, ...args) {
  const out = path.join(work, `${name}.nii.gz`);
  execFileSync('/usr/bin/python3', [TRANSFORM, source, out, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  return out;
}

function assertClassified(scan, what) {
  assert.ok(!scan.error, `${what}: refused: ${scan.error}`);
  assert.equal(scan.ood.flag, false, `${what}: flagged: ${scan.ood.reason} (score ${scan.ood.score})`);
  assert.ok(scan.registration, `${what}: no registration member`);
  assert.equal(scan.slices, 32);
}

function maxDiff(a, b) {
  return Math.max(...a.probabilities.map((p, i) => Math.abs(p - b.probabilities[i])));
}

let reference;   // ch2bet's scan, the baseline of the transforms

test('Colin27 with and without skull: classified, not refused, the same verdict within 0.05', () => {
  const head = predictScan(template('ch2.nii.gz'));
  const brain = predictScan(template('ch2bet.nii.gz'));
  assertClassified(head, 'ch2.nii.gz');
  assertClassified(brain, 'ch2bet.nii.gz');
  assert.equal(head.registration.template, 'head');
  assert.equal(brain.registration.template, 'brain');
  assert.ok(maxDiff(head, brain) <= 0.05, `verdicts differ by ${maxDiff(head, brain)}`);
  assert.equal(head.label, brain.label);
  // A healthy adult brain: the class the product must give it.
  assert.equal(brain.label, 'Non_Demented', JSON.stringify(brain.probabilities));
  console.log(`ch2 ${head.probabilities.map((p) => p.toFixed(4))} vs ch2bet ${brain.probabilities.map((p) => p.toFixed(4))}`);
  reference = brain;
});

test('Colin27 resampled, restored, thickened and re-exposed by nibabel + scipy keeps its verdict', () => {
  const base = reference ?? predictScan(template('ch2bet.nii.gz'));
  const cases = [
    ['affine_a', template('ch2bet.nii.gz'), 'affine', '12', '-8', '15', '1.1', '-14', '9', '16'],
    ['affine_b', template('ch2.nii.gz'), 'affine', '-18', '6', '-10', '0.88', '18', '-15', '-6'],
    ['affine_c', template('ch2.nii.gz'), 'affine', '5', '19', '7', '1.05', '4', '20', '-18'],
    ['lia', template('ch2.nii.gz'), 'lia'],
    ['thick3', template('ch2bet.nii.gz'), 'thick', '3'],
    ['gamma', template('ch2.nii.gz'), 'gamma', '0.7'],
  ];
  for (const [name, source, ...args] of cases) {
    const scan = predictScan(transformed(source, name, ...args));
    assertClassified(scan, name);
    const d = maxDiff(scan, base);
    console.log(`${name}: correlation ${scan.registration.correlation}, scales ${scan.registration.scales}, ` +
      `rotation ${scan.registration.rotation_deg} deg, max |dp| ${d.toFixed(4)}`);
    assert.ok(d <= 0.05, `${name}: probabilities moved by ${d}`);
    assert.equal(scan.label, base.label, name);
    // Only the 3 mm axial slices are thick (their voxels over 2 mm), and the scan says so.
    const thick = scan.notes.filter((n) => n.includes('thick slices'));
    assert.deepEqual(thick.map((n) => n.includes('3.0 mm up-down')), name === 'thick3' ? [true] : [], `${name}: notes ${scan.notes}`);
  }
});

test('the macaque, a label atlas and an inverted tissue order are refused, each with its reason', () => {
  const macaque = predictScan(template('inia19-t1-brain.nii.gz'));
  assert.match(macaque.error ?? '', /not an adult human head/);
  const inverted = predictScan(transformed(template('ch2bet.nii.gz'), 'inverted', 'invert'));
  assert.match(inverted.error ?? '', /contrast is not T1/);
  const atlas = predictScan(template('aal.nii.gz'));
  assert.ok(atlas.error || atlas.ood.flag, `aal.nii.gz (a label map) was classified: ${JSON.stringify(atlas)}`);
  console.log(`macaque: ${macaque.error}\ninverted: ${inverted.error}\naal: ${atlas.error ?? atlas.ood.reason}`);
});
