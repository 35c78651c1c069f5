// The two image decoders behind image_decode.h: libjpeg-turbo and libpng (with zlib), the
// libraries the field fuzzes continuously. Internal to shared/: image_decode.cpp owns the checks
// before them (format, sizes from the header, completeness) and the conversion to gray after.
//
// Data contract: CodecImage holds width * height pixels, row-major, top row first, `channels`
// interleaved samples per pixel (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA); bits 8: one byte per
// sample; bits 16: two bytes per sample, big-endian (as PNG stores them).
// Errors (Error::message) are the decoder's own words (e.g. "Huffman table 0x01 was not defined"); the caller
// wraps them in a sentence for the user. Every warning the decoder raises is an error here: a
// file it had to patch up is not decoded as if it were whole.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "alzscan/expected.h"

namespace alzscan::codec {

struct CodecInfo {
    int width = 0, height = 0;
    int channels = 0;  // as stored: 1, 2, 3, 4 (PNG palette: 3, or 4 with tRNS; JPEG CMYK: 4)
    int bits = 8;
};

// Pixels live in malloc'd memory: an allocation that fails is an "out of memory" error on both
// sides (WebAssembly cannot catch std::bad_alloc; its malloc returns null instead).
struct FreeBytes {
    void operator()(uint8_t* p) const { std::free(p); }
};
using MallocBytes = std::unique_ptr<uint8_t[], FreeBytes>;

struct CodecImage {
    int width = 0, height = 0, channels = 0, bits = 8;
    MallocBytes bytes;  // width * height * channels * (bits / 8)
};

// The reason a decoder gives when an allocation failed (its own wording varies).
inline constexpr const char* kOutOfMemory = "out of memory";

// Caller guarantees: the header sizes were already checked against the limits, so the
// decoders never allocate more than max_pixels * 8 bytes for pixels.
struct CodecLimits {
    int max_side = 0;
    int64_t max_pixels = 0;
};

Expected<CodecInfo> png_info(const uint8_t* data, size_t size, const CodecLimits& limits);
Expected<CodecImage> png_decode(const uint8_t* data, size_t size, const CodecLimits& limits);

// JPEG output: gray (1 channel) or RGB (3); CMYK and YCCK files are converted to RGB the way
// Adobe applications store them (inverted CMYK): R = C*K/255, G = M*K/255, B = Y*K/255.
Expected<CodecInfo> jpeg_info(const uint8_t* data, size_t size);
Expected<CodecImage> jpeg_decode(const uint8_t* data, size_t size);

// "libjpeg-turbo 2.1.5" and "libpng 1.6.39, zlib 1.2.13": the versions this build runs.
std::string jpeg_version();
std::string png_version();

}  // namespace alzscan::codec
