// native/models/efficientnet.h: torchvision's efficientnet_b2 (width 1.1, depth 1.2) with a
// 1-channel stem and no classifier (the head replaces it).
//
//   auto net = std::make_shared<alzscan::EfficientNetImpl>(/*in_channels=*/1, /*sd_prob=*/0.2);
//   torch::Tensor maps = net->feature_maps(x);   // x: N,1,H,W -> N,1408,H/32,W/32
//
// Names as torchvision: features.0 (stem Conv2dNormActivation: features.0.0 conv,
// features.0.1 bn), features.1..7 (stages; features.S.i.block.j = MBConv parts),
// features.8 (1x1 conv to 1408). BatchNorm eps 1e-5, momentum 0.1 (torchvision's B-series use
// nn.BatchNorm2d's defaults; eps 1e-3 is only its V2 family), SiLU everywhere.
// Stochastic depth probability of block b (0-based over all 23 blocks) = sd_prob * b / 23.
#pragma once

#include <vector>

#include "models/backbone.h"
#include "models/blocks.h"

namespace alzscan {

struct MBConvStage {
    int64_t expand_ratio, kernel, stride, in, out, layers;   // after width/depth scaling
};

// The seven B2 stages after torchvision's _efficientnet_conf rounding (make_divisible of
// channels * 1.1, ceil(layers * 1.2)).
std::vector<MBConvStage> efficientnet_b2_stages();

class EfficientNetImpl : public BackboneImpl {
public:
    EfficientNetImpl(int64_t in_channels, double stochastic_depth_prob);
    torch::Tensor feature_maps(torch::Tensor x) override;
    int64_t num_features() const override { return last_channels_; }

    ConvNormAct stem{nullptr};                  // features.0
    std::vector<std::vector<MBConv>> stages;    // features.1 .. features.7
    ConvNormAct head_conv{nullptr};             // features.8

private:
    int64_t last_channels_ = 0;
};

}  // namespace alzscan
