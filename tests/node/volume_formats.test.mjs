// `alzscan predict` on the volume formats beside NIfTI (native/commands/volume_file.h), with the
// shipped model:
//   - the Colin27 brain (ch2bet, Debian's mricron-data) as .nii.gz, as .mgz and as Analyze pairs,
//     written by nibabel: the .mgz gives the .nii.gz's verdict within 1e-5. An Analyze pair stores
//     no origin (nibabel puts it at the volume's centre), and registration does not end exactly
//     where it does from ch2bet's own origin: the pair's verdict is within 1e-5 of a .nii.gz
//     holding its voxels and its affine, and within 0.01 (the same label) of ch2bet's; the same
//     whichever file of a pair is named and in whichever case the other's extension is;
//   - refused with their messages: a .hdr without its .img, a .mgz gzip bomb (by the inflate
//     limit), an .mgh whose header asks for more voxels than alzscan reads.
// Env (set by `make test-node`): ALZSCAN = native binary.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, alzscan } from './test_env.mjs';

const CHECKPOINT = path.join(REPO, 'models/default/checkpoint.pt');
const CH2BET = '/usr/share/mricron/templates/ch2bet.nii.gz';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'alzscan-volume-formats-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

// Writes, with nibabel, WORK/brain.mgz (ch2bet's voxels and affine), WORK/brain.hdr + .img and
// WORK/upper.hdr + upper.IMG (ch2bet's voxels stored x-flipped, as Analyze's radiological
// convention wants, so the anatomy is unchanged), WORK/analyze_as.nii.gz (the pair's voxels and
// affine as nibabel reads them), WORK/lone.hdr (no .img), WORK/bomb.mgz and WORK/huge.mgh; checks
// that nibabel reads the copies as the same anatomy.
const WRITER = String.raw`
import gzip, os, shutil, struct, sys, zlib
import nibabel as nib
import numpy as np
src, work = sys.argv[1], sys.argv[2]
img = nib.load(src)
data = np.asanyarray(img.dataobj)
shutil.copy(src, os.path.join(work, 'brain.nii.gz'))
nib.save(nib.MGHImage(data, img.affine), os.path.join(work, 'brain.mgz'))
for stem in ('brain', 'upper', 'lone'):
    hdr = nib.AnalyzeHeader()
    hdr.set_data_dtype(data.dtype)
    hdr.set_data_shape(data.shape)
    hdr.set_zooms(img.header.get_zooms()[:3])
    nib.save(nib.AnalyzeImage(np.ascontiguousarray(data[::-1]), None, header=hdr), os.path.join(work, stem + '.hdr'))
os.rename(os.path.join(work, 'upper.img'), os.path.join(work, 'upper.IMG'))
os.remove(os.path.join(work, 'lone.img'))
pair = nib.load(os.path.join(work, 'brain.hdr'))
nib.save(nib.Nifti1Image(np.asanyarray(pair.dataobj), pair.affine), os.path.join(work, 'analyze_as.nii.gz'))
canon = np.asanyarray(nib.as_closest_canonical(img).dataobj)
for name in ('brain.mgz', 'brain.hdr'):
    assert np.array_equal(np.asanyarray(nib.as_closest_canonical(nib.load(os.path.join(work, name))).dataobj), canon), name
# A gzip bomb: a valid MGH header (512^3 float32, 4 frames) and 1.1 GiB of zeros, about 1 MB gzipped.
header = struct.pack('>iiiiiiih', 1, 512, 512, 512, 4, 3, 0, 1)
header += struct.pack('>3f9f3f', 1, 1, 1, -1, 0, 0, 0, 0, -1, 0, 1, 0, 0, 0, 0)
header += b'\0' * (284 - len(header))
z = zlib.compressobj(9, zlib.DEFLATED, 31)
with open(os.path.join(work, 'bomb.mgz'), 'wb') as f:
    f.write(z.compress(header))
    chunk = b'\0' * (1 << 20)
    for _ in range(1100):
        f.write(z.compress(chunk))
    f.write(z.flush())
# ch2bet at 0.5 mm as float64 (each voxel a 2x2x2 block; 362x434x362, 57 M voxels, 455 MB of
# doubles): over 256^3 voxels, so read averaged in 2x2x2 blocks, which gives ch2bet back exactly.
half = data.astype(np.float64).repeat(2, 0).repeat(2, 1).repeat(2, 2)
aff = img.affine.copy()
aff[:3, :3] /= 2
aff[:3, 3] -= aff[:3, :3] @ [0.5, 0.5, 0.5]
nib.save(nib.Nifti1Image(half, aff), os.path.join(work, 'half_mm_f64.nii.gz'))
huge = struct.pack('>iiiiiiih', 1, 100000, 100000, 100000, 1, 3, 0, 1)
open(os.path.join(work, 'huge.mgh'), 'wb').write(huge + b'\0' * (284 - len(huge) + 4096))
`;

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

