// torchvision.models.resnet50 (Bottleneck, [3, 4, 6, 3]) with in_channels input channels.
#include "models/resnet.h"

#include "models/batch_norm.h"

#include <string>

namespace alzscan {

namespace tnn = torch::nn;

ResNet50Impl::ResNet50Impl(int64_t in_channels) {
    conv1 = register_module(
        "conv1", tnn::Conv2d(tnn::Conv2dOptions(in_channels, 64, 7).stride(2).padding(3).bias(false)));
    bn1 = register_module("bn1", tnn::BatchNorm2d(64));
    const int64_t depths[4] = {3, 4, 6, 3};
    const int64_t widths[4] = {64, 128, 256, 512};
    int64_t in = 64;
    for (int k = 0; k < 4; ++k) {
        auto list = register_module("layer" + std::to_string(k + 1), tnn::ModuleList());
        layers.emplace_back();
        for (int64_t i = 0; i < depths[k]; ++i) {
            Bottleneck block(in, widths[k], (i == 0 && k > 0) ? 2 : 1);
            list->push_back(block);
            layers.back().push_back(block);
            in = widths[k] * BottleneckImpl::kExpansion;
        }
    }
    init_conv_bn(*this);
}

torch::Tensor ResNet50Impl::feature_maps(torch::Tensor x) {
    x = batch_norm(*bn1, conv1->forward(x)).relu_();
    x = torch::max_pool2d(x, /*kernel_size=*/3, /*stride=*/2, /*padding=*/1);
    for (auto& layer : layers)
        for (auto& block : layer) x = block->forward(x);
    return x;
}

}  // namespace alzscan
