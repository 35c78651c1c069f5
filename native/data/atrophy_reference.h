// native/data/atrophy_reference.h: the training people's CSF fractions by class (shared/ tissue.h
// AtrophyReference), measured on their prepared slices as conform's and the pose step's numbers are.
//
//   AtrophyReference ref = alzscan::measure_atrophy({&ds.train, &ds.val}, ds.class_names);
//
// Data contract: a person is a group (DatasetSplit::groups, e.g. SUBJECTS.tsv's subject); their value
// is the mean csf_fraction of their slices with a brain (measure_tissue on the cached prepared
// slice), their class their slices' label. Classes without a person keep an empty list.
#pragma once

#include <string>
#include <vector>

#include "alzscan/tissue.h"
#include "data/dataset.h"

namespace alzscan {

AtrophyReference measure_atrophy(const std::vector<const DatasetSplit*>& splits, const std::vector<std::string>& classes);

}  // namespace alzscan
