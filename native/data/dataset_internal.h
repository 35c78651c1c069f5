// native/data/dataset_internal.h: the steps load_dataset (dataset.cpp) runs, one source file a job;
// for native/data's own sources only (the public interface is data/dataset.h).
//
//   std::vector<Entry> entries = ...;                      // every image found, split = its folder
//   apply_split_file(opt, class_names, entries);           // dataset_split_files.cpp
//   apply_groups(opt, entries); check_groups_disjoint(entries);
//   const Decoded decoded = decode_entries(opt, entries, ds);   // dataset_decode.cpp
//   carve_validation(opt, decoded, entries, ds);            // dataset_validation.cpp
//   fill_split("train", opt, decoded, entries, ds.class_names.size(), ds.train);
//
// Data contract: `entries` keeps one fixed order (part, class, file name) from listing to the
// tensors; each step only rewrites an entry's split ("train" | "val" | "test") or group. Decoded
// refers to entries by index, so no step may reorder or drop entries.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace alzscan::dataset_internal {

struct Entry {
    std::string relative_path;
    int label = -1;
    std::string split;   // "train" | "val" | "test"
    uint64_t file_size = 0;
    std::string group;   // --groups: the person (or other unit) the image belongs to
};

// The images that decoded, in entry order.
struct Decoded {
    std::vector<size_t> entry;     // entry index per decoded image
    std::vector<uint8_t> pixels;   // H*W per decoded image, in that order
};

inline std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
    return s;
}

// dataset_split_files.cpp: the split file's train/val/test (or fold) per image.
void apply_split_file(const DatasetOptions& opt, const std::vector<std::string>& classes, std::vector<Entry>& entries);
// dataset_split_files.cpp: --groups: each image's group. Every image must have one.
void apply_groups(const DatasetOptions& opt, std::vector<Entry>& entries);
// dataset_split_files.cpp: throws when a group has images in two parts (train, val, test).
void check_groups_disjoint(const std::vector<Entry>& entries);

// dataset_decode.cpp: every wanted image decoded once; unreadable ones are skipped (listed in
// ds.skipped) or, with --strict, abort.
Decoded decode_entries(const DatasetOptions& opt, const std::vector<Entry>& entries, Dataset& ds);
// dataset_decode.cpp: the decoded images whose entry is in split `name`, as tensors.
void fill_split(const char* name, const DatasetOptions& opt, const Decoded& d, const std::vector<Entry>& entries,
                size_t num_classes, DatasetSplit& split);

// dataset_validation.cpp: moves the validation share of the decoded train images to "val"
// (never from test).
void carve_validation(const DatasetOptions& opt, const Decoded& d, std::vector<Entry>& entries, Dataset& ds);

}  // namespace alzscan::dataset_internal
