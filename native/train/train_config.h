// native/train/train_config.h: every `alzscan train` option, resolved from defaults < --config < flags.
//
//   alzscan::CliArgs args("alzscan train", "...");
//   alzscan::add_train_options(args);
//   if (int rc = args.parse(argc, argv); rc >= 0) return rc;
//   alzscan::TrainConfig cfg = alzscan::resolve_train_config(args);   // throws std::invalid_argument
//   cfg.resolved   // {"epochs": 12, "batch_size": 32, ...}: every option, underscore names
//   alzscan::DatasetOptions data = alzscan::dataset_options(cfg.resolved);   // the dataset they name
//
// Each option is one row of the table in train_config.cpp (name, help, the member it sets); the
// members' initial values below are the defaults, so `alzscan train --help` prints them.
// --config FILE is a JSON object whose keys are option names (either "batch-size" or
// "batch_size"), e.g. configs/default.json; flags given on the command line override it. Two
// extra top-level keys pass through to the run's config.json: "profile" (string) and
// "experiment" ({"id": n, "title": "..."}). Unknown keys are an error naming the key.
// Flags (augment, ema, ...) are true/false in the file; on the command line a flag only turns
// an option on.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/cli_args.h"
#include "cli/common_options.h"
#include "data/augment.h"
#include "data/dataset.h"
#include "models/model_zoo.h"

namespace alzscan {

struct TrainConfig {
    // data
    std::string data_dir = kDefaultDataDir, split_file, split_column;
    int test_fold = -1;                 // >= 0: split_column holds fold numbers (data/dataset.h)
    std::string groups_file, group_column = "subject";   // whole groups never cross train/val/test
    double val_fraction = 0.1;
    std::string val_mode = "grouped";   // grouped | random (see data/dataset.h)
    bool strict = false;
    int image_size = 128;
    bool conform = false;      // conform every slice (shared/ conform.h) with the training slices' brain box
    // model
    ModelConfig model;
    int64_t freeze = 0;
    std::string init;
    // optimisation
    int64_t epochs = 10, batch_size = 32, eval_batch_size = 128;
    double lr = 1e-3, momentum = 0.9, weight_decay = 1e-4;
    std::string opt = "adamw", sched = "cosine";
    double warmup_epochs = 1;
    int64_t lr_step_size = 5;
    double lr_gamma = 0.1;
    double label_smoothing = 0;
    double mixup_alpha = 0;    // batch_mixing.h; 0: off
    double cutmix_alpha = 0;
    bool balanced_sampler = false;
    std::string class_weights = "none";
    AugmentOptions augment;
    bool ema = false;
    double ema_decay = 0.999;
    double clip_grad = 0;   // max gradient norm; 0: off
    std::string precision = "fp32";   // fp32 | bf16 (autocast of the training forward pass only)
    int64_t patience = 0;   // epochs without val improvement before stopping; 0: off
    // best.pt = the epoch ending the N-epoch window with the highest mean validation macro-F1; one
    // epoch's score is noisy (5 Moderate images in the default validation set), a window less so.
    int64_t select_window = 1;
    // run
    uint64_t seed = 1;
    uint64_t val_seed = 0;   // 0: the validation split follows `seed`
    int threads = 1;   // compute threads; configs/default.json uses 2
    std::string device = "auto";
    // several processes (distributed/): torchrun's environment, or --nproc N local ranks
    int nproc = 1;
    std::string dist_backend = "auto";   // auto | gloo | nccl
    bool sync_bn = false;                // BatchNorm2d statistics over every rank's share of the batch
    int64_t dist_timeout = 60;           // seconds a rank waits for the others before it fails
    std::string out = "runs/default";
    bool resume = false;
    bool quiet = false;
    std::string profile;                 // "" -> null in config.json
    nlohmann::json experiment;           // null or {"id", "title"}
    nlohmann::json resolved;             // every option above, underscore names
};

void add_train_options(CliArgs& args);
TrainConfig resolve_train_config(const CliArgs& args);

// The dataset that train options name. `options` has underscore names, as `resolved` and a run's
// config.json "train" object hold them: data -> dir, split_file, split_column, test_fold,
// groups -> groups_file, group_column, and the validation carve: val_fraction, val_mode, and
// seed = val_seed, or seed when val_seed is 0. Required: data; with val_fraction also val_mode,
// val_seed, and seed when val_seed is 0. Another absent key keeps DatasetOptions' default, so
// options without val_fraction carve nothing. How to load (spec, strict, load_train/load_test,
// on_progress) stays the caller's: a later command does not inherit the run's --strict.
// Throws nlohmann::json::exception on a missing required key or a value of the wrong type.
DatasetOptions dataset_options(const nlohmann::json& options);

// An option's name as cfg.resolved and run configs spell it: "test-fold" -> "test_fold". A config
// file may use either spelling (not both).
std::string underscore(std::string name);

}  // namespace alzscan
