// wasm/model_info.h: model.json as the browser app needs it, validated before anything runs.
//
//   auto info = alzscan::web::parse_model_info(model_json_text);
//   if (!info) show_banner(info.error());  // "model.json: format is \"x\", expected \"alzscan-model/1\""
//   const PreprocessSpec& spec = info->spec;   // what preprocess_bytes() needs
//
// Contract (written by `alzscan export`): {"format": "alzscan-model/1", "input": {...},
// "outputs": {"logits": NAME, "probabilities": NAME}, "classes": [...], "model": {...},
// "training": {...}, "onnx_sha256": "..."}. Test metrics are read from training.final.test (what
// `alzscan export` copies from a run's metrics.jsonl), training.test or training.metrics.test.
// "input"/"classes" are validated by shared/ parse_preprocess_spec(); the rest here. The class
// count against the ONNX graph's output is checked by the inference worker, which is the only side
// that sees the graph.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "alzscan/atrophy.h"
#include "alzscan/expected.h"
#include "alzscan/ood.h"
#include "alzscan/preprocess_spec.h"

namespace alzscan::web {

struct ModelInfo {
    PreprocessSpec spec;
    std::string logits_output = "logits";
    std::string probabilities_output = "probabilities";
    std::string features_output;   // "" when model.json names none (no out-of-distribution distance)
    std::string cam_output;        // "" when the graph has no class activation maps
    OodSpec ood;                   // model.json "ood"; disabled when absent
    AtrophyReference atrophy;      // model.json "atrophy" (shared/atrophy.h); disabled when absent
    double temperature = 1.0;      // model.json calibration.temperature (applied inside the graph)
    std::string name;      // "small / linear head", built from "model"
    std::string split;     // the split the test metrics were measured on ("kaggle", "hf", ...)
    std::string onnx_sha256;
    // Display rows, in file order: model details ("arch", "head", "parameters", ...) and the
    // scalar test-split metrics ("accuracy", "macro_f1", ...). Empty when model.json has none.
    std::vector<std::pair<std::string, std::string>> model_rows;
    std::vector<std::pair<std::string, double>> test_metrics;
    std::vector<std::pair<std::string, std::string>> training_rows;  // epochs, seed, ...
    // Per-class recall on the test split with its 95 % Wilson interval and support, in
    // spec.class_names order (from shared/ metrics_to_json()'s "per_class"); empty when absent.
    struct ClassRecall {
        std::string name;
        double recall = 0, ci_low = 0, ci_high = 0;
        long long support = 0;
    };
    std::vector<ClassRecall> test_recall;
};

Expected<ModelInfo> parse_model_info(const std::string& json_text);

}  // namespace alzscan::web
