// alzscan/otsu.h: Otsu's thresholds (the class split that maximises the between-class variance of a
// histogram): the one definition of "dark / middle / bright" tissue used by the registration's
// template labels and the training-space step's contrast check.
//
//   std::array<double, 2> t = alzscan::otsu3(brain_values);   // CSF < t[0] <= GM < t[1] <= WM
//
// Data contract: values are any finite numbers (non-finite ones are skipped); the histogram has
// kOtsuBins equal bins from the smallest to the largest value; thresholds are bin edges in the
// values' units. Fewer than 3 distinct values: both thresholds at the largest value.
#pragma once

#include <array>
#include <vector>

namespace alzscan {

constexpr int kOtsuBins = 256;

std::array<double, 2> otsu3(const std::vector<float>& values);

}  // namespace alzscan
