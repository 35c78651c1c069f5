// Drawing helpers for the shared/ suites: a black image and a filled rectangle, so a test's pixel
// counts can be worked out by hand.
#pragma once

#include <cstdint>
#include <vector>

#include "alzscan/gray_image.h"

namespace alzscan::drawing {

inline GrayImage blank(int w, int h) { return {w, h, std::vector<uint8_t>(static_cast<size_t>(w) * h, 0)}; }

// Pixels [x0, x1) x [y0, y1) set to v.
inline void fill(GrayImage& img, int x0, int y0, int x1, int y1, uint8_t v) {
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) img.pixels[static_cast<size_t>(y) * img.width + x] = v;
}

}  // namespace alzscan::drawing
