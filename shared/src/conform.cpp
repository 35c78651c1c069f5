// Brain box, crop + uniform scale into the training box, linear gray-level map (see conform.h).
#include "alzscan/conform.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "alzscan/resize.h"

namespace alzscan {
namespace {

// The q-th percentile (0..100) of a 256-bin histogram holding `total` values: the smallest level
// whose cumulative count reaches ceil(q / 100 * total).
int histogram_percentile(const std::array<int64_t, 256>& hist, int64_t total, int q) {
    const int64_t rank = std::max<int64_t>(1, (total * q + 99) / 100);
    int64_t seen = 0;
    for (int v = 0; v < 256; ++v) {
        seen += hist[v];
        if (seen >= rank) return v;
    }
    return 255;
}


double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

int foreground_threshold(const uint8_t* pixels, size_t count) {
    std::array<int64_t, 256> hist{};
    for (size_t i = 0; i < count; ++i) ++hist[pixels[i]];
    const int p99 = histogram_percentile(hist, static_cast<int64_t>(count), 99);
    return std::max(8, (p99 * 12 + 99) / 100);
}

BrainStats measure_brain(const GrayImage& image) {
    BrainStats s;
    s.width = image.width;
    s.height = image.height;
    if (image.empty() || image.pixels.size() != static_cast<size_t>(image.width) * image.height) return s;
    std::vector<int32_t> labels;
    const int threshold = foreground_threshold(image.pixels.data(), image.pixels.size());
    std::vector<bool> foreground(image.pixels.size());
    for (size_t i = 0; i < foreground.size(); ++i) foreground[i] = image.pixels[i] >= threshold;
    const std::vector<int64_t> sizes = label_components(foreground, image.width, image.height, labels);
    const int64_t largest = sizes.empty() ? 0 : *std::max_element(sizes.begin(), sizes.end());
    if (largest < 16) return s;
    int x0 = image.width, y0 = image.height, x1 = 0, y1 = 0;
    std::array<int64_t, 256> hist{};
    int64_t total = 0;
    for (int y = 0; y < image.height; ++y)
        for (int x = 0; x < image.width; ++x) {
            const int32_t id = labels[static_cast<size_t>(y) * image.width + x];
            if (!id || sizes[id - 1] * 10 < largest) continue;   // specks, lines, labels
            x0 = std::min(x0, x), x1 = std::max(x1, x + 1), y0 = std::min(y0, y), y1 = std::max(y1, y + 1);
            ++hist[image.at(x, y)], ++total;
        }
    s.found = true;
    s.x0 = x0, s.x1 = x1, s.y0 = y0, s.y1 = y1;
    for (int q = 0; q < kLevelCount; ++q) s.levels[q] = histogram_percentile(hist, total, kLevelQuantiles[q]);
    s.low = s.levels.front();
    s.high = s.levels.back();
    return s;
}

ConformSpec conform_spec_from(const std::vector<BrainStats>& stats) {
    ConformSpec spec;
    std::vector<double> bw, bh, cx, cy, lo, hi;
    std::array<std::vector<double>, kLevelCount> levels;
    for (const BrainStats& s : stats) {
        if (!s.found) continue;
        bw.push_back(double(s.x1 - s.x0) / s.width);
        bh.push_back(double(s.y1 - s.y0) / s.height);
        cx.push_back(0.5 * (s.x0 + s.x1) / s.width);
        cy.push_back(0.5 * (s.y0 + s.y1) / s.height);
        lo.push_back(s.low);
        hi.push_back(s.high);
        for (int q = 0; q < kLevelCount; ++q) levels[q].push_back(s.levels[q]);
    }
    if (!bw.empty()) {
        spec.box_width = median(bw), spec.box_height = median(bh);
        spec.centre_x = median(cx), spec.centre_y = median(cy);
        spec.low = static_cast<int>(std::lround(median(lo)));
        spec.high = std::max(spec.low + 1, static_cast<int>(std::lround(median(hi))));
        for (int q = 0; q < kLevelCount; ++q)   // medians of ascending lists stay ascending
            spec.levels.push_back(static_cast<int>(std::lround(median(levels[q]))));
    }
    spec.enabled = true;
    return spec;
}

ConformCrop conform_crop(const BrainStats& s, const ConformSpec& spec, int out_width, int out_height) {
    const double target_area = spec.box_width * out_width * spec.box_height * out_height;
    const double scale = std::sqrt(target_area / (double(s.x1 - s.x0) * (s.y1 - s.y0)));  // out px per src px
    const double sx = 0.5 * (s.x0 + s.x1), sy = 0.5 * (s.y0 + s.y1);
    ConformCrop c;
    c.width = std::max(1, static_cast<int>(std::lround(out_width / scale)));
    c.height = std::max(1, static_cast<int>(std::lround(out_height / scale)));
    c.x = static_cast<int>(std::lround(sx - spec.centre_x * c.width));
    c.y = static_cast<int>(std::lround(sy - spec.centre_y * c.height));
    return c;
}

namespace {

GrayImage cut(const GrayImage& image, const ConformCrop& c) {
    GrayImage out{c.width, c.height, std::vector<uint8_t>(static_cast<size_t>(c.width) * c.height, 0)};
    for (int y = 0; y < c.height; ++y) {
        const int sy = c.y + y;
        if (sy < 0 || sy >= image.height) continue;
        for (int x = 0; x < c.width; ++x) {
            const int sx = c.x + x;
            if (sx >= 0 && sx < image.width) out.pixels[static_cast<size_t>(y) * c.width + x] = image.at(sx, sy);
        }
    }
    return out;
}

// low -> spec.low, high -> spec.high, rounded half away from zero in integers; 0 stays 0.
void map_levels(GrayImage& image, int low, int high, const ConformSpec& spec) {
    const int64_t num = spec.high - spec.low, den = std::max(1, high - low);
    std::array<uint8_t, 256> lut{};
    for (int v = 1; v < 256; ++v) {
        const int64_t scaled = (v - low) * num;
        const int64_t q = scaled >= 0 ? (2 * scaled + den) / (2 * den) : -((-2 * scaled + den) / (2 * den));
        lut[v] = static_cast<uint8_t>(std::clamp<int64_t>(spec.low + q, 0, 255));
    }
    for (uint8_t& p : image.pixels) p = lut[p];
}

}  // namespace

Expected<GrayImage> conform_slice(const GrayImage& image, const ConformSpec& spec, int out_width, int out_height) {
    const BrainStats s = measure_brain(image);
    if (!s.found)
        return make_error("no brain found in the " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                          " image (every pixel is background); give an axial brain MRI slice");
    auto framed = resize_gray(cut(image, conform_crop(s, spec, out_width, out_height)), out_width, out_height);
    if (!framed) return framed;
    GrayImage out = std::move(framed).value();
    map_levels(out, s.low, s.high, spec);
    return out;
}

std::vector<int64_t> label_components(const std::vector<bool>& in, int w, int h, std::vector<int32_t>& labels) {
    labels.assign(in.size(), 0);
    std::vector<int64_t> sizes;
    std::vector<int32_t> stack;   // explicit, no recursion
    for (int32_t start = 0; start < w * h; ++start) {
        if (labels[start] || !in[start]) continue;
        sizes.push_back(0);
        const int32_t id = static_cast<int32_t>(sizes.size());
        labels[start] = id;
        stack.push_back(start);
        while (!stack.empty()) {
            const int32_t i = stack.back();
            stack.pop_back();
            ++sizes.back();
            const int x = i % w, y = i / w;
            for (const int32_t j : {x > 0 ? i - 1 : -1, x + 1 < w ? i + 1 : -1, y > 0 ? i - w : -1, y + 1 < h ? i + w : -1})
                if (j >= 0 && !labels[j] && in[j]) {
                    labels[j] = id;
                    stack.push_back(j);
                }
        }
    }
    return sizes;
}

}  // namespace alzscan
