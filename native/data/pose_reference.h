// native/data/pose_reference.h: the training slices' poses (shared/ slice_pose.h PoseSpec), measured
// on the prepared slices of the training and validation people, as conform's numbers are.
//
//   PoseSpec pose = alzscan::measure_pose(dir + "/SUBJECTS.tsv", {&ds.train, &ds.val});
//
// Data contract: the splits' images are conformed without a pose step (uint8 N,1,H,W); ranks_file
// has relative_path, slice_rank and subject_slices columns for every image. Template k is the mean of
// pose_grid over the slices with slice_rank * kPoseLevels / subject_slices == k; the ranges are the
// 0.1 % and 99.9 % quantiles (numpy linear) of every slice's estimate_pose parameters against those
// templates, ncc_min the 0.1 % quantile of their correlations. Throws DatasetError when an image has no
// rank or a level has no slice.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "alzscan/slice_pose.h"
#include "data/dataset.h"

namespace alzscan {

// Each image's level, slice_level(slice_rank, subject_slices), from ranks_file's columns (paths as
// relative_path), or -1 for an unranked slice (slice_rank -1: a person whose stack is incomplete, so
// the slice's height is unknown); of() throws DatasetError naming the file for an image it does not list.
class SliceLevels {
public:
    explicit SliceLevels(const std::string& ranks_file);
    int of(const std::string& path) const;

private:
    std::string file_;
    std::map<std::string, std::string> ranks_, counts_;
};

PoseSpec measure_pose(const std::string& ranks_file, const std::vector<const DatasetSplit*>& splits);

// How many of the splits' slices the pose step would turn (estimate_pose + the spec's ranges).
int64_t count_corrected(const PoseSpec& spec, const std::vector<const DatasetSplit*>& splits);

}  // namespace alzscan
