// alzscan/image_decode.h: image bytes -> 8-bit grayscale, with libjpeg-turbo and libpng.
//
//   std::vector<uint8_t> bytes = read_file("scan.png");          // I/O is the caller's job
//   auto info = alzscan::probe_image(bytes.data(), bytes.size()); // header only, cheap
//   auto img  = alzscan::decode_gray(bytes.data(), bytes.size());
//   if (!img) std::fprintf(stderr, "%s\n", img.error().c_str());
//
// Formats: PNG (every bit depth and colour type, interlaced or not) and JPEG (8-bit baseline,
// extended and progressive; gray, YCbCr, RGB, CMYK/YCCK). BMP and GIF are refused with a message:
// decoders of files people pick must be ones the field fuzzes continuously
// (docs/decisions/0009-image-decoders.md). The trainer links Debian's libjpeg62-turbo and libpng;
// the browser compiles the same versions from Debian's source packages, with SIMD off. JPEG uses
// the accurate integer IDCT, which gives the same bits with and without SIMD.
//
// Conversion to gray (documented, and the same in trainer and browser):
//   16-bit samples -> 8-bit:   v8 = (v16 * 255 + 32767) / 65535            (round to nearest)
//   colour -> gray, ITU-R BT.601 luma in integers:
//                              y  = (299 * R + 587 * G + 114 * B + 500) / 1000
//   alpha composited over black: g = (y * A + 127) / 255
//   JPEG CMYK (stored inverted, as Adobe writes it) -> RGB: R = round(C * K / 255), etc.
// Gray input keeps its values bit-exactly (no alpha: unchanged).
//
// Limits are checked from the header before any pixel is decoded, so a 60000x60000 PNG
// costs nothing: width and height must each be in 1..max_side and width*height <= max_pixels.
// A progressive JPEG may have at most 500 scans.
//
// Errors are one line, written for the person who picked the file (the browser shows them
// verbatim), each naming the problem and what to do, e.g.
//   "the file is empty (0 bytes): choose an MRI slice saved as PNG or JPEG"
//   "this file is not a PNG or JPEG image (it looks like a DICOM file); ..."
//   "the JPEG file is truncated: it ends after 2100 bytes, inside the image data; ..."
//   "the PNG header says 0x4 pixels: width and height must each be at least 1; ..."
//   "the PNG header says 60000x60000 pixels: over the 8192 px limit per side; ..."
//   "the PNG header says 8000x8000 pixels (64.0 megapixels, over the 40.0 megapixel limit); ..."
//   "the JPEG file is corrupt: the decoder stopped with \"Bogus Huffman table definition\"; ..."
// Truncation is found by walking the file's structure (PNG chunks to IEND, JPEG segments and
// entropy data to EOI), so a cut-short copy is named as such. Any warning libjpeg raises
// (corrupt data it would patch over) is an error. Bytes after the end marker are ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "alzscan/expected.h"
#include "alzscan/gray_image.h"

namespace alzscan {

struct DecodeLimits {
    int max_side = 8192;               // pixels, each of width and height
    int64_t max_pixels = 40'000'000;   // width * height
    int model_height = 0, model_width = 0;   // for messages only: the size the image is for (0: unknown)
};

struct ImageInfo {
    std::string format;  // "png", "jpeg"
    int width = 0;
    int height = 0;
    int channels = 0;    // as stored: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (palette: 3, or 4 with
                         // tRNS; JPEG CMYK: 4)
    int bits = 8;        // 8 or 16 (bits per sample)
};

// Reads only the header. Errors: empty buffer, unknown format, zero/negative size, over limits.
Expected<ImageInfo> probe_image(const uint8_t* data, size_t size, const DecodeLimits& limits = {});

// Full decode to 8-bit gray. Errors as probe_image, plus truncated or corrupt pixel data.
Expected<GrayImage> decode_gray(const uint8_t* data, size_t size, const DecodeLimits& limits = {});

// The luma formula above, exposed for tests and for callers that already hold RGB(A) pixels.
uint8_t luma_bt601(uint8_t r, uint8_t g, uint8_t b);
uint8_t composite_over_black(uint8_t gray, uint8_t alpha);

// The decoders this build runs, e.g. "libjpeg-turbo 2.1.5, libpng 1.6.39, zlib 1.2.13".
std::string decoder_versions();

}  // namespace alzscan
