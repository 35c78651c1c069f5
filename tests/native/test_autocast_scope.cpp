// AutocastScope (native/train/autocast_scope.h): inside it a conv computes in bfloat16, outside in float32,
// the previous state comes back on exit, and a bf16 training step still lowers the loss.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "train/autocast_scope.h"

using alzscan::AutocastScope;

TEST(AutocastScope, ConvRunsInBf16OnlyInsideTheScope) {
    torch::manual_seed(1);
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(1, 4, 3));
    const torch::Tensor x = torch::randn({2, 1, 8, 8});
    EXPECT_EQ(conv->forward(x).scalar_type(), torch::kFloat);
    torch::Tensor inside;
    {
        AutocastScope bf16(true, torch::kCPU);
        inside = conv->forward(x);
        EXPECT_EQ(inside.scalar_type(), torch::kBFloat16);
        {
            AutocastScope off(false, torch::kCPU);   // disabled scope: changes nothing
            EXPECT_EQ(conv->forward(x).scalar_type(), torch::kBFloat16);
        }
    }
    EXPECT_EQ(conv->forward(x).scalar_type(), torch::kFloat);
    // bf16 keeps 8 mantissa bits: close to the float32 result, not equal.
    const torch::Tensor ref = conv->forward(x);
    const double err = (inside.to(torch::kFloat) - ref).abs().max().item<double>();
    EXPECT_GT(err, 0.0);
    EXPECT_LT(err, 0.05 * ref.abs().max().item<double>());
}

TEST(AutocastScope, Bf16StepsLowerTheLossWithFloat32Weights) {
    torch::manual_seed(2);
    torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 8, 3).padding(1)), torch::nn::ReLU(),
                              torch::nn::AdaptiveAvgPool2d(1), torch::nn::Flatten(), torch::nn::Linear(8, 4));
    torch::optim::AdamW opt(net->parameters(), torch::optim::AdamWOptions(1e-2));
    const torch::Tensor x = torch::randn({16, 1, 8, 8});
    const torch::Tensor y = torch::arange(16) % 4;
    auto loss_now = [&] {
        torch::NoGradGuard no_grad;
        return torch::nn::functional::cross_entropy(net->forward(x), y).item<double>();
    };
    const double before = loss_now();
    for (int i = 0; i < 20; ++i) {
        torch::Tensor logits;
        {
            AutocastScope bf16(true, torch::kCPU);
            logits = net->forward(x);
        }
        torch::Tensor loss = torch::nn::functional::cross_entropy(logits.to(torch::kFloat), y);
        opt.zero_grad();
        loss.backward();
        opt.step();
    }
    for (const auto& p : net->parameters()) EXPECT_EQ(p.scalar_type(), torch::kFloat);
    EXPECT_LT(loss_now(), before);
}
