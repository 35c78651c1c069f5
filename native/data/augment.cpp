#include "data/augment.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "alzscan/gray_image.h"
#include "alzscan/preprocess.h"

namespace alzscan {

nlohmann::json augment_options_to_json(const AugmentOptions& a) {
    return {{"enabled", a.enabled}, {"crop_scale", a.crop_scale}, {"rotation", a.rotation},
            {"hflip", a.hflip}, {"brightness", a.brightness}, {"contrast", a.contrast}, {"gamma", a.gamma}};
}

void augment_and_normalise(const uint8_t* pixels, int height, int width, const AugmentOptions& o,
                           const PreprocessSpec& spec, std::mt19937_64& rng, float* out) {
    const size_t count = static_cast<size_t>(height) * width;
    if (!o.enabled) {
        GrayImage image{width, height, std::vector<uint8_t>(pixels, pixels + count)};
        normalise_into(image, spec, out);
        return;
    }
    auto uniform = [&](double lo, double hi) { return lo + (hi - lo) * uniform01(rng); };
    // Always draw every parameter, in a fixed order, so the stream does not depend on options.
    const double s = uniform(std::clamp(o.crop_scale, 0.1, 1.0), 1.0);
    const double shift_x = uniform(-0.5, 0.5) * (1.0 - s) * width;
    const double shift_y = uniform(-0.5, 0.5) * (1.0 - s) * height;
    const double angle = uniform(-o.rotation, o.rotation) * M_PI / 180.0;
    const bool flip = uniform01(rng) < o.hflip;
    const double b = uniform(1.0 - o.brightness, 1.0 + o.brightness);
    const double c = uniform(1.0 - o.contrast, 1.0 + o.contrast);
    // Drawn only when on, so that recipes without it keep their random stream (and their runs).
    const double lg = o.gamma > 0 ? std::log1p(o.gamma) : 0.0;
    const double g = o.gamma > 0 ? std::exp(uniform(-lg, lg)) : 1.0;

    const double cx = 0.5 * (width - 1), cy = 0.5 * (height - 1);
    const double cos_a = std::cos(angle), sin_a = std::sin(angle);
    std::vector<float> v(count);
    double sum = 0;
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            double u = (x - cx) * s, w = (y - cy) * s;
            if (flip) u = -u;
            const double sx = cos_a * u - sin_a * w + cx + shift_x;
            const double sy = sin_a * u + cos_a * w + cy + shift_y;
            const int x0 = static_cast<int>(std::floor(sx)), y0 = static_cast<int>(std::floor(sy));
            const double fx = sx - x0, fy = sy - y0;
            auto at = [&](int xx, int yy) -> double {
                if (xx < 0 || yy < 0 || xx >= width || yy >= height) return 0.0;
                return pixels[static_cast<size_t>(yy) * width + xx];
            };
            const double val = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) +
                               fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
            v[static_cast<size_t>(y) * width + x] = static_cast<float>(val * b);
            sum += val * b;
        }
    }
    const double mean_v = sum / static_cast<double>(count);
    const float mean = spec.mean, std = spec.std;
    for (size_t i = 0; i < count; ++i) {
        float p = static_cast<float>((v[i] - mean_v) * c + mean_v);
        p = std::clamp(p, 0.0f, 255.0f);
        if (g != 1.0) p = static_cast<float>(255.0 * std::pow(p / 255.0, g));
        out[i] = (p / 255.0f - mean) / std;
    }
}

}  // namespace alzscan
