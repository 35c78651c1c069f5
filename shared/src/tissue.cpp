// A slice's brain, its three tissues and its ventricles (see tissue.h).
#include "alzscan/tissue.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "alzscan/conform.h"
#include "alzscan/otsu.h"

namespace alzscan {
namespace {

bool on_border(int i, int w, int h) {
    const int x = i % w, y = i / w;
    return x == 0 || y == 0 || x == w - 1 || y == h - 1;
}

// The largest foreground component with the holes it encloses.
std::vector<bool> brain_mask(const GrayImage& s) {
    const int w = s.width, h = s.height;
    const int threshold = foreground_threshold(s.pixels.data(), s.pixels.size());
    std::vector<bool> fg(s.pixels.size());
    for (size_t i = 0; i < fg.size(); ++i) fg[i] = s.pixels[i] >= threshold;
    std::vector<int32_t> labels;
    const std::vector<int64_t> sizes = label_components(fg, w, h, labels);
    std::vector<bool> brain(fg.size(), false);
    if (sizes.empty()) return brain;
    const int32_t largest = static_cast<int32_t>(std::max_element(sizes.begin(), sizes.end()) - sizes.begin()) + 1;
    std::vector<bool> rest(fg.size());
    for (size_t i = 0; i < fg.size(); ++i) rest[i] = labels[i] != largest;
    std::vector<int32_t> rest_labels;
    const std::vector<int64_t> rest_sizes = label_components(rest, w, h, rest_labels);
    std::vector<bool> reaches_border(rest_sizes.size() + 1, false);
    for (int i = 0; i < w * h; ++i)
        if (rest_labels[i] && on_border(i, w, h)) reaches_border[rest_labels[i]] = true;
    for (int i = 0; i < w * h; ++i) brain[i] = labels[i] == largest || (rest_labels[i] && !reaches_border[rest_labels[i]]);
    return brain;
}

// The CSF pixels of the enclosed, central CSF components (see tissue.h).
int64_t ventricle_pixels(const std::vector<bool>& brain, const std::vector<bool>& csf, int w, int h) {
    int x0 = w, y0 = h, x1 = -1, y1 = -1;
    for (int i = 0; i < w * h; ++i)
        if (brain[i]) x0 = std::min(x0, i % w), x1 = std::max(x1, i % w), y0 = std::min(y0, i / w), y1 = std::max(y1, i / w);
    std::vector<int32_t> labels;
    const std::vector<int64_t> sizes = label_components(csf, w, h, labels);
    std::vector<bool> open(sizes.size() + 1, false);
    std::vector<double> sx(sizes.size() + 1, 0), sy(sizes.size() + 1, 0);
    for (int i = 0; i < w * h; ++i) {
        const int32_t id = labels[i];
        if (!id) continue;
        const int x = i % w, y = i / w;
        sx[id] += x, sy[id] += y;
        if (on_border(i, w, h)) open[id] = true;
        for (const int j : {x > 0 ? i - 1 : -1, x + 1 < w ? i + 1 : -1, y > 0 ? i - w : -1, y + 1 < h ? i + w : -1})
            if (j >= 0 && !brain[j]) open[id] = true;
    }
    // The middle half of the box: [x0 + span/4, x1 - span/4] with span = x1 - x0 (pixel centres).
    const double qx = 0.25 * (x1 - x0), qy = 0.25 * (y1 - y0);
    int64_t n = 0;
    for (size_t c = 1; c <= sizes.size(); ++c) {
        const double cx = sx[c] / double(sizes[c - 1]), cy = sy[c] / double(sizes[c - 1]);
        if (!open[c] && cx >= x0 + qx && cx <= x1 - qx && cy >= y0 + qy && cy <= y1 - qy) n += sizes[c - 1];
    }
    return n;
}

}  // namespace

TissueMeasures measure_tissue(const GrayImage& slice) {
    TissueMeasures t;
    const int w = slice.width, h = slice.height;
    if (w <= 0 || h <= 0 || slice.pixels.size() != static_cast<size_t>(w) * h) return t;
    const std::vector<bool> brain = brain_mask(slice);
    std::vector<float> values;
    for (int i = 0; i < w * h; ++i)
        if (brain[i]) values.push_back(slice.pixels[i]);
    if (values.size() < 16) return t;
    t.found = true;
    t.brain_pixels = static_cast<int>(values.size());
    t.thresholds = otsu3(values);
    std::vector<bool> csf(brain.size(), false);
    int64_t n_csf = 0, n_gm = 0, n_wm = 0;
    for (int i = 0; i < w * h; ++i) {
        if (!brain[i]) continue;
        const double v = slice.pixels[i];
        if (v < t.thresholds[0]) csf[i] = true, ++n_csf;
        else if (v < t.thresholds[1]) ++n_gm;
        else ++n_wm;
    }
    const double n = double(values.size());
    t.csf_fraction = n_csf / n, t.gm_fraction = n_gm / n, t.wm_fraction = n_wm / n;
    t.ventricle_fraction = ventricle_pixels(brain, csf, w, h) / n;
    return t;
}

std::string tissue_json(const TissueMeasures& t) {
    if (!t.found) return "null";
    nlohmann::ordered_json j;
    j["csf_fraction"] = t.csf_fraction;
    j["gm_fraction"] = t.gm_fraction;
    j["wm_fraction"] = t.wm_fraction;
    j["ventricle_fraction"] = t.ventricle_fraction;
    return j.dump();
}

}  // namespace alzscan
