// Volume -> 8-bit axial slab in the training orientation (see scan.h).
#include "alzscan/scan.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>

#include "alzscan/conform.h"
#include "alzscan/resize.h"

namespace alzscan {
namespace {

bool all_uint8(const Volume& v) {
    if (v.datatype != "uint8") return false;
    return std::all_of(v.voxels.begin(), v.voxels.end(), [](double x) { return x >= 0 && x <= 255 && x == std::floor(x); });
}

// printf's %g ("1e+300"), with "nan" for every NaN: glibc writes "-nan" for a negative one.
std::string number(double x) {
    if (std::isnan(x)) return "nan";
    char b[32];
    std::snprintf(b, sizeof b, "%g", x);
    return b;
}

// n voxels of size `size` in pixels of size `pixel`, rounded; a side past int's range (absurd
// spacings) is capped there, for resize_gray to refuse with its own message.
int pixels_along(int n, double size, double pixel) {
    const double x = std::round(n * size / pixel);
    return x >= double(INT_MAX) ? INT_MAX : std::max(1, static_cast<int>(x));
}

// Axial slice k, resampled to square pixels of the finer in-plane spacing (scan.h); the error
// names the slice, the resize's refusal and the spacings behind it.
Expected<GrayImage> slice_image(const std::vector<uint8_t>& gray, const Volume& v, int k) {
    GrayImage img{v.nx, v.ny, std::vector<uint8_t>(gray.begin() + size_t(v.nx) * v.ny * k,
                                                   gray.begin() + size_t(v.nx) * v.ny * (k + 1))};
    const double si = v.spacing[0], sj = v.spacing[1];
    if (std::abs(si - sj) <= 0.01 * std::min(si, sj)) return img;
    const double s = std::min(si, sj);
    auto out = resize_gray(img, pixels_along(v.nx, si, s), pixels_along(v.ny, sj, s));
    if (!out)
        return make_error("axial slice " + std::to_string(k) + " cannot be resampled to square pixels: " + out.error() +
                          " (in-plane voxels " + number(si) + " x " + number(sj) +
                          " mm: check the volume's voxel sizes)");
    return out;
}

std::string fmt2(double x) {
    char b[32];
    std::snprintf(b, sizeof b, "%.2f", x);
    return b;
}

}  // namespace

std::vector<uint8_t> volume_gray(const Volume& v) {
    std::vector<uint8_t> gray(v.voxels.size(), 0);
    if (all_uint8(v)) {
        for (size_t n = 0; n < gray.size(); ++n) gray[n] = static_cast<uint8_t>(v.voxels[n]);
        return gray;
    }
    std::vector<double> positive;
    for (double x : v.voxels)
        if (x > 0 && std::isfinite(x)) positive.push_back(x);
    if (positive.empty()) return gray;
    const size_t at = std::min(positive.size() - 1, static_cast<size_t>(0.999 * (positive.size() - 1) + 0.5));
    std::nth_element(positive.begin(), positive.begin() + at, positive.end());
    const double hi = positive[at];
    for (size_t n = 0; n < gray.size(); ++n) {
        const double x = v.voxels[n];
        gray[n] = !(x > 0) ? 0 : static_cast<uint8_t>(std::min(255.0, std::round(255.0 * x / hi)));
    }
    return gray;
}

Expected<Slab> axial_slab(const Volume& v) {
    if (v.nx < 8 || v.ny < 8)
        return make_error("the volume's axial slices are " + std::to_string(v.nx) + "x" + std::to_string(v.ny) +
                          " voxels: too small to be brain slices (at least 8x8)");
    const double si = v.spacing[0], sj = v.spacing[1];
    if (!(std::isfinite(si) && si > 0 && std::isfinite(sj) && sj > 0))
        return make_error("the volume's in-plane voxel sizes are " + number(si) + " x " + number(sj) +
                          " mm: each must be positive and finite (as decode_nifti gives them)");
    const std::vector<uint8_t> gray = volume_gray(v);
    const int t = foreground_threshold(gray.data(), gray.size());
    std::vector<int64_t> area(v.nz, 0);
    for (int k = 0; k < v.nz; ++k)
        for (size_t n = size_t(v.nx) * v.ny * k; n < size_t(v.nx) * v.ny * (k + 1); ++n) area[k] += gray[n] >= t;
    const int64_t largest = *std::max_element(area.begin(), area.end());
    if (largest == 0) return make_error("no brain found in the volume (every voxel is background)");
    Slab slab;
    slab.brain_first = v.nz, slab.brain_last = -1;
    for (int k = 0; k < v.nz; ++k)
        if (area[k] * 20 >= largest) slab.brain_first = std::min(slab.brain_first, k), slab.brain_last = k;
    const int span = slab.brain_last - slab.brain_first;
    if (v.nz <= kSlabSlices) {
        for (int k = 0; k < v.nz; ++k) slab.slices.push_back(k);
        slab.how = "all " + std::to_string(v.nz) + " axial slices (a stack of at most " + std::to_string(kSlabSlices) +
                   " slices is taken whole)";
    } else {
        for (int s = 0; s < kSlabSlices; ++s) {
            const double f = kSlabFrom + (kSlabTo - kSlabFrom) * s / (kSlabSlices - 1);
            slab.slices.push_back(slab.brain_first + static_cast<int>(std::lround(f * span)));
        }
        slab.how = std::to_string(kSlabSlices) + " axial slices " + std::to_string(slab.slices.front()) + ".." +
                   std::to_string(slab.slices.back()) + " of " + std::to_string(v.nz) + ": " + fmt2(kSlabFrom) + ".." +
                   fmt2(kSlabTo) + " of the brain's extent (slices " + std::to_string(slab.brain_first) + ".." +
                   std::to_string(slab.brain_last) + "), the training stacks' band";
    }
    for (int k : slab.slices) {
        auto img = slice_image(gray, v, k);
        if (!img) return make_error(img.error());
        slab.images.push_back(std::move(img).value());
    }
    return slab;
}

}  // namespace alzscan
