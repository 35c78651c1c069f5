// native/data/atrophy_reference.h: the training people's CSF fractions by class and slice position
// (shared/ atrophy.h AtrophyReference), measured on their prepared slices as conform's and the pose
// step's numbers are.
//
//   AtrophyReference ref = alzscan::measure_atrophy(dir + "/SUBJECTS.tsv", {&ds.train, &ds.val}, ds.class_names);
//
// Data contract: a person is a group (DatasetSplit::groups, e.g. SUBJECTS.tsv's subject); their value
// is the mean csf_fraction of their slices with a brain (measure_tissue on the cached prepared slice),
// by position the mean over their slices at slice_level(slice_rank, subject_slices) (ranks_file, as
// pose_reference.h reads it; unranked slices count in the mean only); their class is their slices' label.
// Classes without a person keep an empty list. Throws DatasetError when an image has no rank.
#pragma once

#include <string>
#include <vector>

#include "alzscan/atrophy.h"
#include "data/dataset.h"

namespace alzscan {

AtrophyReference measure_atrophy(const std::string& ranks_file, const std::vector<const DatasetSplit*>& splits,
                                 const std::vector<std::string>& classes);

}  // namespace alzscan
