// native/train/trainer.h: `alzscan train`'s loop.
//
//   alzscan::TrainConfig cfg = alzscan::resolve_train_config(args);
//   int rc = alzscan::run_training(cfg);   // 0 done, 1 error, 130 interrupted (last.pt saved)
//
// Steps (trainer_setup.h, then trainer.cpp): check the run directory (never overwrite a run, never
// resume a different one) -> decode the data once -> build model, EMA and optimizer -> config.json
// -> the position, fresh or restored from last.pt -> per epoch: train_one_epoch, then end_of_epoch
// (evaluate, log, select, save) -> the final line and report.
//
// Threads: torch runs on cfg.threads compute threads (configs/default.json: 2); a second thread
// builds (augments + normalises) the next batch meanwhile.
//
// Determinism: every random stream is a pure function of (seed, purpose, epoch, step):
// model init, the epoch's sample order (data/sampler.h), each batch's augmentation, and the torch
// generator (dropout, stochastic depth) reseeded before each step. A checkpoint therefore only
// needs the position (epoch, step), and resuming reproduces an uninterrupted run bit for bit
// on the same machine and build. last.pt still stores the epoch's order and the torch
// generator state, and resume checks the order against a rebuilt one.
//
// Writes the run directory of rundir/run_dir.h (config.json, metrics.jsonl, summary.csv) and
//   best.pt   the evaluated weights (EMA with --ema) of the epoch ending the --select-window
//             epochs with the highest mean validation macro-F1 (ties keep the earlier epoch;
//             training macro-F1 when there is no validation set)
//   last.pt   the live weights, written after every epoch and on SIGINT/SIGTERM (which finish
//             the current step first)
// Both are training checkpoints (train/training_state.h: optimizer, EMA, position, the next
// epoch's order, generator state) and ordinary model checkpoints: load_model() reads them.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "models/model_zoo.h"
#include "train/train_config.h"

namespace alzscan {

int run_training(const TrainConfig& cfg);

// Learning rate for global step `step` (0-based) of `steps_per_epoch * cfg.epochs`:
// linear warmup from lr/warmup_steps to lr over round(warmup_epochs * steps_per_epoch) steps,
// then none: lr; step: lr * gamma^floor(epoch / lr_step_size); cosine: lr * (1 + cos(pi t)) / 2
// with t going from 0 to 1 over the remaining steps.
double learning_rate_at(const TrainConfig& cfg, int64_t step, int64_t steps_per_epoch);

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainConfig& cfg, Classifier& net);

// Cross entropy with optional per-class weights (empty: none) and label smoothing; mean over
// the batch (weighted mean when weights are given, as torch does). A class weight weights the
// whole smoothed loss of each sample of that class (docs/decisions/0008), which is torch's
// cross_entropy whenever weights or smoothing are off.
torch::Tensor training_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                            const std::vector<double>& class_weights, double label_smoothing);

}  // namespace alzscan
