// `alzscan report` rendered in headless Chromium: the page from the fixture runs is not blank,
// fetches nothing, and every number in its tables (and summary.md, and the confusion matrices)
// equals what the fixtures' metrics.jsonl / config.json hold, formatted as the report promises
// (4 decimals, counts as integers).
// Needs env ALZSCAN = path of the native binary (the Makefile's test-browser rule sets it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(repo, 'tests/fixtures/runs');
const runNames = ['exp0-baseline', 'exp2-balanced', 'interrupted-small'];
const alzscan = process.env.ALZSCAN;
const chromiumFlags = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

let browser;
let outDir;
let tables;        // {id: {header: [...], rows: [[...]]}}
let requests = [];
let consoleErrors = [];
let confusionCards; // [{title, counts: [...]}]
let pixelStats;

const fmt4 = (x) => x.toFixed(4);
const readJsonl = (run) => fs.readFileSync(path.join(fixtures, run, 'metrics.jsonl'), 'utf8')
  .split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
const readConfig = (run) => JSON.parse(fs.readFileSync(path.join(fixtures, run, 'config.json'), 'utf8'));
// "Final" = the "final": true line, else the last epoch line.
const finalLine = (run) => {
  const lines = readJsonl(run);
  return lines.findLast((l) => l.final === true) ?? lines.at(-1);
};
const label = (run) => {
  const c = readConfig(run);
  return c.experiment ? `${c.experiment.id} · ${c.experiment.title}` : c.name;
};
const runAlzscan = (args) => spawnSync(alzscan, args, { encoding: 'utf8', cwd: repo });

before(async () => {
  assert.ok(alzscan && fs.existsSync(alzscan),
    `ALZSCAN must name the built native binary (got ${alzscan}); run via \`make test-browser\``);
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alzscan-report-'));
  const r = runAlzscan(['report', ...runNames.map((n) => path.join(fixtures, n)), '--out', outDir,
    '--title', 'Fixture ladder']);
  assert.equal(r.status, 0, `alzscan report failed: ${r.stderr}`);

  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumFlags });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('request', (req) => { if (!req.url().startsWith('file:')) requests.push(req.url()); });
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  await page.goto('file://' + path.join(outDir, 'index.html'));
  tables = await page.evaluate(() => {
    const out = {};
    for (const t of document.querySelectorAll('table[id^="table-"]')) {
      out[t.id.slice(6)] = {
        header: [...t.querySelectorAll('thead th')].map((th) => th.textContent),
        rows: [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent)),
        visible: t.getBoundingClientRect().height > 0,
      };
    }
    return out;
  });
  confusionCards = await page.evaluate(() => [...document.querySelectorAll('#confusion .card')].map((card) => ({
    title: card.querySelector('h3').textContent,
    counts: [...card.querySelectorAll('text.cm-count')].map((t) => t.textContent),
  })));
  const png = await page.screenshot({ fullPage: true });
  if (process.env.REPORT_SCREENSHOT) fs.writeFileSync(process.env.REPORT_SCREENSHOT, png);
  // Pixel statistics of the screenshot, decoded by the browser itself (no PNG library needed).
  const blank = await browser.newPage();
  pixelStats = await blank.evaluate(async (b64) => {
    const img = new Image();
    img.src = 'data:image/png;base64,' + b64;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width; c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let n = 0, sum = 0, sum2 = 0;
    const colours = new Set();
    for (let i = 0; i < d.length; i += 4 * 7) {   // every 7th pixel
      const v = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
      sum += v; sum2 += v * v; n++;
      colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    }
    const mean = sum / n;
    return { width: c.width, height: c.height, mean, variance: sum2 / n - mean * mean, colours: colours.size };
  }, png.toString('base64'));
});

after(async () => {
  await browser?.close();
  if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
});

