// MixUp / CutMix (native/data/batch_mixing.h) against hand-built expectations: the partner is the
// previous image, mixup is the lambda-weighted sum, cutmix pastes exactly the reported box and its
// lambda is the kept area; Beta(a, a) draws have the right mean and spread; the mixed loss is the
// cross-entropy of the mixed soft label; draws repeat under the same seed.
#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "data/batch_mixing.h"

using namespace alzscan;

namespace {

// Image i is filled with the value i + 1, so every pixel says which image it came from.
torch::Tensor constant_images(int64_t n, int64_t h, int64_t w) {
    return torch::arange(1, n + 1, torch::kFloat32).view({n, 1, 1, 1}).expand({n, 1, h, w}).contiguous();
}

}  // namespace

TEST(BatchMixing, OffLeavesTheBatchAlone) {
    torch::Tensor x = torch::randn({4, 1, 8, 8}), y = torch::tensor({0, 1, 2, 3}, torch::kLong);
    MixedBatch m = mix_batch(x, y, 0, 0);
    EXPECT_EQ(m.kind, "none");
    EXPECT_EQ(m.lambda, 1.0);
    EXPECT_TRUE(torch::equal(m.x, x));
    EXPECT_TRUE(torch::equal(m.y_b, y));
    // One image has no partner.
    EXPECT_EQ(mix_batch(x.slice(0, 0, 1), y.slice(0, 0, 1), 0.4, 1.0).kind, "none");
}

TEST(BatchMixing, MixUpIsTheWeightedSumWithThePreviousImage) {
    torch::manual_seed(11);
    torch::Tensor x = constant_images(5, 6, 6), y = torch::tensor({3, 1, 0, 2, 1}, torch::kLong);
    torch::Tensor before = x.clone();
    MixedBatch m = mix_batch(x, y, 0.4, 0);
    ASSERT_EQ(m.kind, "mixup");
    EXPECT_GT(m.lambda, 0.0);
    EXPECT_LT(m.lambda, 1.0);
    EXPECT_TRUE(torch::equal(x, before));   // input untouched
    EXPECT_TRUE(torch::equal(m.y_a, y));
    EXPECT_TRUE(torch::equal(m.y_b, torch::tensor({1, 3, 1, 0, 2}, torch::kLong)));
    for (int64_t i = 0; i < 5; ++i) {
        const double own = static_cast<double>(i + 1), partner = static_cast<double>((i + 4) % 5 + 1);
        const double expected = m.lambda * own + (1 - m.lambda) * partner;
        EXPECT_NEAR(m.x[i].min().item<double>(), expected, 1e-5) << i;
        EXPECT_NEAR(m.x[i].max().item<double>(), expected, 1e-5) << i;
    }
}

TEST(BatchMixing, CutMixPastesTheReportedBoxAndLambdaIsTheKeptArea) {
    const int64_t n = 3, h = 16, w = 20;
    int cutmix_batches = 0;
    for (int seed = 0; seed < 40; ++seed) {
        torch::manual_seed(seed);
        torch::Tensor x = constant_images(n, h, w), y = torch::tensor({0, 1, 2}, torch::kLong);
        MixedBatch m = mix_batch(x, y, 0, 1.0);
        ASSERT_EQ(m.kind, "cutmix");
        ++cutmix_batches;
        const auto [y0, y1, x0, x1] = std::make_tuple(m.box[0], m.box[1], m.box[2], m.box[3]);
        ASSERT_TRUE(0 <= y0 && y0 <= y1 && y1 <= h && 0 <= x0 && x0 <= x1 && x1 <= w);
        EXPECT_DOUBLE_EQ(m.lambda, 1.0 - static_cast<double>((y1 - y0) * (x1 - x0)) / (h * w));
        // Count, per image, pixels from itself and from its partner: nothing else may appear.
        for (int64_t i = 0; i < n; ++i) {
            const float own = static_cast<float>(i + 1), partner = static_cast<float>((i + n - 1) % n + 1);
            torch::Tensor img = m.x[i][0];
            const int64_t from_partner = (img == partner).sum().item<int64_t>();
            const int64_t from_self = (img == own).sum().item<int64_t>();
            EXPECT_EQ(from_partner + from_self, h * w);
            EXPECT_EQ(from_partner, (y1 - y0) * (x1 - x0));
            if (y1 > y0 && x1 > x0) {
                EXPECT_TRUE((img.slice(0, y0, y1).slice(1, x0, x1) == partner).all().item<bool>());
            }
        }
    }
    EXPECT_EQ(cutmix_batches, 40);
}

TEST(BatchMixing, BetaDrawsHaveTheRightMomentsAndBothKindsAreChosen) {
    // Beta(a, a): mean 1/2, variance 1 / (4 (2a + 1)). 400 draws: 5-sigma bounds.
    torch::manual_seed(5);
    const double a = 0.4, n = 400;
    const double var = 1.0 / (4 * (2 * a + 1));
    double sum = 0, sum_sq = 0;
    int mixups = 0, cutmixes = 0;
    torch::Tensor x = torch::randn({4, 1, 8, 8}), y = torch::tensor({0, 1, 2, 3}, torch::kLong);
    for (int i = 0; i < n; ++i) {
        MixedBatch m = mix_batch(x, y, a, a);
        mixups += m.kind == "mixup";
        cutmixes += m.kind == "cutmix";
        if (m.kind == "mixup") {
            sum += m.lambda;
            sum_sq += m.lambda * m.lambda;
        }
    }
    EXPECT_EQ(mixups + cutmixes, n);
    EXPECT_NEAR(mixups / n, 0.5, 5 * std::sqrt(0.25 / n));
    const double mean = sum / mixups, sample_var = sum_sq / mixups - mean * mean;
    EXPECT_NEAR(mean, 0.5, 5 * std::sqrt(var / mixups));
    EXPECT_NEAR(sample_var, var, 0.35 * var);
}

TEST(BatchMixing, MixedLossIsTheSoftLabelCrossEntropyAndDrawsRepeat) {
    torch::manual_seed(3);
    torch::Tensor x = torch::randn({4, 1, 8, 8}), y = torch::tensor({0, 1, 2, 3}, torch::kLong);
    MixedBatch m = mix_batch(x, y, 0.4, 0);
    torch::Tensor logits = torch::randn({4, 4}, torch::kFloat64);
    auto ce = [&](const torch::Tensor& labels) { return torch::nn::functional::cross_entropy(logits, labels); };
    torch::Tensor soft = torch::one_hot(m.y_a, 4).to(torch::kFloat64) * m.lambda +
                         torch::one_hot(m.y_b, 4).to(torch::kFloat64) * (1 - m.lambda);
    const double expected = -(soft * torch::log_softmax(logits, 1)).sum(1).mean().item<double>();
    EXPECT_NEAR(mixed_loss(m, ce).item<double>(), expected, 1e-12);

    torch::manual_seed(3);
    torch::randn({4, 1, 8, 8});   // the same draws as above, then the same mixing
    MixedBatch again = mix_batch(x, y, 0.4, 0);
    EXPECT_EQ(again.lambda, m.lambda);
    EXPECT_TRUE(torch::equal(again.x, m.x));
}
