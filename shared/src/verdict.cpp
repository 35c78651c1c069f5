// A lone slice's class and a scan's verdict (see verdict.h).
#include "alzscan/verdict.h"

#include <algorithm>

#include "alzscan/aggregate.h"

namespace alzscan {

int verdict_index(const std::vector<float>& probabilities, const OodVerdict& ood) {
    if (ood.flag || probabilities.empty()) return -1;
    return static_cast<int>(std::max_element(probabilities.begin(), probabilities.end()) - probabilities.begin());
}

ScanVerdict scan_verdict(const float* probs, size_t n_slices, size_t n_classes, const std::vector<OodVerdict>& slice_oods) {
    ScanVerdict v;
    if (n_slices == 0 || n_classes == 0) return v;
    v.probabilities = aggregate_slices(probs, n_slices, n_classes);
    v.ood = assess_scan(slice_oods);
    v.index = verdict_index(v.probabilities, v.ood);
    return v;
}

}  // namespace alzscan
