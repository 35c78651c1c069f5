#include "data/sampler.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <stdexcept>

#include "data/augment.h"

namespace alzscan {

uint64_t mix_seed(uint64_t seed, uint64_t stream, uint64_t index) {
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1) + 0xbf58476d1ce4e5b9ULL * (index + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::vector<int64_t> epoch_order(const std::vector<int64_t>& labels, int num_classes, bool balanced,
                                 uint64_t seed, int64_t epoch) {
    std::mt19937_64 rng(mix_seed(seed, /*stream=*/1, static_cast<uint64_t>(epoch)));
    const size_t n = labels.size();
    std::vector<int64_t> order(n);
    if (!balanced) {
        std::iota(order.begin(), order.end(), 0);
        for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
        return order;
    }
    std::vector<int64_t> counts(num_classes, 0);
    for (int64_t l : labels) ++counts[l];
    std::vector<double> cumulative(n);
    double total = 0;
    for (size_t i = 0; i < n; ++i) {
        total += 1.0 / static_cast<double>(counts[labels[i]]);
        cumulative[i] = total;
    }
    for (size_t k = 0; k < n; ++k) {
        double u = uniform01(rng) * total;
        size_t i = std::upper_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin();
        order[k] = static_cast<int64_t>(std::min(i, n - 1));
    }
    return order;
}

std::vector<double> class_weights(const std::vector<int64_t>& counts, const std::string& mode) {
    if (mode == "none") return {};
    double n = 0;
    for (int64_t c : counts) n += static_cast<double>(c);
    const double C = static_cast<double>(counts.size());
    std::vector<double> w(counts.size(), 0.0);
    if (mode == "inverse") {
        for (size_t c = 0; c < counts.size(); ++c) w[c] = counts[c] > 0 ? n / (C * counts[c]) : 0.0;
    } else if (mode == "frequency") {
        for (size_t c = 0; c < counts.size(); ++c) w[c] = n > 0 ? counts[c] / n : 0.0;
    } else {
        throw std::invalid_argument("--class-weights " + mode + ": expected none, inverse or frequency");
    }
    return w;
}

}  // namespace alzscan
