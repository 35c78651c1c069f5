// alzscan/tissue.h: how much of a slice's brain is CSF, grey and white matter, and how large its
// ventricles are: the atrophy a person can check beside the model's verdict.
//
//   alzscan::TissueMeasures t = alzscan::measure_tissue(prepared);   // the slice as the model sees it
//   if (t.found) show(t.csf_fraction);                                // 0..1 of the brain's pixels
//
// Data contract (any 8-bit gray slice; the CLI and the app measure the prepared slice, conform.h):
//   brain        the pixels >= foreground_threshold (conform.h) of the largest 4-connected foreground
//                component, plus the holes it encloses: pixels not in it that cannot reach the image
//                border through other such pixels (4-connected). So the ventricles count as brain.
//   classes      otsu3 (otsu.h) of the brain's gray levels: CSF < t[0] <= grey matter < t[1] <= white.
//   fractions    csf/gm/wm_fraction: each class's share of the brain's pixels (they sum to 1).
//   ventricles   the CSF pixels of the 4-connected CSF components that touch no pixel outside the brain
//                (nor the image border) and whose centroid lies in the middle half of the brain's
//                bounding box along both axes; ventricle_fraction: their share of the brain's pixels.
//   found        false when the brain has fewer than 16 pixels; then every number is 0.
// A scan's fractions against the training people's: atrophy.h.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "alzscan/gray_image.h"

namespace alzscan {

struct TissueMeasures {
    bool found = false;
    int brain_pixels = 0;
    double csf_fraction = 0, gm_fraction = 0, wm_fraction = 0, ventricle_fraction = 0;
    std::array<double, 2> thresholds{0, 0};   // otsu3's, gray levels
};

TissueMeasures measure_tissue(const GrayImage& slice);

// {"csf_fraction", "gm_fraction", "wm_fraction", "ventricle_fraction"} (null when not found).
std::string tissue_json(const TissueMeasures& t);

}  // namespace alzscan
