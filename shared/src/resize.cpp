// Separable resize in exact integer arithmetic. Every weight of both methods is a rational
// number with a small common denominator per axis (area: in; bilinear: 2*out), so the whole
// resize is integer sums and one rounding division at the end. No floating point means no
// chance of the trainer (x86-64) and the browser (wasm32) disagreeing in the last bit.
#include "alzscan/resize.h"

#include <string>
#include <vector>

namespace alzscan {
namespace {

constexpr int kMaxOutputSide = 8192;

// For each output index along one axis: the input indices it reads and integer weights that
// sum to `denominator`.
struct AxisTaps {
    int64_t denominator = 1;
    std::vector<int> offsets;   // output i reads taps [offsets[i], offsets[i+1])
    std::vector<int> index;     // input index per tap
    std::vector<int64_t> weight;
};

AxisTaps make_taps(int in, int out) {
    AxisTaps t;
    t.offsets.reserve(static_cast<size_t>(out) + 1);
    t.offsets.push_back(0);
    auto add = [&](int j, int64_t w) {
        t.index.push_back(j);
        t.weight.push_back(w);
    };
    if (in == out) {
        t.denominator = 1;
        for (int i = 0; i < out; ++i) {
            add(i, 1);
            t.offsets.push_back(static_cast<int>(t.index.size()));
        }
    } else if (out < in) {
        // Area: in units of 1/out of an input pixel, output i covers [i*in, (i+1)*in) and
        // input j covers [j*out, (j+1)*out). The overlaps sum to `in`.
        t.denominator = in;
        for (int i = 0; i < out; ++i) {
            const int64_t lo = int64_t(i) * in, hi = int64_t(i + 1) * in;
            for (int64_t j = lo / out; j * out < hi; ++j) {
                const int64_t a = j * out > lo ? j * out : lo;
                const int64_t b = (j + 1) * out < hi ? (j + 1) * out : hi;
                if (b > a) add(static_cast<int>(j), b - a);
            }
            t.offsets.push_back(static_cast<int>(t.index.size()));
        }
    } else {
        // Bilinear, half-pixel centres: source = (i + 0.5) * in / out - 0.5
        //                                      = ((2i + 1) * in - out) / (2 * out).
        const int64_t den = 2 * int64_t(out);
        t.denominator = den;
        for (int i = 0; i < out; ++i) {
            const int64_t num = (2 * int64_t(i) + 1) * in - out;
            if (num <= 0) {
                add(0, den);
            } else {
                const int64_t j = num / den, frac = num % den;
                if (j >= in - 1) {
                    add(in - 1, den);
                } else {
                    add(static_cast<int>(j), den - frac);
                    if (frac) add(static_cast<int>(j + 1), frac);
                }
            }
            t.offsets.push_back(static_cast<int>(t.index.size()));
        }
    }
    return t;
}

}  // namespace

Expected<GrayImage> resize_gray(const GrayImage& image, int out_width, int out_height) {
    if (image.width <= 0 || image.height <= 0)
        return make_error("cannot resize an empty image (" + std::to_string(image.width) + "x" +
                          std::to_string(image.height) + ")");
    if (image.pixels.size() != static_cast<size_t>(image.width) * image.height)
        return make_error("image buffer holds " + std::to_string(image.pixels.size()) +
                          " pixels but a " + std::to_string(image.width) + "x" +
                          std::to_string(image.height) + " image needs " +
                          std::to_string(static_cast<size_t>(image.width) * image.height));
    if (out_width < 1 || out_height < 1 || out_width > kMaxOutputSide || out_height > kMaxOutputSide)
        return make_error("resize target " + std::to_string(out_width) + "x" +
                          std::to_string(out_height) + " is invalid: each side must be 1.." +
                          std::to_string(kMaxOutputSide) + " pixels");
    if (image.width == out_width && image.height == out_height) return image;  // bit-exact

    const AxisTaps tx = make_taps(image.width, out_width);
    const AxisTaps ty = make_taps(image.height, out_height);

    // Horizontal pass: in_height x out_width integer sums scaled by tx.denominator.
    std::vector<int64_t> rows(static_cast<size_t>(image.height) * out_width);
    for (int y = 0; y < image.height; ++y) {
        const uint8_t* src = image.pixels.data() + static_cast<size_t>(y) * image.width;
        int64_t* dst = rows.data() + static_cast<size_t>(y) * out_width;
        for (int x = 0; x < out_width; ++x) {
            int64_t sum = 0;
            for (int k = tx.offsets[x]; k < tx.offsets[x + 1]; ++k) sum += tx.weight[k] * src[tx.index[k]];
            dst[x] = sum;
        }
    }

    // Vertical pass, then one division rounding half up (values are >= 0, so this is
    // round-half-away-from-zero).
    const int64_t den = tx.denominator * ty.denominator;
    GrayImage out;
    out.width = out_width;
    out.height = out_height;
    out.pixels.resize(static_cast<size_t>(out_width) * out_height);
    for (int y = 0; y < out_height; ++y) {
        for (int x = 0; x < out_width; ++x) {
            int64_t sum = 0;
            for (int k = ty.offsets[y]; k < ty.offsets[y + 1]; ++k)
                sum += ty.weight[k] * rows[static_cast<size_t>(ty.index[k]) * out_width + x];
            int64_t v = (2 * sum + den) / (2 * den);
            out.pixels[static_cast<size_t>(y) * out_width + x] =
                static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
        }
    }
    return out;
}

}  // namespace alzscan
