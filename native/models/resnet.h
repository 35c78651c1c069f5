// native/models/resnet.h: torchvision's resnet50 with a 1-channel stem and no fc (the head
// replaces it). Names as torchvision: conv1, bn1, layer1..layer4 (layerK.i = Bottleneck).
//
//   auto net = std::make_shared<alzscan::ResNet50Impl>(/*in_channels=*/1);
//   torch::Tensor maps = net->feature_maps(x);   // x: N,1,H,W -> N,2048,H/32,W/32
#pragma once

#include <vector>

#include "models/backbone.h"
#include "models/blocks.h"

namespace alzscan {

class ResNet50Impl : public BackboneImpl {
public:
    explicit ResNet50Impl(int64_t in_channels);
    torch::Tensor feature_maps(torch::Tensor x) override;
    int64_t num_features() const override { return 2048; }

    torch::nn::Conv2d conv1{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr};
    // layers[k] holds layer{k+1}'s blocks, registered as "layer{k+1}.{i}".
    std::vector<std::vector<Bottleneck>> layers;
};

}  // namespace alzscan
