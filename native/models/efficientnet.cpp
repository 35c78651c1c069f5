// torchvision.models.efficientnet_b2: _efficientnet_conf(width_mult=1.1, depth_mult=1.2).
#include "models/efficientnet.h"

#include <cmath>

namespace alzscan {

namespace tnn = torch::nn;

namespace {
constexpr double kWidth = 1.1, kDepth = 1.2;
// torchvision's B0-B7 use plain nn.BatchNorm2d (EfficientNet.__init__: norm_layer defaults to
// nn.BatchNorm2d; only the V2 family passes eps=1e-3), so eps 1e-5 and momentum 0.1 here:
// ImageNet weights loaded with --init then compute what they compute in torchvision.
constexpr double kBnEps = 1e-5, kBnMomentum = 0.1;
}  // namespace

std::vector<MBConvStage> efficientnet_b2_stages() {
    // torchvision's B0 table: expand, kernel, stride, in, out, layers.
    const MBConvStage b0[7] = {{1, 3, 1, 32, 16, 1},  {6, 3, 2, 16, 24, 2},   {6, 5, 2, 24, 40, 2},
                               {6, 3, 2, 40, 80, 3},  {6, 5, 1, 80, 112, 3},  {6, 5, 2, 112, 192, 4},
                               {6, 3, 1, 192, 320, 1}};
    std::vector<MBConvStage> stages;
    for (const MBConvStage& s : b0)
        stages.push_back({s.expand_ratio, s.kernel, s.stride, make_divisible(s.in * kWidth),
                          make_divisible(s.out * kWidth),
                          static_cast<int64_t>(std::ceil(static_cast<double>(s.layers) * kDepth))});
    return stages;
}

EfficientNetImpl::EfficientNetImpl(int64_t in_channels, double sd_prob) {
    const std::vector<MBConvStage> conf = efficientnet_b2_stages();
    auto features = register_module("features", tnn::ModuleList());
    stem = ConvNormAct(ConvNormActOptions(in_channels, conf[0].in, 3)
                           .stride(2)
                           .bn_eps(kBnEps)
                           .bn_momentum(kBnMomentum)
                           .act(Act::silu));
    features->push_back(stem);
    int64_t total_blocks = 0;
    for (const MBConvStage& s : conf) total_blocks += s.layers;
    int64_t block_id = 0;
    for (const MBConvStage& s : conf) {
        tnn::ModuleList stage_list;
        stages.emplace_back();
        for (int64_t i = 0; i < s.layers; ++i) {
            const int64_t in = i == 0 ? s.in : s.out;
            const int64_t stride = i == 0 ? s.stride : 1;
            const double p = sd_prob * static_cast<double>(block_id) / static_cast<double>(total_blocks);
            MBConv block(in, s.out, s.expand_ratio, s.kernel, stride, p, kBnEps, kBnMomentum);
            stage_list->push_back(block);
            stages.back().push_back(block);
            ++block_id;
        }
        features->push_back(stage_list);
    }
    last_channels_ = 4 * conf.back().out;
    head_conv = ConvNormAct(ConvNormActOptions(conf.back().out, last_channels_, 1)
                                .bn_eps(kBnEps)
                                .bn_momentum(kBnMomentum)
                                .act(Act::silu));
    features->push_back(head_conv);
    init_conv_bn(*this);   // torchvision: kaiming_normal_(fan_out) for convs, zero biases
}

torch::Tensor EfficientNetImpl::feature_maps(torch::Tensor x) {
    x = stem->forward(x);
    for (auto& stage : stages)
        for (auto& block : stage) x = block->forward(x);
    return head_conv->forward(x);
}

}  // namespace alzscan
