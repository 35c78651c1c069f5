// native/models/checkpoint.h: checkpoints on disk.
//
//   alzscan::LoadedModel m = alzscan::load_model("runs/default/best.pt");  // throws runtime_error
//   m.net->eval();
//   torch::Tensor logits = m.net->forward(x);     // x preprocessed with m.spec (shared/)
//
//   alzscan::save_model_checkpoint("out/random.pt", net, spec, extra_meta);  // weights only
//
// One file per checkpoint (LibTorch's zip archive, torch::serialize::OutputArchive) with entries
//   "alzscan_meta"   string IValue: JSON text (format, model config, preprocessing spec as in
//                    shared/preprocess_spec.h, classes, training info)
//   "state_dict"     Dict[str, Tensor]: every parameter and buffer by its module path
//                    ("backbone.layer1.0.conv1.weight", ...)
// and for training checkpoints (written through `write_extra`) also optimizer, RNG states and
// the epoch's sample order (train/training_state.h). Writes go to PATH.tmp, are fsync'ed and renamed over
// PATH, so a crash never leaves half a file.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include "alzscan/preprocess_spec.h"
#include "models/model_zoo.h"

namespace alzscan {

inline constexpr const char* kCheckpointFormat = "alzscan-checkpoint/1";

struct LoadedModel {
    ModelConfig model_config;
    PreprocessSpec spec;
    Classifier net{nullptr};
    nlohmann::json meta;   // {"format", "model": {...}, "input": {...}, "classes": [...], "training": {...}}
};

// Errors (one line, path + hint): missing file, not an alzscan checkpoint, unknown arch/head,
// parameter names or shapes that do not match the config (all mismatches listed in one message).
LoadedModel load_model(const std::string& path);

// extra_meta's members are merged into the stored meta (e.g. "training": {...}).
// write_extra, when given, adds further entries to the same archive before it is written.
using ArchiveWriter = std::function<void(torch::serialize::OutputArchive&)>;
void save_model_checkpoint(const std::string& path, Classifier& net, const PreprocessSpec& spec,
                           const nlohmann::json& extra_meta = nlohmann::json::object(),
                           const ArchiveWriter& write_extra = nullptr);

// Opens a checkpoint for reading the extra entries (resume), its tensors placed on `device`
// (the optimizer state must live where the parameters do). Throws runtime_error naming path.
torch::serialize::InputArchive open_checkpoint_archive(const std::string& path,
                                                       torch::Device device = torch::kCPU);

// Writes an OutputArchive atomically (PATH.tmp + fsync + rename). Throws runtime_error.
void save_archive_atomically(torch::serialize::OutputArchive& archive, const std::string& path);

nlohmann::json model_config_to_json(const ModelConfig& config);
ModelConfig model_config_from_json(const nlohmann::json& j);   // throws std::invalid_argument

}  // namespace alzscan
