// tests/node/ood_corpus.mjs: configs/ood_corpus.json's files, expanded as `alzscan ood` expands them
// (a '*' in a file name matches any characters), for the tests of the out-of-distribution checks.
//
//   const { far, otherT1 } = oodCorpus();   // far: [{group, file}], otherT1: [file]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

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
