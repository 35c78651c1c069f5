// native/cli/common_options.h: the options several commands share, each defined once.
//
//   alzscan::CliArgs args("alzscan eval", "...");
//   alzscan::add_data_options(args);          // --data DIR, --split-file TSV, --split-column NAME
//   alzscan::add_device_option(args);         // --device auto|cpu|cuda
//   alzscan::add_threads_option(args);        // --threads N
//
// `alzscan train` lists the same four in its option table (train/train_config.cpp) with the
// name, help text and default below, so `--help` reads the same everywhere.
#pragma once

#include "cli/cli_args.h"

namespace alzscan {

// The dataset beside the repository (README: "The data").
inline constexpr const char* kDefaultDataDir = "../shared/data/alzheimer_mri";

struct SharedOption {
    const char* name;
    const char* default_value;
    const char* help;
};

inline constexpr SharedOption kDataOption{"data", kDefaultDataDir, "ImageFolder root DIR/{train,test}/<class>/*"};
inline constexpr SharedOption kSplitFileOption{
    "split-file", "", "TSV reassigning train/test by relative_path (e.g. KAGGLE_SPLIT.tsv)"};
inline constexpr SharedOption kSplitColumnOption{
    "split-column", "", "column of --split-file holding train|test|val (e.g. kaggle_split)"};
inline constexpr SharedOption kTestFoldOption{
    "test-fold", "-1",
    "with a --split-column of fold numbers (e.g. SUBJECTS.tsv, subject_fold): this fold is test, the others train"};
inline constexpr SharedOption kDeviceOption{"device", "auto", "auto | cpu | cuda"};
inline constexpr SharedOption kThreadsOption{"threads", "1", "compute threads"};

void add_data_options(CliArgs& args);   // --data, --split-file, --split-column, --test-fold
void add_device_option(CliArgs& args, const char* default_device = kDeviceOption.default_value);
void add_threads_option(CliArgs& args);

}  // namespace alzscan
