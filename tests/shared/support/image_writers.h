// Test-only image encoders, so fixtures are built in the test and need no files or libraries.
//
//   std::vector<uint8_t> png = alzscan::test::encode_png({3, 2, 8, PngColor::gray, {0, 1, 2, 3, 4, 5}});
//   auto img = alzscan::decode_gray(png.data(), png.size());
//
// The PNG encoder is our own (stored/uncompressed deflate, CRC-32, Adler-32), so every sample
// value, bit depth and colour type is under the test's control. JPEG and compressed PNG come
// from stb_image_write (vendored next to stb_image.h, used only by tests).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace alzscan {
namespace test {

enum class PngColor : uint8_t { gray = 0, rgb = 2, palette = 3, gray_alpha = 4, rgba = 6 };

struct PngImage {
    PngImage() = default;
    PngImage(int w, int h, int depth, PngColor c, std::vector<uint16_t> s = {})
        : width(w), height(h), bit_depth(depth), color(c), samples(std::move(s)) {}
    int width = 0;
    int height = 0;
    int bit_depth = 8;                    // 1, 2, 4, 8 or 16 (palette: 1..8)
    PngColor color = PngColor::gray;
    std::vector<uint16_t> samples;        // row-major, channels interleaved (palette: indices)
    std::vector<uint8_t> palette_rgb;     // palette only: 3 bytes per entry
    std::vector<uint8_t> palette_alpha;   // palette only, optional: tRNS alpha per entry
};

// Writes width and height into IHDR as given (uint32), so tests can forge headers.
std::vector<uint8_t> encode_png(const PngImage& image);
// A PNG signature + IHDR only (no pixel data): for header-limit tests.
std::vector<uint8_t> png_header_only(uint32_t width, uint32_t height);

// 24-bit BMP from RGB bytes (bottom-up rows unless top_down, which writes a negative height).
std::vector<uint8_t> encode_bmp_rgb(int width, int height, const std::vector<uint8_t>& rgb,
                                    bool top_down = false);
// 8-bit palette BMP: indices + palette (RGB, 3 bytes per entry).
std::vector<uint8_t> encode_bmp_indexed(int width, int height, const std::vector<uint8_t>& indices,
                                        const std::vector<uint8_t>& palette_rgb);

// GIF89a with a 256-entry global palette (RGB, padded to 256 entries) and one or more full-size
// frames of palette indices; LZW written with 9-bit literal codes only (a clear code every 250).
std::vector<uint8_t> encode_gif(int width, int height, const std::vector<uint8_t>& palette_rgb,
                                const std::vector<std::vector<uint8_t>>& frames);

// stb_image_write: baseline JPEG (channels 1 or 3) and zlib-compressed PNG.
std::vector<uint8_t> encode_jpeg_stb(int width, int height, int channels,
                                     const std::vector<uint8_t>& pixels, int quality);
std::vector<uint8_t> encode_png_stb(int width, int height, int channels,
                                    const std::vector<uint8_t>& pixels);

uint32_t crc32(const uint8_t* data, size_t size);
uint32_t adler32(const uint8_t* data, size_t size);

std::vector<uint8_t> bytes_of(const std::string& s);

}  // namespace test
}  // namespace alzscan
