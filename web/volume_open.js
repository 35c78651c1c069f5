// web/volume_open.js: a scan's volume from what the user gave (a volume file, an Analyze pair, bytes
// or a DICOM set) into the WASM app, opened and registered there with the header's status and the
// progress card saying so. The slab stays in WASM; its slices become rows (web/classify.js).
//   const volume = await volumeInput(sup, app, input, options);   // null: the series table was cancelled
//   const opened = await openVolumeShown(sup, app, volume.name, volume);
//   // the app's answer ({slices, how, notes, width, height, registration?} or {error}) plus stages;
//   // {error} alone when the template cannot be loaded

import { readDicom } from "./dicom.js";
import { MAX_VOLUME_FILE_BYTES, registrationReference, toBytes } from "./page_io.js";
import { looksDicom } from "./volume_files.js";

// Shares of the progress card's bar: reading the volume, the template (first head volume only),
// the registration's steps; extraction, levels and the slab follow the last step.
const OPEN_SHARE = 0.1, TEMPLATE_SHARE = 0.3;
// Registration work between two progress frames: each frame redraws the whole UI, so a few per
// registration (0.4-0.5 s in WebAssembly, BENCHMARKS.md) move the bar without slowing it much.
const REGISTER_SLICE_MS = 100;
// A volume file at least this large gets a frame saying it is being read before its decode: a
// smaller file's decode takes about as long as the frame would (the 1.3 MB ch2bet.nii.gz, 7 MB
// inflated, decodes in about 30 ms in WebAssembly, BENCHMARKS.md; the frame costs 20-70 ms).
const READ_FRAME_BYTES = 4 << 20;

