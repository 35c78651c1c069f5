// The training slices' pose templates and ranges (see pose_reference.h).
#include "data/pose_reference.h"

#include <algorithm>
#include <cmath>

#include "alzscan/aggregate.h"

namespace alzscan {
namespace {

// The ranges' tails: about 1 % of the training slices lie outside one of the six ranges.
constexpr double kRangeQuantile = 0.001;

}  // namespace

SliceLevels::SliceLevels(const std::string& ranks_file)
    : file_(ranks_file), ranks_(tsv_column(ranks_file, "slice_rank")), counts_(tsv_column(ranks_file, "subject_slices")) {}

int SliceLevels::of(const std::string& path) const {
    const auto r = ranks_.find(path), n = counts_.find(path);
    if (r == ranks_.end() || n == counts_.end())
        throw DatasetError(file_ + ": no slice_rank for " + path + " (hint: the table must list every image)");
    const int rank = std::stoi(r->second);
    return rank < 0 ? -1 : slice_level(rank, std::stoi(n->second));
}

PoseSpec measure_pose(const std::string& ranks_file, const std::vector<const DatasetSplit*>& splits) {
    const SliceLevels levels(ranks_file);
    PoseSpec spec;
    spec.templates.assign(kPoseLevels, std::vector<double>(size_t(kPoseSide) * kPoseSide, 0.0));
    std::vector<int64_t> n(kPoseLevels, 0);
    for (const DatasetSplit* split : splits)
        for (int64_t i = 0; i < split->size(); ++i) {
            // Unranked slices join level 0's template, as they did when the shipped templates were measured.
            const int k = std::max(0, levels.of(split->paths[i]));
            const std::vector<double> g = pose_grid(split_image(*split, i));
            for (size_t p = 0; p < g.size(); ++p) spec.templates[k][p] += g[p];
            ++n[k];
        }
    for (int k = 0; k < kPoseLevels; ++k) {
        if (n[k] == 0) throw DatasetError(ranks_file + ": no slice at pose level " + std::to_string(k));
        for (double& v : spec.templates[k]) v = std::round(v / double(n[k]));   // whole gray levels in model.json
    }
    std::vector<std::vector<double>> values(kPoseParams);
    std::vector<double> nccs;
    for (const DatasetSplit* split : splits)
        for (int64_t i = 0; i < split->size(); ++i) {
            const SlicePose pose = estimate_pose(split_image(*split, i), spec);
            if (!pose.estimated) continue;
            for (int p = 0; p < kPoseParams; ++p) values[p].push_back(pose.params[p]);
            nccs.push_back(pose.ncc);
        }
    if (nccs.empty()) throw DatasetError(ranks_file + ": no slice gave a pose");
    for (int p = 0; p < kPoseParams; ++p) {
        spec.low[p] = quantile(values[p], kRangeQuantile);
        spec.high[p] = quantile(values[p], 1 - kRangeQuantile);
    }
    spec.ncc_min = quantile(nccs, kRangeQuantile);
    return spec;
}

int64_t count_corrected(const PoseSpec& spec, const std::vector<const DatasetSplit*>& splits) {
    int64_t corrected = 0;
    for (const DatasetSplit* split : splits)
        for (int64_t i = 0; i < split->size(); ++i) {
            SlicePose pose = estimate_pose(split_image(*split, i), spec);
            judge_pose(pose, spec);
            corrected += pose.corrected ? 1 : 0;
        }
    return corrected;
}

}  // namespace alzscan
