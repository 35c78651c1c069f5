// native/train/evaluate.h: a model over a decoded split -> shared/ metrics + mean loss.
//
//   alzscan::EvalResult r = alzscan::evaluate(net, ds.test, spec, device, 128);
//   nlohmann::json j = alzscan::eval_json(r, ds.class_names);   // metrics_to_json + "loss"
//
// The model runs in eval mode under NoGradGuard (the caller's train/eval mode is restored).
// Loss is plain cross entropy (no class weights, no label smoothing), so it is comparable
// between runs. Inputs are normalised exactly as shared/ normalise_into does.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "alzscan/metrics.h"
#include "alzscan/preprocess_spec.h"
#include "data/dataset.h"
#include "models/model_zoo.h"

namespace alzscan {

struct EvalResult {
    Metrics metrics;
    double loss = 0.0;
    std::vector<float> probabilities;   // N x C row-major
};

// images: uint8 N,1,H,W -> float32 N,1,H,W, (p/255 - mean)/std per shared/ normalise_into.
torch::Tensor normalise_batch(const torch::Tensor& images, const PreprocessSpec& spec);

// temperature: probabilities are softmax(logits / temperature) (a calibrated checkpoint's,
// train/calibrate.h temperature_of); the loss stays plain cross entropy on the logits.
EvalResult evaluate(Classifier& net, const DatasetSplit& split, const PreprocessSpec& spec,
                    torch::Device device, int64_t batch_size,
                    const std::function<void(int64_t)>& on_progress = nullptr, double temperature = 1.0);

// "auto": cuda when this LibTorch has it and a GPU is present, else cpu. "cuda" without one:
// std::invalid_argument with a hint.
torch::Device resolve_device(const std::string& name);

nlohmann::json eval_json(const EvalResult& result, const std::vector<std::string>& class_names);

}  // namespace alzscan
