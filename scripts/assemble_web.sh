#!/usr/bin/env bash
# Assembles the static browser app into WEB_OUT:
#   web/ page + JS, the WASM app, ONNX Runtime Web (self-hosted, same version as its JS), the
#   default model, the registration template (Colin27), a font, ~8 gallery slices of people the model never saw (copied, never
#   committed), precompressed .br/.gz siblings, and sw.js with the asset list baked in.
# usage: scripts/assemble_web.sh WASM_BUILD WEB_OUT DATA
#   ALZSCAN_MODEL_DIR=dir   use another model (default: models/default)
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BUILD=${1:?usage: assemble_web.sh WASM_BUILD WEB_OUT DATA}
WEB_OUT=${2:?usage: assemble_web.sh WASM_BUILD WEB_OUT DATA}
DATA=${3:-../shared/data/alzheimer_mri}
MODEL_DIR=${ALZSCAN_MODEL_DIR:-models/default}
ORT_DIST=node_modules/onnxruntime-web/dist
FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

die() { echo "assemble_web: $*" >&2; exit 1; }
[ -f "$WASM_BUILD/wasm/alzscan_app.js" ] && [ -f "$WASM_BUILD/wasm/alzscan_app.wasm" ] ||
  die "$WASM_BUILD/wasm/alzscan_app.{js,wasm} missing (build the WASM app: make wasm)"
[ -f "$ORT_DIST/ort.wasm.min.mjs" ] || die "$ORT_DIST/ort.wasm.min.mjs missing (run make setup: npm ci)"

# Fresh output each time (stale assets would end up in the service worker's list).
case "$(cd "$(dirname "$WEB_OUT")" 2>/dev/null && pwd)/$(basename "$WEB_OUT")" in
  /|/.|"$PWD"|"$PWD/."|"$HOME") die "refusing to replace $WEB_OUT: give a build folder such as build/web" ;;
esac
rm -rf "$WEB_OUT"
mkdir -p "$WEB_OUT"/{ort,model,fonts,gallery}

for f in index.html app.css ort_session_config.mjs $(cd web && ls *.js); do
  cp web/$f "$WEB_OUT/$f"
done
cp "$WASM_BUILD/wasm/alzscan_app.js" "$WASM_BUILD/wasm/alzscan_app.wasm" "$WEB_OUT/"
# The DICOM reader (GDCM): loaded by the page only when DICOM files arrive; cached for offline use.
cp "$WASM_BUILD/wasm/alzscan_dicom_reader.js" "$WASM_BUILD/wasm/alzscan_dicom_reader.wasm" "$WEB_OUT/"

# ONNX Runtime Web: the JS and the .wasm/.mjs it loads must be one version.
ort_version=$(node -p 'require("./node_modules/onnxruntime-web/package.json").version')
for f in ort.wasm.min.mjs ort-wasm-simd-threaded.mjs ort-wasm-simd-threaded.wasm; do
  [ -f "$ORT_DIST/$f" ] || die "$ORT_DIST/$f missing (onnxruntime-web $ort_version incomplete: rm -rf node_modules && make setup)"
  cp "$ORT_DIST/$f" "$WEB_OUT/ort/$f"
done

if [ -f "$MODEL_DIR/model.onnx" ] && [ -f "$MODEL_DIR/model.json" ]; then
  node scripts/verify_model.mjs "$MODEL_DIR" || die "refusing to ship that model"
  cp "$MODEL_DIR/model.onnx" "$MODEL_DIR/model.json" "$WEB_OUT/model/"
else
  echo "assemble_web: WARNING: $MODEL_DIR/model.{onnx,json} missing: the page will say so (make train && make export)" >&2
fi

# The registration template (shared/ registration.h): Colin27 with skull and its brain, from
# Debian's mricron-data (BSD-3-clause; make setup installs it), fetched by the page at the first
# head volume and cached offline with the rest. Copied into the build, never committed.
REFERENCE_DIR=${ALZSCAN_REFERENCE_DIR:-/usr/share/mricron/templates}
for f in ch2.nii.gz ch2bet.nii.gz; do
  [ -f "$REFERENCE_DIR/$f" ] || die "$REFERENCE_DIR/$f missing (make setup installs mricron-data)"
done
mkdir -p "$WEB_OUT/reference"
for f in ch2 ch2bet; do   # inflated: served with the build's own .br/.gz siblings like every asset
  gzip -dc "$REFERENCE_DIR/$f.nii.gz" > "$WEB_OUT/reference/$f.nii"
done

# The font, cut down to the glyph ranges the app asks ImGui for (wasm/app_ui.cpp's ranges[], read
# from there so the two cannot drift): 760 KB -> ~40 KB, a third of the cold-load budget otherwise.
if [ ! -f "$FONT" ]; then
  echo "assemble_web: note: $FONT missing (apt-get install fonts-dejavu-core); ImGui's built-in font is used" >&2
elif ! command -v pyftsubset >/dev/null; then
  echo "assemble_web: note: pyftsubset missing (make setup installs fonttools); shipping the whole font" >&2
  cp "$FONT" "$WEB_OUT/fonts/"
else
  unicodes=$(/usr/bin/python3 - wasm/app_ui.cpp <<'PY'
import re, sys
src = open(sys.argv[1]).read()
m = re.search(r"ranges\[\]\s*=\s*\{([^}]*)\}", src)
if not m:
    sys.exit("assemble_web: no glyph ranges[] in " + sys.argv[1])
v = [int(x, 16) for x in re.findall(r"0x([0-9A-Fa-f]+)", m.group(1))]
print(",".join("U+%04X-%04X" % (a, b) for a, b in zip(v[::2], v[1::2])))
PY
)
  pyftsubset "$FONT" --unicodes="$unicodes" --no-hinting --layout-features='' --drop-tables+=GSUB,GPOS,kern,FFTM \
    --output-file="$WEB_OUT/fonts/$(basename "$FONT")"
