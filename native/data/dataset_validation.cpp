// The validation carve: which train images of each class become validation (seeded): single
// images, pseudo-subjects (near-twin slices chained together) or whole given groups.
#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "data/dataset_internal.h"

namespace alzscan::dataset_internal {
namespace {

// Union-find over same-class pairs closer than rmse (at about 64x64): pseudo-subjects.
std::vector<int64_t> pseudo_subject_groups(const std::vector<const uint8_t*>& images, const std::vector<int>& labels,
                                           int height, int width, double rmse, int64_t& group_count) {
    // Compare at about 64x64: pool x pool means, pool = side / 64 (128 px: 2x2, exactly
    // bench/alz_data.py's; 64 px: the area-resized pixels already are those 2x2 means).
    const int64_t n = static_cast<int64_t>(images.size());
    const int64_t pool = std::max<int64_t>(1, std::min(height, width) / 64);
    const int64_t ph = height / pool, pw = width / pool, d = std::max<int64_t>(1, ph * pw);
    const float scale = 1.0f / static_cast<float>(pool * pool);
    torch::Tensor x = torch::zeros({n, d}, torch::kFloat32);
    float* xp = x.data_ptr<float>();
    for (int64_t i = 0; i < n; ++i)
        for (int64_t y = 0; y < ph; ++y)
            for (int64_t c = 0; c < pw; ++c) {
                float sum = 0;
                for (int64_t dy = 0; dy < pool; ++dy)
                    for (int64_t dx = 0; dx < pool; ++dx) sum += images[i][(pool * y + dy) * width + pool * c + dx];
                xp[i * d + y * pw + c] = sum * scale;
            }
    std::vector<int64_t> parent(n);
    for (int64_t i = 0; i < n; ++i) parent[i] = i;
    auto find = [&](int64_t a) {
        while (parent[a] != a) a = parent[a] = parent[parent[a]];
        return a;
    };
    const int num_classes = labels.empty() ? 0 : *std::max_element(labels.begin(), labels.end()) + 1;
    const double limit = rmse * rmse * static_cast<double>(d);   // squared distance threshold
    for (int c = 0; c < num_classes; ++c) {
        std::vector<int64_t> idx;
        for (int64_t i = 0; i < n; ++i)
            if (labels[i] == c) idx.push_back(i);
        if (idx.size() < 2) continue;
        torch::Tensor xc = x.index_select(0, torch::tensor(idx, torch::kInt64)).to(torch::kFloat64);
        torch::Tensor sq = (xc * xc).sum(1);
        torch::Tensor dist = (sq.unsqueeze(1) + sq.unsqueeze(0) - 2 * xc.matmul(xc.t())).contiguous();
        const double* dp = dist.data_ptr<double>();
        const int64_t m = static_cast<int64_t>(idx.size());
        for (int64_t i = 0; i < m; ++i)
            for (int64_t j = i + 1; j < m; ++j)
                if (dp[i * m + j] < limit) {
                    int64_t ra = find(idx[i]), rb = find(idx[j]);
                    if (ra != rb) parent[ra] = rb;
                }
    }
    std::vector<int64_t> group(n);
    std::map<int64_t, int64_t> ids;
    for (int64_t i = 0; i < n; ++i) {
        auto it = ids.emplace(find(i), static_cast<int64_t>(ids.size())).first;
        group[i] = it->second;
    }
    group_count = static_cast<int64_t>(ids.size());
    return group;
}

// Whole groups of one class, seeded-shuffled, until `quota` images are held out; the last group
// always stays in train, so a class with one group holds none out (a line in notes).
template <class Shuffle>
void take_whole_groups(const std::vector<size_t>& idx, const std::vector<int64_t>& groups,
                       std::vector<int64_t> class_groups, size_t quota, Shuffle& shuffle, const std::string& name,
                       std::vector<std::string>& notes, std::vector<bool>& is_val) {
    if (class_groups.size() < 2) {
        notes.push_back("class '" + name + "': its " + std::to_string(idx.size()) + " train images are one group, "
                        "none held out for validation (validation scores leave it out); hint: a fold with more "
                        "people of this class in train, or more data");
        return;
    }
    shuffle(class_groups);
    size_t taken = 0;
    for (size_t k = 0; k + 1 < class_groups.size() && taken < quota; ++k)
        for (size_t i : idx)
            if (groups[i] == class_groups[k]) {
                is_val[i] = true;
                ++taken;
            }
}

// Picks validation members among the train candidates (see dataset.h). Returns a flag per candidate;
// classes carved otherwise than val_mode promises get a line in ds.val_notes.
// given_groups: the groups are real (--groups), not pseudo-subjects: whole groups only, at least
// one left in train per class, and a class with one group holds none out.
std::vector<bool> choose_validation(const std::vector<int>& labels, const std::vector<int64_t>* groups,
                                    bool given_groups, double fraction, uint64_t seed, Dataset& ds) {
    const int num_classes = static_cast<int>(ds.class_names.size());
    std::vector<bool> is_val(labels.size(), false);
    if (fraction <= 0) return is_val;
    std::mt19937_64 rng(seed ^ 0x76616c5f73706c74ULL);   // "val_splt": independent of other streams
    auto shuffle = [&](auto& v) {   // Fisher-Yates on raw draws: std::shuffle's algorithm is unspecified
        for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng() % i]);
    };
    for (int c = 0; c < num_classes; ++c) {
        std::vector<size_t> idx;
        for (size_t i = 0; i < labels.size(); ++i)
            if (labels[i] == c) idx.push_back(i);
        if (idx.size() < 2) {
            ds.val_notes.push_back("class '" + ds.class_names[c] + "': " + std::to_string(idx.size()) +
                                   " train image(s), none held out for validation (validation scores leave it out); "
                                   "hint: add images of this class");
            continue;
        }
        size_t quota = static_cast<size_t>(std::llround(fraction * static_cast<double>(idx.size())));
        quota = std::clamp<size_t>(quota, 1, idx.size() - 1);
        std::vector<int64_t> class_groups;
        if (groups) {
            for (size_t i : idx) class_groups.push_back((*groups)[i]);
            std::sort(class_groups.begin(), class_groups.end());
            class_groups.erase(std::unique(class_groups.begin(), class_groups.end()), class_groups.end());
        }
        if (given_groups) {
            take_whole_groups(idx, *groups, class_groups, quota, shuffle, ds.class_names[c], ds.val_notes, is_val);
            continue;
        }
        if (!groups || class_groups.size() < 5) {
            if (groups) {
                ++ds.val_random_classes;
                ds.val_notes.push_back(
                    "class '" + ds.class_names[c] + "': " + std::to_string(idx.size()) + " train images in " +
                    std::to_string(class_groups.size()) + " pseudo-subject(s), fewer than the 5 grouped validation needs: " +
                    std::to_string(quota) + " image(s) held out at random instead, so near-twins of them may stay in "
                    "train; hint: --val-mode random to ask for that, or more data for grouped validation");
            }
            shuffle(idx);
            for (size_t i = 0; i < quota; ++i) is_val[idx[i]] = true;
            continue;
        }
        shuffle(class_groups);
        size_t taken = 0;
        for (int64_t g : class_groups) {
            if (taken >= quota) break;
            for (size_t i : idx)
                if ((*groups)[i] == g && taken < idx.size() - 1) {
                    is_val[i] = true;
                    ++taken;
                }
        }
    }
    return is_val;
}

}  // namespace