// The header's status line (and the progress card's bar when `progress` is 0..1), drawn and
// painted before the work that follows starts: the app draws in its animation frame, which runs
// before ours; the task after ours runs once that frame is painted.
async function say(app, text, progress = -1) {
  app.setStatus("Loading", text);
  app.setProgress(progress);
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

// The registration template into the app (fetched once per page) -> "" or the error.
async function loadTemplate(app, stages) {
  try {
    const t0 = performance.now();
    const bytes = await registrationReference();
    const error = app.loadReference(...bytes);
    stages.template_ms += performance.now() - t0;   // fetched (once per page) and loaded
    return error;
  } catch (e) { return e.message; }
}

// The volume opened in WASM (registered there when it is a head). The registration template is
// fetched first when the app asks for it; a registration runs REGISTER_SLICE_MS of its steps per
// frame so the card's bar moves.
export async function openVolumeShown(sup, app, name, volume) {
  // Where the time goes (ms): decode (the copy into WASM and the file's decode), the template, the
  // registration (its setup and steps), the slab (extraction, levels and the slab after the last
  // step), and the progress frames: frames_ms all of them, registration_frames_ms those shown
  // while the template loads and the registration runs.
  const stages = { decode_ms: 0, template_ms: 0, registration_ms: 0, slab_ms: 0, frames_ms: 0, registration_frames_ms: 0 };
  // A call into the app: its answer's "ms" to their stages, the rest of its time to `key`.
  const timed = (key, fn) => {
    const t0 = performance.now();
    const answer = fn();
    let inside = 0;
    for (const [stage, ms] of Object.entries(answer.ms ?? {})) {
      stages[`${stage}_ms`] += ms;
      inside += ms;
    }
    stages[key] += Math.max(0, performance.now() - t0 - inside);
    return answer;
  };
  const showStep = async (registering, ...a) => {
    const t0 = performance.now();
    await say(app, ...a);
    const ms = performance.now() - t0;
    stages.frames_ms += ms;
    if (registering) stages.registration_frames_ms += ms;
  };
  const open = () => timed("decode_ms", () => app.openVolume(volume.fileName, volume.bytes, volume.partner));
  try {
    if (volume.bytes.length + (volume.partner?.bytes.length ?? 0) >= READ_FRAME_BYTES) await showStep(false, `Reading ${name}…`, 0);
    let opened = open();
    let base = OPEN_SHARE;
    if (opened.need_reference) {
      await showStep(true, "Loading the registration template (Colin27, once per page)…", base);
      const error = await loadTemplate(app, stages);
      if (error) return { error };
      base += TEMPLATE_SHARE;
      opened = timed("registration_ms", () => app.openAwaiting());
    }
    while (opened.registering) {
      await showStep(true, `Registering ${name} to the template…`, base + (1 - base) * opened.progress);
      opened = timed("registration_ms", () => app.registerStep(opened.registering, REGISTER_SLICE_MS));
    }
    return { ...opened, stages };
  } finally {
    if (!app.crash) app.setProgress(-1);
    sup.restoreStatus(app);
  }
}

// What the CLI would name as the set's first argument: the dropped folder, else the first file.
function dicomSetName(files) {
  const rel = files[0].webkitRelativePath || "";
  return rel.includes("/") ? rel.slice(0, rel.indexOf("/")) : files[0].name;
}

// The series index to read from a DICOM set's listing: options.series (1-based, as the CLI's
// --series), else the one chosen in the series table (options.chooseSeries; null: cancelled),
// else the reader's own choice.
async function seriesIndex(listing, files, options) {
  if (options.chooseSeries) return options.chooseSeries(listing, `${files.length} files`);
  const index = options.series ? options.series - 1 : listing.chosen;
  if (index < 0) throw new Error(`${dicomSetName(files)}: ${listing.choose_error}`);   // as the CLI: DIR: ...
  return index;
}

// DICOM files -> {name, fileName, bytes, notes} of one series (web/dicom.js), read with progress
// in the header; null when the series table is cancelled.
async function dicomVolume(sup, app, files, options) {
  let set;
  try {
    set = await readDicom(files, (done, total) => say(app, `Reading DICOM files: ${done} of ${total}…`));
  } finally {
    sup.restoreStatus(app);
  }
  try {
    const { listing } = set;
    const index = await seriesIndex(listing, files, options);
    if (index === null) return null;
    const s = listing.series[index];
    if (!s) throw new Error(`no series ${index + 1} in these files (${listing.series.length} series)`);
    await say(app, `Decoding DICOM series ${s.number >= 0 ? s.number : index + 1} (${s.frames} slices)…`);
    const { bytes, notes } = set.volume(index);
    const how = listing.series.length > 1
      ? [`series ${s.line} of ${listing.series.length} (${options.series ? "options.series" : options.chooseSeries ? "chosen in the series table" : "named as a T1"})`]
      : [];
    return { name: options.name ?? `DICOM ${s.description || `series ${index + 1}`}`, fileName: "dicom.nii", bytes, notes: [...notes, ...how] };
  } finally {
    set.close();
    sup.restoreStatus(app);
  }
}

// A scan's volume input -> {name, fileName, bytes, partner?, notes}: a volume file (options.partner:
// an Analyze pair's other file), bytes (options.name, else taken as a .nii/.nii.gz), or DICOM files.
export async function volumeInput(sup, app, input, options) {
  if (Array.isArray(input)) return dicomVolume(sup, app, input, options);
  const fileName = input instanceof File ? input.name : (options.name ?? "volume.nii");
  for (const part of [input, options.partner]) {   // the CLI's limit per file, checked before reading
    const size = part?.size ?? part?.byteLength ?? 0;
    if (size > MAX_VOLUME_FILE_BYTES) throw new Error(`${size} bytes: over the ${MAX_VOLUME_FILE_BYTES / 1048576} MiB limit for one image file`);
  }
  const partner = options.partner ? { name: options.partner.name, bytes: await toBytes(options.partner) } : null;
  return { name: options.name ?? fileName, fileName, bytes: await toBytes(input), partner, notes: [] };
}

export async function isDicomSet(input) {
  if (!Array.isArray(input) || !input.length || !input.every((f) => f instanceof File)) return false;
  for (const f of input) if (!(await looksDicom(f))) return false;
  return true;
}
