// native/commands/run_dataset.h: the dataset a training run used, from what its config.json
// recorded (data, split, held-out fold, groups, the validation carve), so a later command scores
// exactly its validation and test people.
//
//   alzscan::DatasetOptions opt = alzscan::cmd::run_dataset_options("runs/default");
//   opt.spec = model.spec;
//   alzscan::Dataset ds = alzscan::load_dataset(opt);
#pragma once

#include <string>

#include "data/dataset.h"

namespace alzscan::cmd {

// Throws std::runtime_error naming RUN_DIR/config.json when it is missing or lacks a field.
DatasetOptions run_dataset_options(const std::string& run_dir);

}  // namespace alzscan::cmd