function maxDiff(a, b) {
  return Math.max(...a.probabilities.map((p, i) => Math.abs(p - b.probabilities[i])));
}

let written = false;
function fixtures() {
  if (!written) {
    assert.ok(fs.existsSync(CH2BET), `${CH2BET} missing: make setup installs mricron-data`);
    execFileSync('/usr/bin/python3', ['-c', WRITER, CH2BET, work], { stdio: ['ignore', 'inherit', 'inherit'] });
    written = true;
  }
  return (name) => path.join(work, name);
}

test('Colin27 as .nii.gz, .mgz and Analyze pairs: the same scan verdict', () => {
  const at = fixtures();
  const base = predictScan(at('brain.nii.gz'));
  const analyzeAs = predictScan(at('analyze_as.nii.gz'));
  for (const [name, scan] of [['brain.nii.gz', base], ['analyze_as.nii.gz', analyzeAs]]) {
    assert.ok(!scan.error, `${name}: refused: ${scan.error}`);
    console.log(`${name}: ${scan.probabilities.map((p) => p.toFixed(6))}, registration correlation ${scan.registration?.correlation}`);
  }
  const cases = [['brain.mgz', base, 1e-5], ['brain.hdr', analyzeAs, 1e-5], ['brain.img', analyzeAs, 1e-5],
    ['upper.hdr', analyzeAs, 1e-5], ['brain.hdr', base, 0.01]];
  for (const [name, want, tolerance] of cases) {
    const scan = predictScan(at(name));
    assert.ok(!scan.error, `${name}: refused: ${scan.error}`);
    const d = maxDiff(scan, want);
    const what = want === base ? 'brain.nii.gz' : 'analyze_as.nii.gz';
    console.log(`${name}: ${scan.probabilities.map((p) => p.toFixed(6))}, max |dp| vs ${what} ${d.toExponential(2)}`);
    assert.ok(d <= tolerance, `${name}: probabilities differ from ${what}'s by ${d} (> ${tolerance})`);
    assert.equal(scan.label, want.label, name);
    assert.equal(scan.slices, want.slices, name);
  }
});

test('ch2bet stored at 0.5 mm as float64 (57 M voxels): read averaged to 1 mm, the same verdict as ch2bet, under 1.5 GB', () => {
  const at = fixtures();
  const base = predictScan(at('brain.nii.gz'));
  const r = spawnSync('/usr/bin/time', ['-f', '%M', alzscan(), 'predict', '--checkpoint', CHECKPOINT, '--json', at('half_mm_f64.nii.gz')],
    { encoding: 'utf8' });
  const scan = JSON.parse(r.stdout.trim().split('\n').pop()).scan;
  assert.ok(scan, `refused: ${r.stdout}`);
  const peakKb = Number(r.stderr.trim().split('\n').pop());
  const d = maxDiff(scan, base);
  console.log(`half_mm_f64.nii.gz: max |dp| vs ch2bet ${d.toExponential(2)}, peak ${(peakKb / 1024).toFixed(0)} MiB; notes: ${scan.notes}`);
  assert.ok(d <= 1e-6, `the verdict moved by ${d}`);
  assert.ok(scan.notes.some((n) => n.startsWith('362x434x362 voxels averaged in 2x2x2 blocks to 181x217x181')), String(scan.notes));
  assert.ok(peakKb < 1.5 * 1024 * 1024, `peak memory ${peakKb} KB`);
});

test('a .hdr without its .img, a .mgz gzip bomb and an .mgh asking for 10^15 voxels are refused', () => {
  const at = fixtures();
  const lone = predictScan(at('lone.hdr'));
  assert.match(lone.error ?? '', /^no \.img file beside this \.hdr \(an Analyze volume is a \.hdr \+ \.img pair/);
  const started = Date.now();
  const bomb = predictScan(at('bomb.mgz'));
  assert.equal(bomb.error, 'the .mgz inflates to more than 1024 MiB: too large a volume');
  const huge = predictScan(at('huge.mgh'));
  assert.match(huge.error ?? '', /^the MGH volume is 100000x100000x100000 voxels, more than alzscan reads \(134217728\)/);
  console.log(`lone.hdr: ${lone.error}\nbomb.mgz (${fs.statSync(at('bomb.mgz')).size} bytes, ` +
    `refused in ${Date.now() - started} ms with huge.mgh): ${bomb.error}\nhuge.mgh: ${huge.error}`);
});
