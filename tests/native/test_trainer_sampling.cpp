// Sampler, class weights, learning-rate schedule, augmentation and one optimisation step,
// each against an independent expectation (hand computation, binomial bounds, shared/).
#include <cmath>
#include <map>
#include <random>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "alzscan/gray_image.h"
#include "alzscan/preprocess.h"
#include "data/augment.h"
#include "data/sampler.h"
#include "train/train_config.h"
#include "train/trainer.h"

using namespace alzscan;

TEST(TrainerSampler, BalancedDrawsAreNearUniformOverClasses) {
    // The real data's imbalance: 717 / 52 / 2560 / 1792 images per class.
    std::vector<int64_t> counts = {717, 52, 2560, 1792}, labels;
    for (int c = 0; c < 4; ++c) labels.insert(labels.end(), counts[c], c);
    std::vector<int64_t> drawn(4, 0);
    int64_t total = 0;
    for (int64_t epoch = 0; epoch < 4; ++epoch) {
        for (int64_t i : epoch_order(labels, 4, /*balanced=*/true, /*seed=*/11, epoch)) ++drawn[labels[i]];
        total += static_cast<int64_t>(labels.size());
    }
    // Each draw hits a class with p = 1/4: the count is Binomial(total, 1/4). 5 sigma bound.
    const double expected = total / 4.0, sigma = std::sqrt(total * 0.25 * 0.75);
    for (int c = 0; c < 4; ++c) EXPECT_LT(std::abs(drawn[c] - expected), 5 * sigma) << "class " << c << " drawn " << drawn[c];
    // With replacement: the 52 Moderate images are drawn ~1280 times per epoch, so repeats exist.
    std::vector<int64_t> order = epoch_order(labels, 4, true, 11, 0);
    std::map<int64_t, int> seen;
    for (int64_t i : order) ++seen[i];
    EXPECT_LT(seen.size(), labels.size());
}

TEST(TrainerSampler, PlainOrderIsASeededPermutation) {
    std::vector<int64_t> labels = {0, 0, 1, 1, 2, 3, 3, 3, 2, 1};
    std::vector<int64_t> a = epoch_order(labels, 4, false, 5, 2);
    std::vector<int64_t> sorted = a;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(sorted[i], i);
    EXPECT_EQ(a, epoch_order(labels, 4, false, 5, 2));   // pure function of (seed, epoch)
    EXPECT_NE(a, epoch_order(labels, 4, false, 5, 3));
}

TEST(TrainerSampler, ClassWeightFormulasByHand) {
    std::vector<int64_t> counts = {10, 30, 60, 0};   // N = 100, C = 4
    EXPECT_TRUE(class_weights(counts, "none").empty());
    std::vector<double> inv = class_weights(counts, "inverse");   // N / (C * n_c)
    EXPECT_DOUBLE_EQ(inv[0], 100.0 / 40.0);
    EXPECT_DOUBLE_EQ(inv[1], 100.0 / 120.0);
    EXPECT_DOUBLE_EQ(inv[2], 100.0 / 240.0);
    EXPECT_DOUBLE_EQ(inv[3], 0.0);
    std::vector<double> freq = class_weights(counts, "frequency");   // n_c / N, the seed's
    EXPECT_DOUBLE_EQ(freq[0], 0.1);
    EXPECT_DOUBLE_EQ(freq[1], 0.3);
    EXPECT_DOUBLE_EQ(freq[2], 0.6);
    EXPECT_DOUBLE_EQ(freq[3], 0.0);
    EXPECT_THROW(class_weights(counts, "balanced"), std::invalid_argument);
}

TEST(TrainerSampler, WeightedLossMatchesHandComputation) {
    // Two samples, logits (0, ln 3) -> p = (1/4, 3/4); labels 0 and 1; weights w0 = 2, w1 = 1.
    torch::Tensor logits = torch::tensor({0.0, std::log(3.0), 0.0, std::log(3.0)}, torch::kFloat64).view({2, 2});
    torch::Tensor y = torch::tensor({0, 1}, torch::kInt64);
    const double l0 = -std::log(0.25), l1 = -std::log(0.75);
    EXPECT_NEAR(training_loss(logits.to(torch::kFloat32), y, {}, 0).item<double>(), (l0 + l1) / 2, 1e-6);
    // torch's weighted mean: sum w_y * l / sum w_y.
    EXPECT_NEAR(training_loss(logits.to(torch::kFloat32), y, {2.0, 1.0}, 0).item<double>(), (2 * l0 + l1) / 3, 1e-6);
    // Label smoothing eps over C classes: (1 - eps) * nll + eps * mean over classes of -log p.
    const double eps = 0.2, u = (-std::log(0.25) - std::log(0.75)) / 2;
    EXPECT_NEAR(training_loss(logits.to(torch::kFloat32), y, {}, eps).item<double>(),
                (1 - eps) * (l0 + l1) / 2 + eps * u, 1e-6);
    // Both: each sample's smoothed loss weighted by its own class's weight.
    EXPECT_NEAR(training_loss(logits.to(torch::kFloat32), y, {2.0, 1.0}, eps).item<double>(),
                (2 * ((1 - eps) * l0 + eps * u) + 1 * ((1 - eps) * l1 + eps * u)) / 3, 1e-6);
}

