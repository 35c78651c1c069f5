// native/checkpoint.h: checkpoints on disk (owner: trainer).
//
//   alzscan::LoadedModel m = alzscan::load_model("runs/default/best.pt");  // throws runtime_error
//   m.net->eval();
//   torch::Tensor logits = m.net->forward(x);     // x preprocessed with m.spec (shared/)
//
//   alzscan::save_model_checkpoint("out/random.pt", net, spec, extra_meta);  // weights only
//
// One file per checkpoint (LibTorch's zip archive): the model's parameters and buffers, the
// JSON meta (model config, preprocessing spec as in shared/preprocess_spec.h, training info),
// and for training checkpoints also optimizer, scheduler, sampler RNG and epoch.
// Writes go to PATH.tmp and are renamed over PATH, so a crash never leaves half a file.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "alzscan/preprocess_spec.h"
#include "models/model_zoo.h"

namespace alzscan {

struct LoadedModel {
    ModelConfig model_config;
    PreprocessSpec spec;
    Classifier net{nullptr};
    nlohmann::json meta;   // {"model": {...}, "input": {...}, "classes": [...], "training": {...}}
};

// Errors (one line, path + hint): missing file, not an alzscan checkpoint, unknown arch/head,
// parameter names or shapes that do not match the config.
LoadedModel load_model(const std::string& path);

// extra_meta's members are merged into the stored meta (e.g. "training": {...}).
void save_model_checkpoint(const std::string& path, Classifier& net, const PreprocessSpec& spec,
                           const nlohmann::json& extra_meta = nlohmann::json::object());

nlohmann::json model_config_to_json(const ModelConfig& config);
ModelConfig model_config_from_json(const nlohmann::json& j);   // throws std::invalid_argument

}  // namespace alzscan
