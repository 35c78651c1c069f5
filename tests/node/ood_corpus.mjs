// tests/node/ood_corpus.mjs: configs/ood_corpus.json's files, expanded as `alzscan ood` expands them
// (a '*' in a file name matches any characters), for the tests of the out-of-distribution checks.
//
//   const { far, otherT1 } = oodCorpus();   // far: [{group, file}], otherT1: [file]
//   const files = heldOutSlices(DATA, modelJson);  // the slices of the people the model never saw
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from './test_env.mjs';

export { REPO };

function expand(pattern) {
  const dir = path.dirname(pattern), name = path.basename(pattern);
  const star = name.indexOf('*');
  if (star < 0) {
    if (!fs.existsSync(pattern)) throw new Error(`${pattern}: missing; make setup installs the corpus's Debian packages`);
    return [pattern];
  }
  const [pre, post] = [name.slice(0, star), name.slice(star + 1)];
  const files = fs.readdirSync(dir).filter((f) => f.length >= pre.length + post.length && f.startsWith(pre) && f.endsWith(post))
    .sort().map((f) => path.join(dir, f));
  if (!files.length) throw new Error(`${pattern}: matches no file; make setup installs the corpus's Debian packages`);
  return files;
}

export function oodCorpus() {
  const corpus = JSON.parse(fs.readFileSync(path.join(REPO, 'configs/ood_corpus.json'), 'utf8'));
  const far = [];
  for (const [group, patterns] of Object.entries(corpus.far))
    for (const p of patterns) for (const file of expand(p)) far.push({ group, file });
  return { far, otherT1: corpus.other_t1.flatMap(expand) };
}

export const isVolume = (f) => /\.nii(\.gz)?$/i.test(f);

// DATA's slice files of the SUBJECTS.tsv fold that model.json says training held out, in file order.
export function heldOutSlices(data, model) {
  const tsv = path.join(data, 'SUBJECTS.tsv');
  if (!fs.existsSync(tsv)) throw new Error(`the dataset is missing at ${data} (set DATA=...)`);
  const fold = model.training.options.test_fold;
  const rows = fs.readFileSync(tsv, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  return rows.filter((r) => Number(r[5]) === fold).map((r) => path.join(data, r[0]));
}