test('the page renders, is not blank and fetches nothing', () => {
  assert.ok(pixelStats.height > 2000, `full page only ${pixelStats.height}px tall`);
  assert.ok(pixelStats.variance > 200, `luminance variance ${pixelStats.variance}: blank page?`);
  assert.ok(pixelStats.colours > 50, `only ${pixelStats.colours} distinct colours: charts missing?`);
  assert.deepEqual(requests, [], 'the report must not request anything');
  assert.deepEqual(consoleErrors, []);
  for (const id of ['comparison', 'per_class', 'loss', 'runs']) {
    assert.ok(tables[id], `table ${id} missing`);
    assert.ok(tables[id].visible, `table ${id} not visible`);
  }
});

test('comparison table equals the final test metrics of metrics.jsonl', () => {
  const t = tables.comparison;
  const col = (h) => { const i = t.header.indexOf(h); assert.ok(i >= 0, `no column ${h}`); return i; };
  const keys = { Accuracy: 'accuracy', 'Macro precision': 'macro_precision', 'Macro recall': 'macro_recall',
    'Macro F1': 'macro_f1', 'Balanced accuracy': 'balanced_accuracy', 'Test loss': 'loss' };
  assert.equal(t.rows.length, runNames.length);
  let checked = 0;
  runNames.forEach((run, r) => {
    const fin = finalLine(run);
    const row = t.rows[r];
    assert.equal(row[col('Run')], label(run));
    assert.equal(row[col('Epoch')], `${fin.epoch} (${fin.final ? fin.checkpoint : 'last'})`);
    for (const [h, k] of Object.entries(keys)) { assert.equal(row[col(h)], fmt4(fin.test[k]), `${run} ${h}`); checked++; }
    const m = fin.test.per_class.Moderate_Demented;
    assert.equal(row[col('Moderate recall')], fmt4(m.recall));
    assert.equal(row[col('Moderate recall 95% CI')], `${fmt4(m.recall_ci[0])} – ${fmt4(m.recall_ci[1])}`);
    checked += 3;
  });
  assert.equal(checked, runNames.length * t.header.length - runNames.length, 'every cell but Run checked');
});

test('per-class table equals metrics.jsonl', () => {
  const t = tables.per_class;
  const classes = readConfig(runNames[0]).classes;
  assert.equal(t.rows.length, runNames.length * classes.length);
  assert.deepEqual(t.header, ['Run', 'Class', 'Precision', 'Recall', 'F1', 'Support', 'Predicted', 'Recall 95% CI']);
  t.rows.forEach((row, r) => {
    const run = runNames[Math.floor(r / classes.length)];
    const cls = classes[r % classes.length];
    const m = finalLine(run).test.per_class[cls];
    assert.deepEqual(row, [label(run), cls, fmt4(m.precision), fmt4(m.recall), fmt4(m.f1), String(m.support),
      String(m.predicted), `${fmt4(m.recall_ci[0])} – ${fmt4(m.recall_ci[1])}`], `${run} ${cls}`);
  });
});

test('loss table equals metrics.jsonl', () => {
  const t = tables.loss;
  assert.deepEqual(t.header, ['Run', 'Selected epoch', 'Train loss', 'Val loss', 'Test loss', 'Last epoch',
    'Last train loss', 'Last val loss', 'Last test loss']);
  runNames.forEach((run, r) => {
    const lines = readJsonl(run);
    const fin = finalLine(run);
    const epochs = lines.filter((l) => !l.final);
    const selected = epochs.find((l) => l.epoch === fin.epoch);
    const last = epochs.at(-1);
    assert.deepEqual(t.rows[r], [label(run), String(fin.epoch), fmt4(selected.train.loss), fmt4(fin.val.loss),
      fmt4(fin.test.loss), String(last.epoch), fmt4(last.train.loss), fmt4(last.val.loss), fmt4(last.test.loss)], run);
  });
});

