// native/export/onnx_export.h: a Classifier -> ONNX (opset 17) + model.json, written with libonnx.
//
//   alzscan::LoadedModel m = alzscan::load_model("runs/default/best.pt");
//   alzscan::ExportResult r = alzscan::export_model(m, "models/default");   // throws runtime_error
//   // r.onnx_path = models/default/model.onnx, r.json_path = models/default/model.json
//
// Graph contract (what the browser and tests/node/parity.test.mjs rely on):
//   input  "input"         float32 [N, 1, H, W]  (N dynamic, "N"; H, W from the spec)
//   output "logits"        float32 [N, C]
//   output "probabilities" float32 [N, C]        Softmax(logits / T, axis=1), T = the calibration
//                                                temperature (no Div node when T = 1)
//   output "features"      float32 [N, F]        the pooled last feature maps (the head's input;
//                                                the out-of-distribution distance, shared/ood.h)
//   output "cam"           float32 [N, C, h, w]  linear head only: each class's classifier row as a
//                                                1x1 convolution over the last feature maps, no bias
//                                                (Grad-CAM's map before ReLU and scaling)
// Inference semantics (eval mode): BatchNorm is folded into the preceding Conv / Gemm,
// dropout and stochastic depth vanish, squeeze-excitation and the enhanced head's channel
// attention stay as GlobalAveragePool / Conv / Gemm / Sigmoid / Mul nodes, SiLU is
// x * Sigmoid(x) (opset 17 has no SiLU op).
// The exporter walks the module tree by type (blocks.h, heads.h); any module, parameter or
// buffer it did not translate is an error naming it, never a silently different graph.
// WeightFormat::kInt8 stores every Conv/Gemm weight (after folding) as int8 + one float scale per
// output channel behind a DequantizeLinear node (weight_quantization.h); biases stay float.
// onnx::checker and shape inference run before anything is written; files are written as
// PATH.tmp and renamed.
//
// model.json (format "alzscan-model/1"):
//   {"format": "alzscan-model/1",
//    "input": {"name": "input", "layout": "NCHW", "channels": 1, "height": H, "width": W,
//              "mean": m, "std": s, "resize": "area"},
//    "outputs": {"logits", "probabilities", "features"[, "cam"]: their output names},
//    "classes": [...],
//    "model": {"arch", "head", "dropout", "stochastic_depth", "in_channels", "num_classes",
//              "parameters", "opset": 17, "batchnorm_folded": true, "weights": "float32" | "int8"},
//    "training": <the checkpoint meta's "training", or null>,
//    "calibration": <the meta's "calibration" ({"temperature", ...}, alzscan calibrate), or null>,
//    "ood": <the meta's "ood" (shared/ood.h's spec), when the checkpoint has one>,
//    "onnx_sha256": "<hex digest of model.onnx>", "onnx_bytes": n, "exported_by": "alzscan x.y.z"}
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "alzscan/preprocess_spec.h"
#include "models/checkpoint.h"
#include "models/model_zoo.h"

namespace alzscan {

enum class WeightFormat { kFloat32, kInt8 };
std::string weight_format_name(WeightFormat weights);        // "float32" | "int8"
WeightFormat parse_weight_format(const std::string& name);   // throws invalid_argument

// What the graph adds to the network: the calibration temperature, the class activation maps.
struct GraphExtras {
    double temperature = 1.0;
    bool cam = true;   // only a linear head has them
};
// The extras a checkpoint's meta asks for ("calibration": {"temperature"}).
GraphExtras graph_extras_from(const nlohmann::json& meta);

// Serialized, checked and shape-inferred ONNX ModelProto of net (in eval semantics).
std::string build_onnx_bytes(Classifier& net, const PreprocessSpec& spec,
                             WeightFormat weights = WeightFormat::kFloat32, const GraphExtras& extras = {});

struct ExportResult {
    std::string onnx_path, json_path, onnx_sha256;
    int64_t onnx_bytes = 0;
    nlohmann::json model_json;
};

// Writes OUT_DIR/model.onnx and OUT_DIR/model.json (creating OUT_DIR).
ExportResult export_model(const LoadedModel& model, const std::string& out_dir,
                          WeightFormat weights = WeightFormat::kFloat32, bool cam = true);

// The selected checkpoint's metrics from the run directory it sits in: the `{"final": true,
// "checkpoint": "best", ...}` line of metrics.jsonl beside a best.pt (the trainer's run
// layout), as {"epoch", "val", "test"}; null when there is no such line or file.
nlohmann::json final_metrics_beside(const std::string& checkpoint_path);

// The model.json document for given ONNX bytes (exposed for tests).
nlohmann::json make_model_json(const LoadedModel& model, const std::string& onnx_sha256, int64_t onnx_bytes,
                               WeightFormat weights = WeightFormat::kFloat32, bool cam = true);

}  // namespace alzscan
