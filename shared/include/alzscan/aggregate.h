// alzscan/aggregate.h: one verdict per person (or scan) from its slices, and intervals over people.
// The cross-validation's person-level numbers and the app's scan verdict use these same functions.
//
//   std::vector<float> slices = {...};   // n_slices x n_classes row-major, each row sums to 1
//   std::vector<float> person = alzscan::aggregate_slices(slices.data(), n_slices, n_classes);
//
//   alzscan::Interval ci = alzscan::bootstrap_interval(n_people, [&](const std::vector<size_t>& pick) {
//       return balanced_accuracy_of(pick);   // the statistic on one resample of people
//   }, 2000, /*seed=*/1);
//
// Contract:
//   aggregate_slices   p_c = exp(mean_s log max(p_sc, 1e-12)), then normalised to sum 1: the
//                      normalised geometric mean ("mean of slice log-probabilities"). Empty when
//                      n_slices or n_classes is 0.
//   bootstrap_interval percentile bootstrap: `resamples` draws of n_units indices with replacement
//                      (deterministic for a seed, the same on every platform: std::mt19937_64 with
//                      rejection sampling, no std:: distribution), the statistic on each, and the
//                      (1 - level) / 2 and (1 + level) / 2 quantiles (linear interpolation between
//                      order statistics, numpy's default). n_units == 0 or resamples < 1: {0, 0}.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "alzscan/metrics.h"

namespace alzscan {

std::vector<float> aggregate_slices(const float* probs, size_t n_slices, size_t n_classes);

// The q-quantile (0..1) of `values` with numpy's linear interpolation; 0 when empty.
double quantile(std::vector<double> values, double q);

Interval bootstrap_interval(size_t n_units, const std::function<double(const std::vector<size_t>&)>& statistic,
                            int resamples, uint64_t seed, double level = 0.95);

}  // namespace alzscan
