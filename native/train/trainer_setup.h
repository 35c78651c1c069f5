// native/train/trainer_setup.h: what run_training (trainer.h) builds before its first epoch.
//
//   const nlohmann::json saved_meta = alzscan::check_run_directory(cfg, run);   // null unless --resume
//   const alzscan::TrainData data = alzscan::load_train_data(cfg, saved_meta, interactive);
//   alzscan::check_shares(cfg, data, group);
//   alzscan::print_data_summary(cfg, data);
//   cfg.model.num_classes = data.num_classes;
//   alzscan::TrainModel model = alzscan::build_model(cfg, data, device);
//   alzscan::write_run_config(run, alzscan::run_config_json(cfg, run, data));
//
// Data contract: TrainData.spec is the input spec the model trains on (the folders' class names;
// the brain box and gray levels with --conform); train_labels are ds.train's labels in tensor
// order, what the sampler draws from. A step that cannot go on throws std::runtime_error (a
// DatasetError for the data) whose message is one line with a hint.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "alzscan/preprocess_spec.h"
#include "data/dataset.h"
#include "distributed/distributed.h"
#include "models/model_zoo.h"
#include "rundir/run_dir.h"
#include "train/train_config.h"

namespace alzscan {

// A run's random streams (trainer.h: Determinism), one purpose id each, listed together so that
// no two purposes share one.
enum Stream : uint64_t { kInitStream = 2, kTorchStepStream = 3, kAugmentStream = 4 };

struct TrainData {
    Dataset ds;
    PreprocessSpec spec;
    int num_classes = 0;
    std::vector<int64_t> train_labels;
    std::string val_carve;   // how validation was carved, in words (data line and final report)
};

struct TrainModel {
    Classifier net{nullptr};
    Classifier ema{nullptr};   // empty without --ema
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    std::vector<double> class_weights;   // per class; empty: none
};

// Step 1. Returns last.pt's meta when resuming (null otherwise). Throws when --resume has nothing
// to resume or different options, or when a fresh run would overwrite one.
nlohmann::json check_run_directory(const TrainConfig& cfg, const RunDir& run);

// Step 2: the data, decoded once (twice with --conform: the second time conformed). On --resume
// the data digest must equal the run's.
TrainData load_train_data(const TrainConfig& cfg, const nlohmann::json& saved_meta, bool interactive);
// The data line and its notes on stdout.
void print_data_summary(const TrainConfig& cfg, const TrainData& d);
// Several ranks: every batch, the last one too, must give each rank at least one sample.
void check_shares(const TrainConfig& cfg, const TrainData& data, const dist::Group& g);

// Step 3: the model (seeded init, --init, --freeze), its EMA copy and the optimizer, on `device`.
TrainModel build_model(const TrainConfig& cfg, const TrainData& data, torch::Device device);

// Step 4: config.json (rewritten identically on resume).
nlohmann::json run_config_json(const TrainConfig& cfg, const RunDir& run, const TrainData& d);

}  // namespace alzscan
