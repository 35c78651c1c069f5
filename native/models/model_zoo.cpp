// The model zoo: arch + head -> Classifier (see model_zoo.h).
#include "models/model_zoo.h"

#include <stdexcept>

#include "models/efficientnet.h"
#include "models/resnet.h"
#include "models/small.h"

namespace alzscan {

namespace {

std::shared_ptr<BackboneImpl> make_backbone(const ModelConfig& c) {
    if (c.arch == "small") return std::make_shared<SmallNetImpl>(c.in_channels);
    if (c.arch == "resnet50") return std::make_shared<ResNet50Impl>(c.in_channels);
    if (c.arch == "efficientnet_b2") return std::make_shared<EfficientNetImpl>(c.in_channels, c.stochastic_depth);
    throw std::invalid_argument("unknown model '" + c.arch + "' (choose small, resnet50 or efficientnet_b2)");
}

}  // namespace

ClassifierImpl::ClassifierImpl(const ModelConfig& config) : config_(config) {
    if (config.in_channels < 1)
        throw std::invalid_argument("in_channels must be >= 1 (got " + std::to_string(config.in_channels) + ")");
    if (config.num_classes < 2)
        throw std::invalid_argument("num_classes must be >= 2 (got " + std::to_string(config.num_classes) + ")");
    if (!(config.stochastic_depth >= 0.0 && config.stochastic_depth < 1.0))
        throw std::invalid_argument("stochastic_depth must be in [0, 1) (got " +
                                    std::to_string(config.stochastic_depth) + ")");
    backbone_ = register_module("backbone", make_backbone(config));
    feature_channels_ = backbone_->num_features();
    head_ = register_module("head", make_head(config.head, feature_channels_, config.num_classes, config.dropout));
    // Channels-last (NHWC) weights and activations: oneDNN's convolutions and LibTorch's batch
    // norm then run without layout reorders: training on CPU (LibTorch 1.13) ~1.15x faster for
    // `small`, 1.4-1.7x for efficientnet_b2 (BENCHMARKS.md, decision 0007). Same values, same
    // model; only the strides differ, and checkpoints are written contiguous (checkpoint.cpp).
    // set_data keeps each Parameter object, as Module::to does.
    // Tensor::to, not contiguous(): a weight with one input channel per group (stem, depthwise)
    // or a 1x1 kernel is already "channels-last contiguous", so contiguous() keeps its NCHW
    // strides and LibTorch then picks NCHW kernels for it and every layer after it; to() restrides
    // it, as PyTorch's module.to(memory_format=torch.channels_last) does.
    torch::NoGradGuard no_grad;
    for (auto& p : parameters())
        if (p.dim() == 4)
            p.set_data(p.data().to(p.options(), /*non_blocking=*/false, /*copy=*/false, torch::MemoryFormat::ChannelsLast));
}

torch::Tensor ClassifierImpl::feature_maps(torch::Tensor x) {
    return backbone_->feature_maps(x.contiguous(torch::MemoryFormat::ChannelsLast));
}

torch::Tensor ClassifierImpl::pool(const torch::Tensor& maps) { return torch::adaptive_avg_pool2d(maps, {1, 1}).flatten(1); }

torch::Tensor ClassifierImpl::logits_of(const torch::Tensor& pooled) { return head_->forward(pooled); }

torch::Tensor ClassifierImpl::classify(torch::Tensor maps) { return logits_of(pool(maps)); }

torch::Tensor ClassifierImpl::forward(torch::Tensor x) { return classify(feature_maps(x)); }

int64_t ClassifierImpl::freeze_backbone(int64_t n) {
    int64_t frozen = 0;
    for (auto& p : backbone_->parameters()) {
        if (frozen >= n) break;
        p.set_requires_grad(false);
        ++frozen;
    }
    return frozen;
}

Classifier make_model(const ModelConfig& config) { return Classifier(config); }

std::vector<std::string> model_archs() { return {"small", "resnet50", "efficientnet_b2"}; }
std::vector<std::string> model_heads() { return {"linear", "mlp", "advanced", "enhanced"}; }

int64_t count_parameters(torch::nn::Module& module, bool trainable_only) {
    int64_t n = 0;
    for (const auto& p : module.parameters())
        if (!trainable_only || p.requires_grad()) n += p.numel();
    return n;
}

}  // namespace alzscan
