// web/page_io.js: what the page itself fetches, reads and says: assets by URL with a hint on
// failure, inputs as bytes, the screen-reader line and the plain-HTML fallback, and the size
// limits checked before anything is copied into WebAssembly memory.
//   const r = await fetchOk("model/model.json", "model.json"); const bytes = await toBytes(file);

// Larger files are refused before they are copied into WASM memory (8192x8192 RGBA PNG ~ 256 MB
// is already beyond what shared/ decodes).
export const MAX_FILE_BYTES = 256e6;
// A volume file (one of an Analyze pair), as the CLI's reader (native/commands/predictor.cpp).
export const MAX_VOLUME_FILE_BYTES = 256 * 1048576;

export async function fetchOk(url, what) {
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`${what}: cannot fetch ${url} (${e.message})`);
  }
  if (!response.ok) {
    const hint = response.status === 404 && what.startsWith("model")
      ? "this build has no model: models/default was missing when it was built (make train && make export, then make web)"
      : "check the build (make web) and the server";
    throw new Error(`${what}: HTTP ${response.status} for ${url}; ${hint}`);
  }
  return response;
}

// The registration template (Colin27 from Debian's mricron-data, copied into the build by
// scripts/assemble_web.sh): fetched once per page, handed to each app instance that asks.
const REFERENCE_URLS = ["reference/ch2.nii", "reference/ch2bet.nii"];
let referenceBytes = null;
export async function registrationReference() {
  referenceBytes ??= Promise.all(REFERENCE_URLS.map(async (url) =>
    new Uint8Array(await (await fetchOk(url, "registration template")).arrayBuffer())));
  try {
    return await referenceBytes;
  } catch (e) {
    referenceBytes = null;
    throw e;
  }
}

export async function toBytes(input) {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (input instanceof Blob) return new Uint8Array(await input.arrayBuffer());
  throw new TypeError("alzscan.classify: expected a File, Blob, ArrayBuffer or Uint8Array");
}

// A slice file over MAX_FILE_BYTES: refused before it is copied into WASM.
export function tooLarge(size) {
  return `the file is ${(size / 1e6).toFixed(0)} MB: over the ${MAX_FILE_BYTES / 1e6} MB alzscan reads; ` +
    "export the slice as a PNG or JPEG of at most 8192x8192 pixels";
}

export function announce(text) {
  const region = document.getElementById("announce");
  if (region) region.textContent = text;
}

export function showFatal(message) {
  document.getElementById("fallback-message").textContent = message;
  document.getElementById("fallback").hidden = false;
  document.getElementById("canvas").hidden = true;
}
