// alzscan/verdict.h: what is said about a classified input, the one rule of `alzscan predict` and
// the app: a lone slice's class, and a scan's verdict from its slices.
//
//   alzscan::ScanVerdict v = alzscan::scan_verdict(probs.data(), n_slices, n_classes, slice_oods);
//   if (v.index < 0) show("not classified: " + v.ood.reason); else show(classes[v.index], v.probabilities);
//
// Data contract:
//   verdict_index  argmax of the probabilities (the first of equal ones), or -1 when the input is
//                  flagged out of distribution (its probabilities are kept, never presented as a class).
//   scan_verdict   probs: n_slices x n_classes row-major, the slices that classified, in scan order;
//                  slice_oods: their out-of-distribution verdicts (unflagged ones when the model has
//                  no checks). probabilities = aggregate_slices (aggregate.h, what `alzscan cv`
//                  measures per person); ood = assess_scan (ood.h: flagged when more than a quarter
//                  of the slices are); index = verdict_index. No slices: empty probabilities, index -1.
#pragma once

#include <cstddef>
#include <vector>

#include "alzscan/ood.h"

namespace alzscan {

int verdict_index(const std::vector<float>& probabilities, const OodVerdict& ood);

struct ScanVerdict {
    std::vector<float> probabilities;
    OodVerdict ood;
    int index = -1;
};

ScanVerdict scan_verdict(const float* probs, size_t n_slices, size_t n_classes, const std::vector<OodVerdict>& slice_oods);

}  // namespace alzscan
