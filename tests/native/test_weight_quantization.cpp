// int8 per-output-channel weight quantization (native/export/weight_quantization.h) against values
// computed by hand, and the property the exporter relies on: BatchNorm folding (a per-channel
// factor) after quantization gives back the same integers.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "export/weight_quantization.h"

using namespace alzscan;

TEST(WeightQuantization, PerChannelScaleAndRoundingByHand) {
    // Channel 0: max |w| = 1.27 -> scale 0.01: 0.5 -> 50, -1.27 -> -127, 0.034 -> 3.4 -> 3.
    // Channel 1: all zero -> scale 1, q 0. Channel 2: max 2.54 -> scale 0.02: 0.102 -> 5.1 -> 5,
    // -0.3 -> -15. (No value sits near x.5, where float rounding could go either way.)
    torch::Tensor w = torch::tensor({0.5f, -1.27f, 0.034f, 0.f, 0.f, 0.f, 2.54f, 0.102f, -0.3f}).view({3, 3, 1, 1});
    QuantizedWeight q = quantize_per_channel_int8(w);
    ASSERT_EQ(q.q.scalar_type(), torch::kInt8);
    ASSERT_EQ(q.q.sizes(), w.sizes());
    ASSERT_EQ(q.scale.sizes(), (std::vector<int64_t>{3}));
    EXPECT_NEAR(q.scale[0].item<float>(), 0.01f, 1e-9);
    EXPECT_EQ(q.scale[1].item<float>(), 1.0f);
    EXPECT_NEAR(q.scale[2].item<float>(), 0.02f, 1e-9);
    const std::vector<int> expected = {50, -127, 3, 0, 0, 0, 127, 5, -15};
    const torch::Tensor flat = q.q.flatten();
    for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(flat[i].item<int>(), expected[i]) << "element " << i;
    // dequantize = q * scale, per channel.
    const torch::Tensor back = dequantize(q).flatten();
    EXPECT_NEAR(back[1].item<float>(), -1.27f, 1e-6);
    EXPECT_NEAR(back[7].item<float>(), 0.1f, 1e-6);
    EXPECT_THROW(quantize_per_channel_int8(torch::ones({4})), std::invalid_argument);
}

TEST(WeightQuantization, FoldingAfterQuantizationKeepsTheIntegers) {
    torch::manual_seed(3);
    const torch::Tensor w = dequantize(quantize_per_channel_int8(torch::randn({16, 8, 3, 3})));
    const torch::Tensor fold = torch::tensor({0.3f, -2.5f, 1.7f, 0.01f, -0.9f, 4.f, 1.f, -1.f,
                                              0.5f, 0.25f, -3.f, 2.f, 0.7f, -0.05f, 9.f, 1.1f});
    const QuantizedWeight a = quantize_per_channel_int8(w);
    const QuantizedWeight b = quantize_per_channel_int8(w * fold.view({-1, 1, 1, 1}));
    EXPECT_TRUE(torch::equal(b.q.to(torch::kInt32), a.q.to(torch::kInt32) * fold.sign().to(torch::kInt32).view({-1, 1, 1, 1})));
    EXPECT_TRUE(torch::allclose(b.scale, a.scale * fold.abs(), 1e-6, 0));
}

TEST(WeightQuantization, ModelWeightsAreRoundedInPlaceAndOnlyConvLinear) {
    torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 4, 3)), torch::nn::BatchNorm2d(4),
                              torch::nn::Flatten(), torch::nn::Linear(4 * 6 * 6, 2));
    torch::manual_seed(5);
    const torch::Tensor conv_before = net[0]->named_parameters()["weight"].clone();
    const torch::Tensor bn_before = net[1]->named_parameters()["weight"].clone();
    EXPECT_EQ(quantize_weights_int8(*net), 2);   // conv + linear weights; biases and BN untouched
    const torch::Tensor conv_after = net[0]->named_parameters()["weight"];
    EXPECT_FALSE(torch::equal(conv_after, conv_before));
    EXPECT_TRUE(torch::equal(conv_after, dequantize(quantize_per_channel_int8(conv_before))));
    EXPECT_TRUE(torch::equal(net[1]->named_parameters()["weight"], bn_before));
    // Idempotent: rounding rounded weights changes nothing.
    const torch::Tensor once = conv_after.clone();
    quantize_weights_int8(*net);
    EXPECT_TRUE(torch::equal(net[0]->named_parameters()["weight"], once));
}
