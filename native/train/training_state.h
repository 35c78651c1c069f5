// native/train/training_state.h: what `alzscan train` keeps between steps and on disk.
//
//   alzscan::TrainPosition pos = alzscan::fresh_position(num_classes);
//   alzscan::Checkpointer ckpt{cfg, run, spec, split_name, data_digest, net, ema, *optimizer};
//   ckpt.save_last(pos, next_order);                           // run/last.pt, atomically
//   ckpt.save_best(pos, next_order, {{"epoch", 3}, ...});      // run/best.pt
//   ckpt.restore_last(device, &saved_order);                  // weights, EMA, optimizer, order
//
// A training checkpoint is an ordinary model checkpoint (models/checkpoint.h: meta + the saved
// weights' "state_dict") with these extra entries:
//   "optimizer"         the optimizer's own archive
//   "ema_state_dict"    EMA weights (--ema)
//   "train_state_dict"  the live weights, when the saved weights are the EMA ones (best.pt)
//   "epoch_order"       int64 [n]: the sample order of the epoch `position.epoch`
//   "torch_rng"         the CPU generator's state
// and meta "training": {"options", "split", "data_digest", "position", ...extra}.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "alzscan/preprocess_spec.h"
#include "models/model_zoo.h"
#include "rundir/run_dir.h"
#include "train/train_config.h"

namespace alzscan {

// Train-split running statistics of the current epoch (they survive an interrupted epoch).
struct EpochTally {
    double loss_sum = 0;
    int64_t seen = 0;
    std::vector<std::vector<int64_t>> confusion;   // [true][predicted]

    nlohmann::json to_json() const;
    static EpochTally from_json(const nlohmann::json& j);
    nlohmann::json metrics_json(int num_classes) const;   // {"loss", "accuracy", "macro_f1"}
};

// Everything besides tensors that last.pt needs to continue exactly.
struct TrainPosition {
    int64_t epoch = 0;   // 0-based epoch to run next
    int64_t step = 0;    // step within it to run next
    EpochTally tally;
    double epoch_seconds = 0, train_seconds = 0;   // spent on this epoch before an interruption
    int64_t best_epoch = 0;   // 1-based; 0: none yet
    double best_score = -1;
    nlohmann::json best_val, best_test;
    int64_t epochs_without_improvement = 0;
    std::vector<double> val_scores;   // every finished epoch's selection score, for --select-window

    nlohmann::json to_json() const;
    static TrainPosition from_json(const nlohmann::json& j);
};

TrainPosition fresh_position(int num_classes);
// The position at the start of the epoch after pos.epoch: step 0, an empty tally, no time spent.
void advance_to_next_epoch(TrainPosition& pos, int num_classes);
// --patience N: N epochs in a row without a better selection score end training.
bool patience_exhausted(const TrainConfig& cfg, const TrainPosition& pos);

c10::Dict<std::string, at::Tensor> state_dict(torch::nn::Module& m);
void load_state_dict(torch::nn::Module& m, const c10::impl::GenericDict& d);
void update_ema(Classifier& ema, Classifier& net, double decay);

// Writes and restores last.pt / best.pt of one run.
struct Checkpointer {
    const TrainConfig& cfg;
    const RunDir& run;
    const PreprocessSpec& spec;
    std::string split_name, data_digest;
    Classifier& net;
    Classifier& ema;   // empty without --ema
    torch::optim::Optimizer& optimizer;

    // last.pt: the live weights; best.pt: the evaluated ones (EMA with --ema). Both carry the
    // optimizer, EMA, position and the order of the epoch `pos.epoch`, so either can continue.
    void save_last(const TrainPosition& pos, const std::vector<int64_t>& order) const;
    void save_best(const TrainPosition& pos, const std::vector<int64_t>& order, const nlohmann::json& extra) const;
    // Loads last.pt's weights, EMA and optimizer state, and its sample order into `order` when
    // given (a finished run's need not match: see trainer.cpp).
    void restore_last(torch::Device device, std::vector<int64_t>* order) const;

private:
    void save(const std::string& path, Classifier& weights, const TrainPosition& pos,
              const std::vector<int64_t>& order, const nlohmann::json& extra) const;
};

}  // namespace alzscan
