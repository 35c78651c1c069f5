// native/models/model_zoo.h: every classifier the trainer can build.
//
//   alzscan::ModelConfig cfg;
//   cfg.arch = "efficientnet_b2"; cfg.head = "enhanced";
//   alzscan::Classifier net = alzscan::make_model(cfg);     // throws std::invalid_argument
//   torch::Tensor logits = net->forward(x);                 // x: N,1,H,W float32, normalised
//                                                           // logits: N,num_classes float32
// Module names follow torchvision where it has the model (resnet50: conv1, bn1, layer1..4;
// efficientnet_b2: features.0 .. features.8), so torchvision state dicts load by name
// (see --init). The backbone is registered as "backbone", the head as "head".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "models/backbone.h"
#include "models/heads.h"

namespace alzscan {

struct ModelConfig {
    std::string arch = "small";   // small | resnet50 | efficientnet_b2
    std::string head = "linear";  // linear | mlp | advanced | enhanced
    int in_channels = 1;
    int num_classes = 4;
    double dropout = -1.0;        // < 0: the head's own default (mlp 0.5, enhanced 0.4, ...)
    double stochastic_depth = 0.2;  // efficientnet only (torchvision's default for B2)
};

class ClassifierImpl : public torch::nn::Module {
public:
    explicit ClassifierImpl(const ModelConfig& config);

    // N,C_in,H,W float32 (any strides) -> N,num_classes logits. 4-D weights and activations are
    // kept channels-last inside (speed; values are unaffected).
    torch::Tensor forward(torch::Tensor x);
    // Last convolutional feature maps (N,C,h,w), before pooling (Grad-CAM, models/grad_cam.h).
    torch::Tensor feature_maps(torch::Tensor x);
    // Feature maps -> N,C pooled features (global average) -> logits. classify(m) = logits_of(pool(m)):
    // callers that need the pooled features too (the out-of-distribution distance) pool once.
    torch::Tensor pool(const torch::Tensor& feature_maps);
    torch::Tensor logits_of(const torch::Tensor& pooled);
    torch::Tensor classify(torch::Tensor feature_maps);

    const ModelConfig& config() const { return config_; }
    int64_t num_feature_channels() const { return feature_channels_; }

    // Freezes the first n parameter tensors of the backbone in registration order (what
    // `for i, p in enumerate(backbone.parameters()): if i < n: p.requires_grad = False` does
    // in the seed). Returns how many were frozen (min(n, count)).
    int64_t freeze_backbone(int64_t n);

    torch::nn::Module& backbone() { return *backbone_; }
    torch::nn::Module& head() { return *head_; }
    // Typed access for the ONNX exporter, which walks each known block type explicitly.
    std::shared_ptr<BackboneImpl> backbone_ptr() const { return backbone_; }
    std::shared_ptr<HeadImpl> head_ptr() const { return head_; }

private:
    ModelConfig config_;
    int64_t feature_channels_ = 0;
    std::shared_ptr<BackboneImpl> backbone_;
    std::shared_ptr<HeadImpl> head_;
};
TORCH_MODULE(Classifier);

// Throws std::invalid_argument naming the bad value (unknown arch/head, in_channels < 1,
// num_classes < 2, dropout outside [0, 1), stochastic_depth outside [0, 1)).
Classifier make_model(const ModelConfig& config);

std::vector<std::string> model_archs();   // {"small", "resnet50", "efficientnet_b2"}
std::vector<std::string> model_heads();   // {"linear", "mlp", "advanced", "enhanced"}

int64_t count_parameters(torch::nn::Module& module, bool trainable_only = false);

}  // namespace alzscan
