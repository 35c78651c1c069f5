// native/trainer.h: `alzscan train`'s loop (owner: trainer).
//
//   alzscan::TrainConfig cfg = alzscan::resolve_train_config(args);
//   int rc = alzscan::run_training(cfg);   // 0 done, 1 error, 130 interrupted (last.pt saved)
//
// Threads: torch runs on cfg.threads compute threads (1 by default: the two vCPUs here share one
// core's SIMD units); a second thread builds (augments + normalises) the next batch meanwhile.
//
// Determinism: every random stream is a pure function of (seed, purpose, epoch, step):
// model init, the epoch's sample order (sampler.h), each batch's augmentation, and the torch
// generator (dropout, stochastic depth) reseeded before each step. A checkpoint therefore only
// needs the position (epoch, step), and resuming reproduces an uninterrupted run bit for bit
// on the same machine and build. last.pt still stores the epoch's order and the torch
// generator state, and resume checks the order against a rebuilt one.
//
// Run directory (the report reads it; see docs/architecture.md):
//   config.json    {"name", "model", "input", "classes", "train": every resolved option,
//                   "data": {"dir", "split", "split_file", "split_column", "digest", "counts",
//                   "skipped", "val_mode", "train_groups", "val_random_classes", "val_notes"},
//                   "profile", "experiment"}
//   metrics.jsonl  one line per epoch {"epoch", "epochs", "lr", "seconds", "images_per_second",
//                   "train": {loss, accuracy, macro_f1}, "val": {shared metrics + loss},
//                   "test": {...}}, then {"final": true, "checkpoint": "best", "epoch", "val", "test"}
//   summary.csv    one row per epoch
//   best.pt        the evaluated weights (EMA with --ema) of the epoch with the best VALIDATION
//                  macro-F1 (ties keep the earlier epoch; training macro-F1 when there is no val)
//   last.pt        the live weights, written after every epoch and on SIGINT/SIGTERM (which
//                  finish the current step first)
//   Both also hold the optimizer, EMA weights, position (epoch, step, running tallies, best so
//   far), the next epoch's sample order and the torch generator state; meta "training" has the
//   resolved options, split, data digest and epoch.
// Both .pt files are ordinary checkpoints: load_model() reads them.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "models/model_zoo.h"
#include "train_config.h"

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
