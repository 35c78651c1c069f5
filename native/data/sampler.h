// native/data/sampler.h: the order in which an epoch visits the training images.
//
//   std::vector<int64_t> order = alzscan::epoch_order(labels, 4, /*balanced=*/true, seed, epoch);
//   auto w = alzscan::class_weights(train_counts, "inverse");   // for the loss
//
// Plain: a seeded permutation of 0..N-1 (each image once).
// Balanced: torch's WeightedRandomSampler semantics: N draws WITH replacement, image i drawn with
// probability proportional to 1 / count[label_i], so each class is drawn with probability 1/C
// (classes with count 0 excluded).
// Both are a pure function of (labels, seed, epoch): a resumed run rebuilds the same order.
// Draws use only std::mt19937_64's raw output, so the order is the same on every platform.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace alzscan {

// splitmix64 finaliser: independent 64-bit seeds from (seed, stream, index) triples.
uint64_t mix_seed(uint64_t seed, uint64_t stream, uint64_t index);

std::vector<int64_t> epoch_order(const std::vector<int64_t>& labels, int num_classes, bool balanced,
                                 uint64_t seed, int64_t epoch);

// "none": empty (no weighting). "inverse": N / (C * n_c) (sklearn's "balanced"; a class with
// n_c == 0 gets 0). "frequency": n_c / N (the seed's literal "weight = class probability").
// Throws std::invalid_argument on another mode.
std::vector<double> class_weights(const std::vector<int64_t>& class_counts, const std::string& mode);

}  // namespace alzscan
