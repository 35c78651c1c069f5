// Building blocks with torchvision's structure and names (see blocks.h).
#include "models/blocks.h"

#include "models/batch_norm.h"

#include <algorithm>

namespace alzscan {

namespace tnn = torch::nn;

namespace {

tnn::Conv2d make_conv(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups = 1,
                      bool bias = false) {
    return tnn::Conv2d(tnn::Conv2dOptions(in, out, kernel)
                           .stride(stride)
                           .padding((kernel - 1) / 2)
                           .groups(groups)
                           .bias(bias));
}

}  // namespace

ConvNormActImpl::ConvNormActImpl(const ConvNormActOptions& o) : options(o) {
    conv = register_module("0", make_conv(o.in(), o.out(), o.kernel(), o.stride(), o.groups()));
    bn = register_module(
        "1", tnn::BatchNorm2d(tnn::BatchNorm2dOptions(o.out()).eps(o.bn_eps()).momentum(o.bn_momentum())));
}

torch::Tensor ConvNormActImpl::forward(torch::Tensor x) {
    x = batch_norm(*bn, conv->forward(x));
    switch (options.act()) {
        case Act::relu: return torch::relu_(x);   // x is BN's output: see BasicBlock
        case Act::silu: return torch::silu(x);
        case Act::none: break;
    }
    return x;
}

BasicBlockImpl::BasicBlockImpl(int64_t in, int64_t out, int64_t stride) {
    conv1 = register_module("conv1", make_conv(in, out, 3, stride));
    bn1 = register_module("bn1", tnn::BatchNorm2d(out));
    conv2 = register_module("conv2", make_conv(out, out, 3, 1));
    bn2 = register_module("bn2", tnn::BatchNorm2d(out));
    if (stride != 1 || in != out)
        downsample = register_module("downsample", ConvNormAct(ConvNormActOptions(in, out, 1).stride(stride)));
}

// In-place ReLU and residual add (as torchvision's inplace=True): they overwrite batch-norm outputs,
// which no backward pass reads (BN's backward reads its input, ReLU's its result), and save one
// tensor write per activation.
torch::Tensor BasicBlockImpl::forward(torch::Tensor x) {
    torch::Tensor y = batch_norm(*bn1, conv1->forward(x)).relu_();
    y = batch_norm(*bn2, conv2->forward(y));
    return y.add_(downsample ? downsample->forward(x) : x).relu_();
}

BottleneckImpl::BottleneckImpl(int64_t in, int64_t width, int64_t stride) {
    const int64_t out = width * kExpansion;
    conv1 = register_module("conv1", make_conv(in, width, 1, 1));
    bn1 = register_module("bn1", tnn::BatchNorm2d(width));
    conv2 = register_module("conv2", make_conv(width, width, 3, stride));
    bn2 = register_module("bn2", tnn::BatchNorm2d(width));
    conv3 = register_module("conv3", make_conv(width, out, 1, 1));
    bn3 = register_module("bn3", tnn::BatchNorm2d(out));
    if (stride != 1 || in != out)
        downsample = register_module("downsample", ConvNormAct(ConvNormActOptions(in, out, 1).stride(stride)));
}

torch::Tensor BottleneckImpl::forward(torch::Tensor x) {
    torch::Tensor y = batch_norm(*bn1, conv1->forward(x)).relu_();
    y = batch_norm(*bn2, conv2->forward(y)).relu_();
    y = batch_norm(*bn3, conv3->forward(y));
    return y.add_(downsample ? downsample->forward(x) : x).relu_();   // in place: see BasicBlock
}

SqueezeExcitationImpl::SqueezeExcitationImpl(int64_t channels, int64_t squeeze_channels) {
    fc1 = register_module("fc1", make_conv(channels, squeeze_channels, 1, 1, 1, /*bias=*/true));
    fc2 = register_module("fc2", make_conv(squeeze_channels, channels, 1, 1, 1, /*bias=*/true));
}

torch::Tensor SqueezeExcitationImpl::forward(torch::Tensor x) {
    torch::Tensor s = torch::adaptive_avg_pool2d(x, {1, 1});
    s = torch::sigmoid(fc2->forward(torch::silu(fc1->forward(s))));
    return x * s;
}

MBConvImpl::MBConvImpl(int64_t in, int64_t out, int64_t expand_ratio, int64_t kernel, int64_t stride,
                       double sd_prob, double bn_eps, double bn_momentum)
    : use_residual(stride == 1 && in == out), stochastic_depth_prob(sd_prob) {
    auto block = register_module("block", tnn::ModuleList());
    const int64_t expanded = make_divisible(static_cast<double>(in * expand_ratio));
    if (expanded != in) {
        expand = ConvNormAct(ConvNormActOptions(in, expanded, 1).bn_eps(bn_eps).bn_momentum(bn_momentum).act(Act::silu));
        block->push_back(expand);
    }
    depthwise = ConvNormAct(ConvNormActOptions(expanded, expanded, kernel)
                                .stride(stride)
                                .groups(expanded)
                                .bn_eps(bn_eps)
                                .bn_momentum(bn_momentum)
                                .act(Act::silu));
    block->push_back(depthwise);
    se = SqueezeExcitation(expanded, std::max<int64_t>(1, in / 4));
    block->push_back(se);
    project = ConvNormAct(ConvNormActOptions(expanded, out, 1).bn_eps(bn_eps).bn_momentum(bn_momentum));
    block->push_back(project);
}

torch::Tensor MBConvImpl::forward(torch::Tensor x) {
    torch::Tensor y = expand ? expand->forward(x) : x;
    y = project->forward(se->forward(depthwise->forward(y)));
    if (use_residual) y = stochastic_depth_row(y, stochastic_depth_prob, is_training()) + x;
    return y;
}

torch::Tensor stochastic_depth_row(const torch::Tensor& x, double p, bool training) {
    if (!training || p <= 0.0) return x;
    const double survival = 1.0 - p;
    torch::Tensor noise = torch::empty({x.size(0), 1, 1, 1}, x.options()).bernoulli_(survival);
    if (survival > 0.0) noise.div_(survival);
    return x * noise;
}

int64_t make_divisible(double value, int64_t divisor) {
    int64_t rounded = std::max<int64_t>(divisor, static_cast<int64_t>(value + divisor / 2.0) / divisor * divisor);
    if (static_cast<double>(rounded) < 0.9 * value) rounded += divisor;
    return rounded;
}

void init_conv_bn(torch::nn::Module& module) {
    torch::NoGradGuard no_grad;
    for (auto& m : module.modules(/*include_self=*/false)) {
        if (auto* conv = m->as<tnn::Conv2d>()) {
            tnn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
            if (conv->bias.defined()) tnn::init::zeros_(conv->bias);
        } else if (auto* bn = m->as<tnn::BatchNorm2d>()) {
            tnn::init::ones_(bn->weight);
            tnn::init::zeros_(bn->bias);
        }
    }
}

}  // namespace alzscan