fi

# Gallery: people the shipped model never saw. The model was trained with one fold of SUBJECTS.tsv
# held out (model.json training.options.test_fold); up to 3 people per class from that fold, one
# middle slice each (slice_rank 16).
node --input-type=module - "$DATA" "$WEB_OUT" "$MODEL_DIR/model.json" <<'JS'
import fs from "node:fs";
import path from "node:path";
const [data, out, modelJson] = process.argv.slice(2);
const subjects = path.join(data, "SUBJECTS.tsv");
const empty = (note) => {
  fs.writeFileSync(path.join(out, "gallery/gallery.json"), JSON.stringify({ note }));
  console.error(`assemble_web: note: gallery left empty: ${note}`);
  process.exit(0);
};
if (!fs.existsSync(subjects))
  empty(`No sample slices: the dataset was not found at ${data} when this app was built. ` +
        "Get it as README.md describes (../shared/data/alzheimer_mri) and rebuild, or open your own PNG/JPEG slices.");
const options = fs.existsSync(modelJson) ? (JSON.parse(fs.readFileSync(modelJson, "utf8")).training || {}).options || {} : {};
const fold = options.test_fold;
if (!(Number.isInteger(fold) && fold >= 0 && String(options.split_file || "").endsWith("SUBJECTS.tsv")))
  empty("No sample slices: the model does not say which people it never saw (training.options.test_fold of SUBJECTS.tsv).");
const lines = fs.readFileSync(subjects, "utf8").trim().split("\n");
const col = Object.fromEntries(lines[0].split("\t").map((name, i) => [name, i]));
const people = new Map();   // class -> subject -> middle slice
for (const line of lines.slice(1)) {
  const c = line.split("\t");
  if (Number(c[col.subject_fold]) !== fold || Number(c[col.slice_rank]) !== 16) continue;
  const cls = c[col.class];
  if (!people.has(cls)) people.set(cls, new Map());
  people.get(cls).set(c[col.subject], c[col.relative_path]);
}
const entries = [];
for (const cls of [...people.keys()].sort()) {
  const picks = [...people.get(cls).entries()].sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true })).slice(0, 3);
  for (const [subject, rel] of picks) {
    const name = `${subject}_${path.basename(rel)}`;
    fs.copyFileSync(path.join(data, rel), path.join(out, "gallery", name));
    entries.push({ file: `gallery/${name}`, label: cls });
  }
}
fs.writeFileSync(path.join(out, "gallery/gallery.json"), JSON.stringify(entries, null, 1));
console.error(`assemble_web: gallery: ${entries.length} slices of people of fold ${fold}, never seen in training`);
JS

# Precompress (brotli 11 + gzip 9) where it saves >= 10 %, caching results by content hash since
# brotli 11 on ORT's 14 MB .wasm takes ~35 s here. Then bake the asset list into sw.js.
CACHE_DIR="$(dirname "$WEB_OUT")/.web-compress-cache"
mkdir -p "$CACHE_DIR"
node --input-type=module - "$WEB_OUT" "$CACHE_DIR" "$ort_version" <<'JS'
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
const [out, cacheDir, ortVersion] = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else files.push(path.relative(out, p).split(path.sep).join("/"));
  }
})(out);
files.sort();
const compressible = /\.(html|css|js|mjs|json|wasm|onnx|ttf|csv|md|nii)$/;
const digest = crypto.createHash("sha256");
let raw = 0, best = 0;
for (const rel of files) {
  const p = path.join(out, rel);
  const bytes = fs.readFileSync(p);
  const hash = crypto.createHash("sha256").update(bytes).digest("hex");
  digest.update(rel + "\0" + hash + "\0");
  raw += bytes.length;
  let smallest = bytes.length;
  if (compressible.test(rel) && rel !== "sw.js") {
    for (const [ext, make] of [
      ["br", () => zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } })],
      ["gz", () => zlib.gzipSync(bytes, { level: 9 })],
    ]) {
      const cached = path.join(cacheDir, `${hash}.${ext}`);
      if (!fs.existsSync(cached)) fs.writeFileSync(cached, make());
      const packed = fs.readFileSync(cached);
      if (packed.length <= 0.9 * bytes.length) {
        fs.writeFileSync(`${p}.${ext}`, packed);
        smallest = Math.min(smallest, packed.length);
      }
    }
  }
  best += smallest;
}
const version = digest.digest("hex").slice(0, 16);
const assets = ["./", ...files.filter((f) => f !== "sw.js" && f !== "index.html"), "index.html"];
const swPath = path.join(out, "sw.js");
const sw = fs.readFileSync(swPath, "utf8")
  .replace(/\/\*ALZSCAN_ASSETS\*\/\[\]\/\*END\*\//, JSON.stringify(assets))
  .replace("/*ALZSCAN_VERSION*/dev", version);
fs.writeFileSync(swPath, sw);
fs.writeFileSync(path.join(out, "build-info.json"), JSON.stringify({ version, ort_version: ortVersion, files: files.length, raw_bytes: raw, compressed_bytes: best }, null, 1));
console.error(`assemble_web: ${files.length} assets, ${(raw / 1e6).toFixed(2)} MB raw, ${(best / 1e6).toFixed(2)} MB as served compressed (br), version ${version}`);
JS
echo "assemble_web: $WEB_OUT ready (serve it: node web/server.mjs --root $WEB_OUT)"
