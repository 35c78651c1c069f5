// web/volume_files.js: what a set of opened or dropped files is. Volumes (NIfTI, MGH/MGZ, Analyze
// pairs, the names shared/'s volume_bytes.h reads), DICOM files (one scan per series: web/dicom.js)
// and slice images; and the files inside dropped folders.
//
//   const files = await droppedFiles(event.dataTransfer);       // folders walked
//   const { volumes, dicom, slices } = await sortFiles(files);
//   // volumes: [{file, partner}] (partner: an Analyze pair's other file, else null)

const VOLUME = /\.(nii|nii\.gz|mgh|mgz|hdr|img)$/i;
const ANALYZE = /\.(hdr|img)$/i;
const DICOM_NAME = /\.(dcm|dicom|ima)$/i;
const IMAGE = /\.(png|jpe?g)$/i;
const MAX_DEPTH = 8;   // as the CLI's folder walk (native/commands/dicom_files.h)

export const isVolumeName = (name) => VOLUME.test(name);

// "DICM" at byte 128: DICOM files without an extension, as on CDs and in PACS exports.
async function hasDicomMagic(file) {
  if (file.size < 132) return false;
  const b = new Uint8Array(await file.slice(128, 132).arrayBuffer());
  return b[0] === 0x44 && b[1] === 0x49 && b[2] === 0x43 && b[3] === 0x4d;
}

export async function looksDicom(file) {
  if (DICOM_NAME.test(file.name)) return true;
  if (VOLUME.test(file.name) || IMAGE.test(file.name)) return false;
  return hasDicomMagic(file);
}

// An Analyze file's other half among `files`: the same name up to the extension, .hdr <-> .img in
// any case; null when it is not there.
function analyzePartner(file, files) {
  const stem = file.name.slice(0, -4);
  const want = /\.hdr$/i.test(file.name) ? ".img" : ".hdr";
  return files.find((f) => f !== file && f.name.slice(0, -4) === stem && f.name.slice(-4).toLowerCase() === want) ?? null;
}

// Volumes (an Analyze pair once, named by its .hdr when both are there), DICOM files and the rest
// (slice images, and anything else, which classify() answers with its message).
export async function sortFiles(files) {
  const volumes = [], dicom = [], slices = [];
  const paired = new Set();
  for (const file of files) {
    if (VOLUME.test(file.name)) {
      if (paired.has(file)) continue;
      const partner = ANALYZE.test(file.name) ? analyzePartner(file, files) : null;
      if (partner) paired.add(partner);
      const hdrFirst = partner && /\.img$/i.test(file.name);
      volumes.push(hdrFirst ? { file: partner, partner: file } : { file, partner });
    } else if (await looksDicom(file)) {
      dicom.push(file);
    } else {
      slices.push(file);
    }
  }
  return { volumes, dicom, slices };
}

// Every file of a FileSystemDirectoryEntry, up to MAX_DEPTH levels, hidden names skipped.
async function walk(entry, depth, out) {
  if (entry.name.startsWith(".")) return;
  if (entry.isFile) {
    out.push(await new Promise((resolve, reject) => entry.file(resolve, reject)));
    return;
  }
  if (!entry.isDirectory || depth > MAX_DEPTH) return;
  const reader = entry.createReader();
  for (;;) {   // readEntries gives the entries in batches until an empty one
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    for (const child of batch) await walk(child, depth + 1, out);
  }
}

// The files of a drop, with the files inside dropped folders; entries are taken synchronously,
// as the DataTransfer empties after the event.
export async function droppedFiles(dataTransfer) {
  const items = Array.from(dataTransfer?.items ?? []);
  const entries = items.map((item) => (item.kind === "file" && item.webkitGetAsEntry ? item.webkitGetAsEntry() : null));
  if (!entries.some((e) => e?.isDirectory)) return Array.from(dataTransfer?.files ?? []);
  const out = [];
  for (const entry of entries) if (entry) await walk(entry, 0, out);
  return out;
}
