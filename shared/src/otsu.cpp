// Three-class Otsu thresholds over a fixed histogram (see otsu.h).
#include "alzscan/otsu.h"

#include <algorithm>
#include <cmath>

namespace alzscan {

std::array<double, 2> otsu3(const std::vector<float>& values) {
    double lo = INFINITY, hi = -INFINITY;
    for (float v : values)
        if (std::isfinite(v)) lo = std::min(lo, double(v)), hi = std::max(hi, double(v));
    if (!(hi > lo)) return {hi, hi};
    std::vector<double> count(kOtsuBins, 0.0);
    const double width = (hi - lo) / kOtsuBins;
    for (float v : values)
        if (std::isfinite(v)) count[std::min(kOtsuBins - 1, static_cast<int>((v - lo) / width))] += 1;
    // Prefix sums of counts and first moments (bin index as the level) make each class O(1).
    std::vector<double> n(kOtsuBins + 1, 0.0), m(kOtsuBins + 1, 0.0);
    for (int b = 0; b < kOtsuBins; ++b) n[b + 1] = n[b] + count[b], m[b + 1] = m[b] + count[b] * b;
    auto term = [&](int from, int to) {   // bins [from, to): w * mean^2
        const double w = n[to] - n[from];
        return w > 0 ? (m[to] - m[from]) * (m[to] - m[from]) / w : 0.0;
    };
    double best = -1;
    int b1 = 1, b2 = 2;
    for (int t1 = 1; t1 < kOtsuBins - 1; ++t1)
        for (int t2 = t1 + 1; t2 < kOtsuBins; ++t2) {
            const double s = term(0, t1) + term(t1, t2) + term(t2, kOtsuBins);
            if (s > best) best = s, b1 = t1, b2 = t2;
        }
    return {lo + width * b1, lo + width * b2};
}

}  // namespace alzscan
