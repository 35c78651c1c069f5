// native/models/small.h: `small`, the fast default backbone for a 2-core CPU (1.23 M parameters).
//
//   auto net = std::make_shared<alzscan::SmallNetImpl>(/*in_channels=*/1);
//   torch::Tensor maps = net->feature_maps(x);   // x: N,1,H,W -> N,256,H/16,W/16
//
// Fixed structure (a Python reference mirrors it; do not change without changing both):
//   stem   = Sequential(Conv2d(in,32,3,stride 2,pad 1,bias=False), BatchNorm2d(32), ReLU)
//            names stem.0 (conv), stem.1 (bn)
//   layer1 = BasicBlock(32->32, stride 1)    names conv1, bn1, conv2, bn2
//   layer2 = BasicBlock(32->64, stride 2)    + downsample.0 (1x1 conv, stride 2), downsample.1 (bn)
//   layer3 = BasicBlock(64->128, stride 2)   + downsample
//   layer4 = BasicBlock(128->256, stride 2)  + downsample
// BatchNorm eps 1e-5, momentum 0.1. Init: kaiming_normal_(fan_out, relu), BN weight 1 / bias 0.
#pragma once

#include "models/backbone.h"
#include "models/blocks.h"

namespace alzscan {

class SmallNetImpl : public BackboneImpl {
public:
    explicit SmallNetImpl(int64_t in_channels);
    torch::Tensor feature_maps(torch::Tensor x) override;
    int64_t num_features() const override { return 256; }

    ConvNormAct stem{nullptr};
    BasicBlock layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
};

}  // namespace alzscan
