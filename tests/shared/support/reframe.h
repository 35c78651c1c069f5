// tests/shared/support/reframe.h: a real slice framed and exposed differently, as a user's slice
// may be (the conform tests' input).
//
//   GrayImage odd = alzscan::test::reframe(slice, 0.8, 180, 150, 40, 10, 1.2, 0.8);
#pragma once

#include <algorithm>
#include <cmath>

#include "alzscan/gray_image.h"
#include "alzscan/resize.h"

namespace alzscan::test {

// The slice placed at `scale` (resize_gray) into a w x h black canvas at (ox, oy), then
// gray levels v -> 255 * (gain * (v/255)^gamma) (clamped): a slice framed and exposed differently.
inline GrayImage reframe(const GrayImage& img, double scale, int w, int h, int ox, int oy, double gamma, double gain) {
    const int sw = static_cast<int>(std::lround(img.width * scale)), sh = static_cast<int>(std::lround(img.height * scale));
    GrayImage scaled = resize_gray(img, sw, sh).value();
    GrayImage out{w, h, std::vector<uint8_t>(static_cast<size_t>(w) * h, 0)};
    for (int y = 0; y < sh; ++y)
        for (int x = 0; x < sw; ++x) {
            const int tx = ox + x, ty = oy + y;
            if (tx < 0 || ty < 0 || tx >= w || ty >= h) continue;
            const double v = 255.0 * gain * std::pow(scaled.at(x, y) / 255.0, gamma);
            out.pixels[static_cast<size_t>(ty) * w + tx] = static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
        }
    return out;
}

}  // namespace alzscan::test