test('runs table equals config.json', () => {
  const t = tables.runs;
  runNames.forEach((run, r) => {
    const c = readConfig(run);
    const sum = (o) => String(Object.values(o).reduce((a, b) => a + b, 0));
    const row = Object.fromEntries(t.header.map((h, i) => [h, t.rows[r][i]]));
    assert.equal(row.Run, label(run));
    assert.equal(row.Split, c.data.split);
    assert.equal(row.Profile, c.profile ?? '—');
    assert.equal(row.Model, c.model.arch);
    assert.equal(row.Head, c.model.head);
    assert.equal(row['Epochs run'], String(readJsonl(run).filter((l) => !l.final).length));
    assert.equal(row['Train images'], sum(c.data.counts.train));
    assert.equal(row['Test images'], sum(c.data.counts.test));
  });
});

test('confusion matrices show the final test counts', () => {
  assert.equal(confusionCards.length, runNames.length);
  runNames.forEach((run, r) => {
    assert.equal(confusionCards[r].title, label(run));
    assert.deepEqual(confusionCards[r].counts, finalLine(run).test.confusion.flat().map(String), run);
  });
});

test('summary.md holds the same tables as the page', () => {
  const md = fs.readFileSync(path.join(outDir, 'summary.md'), 'utf8');
  const sections = md.split('\n## ').slice(1);
  const byTitle = Object.fromEntries(sections.map((s) => [s.split('\n')[0], s]));
  const titles = { comparison: 'Final test metrics', per_class: 'Per-class test metrics', loss: 'Loss', runs: 'Runs' };
  for (const [id, title] of Object.entries(titles)) {
    assert.ok(byTitle[title], `summary.md has no "## ${title}"`);
    const rows = byTitle[title].split('\n').filter((l) => l.startsWith('| '))
      .map((l) => l.slice(2, -2).split(' | ').map((c) => c.replace(/^\*\*(.*)\*\*$/, '$1')))
      .filter((cells) => !cells.every((c) => /^-+:?$/.test(c)));   // the alignment row
    assert.deepEqual(rows[0], tables[id].header, title);
    assert.deepEqual(rows.slice(1), tables[id].rows, title);
  }
});

test('bad run directories: one-line errors naming the path and what is missing', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'alzscan-report-bad-'));
  try {
    const missing = path.join(tmp, 'nope');
    let r = runAlzscan(['report', missing, '--out', path.join(tmp, 'o')]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `alzscan report: ${missing}: no such directory\n`);

    const noMetrics = path.join(tmp, 'no-metrics');
    fs.mkdirSync(noMetrics);
    fs.copyFileSync(path.join(fixtures, runNames[0], 'config.json'), path.join(noMetrics, 'config.json'));
    r = runAlzscan(['report', noMetrics, '--out', path.join(tmp, 'o')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`^alzscan report: ${noMetrics}/metrics\\.jsonl: missing .*\\n$`));

    const broken = path.join(tmp, 'broken');
    fs.mkdirSync(broken);
    fs.copyFileSync(path.join(fixtures, runNames[0], 'config.json'), path.join(broken, 'config.json'));
    const lines = fs.readFileSync(path.join(fixtures, runNames[0], 'metrics.jsonl'), 'utf8').split('\n');
    lines[1] = lines[1].slice(0, 40);   // a truncated second line
    fs.writeFileSync(path.join(broken, 'metrics.jsonl'), lines.join('\n'));
    r = runAlzscan(['report', broken, '--out', path.join(tmp, 'o')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`^alzscan report: ${broken}/metrics\\.jsonl:2: not valid JSON.*\\n$`));
    assert.equal(fs.existsSync(path.join(tmp, 'o', 'index.html')), false, 'no page written on error');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('a ladder directory expands to its run directories, in experiment order', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'alzscan-report-ladder-'));
  try {
    const r = runAlzscan(['report', fixtures, '--out', tmp]);
    assert.equal(r.status, 0, r.stderr);
    const md = fs.readFileSync(path.join(tmp, 'summary.md'), 'utf8');
    const comparison = md.split('\n## ')[1].split('\n').filter((l) => l.startsWith('| ')).slice(2);
    // No experiment id sorts first (-1), then 0, then 2.
    assert.deepEqual(comparison.map((l) => l.split(' | ')[0].slice(2)),
      ['interrupted-small', label('exp0-baseline'), label('exp2-balanced')]);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