TEST(TrainerSampler, ClassWeightsDoNotMoveTheSmoothedTarget) {
    // With smoothing eps over K classes, each sample's loss is minimal where softmax(logits) equals
    // its smoothed target q = (1 - eps) one_hot + eps / K, whatever the class weights (here 25:1,
    // like inverse weights on this dataset): the gradient there is zero. torch's cross_entropy
    // with weight= and label_smoothing= together does not have this property (pytorch#104776).
    const double eps = 0.1;
    const int64_t k = 4;
    torch::Tensor y = torch::tensor({1, 2}, torch::kInt64);
    torch::Tensor q = torch::full({2, k}, eps / k, torch::kFloat64);
    q.index_put_({0, 1}, 1 - eps + eps / k);
    q.index_put_({1, 2}, 1 - eps + eps / k);
    torch::Tensor logits = q.log().to(torch::kFloat32).requires_grad_(true);
    training_loss(logits, y, {1.0, 25.0, 1.0, 1.0}, eps).backward();
    EXPECT_LT(logits.grad().abs().max().item<double>(), 1e-6) << logits.grad();
    // Away from q the weights do scale the pull: the weighted sample gets 25x the gradient.
    torch::Tensor flat = torch::zeros({2, k}, torch::kFloat32).requires_grad_(true);
    training_loss(flat, y, {1.0, 25.0, 1.0, 1.0}, eps).backward();
    EXPECT_NEAR(flat.grad()[0].abs().sum().item<double>() / flat.grad()[1].abs().sum().item<double>(), 25.0, 1e-4);
}

TEST(TrainerSchedule, WarmupCosineAndStepByHand) {
    TrainConfig cfg;
    cfg.lr = 0.1;
    cfg.epochs = 4;
    cfg.warmup_epochs = 1;
    cfg.sched = "cosine";
    const int64_t spe = 10;   // 40 steps, 10 warmup
    EXPECT_NEAR(learning_rate_at(cfg, 0, spe), 0.01, 1e-12);
    EXPECT_NEAR(learning_rate_at(cfg, 9, spe), 0.1, 1e-12);
    EXPECT_NEAR(learning_rate_at(cfg, 10, spe), 0.1, 1e-12);        // cosine t = 0
    EXPECT_NEAR(learning_rate_at(cfg, 25, spe), 0.05, 1e-12);       // t = 1/2
    EXPECT_NEAR(learning_rate_at(cfg, 40, spe), 0.0, 1e-12);        // t = 1
    cfg.sched = "step";
    cfg.warmup_epochs = 0;
    cfg.lr_step_size = 2;
    cfg.lr_gamma = 0.5;
    EXPECT_NEAR(learning_rate_at(cfg, 19, spe), 0.1, 1e-12);
    EXPECT_NEAR(learning_rate_at(cfg, 20, spe), 0.05, 1e-12);
    cfg.sched = "none";
    EXPECT_NEAR(learning_rate_at(cfg, 33, spe), 0.1, 1e-12);
}

TEST(TrainerAugment, DisabledIsBitIdenticalToSharedNormalise) {
    PreprocessSpec spec;
    spec.mean = 0.3f;
    spec.std = 0.7f;
    GrayImage img{8, 6, {}};
    for (int i = 0; i < 48; ++i) img.pixels.push_back(static_cast<uint8_t>(i * 5));
    std::vector<float> expected(48), got(48);
    normalise_into(img, spec, expected.data());
    AugmentOptions off;
    std::mt19937_64 rng(1);
    augment_and_normalise(img.pixels.data(), 6, 8, off, spec, rng, got.data());
    EXPECT_EQ(expected, got);
}

