// models/default/cv/ (make model-cv) is what MODEL_CARD.md quotes: the card's person-level table
// equals cv.json (3 decimals, value and interval, model and baselines), and oof.tsv holds every
// image of the dataset exactly once with the person and fold SUBJECTS.tsv gives it.
// Env (set by `make test-node`): DATA = dataset root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DATA, REPO } from './test_env.mjs';

const CV_DIR = path.join(REPO, 'models/default/cv');
const cv = JSON.parse(fs.readFileSync(path.join(CV_DIR, 'cv.json'), 'utf8'));
const card = fs.readFileSync(path.join(REPO, 'models/default/MODEL_CARD.md'), 'utf8');

const f3 = (x) => x.toFixed(3);
const withInterval = (level, metric) =>
  `${f3(level[metric])} (${f3(level.intervals[metric][0])}–${f3(level.intervals[metric][1])})`;

test('MODEL_CARD.md quotes cv.json: person-level values and intervals, model and baselines', () => {
  const columns = [cv.model, cv.baselines.knn15_pixels, cv.baselines.linear_pixels].map((c) => c.people);
  const rows = { 'balanced accuracy (4 classes)': 'balanced_accuracy', 'balanced accuracy without Moderate (3)': 'balanced_accuracy_3',
    'dementia vs none: AUC': 'dementia_auc', 'Non_Demented precision': 'none_precision' };
  for (const [label, metric] of Object.entries(rows)) {
    const line = card.split('\n').find((l) => l.startsWith(`| ${label} |`));
    assert.ok(line, `MODEL_CARD.md has no "${label}" row`);
    const cells = line.split('|').slice(2, 5).map((c) => c.trim());
    assert.deepEqual(cells, columns.map((c) => withInterval(c, metric)), label);
    // The tissue baselines' columns: the CSF fraction has only an AUC (nothing fitted, no classes).
    const csf = cv.baselines.csf_fraction.people, logistic = cv.baselines.tissue_logistic.people;
    const [csfCell, logisticCell] = line.split('|').slice(6, 8).map((c) => c.trim());
    assert.equal(csfCell, metric === 'dementia_auc' ? withInterval(csf, metric) : '–', `${label}: CSF fraction`);
    assert.equal(logisticCell, withInterval(logistic, metric), `${label}: tissue logistic`);
  }
  // The paired differences the card quotes for the tissue baselines.
  const signed = (v) => `${v < 0 ? '−' : '+'}${f3(Math.abs(v))}`;
  const diff = (d) => `${signed(d.difference)} (${signed(d.interval[0])} to ${signed(d.interval[1])})`;
  for (const quoted of [`dementia AUC\n${diff(cv.paired.csf_fraction.dementia_auc)}`,
    `balanced accuracy ${diff(cv.paired.tissue_logistic.balanced_accuracy)}`])
    assert.ok(card.replace(/\s+/g, ' ').includes(quoted.replace(/\s+/g, ' ')), `MODEL_CARD.md does not quote ${quoted}`);
  assert.equal(cv.model.people.count, 203);
});

test('oof.tsv: every dataset image once, with the person and fold SUBJECTS.tsv gives it', (t) => {
  const subjectsPath = path.join(DATA, 'SUBJECTS.tsv');
  if (!fs.existsSync(subjectsPath)) {
    const message = `DID NOT RUN: ${subjectsPath} is missing (set DATA=...)`;
    if (process.env.CI === 'true') assert.fail(message);
    t.skip(message);
    return;
  }
  const tsv = (p) => fs.readFileSync(p, 'utf8').trim().split('\n').map((l) => l.split('\t'));
  const [sh, ...subjects] = tsv(subjectsPath);
  const col = (h, name) => h.indexOf(name);
  const truth = new Map(subjects.map((r) => [r[col(sh, 'relative_path')], [r[col(sh, 'subject')], r[col(sh, 'subject_fold')], r[col(sh, 'class')]]]));
  const [oh, ...oof] = tsv(path.join(CV_DIR, 'oof.tsv'));
  assert.deepEqual(oh.slice(0, 4), ['relative_path', 'fold', 'subject', 'class']);
  assert.equal(oof.length, truth.size);
  const seen = new Set();
  for (const r of oof) {
    assert.ok(!seen.has(r[0]), `${r[0]} twice`);
    seen.add(r[0]);
    assert.deepEqual([r[2], r[1], r[3]], truth.get(r[0]), r[0]);
    const sum = r.slice(4).reduce((a, p) => a + Number(p), 0);
    assert.ok(Math.abs(sum - 1) < 1e-4, `${r[0]}: probabilities sum to ${sum}`);
  }
});
