// native/data/dataset.h: an ImageFolder tree decoded once into memory.
//
//   alzscan::DatasetOptions opt;
//   opt.dir = "../shared/data/alzheimer_mri";
//   opt.split_file = opt.dir + "/KAGGLE_SPLIT.tsv"; opt.split_column = "kaggle_split";
//   opt.val_fraction = 0.1; opt.seed = 1; opt.spec = spec;        // spec: image size
//   alzscan::Dataset ds = alzscan::load_dataset(opt);              // throws DatasetError
//   ds.train.images   // uint8 N,1,H,W (CPU), pixels exactly shared/ prepare_image()'s output
//   ds.train.labels   // int64 N, indices into ds.class_names
//
// From `alzscan train`'s options: alzscan::dataset_options(cfg.resolved) (train/train_config.h).
//
// Layout: DIR/train/<class>/<image>, DIR/test/<class>/<image>. Classes are the sorted
// sub-folders of DIR/train (the real data's sorted names equal shared/ default_class_names()).
// Image files: .png .jpg .jpeg (any case); other files are ignored like
// torchvision's ImageFolder does.
//
// Split file (--split-file TSV --split-column NAME): a header row naming at least
// `relative_path` and NAME; every row's relative_path (relative to DIR, e.g.
// "train/Mild_Demented/mild.jpg") is assigned to NAME's value: train | test | val. Every image
// found must be listed and every listed path must exist. A `class` column, when present, must
// name a known class and agree with the folder.
//
// Validation: quota = round(val_fraction * n_c) of each class's train images (at least 1 when
// the fraction is > 0; never all of them), never from test. Rows a split file assigns to "val"
// are added to it. val_mode:
//   "random"   a seeded shuffle per class takes the first quota images;
//   "grouped"  whole pseudo-subjects: train images of one class whose RMSE (gray levels, on
//              pixels averaged in (side/64)^2 blocks, i.e. at about 64x64) is below group_rmse
//              are chained into groups (union-find), and seeded-shuffled groups are taken
//              until the quota is met. The data has no
//              subject ids and neighbouring slices of one subject are near-twins, so a random
//              val set sits next to its twins in train and scores like train (measured on the
//              Kaggle split: val macro-F1 0.97 while test is 0.49). A class with fewer than 5
//              groups (Moderate: about 2 subjects) falls back to "random". Same rule as
//              bench/alz_data.py (Python's RNG differs, so the exact draw does too).
//              Tiny data (a few images per class) thus still loads; each class that fell back
//              gets a line in `val_notes` and is counted in `val_random_classes`.
// Groups (groups_file, group_column; e.g. SUBJECTS.tsv's `subject`): every image must have a
// row. Validation takes whole groups of each class (seeded shuffle) until the quota of images is
// met, always leaving one group of the class in train (a class with one group holds none out: a
// line in `val_notes`); val_mode and the pseudo-subjects are not used. No group may have images in
// two of train, val and test: checked after the split file and after the carve, with an error
// naming the group and two of its images.
// Folds (test_fold >= 0 with split_file/split_column, e.g. SUBJECTS.tsv's `subject_fold`): the
// column holds fold numbers; fold test_fold is test, every other fold train (split_kind "fold").
// A class with fewer than 2 train images holds none out (a line in `val_notes` too).
//
// Unreadable images are skipped and listed in `skipped` ("PATH: reason"), or with `strict`
// the load throws on the first one.
//
// digest: FNV-1a 64-bit (hex) over the sorted "relative_path\tfile_size\n" lines of every image
// found, so it changes when files are added, removed, renamed or change size.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "alzscan/preprocess_spec.h"

namespace alzscan {

class DatasetError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct DatasetOptions {
    std::string dir;
    std::string split_file;      // empty: the folders' own train/test
    std::string split_column;    // required with split_file
    int test_fold = -1;          // >= 0: split_column holds fold numbers; this fold is test, the rest train
    std::string groups_file;     // TSV: relative_path + group_column (e.g. SUBJECTS.tsv)
    std::string group_column = "subject";
    double val_fraction = 0.0;   // 0..0.9
    std::string val_mode = "random";   // random | grouped
    double group_rmse = 20.0;    // grouped: gray levels
    uint64_t seed = 0;
    bool strict = false;
    PreprocessSpec spec;         // height/width used; class_names ignored (taken from folders)
    bool load_train = true;      // decode train (and val) images
    bool load_test = true;       // decode test images
    // Called with (done, total) while decoding; may be empty.
    std::function<void(int64_t, int64_t)> on_progress;
};

struct DatasetSplit {
    std::vector<std::string> paths;   // relative to DIR, in tensor order
    std::vector<std::string> groups;  // each image's group (groups_file), else empty strings
    torch::Tensor images;             // uint8 N,1,H,W
    torch::Tensor labels;             // int64 N
    std::vector<int64_t> class_counts;

    int64_t size() const { return static_cast<int64_t>(paths.size()); }
};

struct Dataset {
    std::string dir;
    std::string split_kind;           // "hf" (folders as found), "kaggle", "fold", "custom"
    std::vector<std::string> class_names;
    DatasetSplit train, val, test;
    std::vector<std::string> skipped; // "PATH: reason"
    int64_t train_groups = 0;         // groups (given, or grouped val_mode's pseudo-subjects) among train+val
    int64_t val_random_classes = 0;   // grouped val_mode: classes carved at random (< 5 pseudo-subjects)
    // One line per class whose validation carve is not what val_mode promises, naming the class,
    // its counts and a hint, e.g. "class 'beta': 3 train images in 2 pseudo-subject(s), fewer than
    // the 5 grouped validation needs: 1 image(s) held out at random instead, ...; hint: --val-mode
    // random ...". Empty when every class was carved as val_mode says.
    std::vector<std::string> val_notes;
    std::string digest;               // FNV-1a 64, 16 hex digits
};

Dataset load_dataset(const DatasetOptions& options);

// conform_spec_from (shared/ conform.h) over the images of `splits`, decoded at their own size from
// DIR: the brain box and gray levels that conforming maps every slice onto.
ConformSpec measure_conform(const std::string& dir, const std::vector<const DatasetSplit*>& splits);

// Image i of a split as the prepared 8-bit slice (H x W) the cache holds.
GrayImage split_image(const DatasetSplit& split, int64_t i);

// One column of a tab-separated table with a header (e.g. SUBJECTS.tsv's slice_rank), keyed by its
// relative_path column. Throws DatasetError naming the file and the missing column.
std::map<std::string, std::string> tsv_column(const std::string& path, const std::string& column);

// {"train": {class: n}, "val": {...}, "test": {...}}
nlohmann::json dataset_counts_json(const Dataset& ds);

// FNV-1a 64-bit, exposed for tests.
uint64_t fnv1a64(const std::string& bytes, uint64_t hash = 0xcbf29ce484222325ULL);

}  // namespace alzscan
