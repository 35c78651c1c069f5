// Class activation maps: scaling, upsampling, the overlay (contract in cam.h).
#include "alzscan/cam.h"

#include <algorithm>
#include <cmath>

namespace alzscan {

std::vector<float> normalise_cam(const float* map, size_t count) {
    std::vector<float> out(count, 0.0f);
    float top = 0;
    for (size_t i = 0; i < count; ++i) top = std::max(top, map[i]);
    if (!(top > 0)) return out;
    for (size_t i = 0; i < count; ++i) out[i] = std::max(map[i], 0.0f) / top;
    return out;
}

std::vector<float> upsample_cam(const std::vector<float>& map, int w, int h, int ow, int oh) {
    std::vector<float> out(static_cast<size_t>(std::max(ow, 0)) * static_cast<size_t>(std::max(oh, 0)), 0.0f);
    if (w <= 0 || h <= 0 || map.size() < static_cast<size_t>(w) * static_cast<size_t>(h)) return out;
    const double sx = static_cast<double>(w) / ow, sy = static_cast<double>(h) / oh;
    for (int y = 0; y < oh; ++y) {
        const double fy = std::max(0.0, (y + 0.5) * sy - 0.5);
        const int y0 = std::min(static_cast<int>(fy), h - 1), y1 = std::min(y0 + 1, h - 1);
        const double wy = fy - y0;
        for (int x = 0; x < ow; ++x) {
            const double fx = std::max(0.0, (x + 0.5) * sx - 0.5);
            const int x0 = std::min(static_cast<int>(fx), w - 1), x1 = std::min(x0 + 1, w - 1);
            const double wx = fx - x0;
            auto at = [&](int yy, int xx) { return static_cast<double>(map[static_cast<size_t>(yy) * w + xx]); };
            const double v = (1 - wy) * ((1 - wx) * at(y0, x0) + wx * at(y0, x1)) + wy * ((1 - wx) * at(y1, x0) + wx * at(y1, x1));
            out[static_cast<size_t>(y) * ow + x] = static_cast<float>(v);
        }
    }
    return out;
}

void cam_colour(float v, uint8_t rgb[3]) {
    // Blue (0) -> green (1/3) -> yellow (2/3) -> red (1), linear between the stops.
    static const float stops[4][3] = {{40, 60, 220}, {40, 200, 90}, {250, 220, 40}, {230, 30, 30}};
    const float t = std::clamp(v, 0.0f, 1.0f) * 3;
    const int i = std::min(static_cast<int>(t), 2);
    const float f = t - i;
    for (int c = 0; c < 3; ++c) rgb[c] = static_cast<uint8_t>(std::lround(stops[i][c] + f * (stops[i + 1][c] - stops[i][c])));
}

GrayImage enlarge_nearest(const GrayImage& g, int scale) {
    GrayImage big;
    if (scale < 1) return big;
    big.width = g.width * scale;
    big.height = g.height * scale;
    big.pixels.resize(static_cast<size_t>(big.width) * static_cast<size_t>(big.height));
    for (int y = 0; y < big.height; ++y)
        for (int x = 0; x < big.width; ++x)
            big.pixels[static_cast<size_t>(y) * big.width + x] = g.pixels[static_cast<size_t>(y / scale) * g.width + x / scale];
    return big;
}

std::vector<uint8_t> cam_overlay(const GrayImage& slice, const std::vector<float>& map, double opacity) {
    const size_t n = slice.pixels.size();
    std::vector<uint8_t> out(n * 4, 255);
    const double o = std::clamp(opacity, 0.0, 1.0);
    for (size_t i = 0; i < n; ++i) {
        const double g = slice.pixels[i];
        const double v = i < map.size() ? std::clamp(static_cast<double>(map[i]), 0.0, 1.0) : 0.0;
        uint8_t rgb[3];
        cam_colour(static_cast<float>(v), rgb);
        const double a = o * v;
        for (int c = 0; c < 3; ++c) out[i * 4 + c] = static_cast<uint8_t>(std::lround((1 - a) * g + a * rgb[c]));
    }
    return out;
}

CamPicture cam_picture(const GrayImage& prepared, const float* map, int map_width, int map_height, double opacity) {
    const std::vector<float> m = normalise_cam(map, static_cast<size_t>(std::max(0, map_width)) * std::max(0, map_height));
    const GrayImage big = enlarge_nearest(prepared, kCamScale);
    CamPicture out;
    out.width = big.width;
    out.height = big.height;
    out.rgba = cam_overlay(big, upsample_cam(m, map_width, map_height, big.width, big.height), opacity);
    return out;
}

}  // namespace alzscan
