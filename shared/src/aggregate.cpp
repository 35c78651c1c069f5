#include "alzscan/aggregate.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace alzscan {
namespace {

// Uniform in 0..n-1 from raw draws (rejection sampling): no std:: distribution, whose output the
// standard leaves to each library.
size_t uniform_index(std::mt19937_64& rng, size_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do {
        v = rng();
    } while (v >= limit);
    return static_cast<size_t>(v % n);
}

}  // namespace

std::vector<float> aggregate_slices(const float* probs, size_t n_slices, size_t n_classes) {
    if (n_slices == 0 || n_classes == 0) return {};
    std::vector<double> mean_log(n_classes, 0.0);
    for (size_t s = 0; s < n_slices; ++s)
        for (size_t c = 0; c < n_classes; ++c)
            mean_log[c] += std::log(std::max(static_cast<double>(probs[s * n_classes + c]), 1e-12));
    double top = -INFINITY;
    for (double& m : mean_log) top = std::max(top, m /= static_cast<double>(n_slices));
    double sum = 0.0;
    std::vector<double> p(n_classes);
    for (size_t c = 0; c < n_classes; ++c) sum += p[c] = std::exp(mean_log[c] - top);   // shifted: no underflow
    std::vector<float> out(n_classes);
    for (size_t c = 0; c < n_classes; ++c) out[c] = static_cast<float>(p[c] / sum);
    return out;
}

double quantile(std::vector<double> values, double q) {
    if (values.empty()) return 0.0;
    std::sort(values.begin(), values.end());
    const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(values.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, values.size() - 1);
    return values[lo] + (pos - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

Interval bootstrap_interval(size_t n_units, const std::function<double(const std::vector<size_t>&)>& statistic,
                            int resamples, uint64_t seed, double level) {
    if (n_units == 0 || resamples < 1) return {};
    std::mt19937_64 rng(seed);
    std::vector<double> stats;
    stats.reserve(static_cast<size_t>(resamples));
    std::vector<size_t> pick(n_units);
    for (int r = 0; r < resamples; ++r) {
        for (size_t& i : pick) i = uniform_index(rng, n_units);
        stats.push_back(statistic(pick));
    }
    return {quantile(stats, (1.0 - level) / 2.0), quantile(stats, (1.0 + level) / 2.0)};
}

}  // namespace alzscan