TEST(TrainerAugment, SeededAndActuallyChangesPixels) {
    PreprocessSpec spec;
    std::vector<uint8_t> px(32 * 32);
    for (int i = 0; i < 32 * 32; ++i) px[i] = static_cast<uint8_t>((i * 37) % 251);
    AugmentOptions on;
    on.enabled = true;
    std::vector<float> a(1024), b(1024), c(1024), plain(1024);
    std::mt19937_64 r1(9), r2(9), r3(10), r0(0);
    augment_and_normalise(px.data(), 32, 32, on, spec, r1, a.data());
    augment_and_normalise(px.data(), 32, 32, on, spec, r2, b.data());
    augment_and_normalise(px.data(), 32, 32, on, spec, r3, c.data());
    augment_and_normalise(px.data(), 32, 32, AugmentOptions{}, spec, r0, plain.data());
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    EXPECT_NE(a, plain);
    for (float v : a) {
        EXPECT_GE(v, (0.0f - spec.mean) / spec.std);
        EXPECT_LE(v, (1.0f - spec.mean) / spec.std);
    }
    // Identity parameters (no crop, rotation, flip or jitter) reproduce the input exactly.
    AugmentOptions identity;
    identity.enabled = true;
    identity.crop_scale = 1.0;
    identity.rotation = 0;
    identity.hflip = 0;
    identity.brightness = 0;
    identity.contrast = 0;
    std::vector<float> id(1024);
    augment_and_normalise(px.data(), 32, 32, identity, spec, r1, id.data());
    for (int i = 0; i < 1024; ++i) EXPECT_NEAR(id[i], plain[i], 1e-5) << i;
}

// Gamma jitter alone: every pixel becomes 255 (v/255)^g for one g per image, with g within
// [1/(1+gamma), 1+gamma]; recovered here from a mid-gray pixel and checked on all the others.
TEST(TrainerAugment, GammaJitterIsOnePowerPerImage) {
    PreprocessSpec spec;   // mean 0.5, std 0.5
    std::vector<uint8_t> px(16 * 16);
    for (int i = 0; i < 256; ++i) px[i] = static_cast<uint8_t>(i);
    AugmentOptions gamma_only;
    gamma_only.enabled = true;
    gamma_only.crop_scale = 1.0;
    gamma_only.rotation = gamma_only.hflip = gamma_only.brightness = gamma_only.contrast = 0;
    gamma_only.gamma = 0.3;
    std::mt19937_64 rng(5);
    std::vector<double> seen;
    for (int draw = 0; draw < 20; ++draw) {
        std::vector<float> out(256);
        augment_and_normalise(px.data(), 16, 16, gamma_only, spec, rng, out.data());
        const auto level = [&](int i) { return (out[i] * spec.std + spec.mean); };   // back to 0..1
        const double g = std::log(level(128)) / std::log(128.0 / 255.0);
        EXPECT_GE(g, 1 / 1.3 - 1e-4);
        EXPECT_LE(g, 1.3 + 1e-4);
        for (int i = 1; i < 256; i += 17) EXPECT_NEAR(level(i), std::pow(i / 255.0, g), 2e-5) << i;
        seen.push_back(g);
    }
    EXPECT_GT(*std::max_element(seen.begin(), seen.end()) - *std::min_element(seen.begin(), seen.end()), 0.1);
}

TEST(TrainerStep, OneOptimisationStepLowersTheLossOnAFixedBatch) {
    for (const char* opt : {"sgd", "adam", "adamw"}) {
        torch::manual_seed(3);
        TrainConfig cfg;
        cfg.opt = opt;
        cfg.lr = std::string(opt) == "sgd" ? 0.05 : 1e-3;
        ModelConfig mc;
        Classifier net = make_model(mc);
        net->train();
        torch::Tensor x = torch::randn({8, 1, 32, 32});
        torch::Tensor y = torch::tensor({0, 1, 2, 3, 0, 1, 2, 3}, torch::kInt64);
        auto optimizer = make_optimizer(cfg, net);
        // Train mode both times: BatchNorm normalises with the batch's own statistics, so the
        // loss is a function of the weights alone (the linear head has no dropout).
        auto loss_now = [&] {
            torch::NoGradGuard g;
            return training_loss(net->forward(x), y, {}, 0).item<double>();
        };
        const double before = loss_now();
        optimizer->zero_grad();
        training_loss(net->forward(x), y, {}, 0).backward();
        optimizer->step();
        const double after = loss_now();
        EXPECT_LT(after, before) << opt;
    }
}