void carve_validation(const DatasetOptions& opt, const Decoded& d, std::vector<Entry>& entries, Dataset& ds) {
    if (opt.val_fraction <= 0) return;
    const int64_t H = opt.spec.height, W = opt.spec.width;
    std::vector<size_t> candidates;   // positions in d.entry
    std::vector<int> labels;
    std::vector<const uint8_t*> pixels;
    for (size_t i = 0; i < d.entry.size(); ++i)
        if (entries[d.entry[i]].split == "train") {
            candidates.push_back(i);
            labels.push_back(entries[d.entry[i]].label);
            pixels.push_back(d.pixels.data() + i * H * W);
        }
    const bool given = !opt.groups_file.empty();
    std::vector<int64_t> groups;
    if (given) {
        std::map<std::string, int64_t> ids;
        for (size_t i : candidates)
            groups.push_back(ids.emplace(entries[d.entry[i]].group, static_cast<int64_t>(ids.size())).first->second);
        ds.train_groups = static_cast<int64_t>(ids.size());
    } else if (opt.val_mode == "grouped") {
        groups = pseudo_subject_groups(pixels, labels, static_cast<int>(H), static_cast<int>(W), opt.group_rmse,
                                       ds.train_groups);
    }
    const bool use_groups = given || opt.val_mode == "grouped";
    std::vector<bool> is_val =
        choose_validation(labels, use_groups ? &groups : nullptr, given, opt.val_fraction, opt.seed, ds);
    for (size_t i = 0; i < candidates.size(); ++i)
        if (is_val[i]) entries[d.entry[candidates[i]]].split = "val";
}

}  // namespace alzscan::dataset_internal
