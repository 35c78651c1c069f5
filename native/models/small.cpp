// `small`: a ResNet-10-like backbone (see small.h for the fixed structure).
#include "models/small.h"

namespace alzscan {

SmallNetImpl::SmallNetImpl(int64_t in_channels) {
    stem = register_module("stem", ConvNormAct(ConvNormActOptions(in_channels, 32, 3).stride(2).act(Act::relu)));
    layer1 = register_module("layer1", BasicBlock(32, 32, 1));
    layer2 = register_module("layer2", BasicBlock(32, 64, 2));
    layer3 = register_module("layer3", BasicBlock(64, 128, 2));
    layer4 = register_module("layer4", BasicBlock(128, 256, 2));
    init_conv_bn(*this);
}

torch::Tensor SmallNetImpl::feature_maps(torch::Tensor x) {
    x = stem->forward(x);
    x = layer1->forward(x);
    x = layer2->forward(x);
    x = layer3->forward(x);
    return layer4->forward(x);
}

}  // namespace alzscan
