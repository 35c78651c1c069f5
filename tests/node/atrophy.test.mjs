// The atrophy evidence of `alzscan predict --json` (shared/ tissue.h, atrophy.h) for one held-out
// person's 32 slices as a scan: the scan's CSF fraction is the mean of its slices', its means by
// position those of the slices at each pose level, and its percentile among each class's training
// people is computed here by hand from model.json's "atrophy" lists.
// Env (set by `make test-node`): ALZSCAN = native binary, DATA = the dataset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO, alzscan, dataDir } from './test_env.mjs';

const CHECKPOINT = path.join(REPO, 'models/default/checkpoint.pt');
const MODEL = JSON.parse(fs.readFileSync(path.join(REPO, 'models/default/model.json'), 'utf8'));

// The slice files of the first person of the held-out fold, in slice_rank order.
function onePerson() {
  const data = dataDir();
  const tsv = path.join(data, 'SUBJECTS.tsv');
  assert.ok(fs.existsSync(tsv), `the dataset is missing at ${data}`);
  const rows = fs.readFileSync(tsv, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  const held = rows.filter((r) => Number(r[5]) === MODEL.training.options.test_fold);
  const person = held[0][2];
  return held.filter((r) => r[2] === person).sort((a, b) => Number(a[4]) - Number(b[4])).map((r) => path.join(data, r[0]));
}

test("a scan's CSF fraction is its slices' mean, placed among the training people by hand", () => {
  assert.ok(MODEL.atrophy?.csf_fraction, 'model.json has no atrophy reference: alzscan calibrate measures it');
  const files = onePerson();
  assert.equal(files.length, 32);
  const r = spawnSync(alzscan(),
                      ['predict', '--checkpoint', CHECKPOINT, '--json', '--scan', ...files], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const slices = lines.filter((l) => !l.scan), scan = lines.find((l) => l.scan).scan;
  assert.equal(slices.length, 32);
  const csf = slices.map((s) => s.tissue.csf_fraction);
  for (const s of slices) {
    assert.equal(s.atrophy, undefined, 'a slice of a scan: the scan carries the atrophy evidence');
    const a = s.tissue;
    assert.ok(Math.abs(a.csf_fraction + a.gm_fraction + a.wm_fraction - 1) < 1e-12, JSON.stringify(a));
    assert.ok(a.ventricle_fraction >= 0 && a.ventricle_fraction <= a.csf_fraction, JSON.stringify(a));
  }
  const mean = csf.reduce((x, y) => x + y, 0) / csf.length;
  assert.ok(Math.abs(scan.atrophy.csf_fraction - mean) < 1e-12);
  assert.deepEqual(scan.atrophy.by_slice, csf);
  // Each slice's position is the level its pose step matched; the means by position follow.
  assert.deepEqual(scan.atrophy.position, slices.map((s) => s.pose.level));
  for (let k = 0; k < 8; ++k) {
    const at = csf.filter((_, i) => slices[i].pose.level === k);
    const want = at.length ? at.reduce((x, y) => x + y, 0) / at.length : null;
    if (want === null) assert.equal(scan.atrophy.by_position[k], null);
    else assert.ok(Math.abs(scan.atrophy.by_position[k] - want) < 1e-12, `position ${k}`);
  }
  for (const [cls, values] of Object.entries(MODEL.atrophy.csf_fraction)) {
    if (values.length < 5) {   // too few people for a percentile
      assert.equal(scan.atrophy.percentile[cls], null, cls);
      continue;
    }
    const below = values.filter((v) => v < mean).length, equal = values.filter((v) => v === mean).length;
    const want = (100 * (below + equal / 2)) / values.length;
    assert.ok(Math.abs(scan.atrophy.percentile[cls] - want) < 1e-9, `${cls}: ${scan.atrophy.percentile[cls]} vs ${want}`);
  }
});

test("model.json's bands by position cover every ranked training person at each of the 8 positions", () => {
  const bands = MODEL.atrophy.by_position;
  assert.ok(bands, 'model.json has no atrophy.by_position: alzscan calibrate measures it');
  // SUBJECTS.tsv's people with an incomplete stack have slice_rank -1: a mean, no position.
  const rows = fs.readFileSync(path.join(dataDir(), 'SUBJECTS.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
  const col = Object.fromEntries(rows[0].map((name, i) => [name, i]));
  const unranked = {};
  for (const r of rows.slice(1))
    if (r[col.slice_rank] === '-1' && Number(r[col.subject_fold]) !== MODEL.training.options.test_fold) (unranked[r[col.class]] ??= new Set()).add(r[col.subject]);
  for (const [cls, values] of Object.entries(MODEL.atrophy.csf_fraction)) {
    assert.equal(bands[cls].length, 8, cls);
    const ranked = values.length - (unranked[cls]?.size ?? 0);
    for (const [low, median, high, people] of bands[cls]) {
      assert.ok(low <= median && median <= high, `${cls}: ${low} ${median} ${high}`);
      // A ranked person's stack has 4 slices at each of the 8 positions (slice_rank * 8 / 32).
      assert.equal(people, ranked, `${cls}: ${people} people at a position of ${ranked} ranked of ${values.length}`);
    }
  }
});
