// native/train/calibrate.h: how sure the model may be, and what it does not know, measured on
// validation people after training (never on test people): the temperature that makes its
// probabilities honest (shared/calibration.h) and the thresholds of the out-of-distribution checks
// (shared/ood.h) with the training people's feature statistics.
//
//   alzscan::LoadedModel m = alzscan::load_model("runs/default/best.pt");
//   nlohmann::json fitted = alzscan::fit_calibration(m.net, ds, m.spec, torch::kCPU);
//   // fitted = {"calibration": {"temperature", "fitted_on", "validation": {"before", "after"}},
//   //           "ood": <ood_spec_to_json + "fitted_on">}: members of the checkpoint meta and model.json
//
// Data contract: ds.train and ds.val decoded with m.spec (the dataset cache holds the prepared 8-bit
// slices, exactly what ood.h measures); ds.val must not be empty.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "alzscan/preprocess_spec.h"
#include "data/dataset.h"
#include "models/model_zoo.h"

namespace alzscan {

struct SplitOutputs {
    std::vector<float> logits;     // N x C
    std::vector<float> features;   // N x F, the pooled last feature maps
    int64_t classes = 0, features_per_row = 0;
};

// The network over a split, in eval mode without gradients (the caller's mode is restored).
SplitOutputs forward_split(Classifier& net, const DatasetSplit& split, const PreprocessSpec& spec,
                           torch::Device device, int64_t batch_size = 128);

// Throws std::runtime_error when the validation split is empty.
nlohmann::json fit_calibration(Classifier& net, const Dataset& ds, const PreprocessSpec& spec, torch::Device device);

// The temperature a checkpoint meta holds ("calibration": {"temperature"}), 1 without one.
double temperature_of(const nlohmann::json& meta);

}  // namespace alzscan
