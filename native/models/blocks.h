// native/models/blocks.h: the building blocks shared by the backbones, with torchvision's
// module names so that torchvision state dicts load by name and the ONNX exporter can walk
// them by type (onnx_export.cpp knows every class declared here and nothing else).
//
//   alzscan::ConvNormAct stem(alzscan::ConvNormActOptions{1, 32, 3}.stride(2).act(Act::relu));
//   torch::Tensor y = stem->forward(x);   // conv (no bias) -> BatchNorm2d -> activation
//
// Names: ConvNormAct registers "0" (Conv2d) and "1" (BatchNorm2d) like torchvision's
// Conv2dNormActivation / Sequential(conv, bn); the activation has no parameters.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <torch/torch.h>

namespace alzscan {

enum class Act { none, relu, silu };

struct ConvNormActOptions {
    ConvNormActOptions(int64_t in, int64_t out, int64_t kernel) : in_(in), out_(out), kernel_(kernel) {}
    TORCH_ARG(int64_t, in);
    TORCH_ARG(int64_t, out);
    TORCH_ARG(int64_t, kernel);
    TORCH_ARG(int64_t, stride) = 1;
    TORCH_ARG(int64_t, groups) = 1;
    TORCH_ARG(double, bn_eps) = 1e-5;
    TORCH_ARG(double, bn_momentum) = 0.1;
    TORCH_ARG(Act, act) = Act::none;
};

// conv (padding (k-1)/2, no bias) -> BatchNorm2d -> activation.
class ConvNormActImpl : public torch::nn::Module {
public:
    explicit ConvNormActImpl(const ConvNormActOptions& options);
    torch::Tensor forward(torch::Tensor x);

    ConvNormActOptions options;
    torch::nn::Conv2d conv{nullptr};
    torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(ConvNormAct);

// torchvision's BasicBlock (ResNet-18/34): conv3x3-BN-ReLU-conv3x3-BN + shortcut, ReLU.
// Names: conv1, bn1, conv2, bn2, downsample (a ConvNormAct: downsample.0 / downsample.1).
class BasicBlockImpl : public torch::nn::Module {
public:
    BasicBlockImpl(int64_t in, int64_t out, int64_t stride);
    torch::Tensor forward(torch::Tensor x);

    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
    ConvNormAct downsample{nullptr};   // null when the shortcut is the identity
};
TORCH_MODULE(BasicBlock);

// torchvision's Bottleneck (ResNet-50, "v1.5": stride on the 3x3 conv), expansion 4.
// Names: conv1, bn1, conv2, bn2, conv3, bn3, downsample.
class BottleneckImpl : public torch::nn::Module {
public:
    BottleneckImpl(int64_t in, int64_t width, int64_t stride);
    torch::Tensor forward(torch::Tensor x);

    static constexpr int64_t kExpansion = 4;
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
    ConvNormAct downsample{nullptr};
};
TORCH_MODULE(Bottleneck);

// torchvision.ops.SqueezeExcitation with SiLU: x * sigmoid(fc2(silu(fc1(avgpool(x))))).
// Names: fc1, fc2 (1x1 convolutions with bias).
class SqueezeExcitationImpl : public torch::nn::Module {
public:
    SqueezeExcitationImpl(int64_t channels, int64_t squeeze_channels);
    torch::Tensor forward(torch::Tensor x);

    torch::nn::Conv2d fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(SqueezeExcitation);

// torchvision's MBConv: [expand 1x1] -> depthwise kxk -> SE -> project 1x1 (no activation),
// + stochastic depth ("row" mode) and the identity when stride 1 and in == out.
// Names: block.0 .. block.3 (block.0 .. block.2 without expansion), as torchvision.
class MBConvImpl : public torch::nn::Module {
public:
    MBConvImpl(int64_t in, int64_t out, int64_t expand_ratio, int64_t kernel, int64_t stride,
               double stochastic_depth_prob, double bn_eps, double bn_momentum);
    torch::Tensor forward(torch::Tensor x);

    ConvNormAct expand{nullptr};   // null when expand_ratio == 1
    ConvNormAct depthwise{nullptr};
    SqueezeExcitation se{nullptr};
    ConvNormAct project{nullptr};
    bool use_residual = false;
    double stochastic_depth_prob = 0.0;
};
TORCH_MODULE(MBConv);

// torchvision.ops.stochastic_depth(mode="row"): drops whole samples of the residual branch in
// training and rescales the survivors by 1/(1-p); the identity in eval.
torch::Tensor stochastic_depth_row(const torch::Tensor& x, double p, bool training);

// torchvision's _make_divisible: the channel rounding of MobileNet/EfficientNet.
int64_t make_divisible(double value, int64_t divisor = 8);

// torchvision's conv init: kaiming_normal_(fan_out, relu), bias 0; BatchNorm weight 1, bias 0.
void init_conv_bn(torch::nn::Module& module);

}  // namespace alzscan
