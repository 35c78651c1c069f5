// web/dicom.js: DICOM files -> their series table, and one series as NIfTI-2 bytes for the app,
// through the DICOM reader (wasm/dicom_reader.cpp, the dicom/ library with GDCM), a WebAssembly
// module of its own loaded on first use so that the page's cold load does not carry it.
//
//   const set = await readDicom(files, (done, total) => show(`${done}/${total}`));
//   set.listing   // {series: [{line, description, study, modality, number, frames, rows, columns,
//                 //   spacing}], skipped, skip_reason, chosen (-1: none by itself), choose_error}
//   const { bytes, notes } = set.volume(index);   // index 0-based; throws Error with the message
//   set.close();
//
// No patient identifier leaves the reader (dicom.h); names of files appear only in messages.

const READER_SCRIPT = "alzscan_dicom_reader.js";
export const MAX_DICOM_BYTES = 1024 * 1024 * 1024;   // as the CLI (native/commands/dicom_files.cpp)

let modulePromise = null;

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`${src} did not load`));
    document.head.append(s);
  });
}

// The reader module, instantiated once; after a failure the next call starts a fresh one.
async function dicomModule() {
  modulePromise ??= (async () => {
    if (typeof globalThis.createDicomReader !== "function") await loadScript(READER_SCRIPT);
    return globalThis.createDicomReader();
  })();
  try {
    return await modulePromise;
  } catch (e) {
    modulePromise = null;
    throw new Error(`the DICOM reader could not start (${e.message ?? e}); reload the page`);
  }
}

function withString(m, text, fn) {
  const n = m.lengthBytesUTF8(text) + 1;
  const p = m._malloc(n);
  m.stringToUTF8(text, p, n);
  try { return fn(p); } finally { m._free(p); }
}

// A call into the reader; a trap in it (a decoder bug) becomes a message and a fresh module next time.
function guarded(what, fn) {
  try {
    return fn();
  } catch (e) {
    modulePromise = null;
    throw new Error(`the DICOM reader failed while ${what} (${e.message ?? e}); the files were not read`);
  }
}

export async function readDicom(files, onProgress) {
  const total = files.reduce((a, f) => a + f.size, 0);
  if (total > MAX_DICOM_BYTES) {
    throw new Error(`the DICOM files hold more than ${MAX_DICOM_BYTES / 1048576} MiB; give the folder of one series`);
  }
  const m = await dicomModule();
  const r = m._dicom_reader_new();
  let open = true;
  const close = () => { if (open) { open = false; try { m._dicom_reader_delete(r); } catch { /* a trapped module */ } } };
  try {
    let shown = -Infinity;   // progress at most every 250 ms: each report waits for a frame
    for (const [i, file] of files.entries()) {
      if (performance.now() - shown > 250) {
        await onProgress?.(i, files.length);
        shown = performance.now();
      }
      const bytes = new Uint8Array(await file.arrayBuffer());
      const p = guarded("reading the files", () => withString(m, file.name, (n) => m._dicom_reader_add(r, n, bytes.length)));
      if (!p) throw new Error(`out of memory after ${i} of ${files.length} DICOM files: open the folder of one series`);
      m.HEAPU8.set(bytes, p);
    }
    const listing = JSON.parse(guarded("reading the headers", () => m.UTF8ToString(m._dicom_reader_list(r))));
    const volume = (index) => {
      const out = JSON.parse(guarded("decoding the series", () => m.UTF8ToString(m._dicom_reader_volume(r, index))));
      if (out.error) throw new Error(out.error);
      const p = m._dicom_reader_volume_data(r);
      return { bytes: m.HEAPU8.slice(p, p + out.bytes), notes: out.notes };
    };
    return { listing, volume, close };
  } catch (e) {
    close();
    throw e;
  }
}
