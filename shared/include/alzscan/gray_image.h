// alzscan/gray_image.h: the one image type that flows between decode, resize and normalise.
//
//   GrayImage img{128, 128, std::vector<uint8_t>(128 * 128, 0)};
//   uint8_t centre = img.at(64, 64);
//
// Data contract: 8-bit grayscale, row-major, top row first, no padding:
// pixels.size() == width * height, pixel (x, y) at pixels[y * width + x].
#pragma once

#include <cstdint>
#include <vector>

namespace alzscan {

struct GrayImage {
    int width = 0;
    int height = 0;
    std::vector<uint8_t> pixels;

    uint8_t at(int x, int y) const { return pixels[static_cast<size_t>(y) * width + x]; }
    bool empty() const { return width <= 0 || height <= 0; }
};

}  // namespace alzscan
