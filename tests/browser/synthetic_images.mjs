// tests/browser/synthetic_images.mjs: small image files built at test time (no dataset pixels).
//
//   encodePng({width: 4, height: 4, bitDepth: 16, colorType: 0, samples: Uint16Array})
//   pngWithHeaderOnly(60000, 60000)   // valid signature + IHDR + empty IDAT: a lying header
//
// PNG colour types: 0 gray, 2 RGB, 4 gray+alpha, 6 RGBA. Rows use filter 0 (none).
import zlib from "node:zlib";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; ++n) {
    let c = n;
    for (let k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "ascii");
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

const SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
const CHANNELS = { 0: 1, 2: 3, 4: 2, 6: 4 };

function ihdr(width, height, bitDepth, colorType) {
  const h = Buffer.alloc(13);
  h.writeUInt32BE(width, 0);
  h.writeUInt32BE(height, 4);
  h[8] = bitDepth;
  h[9] = colorType;
  return chunk("IHDR", h);  // compression 0, filter 0, interlace 0
}

// samples: row-major, channels interleaved; Uint8Array for 8-bit, Uint16Array for 16-bit.
export function encodePng({ width, height, bitDepth = 8, colorType = 0, samples, level = 6 }) {
  const channels = CHANNELS[colorType];
  const bytesPerSample = bitDepth / 8;
  const stride = width * channels * bytesPerSample;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; ++y) {
    const row = y * (stride + 1);
    raw[row] = 0;
    for (let i = 0; i < width * channels; ++i) {
      const v = samples[y * width * channels + i];
      if (bytesPerSample === 1) raw[row + 1 + i] = v;
      else raw.writeUInt16BE(v, row + 1 + 2 * i);
    }
  }
  return Buffer.concat([SIGNATURE, ihdr(width, height, bitDepth, colorType),
    chunk("IDAT", zlib.deflateSync(raw, { level })), chunk("IEND", Buffer.alloc(0))]);
}

export function pngWithHeaderOnly(width, height) {
  return Buffer.concat([SIGNATURE, ihdr(width, height, 8, 0), chunk("IDAT", zlib.deflateSync(Buffer.alloc(1))),
    chunk("IEND", Buffer.alloc(0))]);
}

// A brain-slice-like test pattern: a bright ellipse with a darker core on black.
export function phantom(width, height, channels, maxValue, f = (v) => v) {
  const out = maxValue > 255 ? new Uint16Array(width * height * channels) : new Uint8Array(width * height * channels);
  for (let y = 0; y < height; ++y) {
    for (let x = 0; x < width; ++x) {
      const dx = (x - width / 2) / (width * 0.4), dy = (y - height / 2) / (height * 0.45);
      const r = Math.sqrt(dx * dx + dy * dy);
      const v = r > 1 ? 0 : r < 0.3 ? 0.35 : 0.8 - 0.3 * r;
      for (let c = 0; c < channels; ++c) out[(y * width + x) * channels + c] = Math.round(f(v, c) * maxValue);
    }
  }
  return out;
}
