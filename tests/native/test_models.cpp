// The model zoo against independent numbers: torchvision's published parameter counts
// (adjusted by hand for 1 input channel and 4 classes), torchvision's module names and
// EfficientNet-B2 stage widths, and hand-counted `small`.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <stdexcept>
#include <string>

#include "models/blocks.h"
#include "models/efficientnet.h"
#include "models/model_zoo.h"

namespace {

using alzscan::ModelConfig;

constexpr int64_t kClasses = 4;

// Head parameter counts, by hand from the structures documented in heads.h.
int64_t head_params(const std::string& head, int64_t F) {
    const int64_t C = kClasses;
    if (head == "linear") return F * C + C;
    if (head == "mlp") return (F * 512 + 512) + (512 * C + C);
    const int64_t dense = (F * 512 + 512 + 2 * 512) + (512 * 256 + 256 + 2 * 256) + (256 * 128 + 128 + 2 * 128);
    if (head == "advanced") return dense + F * 512 + 512 * 256 + 256 * 128 /*shortcuts*/ + 128 * C + C;
    if (head == "enhanced") {
        const int64_t s = F / 16;
        return (F * s + s) + (s * F + F) + dense + 128 * C + C;
    }
    throw std::logic_error("no hand count for head " + head);
}

// torchvision's published totals at 3 input channels and 1000 classes, minus the two extra
// input channels of the first conv and the 1000-class classifier.
int64_t backbone_params(const std::string& arch) {
    if (arch == "resnet50") return 25557032 - 2 * 64 * 7 * 7 - (2048 * 1000 + 1000);
    if (arch == "efficientnet_b2") return 9109994 - 2 * 32 * 3 * 3 - (1408 * 1000 + 1000);
    if (arch == "small") {
        const int64_t stem = 1 * 32 * 9 + 2 * 32;
        const int64_t l1 = 2 * (32 * 32 * 9 + 2 * 32);
        const int64_t l2 = 32 * 64 * 9 + 64 * 64 * 9 + 2 * 2 * 64 + (32 * 64 + 2 * 64);
        const int64_t l3 = 64 * 128 * 9 + 128 * 128 * 9 + 2 * 2 * 128 + (64 * 128 + 2 * 128);
        const int64_t l4 = 128 * 256 * 9 + 256 * 256 * 9 + 2 * 2 * 256 + (128 * 256 + 2 * 256);
        return stem + l1 + l2 + l3 + l4;   // 1,225,824
    }
    throw std::logic_error("no count for " + arch);
}

int64_t features_of(const std::string& arch) {
    return arch == "small" ? 256 : arch == "resnet50" ? 2048 : 1408;
}

TEST(Models, SmallIsHandCountedAndUnderTwoMillion) {
    EXPECT_EQ(backbone_params("small"), 1225824);
    ModelConfig c;
    alzscan::Classifier net = alzscan::make_model(c);
    EXPECT_EQ(alzscan::count_parameters(*net), 1225824 + 256 * 4 + 4);
    EXPECT_LE(alzscan::count_parameters(*net), 2000000);
}

TEST(Models, EveryArchAndHeadHasTorchvisionCountsAndForwardShapes) {
    torch::manual_seed(0);
    for (const std::string& arch : alzscan::model_archs()) {
        for (const std::string& head : alzscan::model_heads()) {
            SCOPED_TRACE(arch + " + " + head);
            ModelConfig c;
            c.arch = arch;
            c.head = head;
            alzscan::Classifier net = alzscan::make_model(c);
            EXPECT_EQ(net->num_feature_channels(), features_of(arch));
            EXPECT_EQ(alzscan::count_parameters(net->backbone()), backbone_params(arch));
            EXPECT_EQ(alzscan::count_parameters(net->head()), head_params(head, features_of(arch)));
            EXPECT_EQ(alzscan::count_parameters(*net), backbone_params(arch) + head_params(head, features_of(arch)));
            net->eval();
            torch::NoGradGuard no_grad;
            torch::Tensor x = torch::randn({2, 1, 64, 64});
            torch::Tensor maps = net->feature_maps(x);
            const int64_t side = arch == "small" ? 4 : 2;   // stride 16 vs 32
            EXPECT_EQ(maps.sizes(), (std::vector<int64_t>{2, features_of(arch), side, side}));
            torch::Tensor logits = net->forward(x);
            EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{2, kClasses}));
            EXPECT_TRUE(torch::isfinite(logits).all().item<bool>());
            EXPECT_TRUE(torch::allclose(logits, net->classify(maps)));
        }
    }
}

TEST(Models, TorchvisionModuleNames) {
    auto names_of = [](const std::string& arch) {
        ModelConfig c;
        c.arch = arch;
        alzscan::Classifier net = alzscan::make_model(c);
        std::set<std::string> names;
        for (const auto& p : net->named_parameters()) names.insert(p.key());
        for (const auto& b : net->named_buffers()) names.insert(b.key());
        return names;
    };
    const auto r50 = names_of("resnet50");
    for (const char* n : {"backbone.conv1.weight", "backbone.bn1.running_var", "backbone.layer1.0.downsample.0.weight",
                          "backbone.layer1.0.downsample.1.weight", "backbone.layer3.5.conv3.weight",
                          "backbone.layer4.2.bn3.num_batches_tracked", "head.fc.weight"})
        EXPECT_TRUE(r50.count(n)) << n;
    EXPECT_FALSE(r50.count("backbone.layer3.6.conv1.weight"));
    // torchvision resnet50's state dict: conv1 1 + bn1 5 + 16 bottlenecks x 18 + 4 downsamples
    // x 6 = 318 entries without fc; + our head's fc.weight and fc.bias.
    EXPECT_EQ(r50.size(), 318u + 2);

    const auto b2 = names_of("efficientnet_b2");
    for (const char* n : {"backbone.features.0.0.weight", "backbone.features.0.1.running_mean",
                          "backbone.features.1.0.block.0.0.weight",     // stage 1: no expansion
                          "backbone.features.1.0.block.1.fc1.weight",   // its SE
                          "backbone.features.1.1.block.2.1.weight",     // its projection BN
                          "backbone.features.2.0.block.0.0.weight",     // expansion 1x1
                          "backbone.features.2.2.block.3.1.bias", "backbone.features.7.1.block.2.fc2.bias",
                          "backbone.features.8.0.weight", "backbone.features.8.1.num_batches_tracked"})
        EXPECT_TRUE(b2.count(n)) << n;
    EXPECT_FALSE(b2.count("backbone.features.1.2.block.0.0.weight"));   // stage 1 has 2 blocks

    const auto small = names_of("small");
    for (const char* n : {"backbone.stem.0.weight", "backbone.stem.1.running_mean", "backbone.layer1.conv1.weight",
                          "backbone.layer1.bn2.bias", "backbone.layer4.downsample.0.weight",
                          "backbone.layer4.downsample.1.running_var"})
        EXPECT_TRUE(small.count(n)) << n;
    EXPECT_FALSE(small.count("backbone.layer1.downsample.0.weight"));   // identity shortcut
}

TEST(Models, EfficientNetB2StagesMatchTorchvision) {
    // torchvision efficientnet_b2: stage outputs 16, 24, 48, 88, 120, 208, 352; 23 MBConv
    // blocks as 2, 3, 3, 4, 4, 5, 2; stem 32 channels; head 1408.
    const auto stages = alzscan::efficientnet_b2_stages();
    ASSERT_EQ(stages.size(), 7u);
    const int64_t outs[7] = {16, 24, 48, 88, 120, 208, 352};
    const int64_t layers[7] = {2, 3, 3, 4, 4, 5, 2};
    for (int i = 0; i < 7; ++i) {
        EXPECT_EQ(stages[i].out, outs[i]) << i;
        EXPECT_EQ(stages[i].layers, layers[i]) << i;
    }
    EXPECT_EQ(stages[0].in, 32);
    EXPECT_EQ(alzscan::make_divisible(35.2), 32);
    EXPECT_EQ(alzscan::make_divisible(123.2), 120);
    EXPECT_EQ(alzscan::make_divisible(4.0), 8);    // never below the divisor
    EXPECT_EQ(alzscan::make_divisible(10.0), 16);  // 8 < 0.9 * 10: rounded up
}

TEST(Models, EfficientNetBatchNormAndStochasticDepth) {
    ModelConfig c;
    c.arch = "efficientnet_b2";
    alzscan::Classifier net = alzscan::make_model(c);
    for (auto& m : net->backbone().modules())
        if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
            // torchvision efficientnet_b2 passes no norm_layer: nn.BatchNorm2d's eps 1e-5.
            EXPECT_DOUBLE_EQ(bn->options.eps(), 1e-5);
            EXPECT_DOUBLE_EQ(bn->options.momentum().value(), 0.1);
        }
    // "row" mode: whole samples dropped with probability p, survivors scaled by 1 / (1 - p).
    torch::manual_seed(1);
    torch::Tensor x = torch::ones({4000, 1, 1, 1});
    torch::Tensor y = alzscan::stochastic_depth_row(x, 0.25, /*training=*/true);
    const double kept = (y > 0).to(torch::kDouble).mean().item<double>();
    EXPECT_NEAR(kept, 0.75, 4 * std::sqrt(0.75 * 0.25 / 4000));   // 4 sigma
    EXPECT_TRUE(torch::allclose(y.masked_select(y > 0), torch::full({1}, 1.0 / 0.75)));
    EXPECT_TRUE(torch::equal(alzscan::stochastic_depth_row(x, 0.25, /*training=*/false), x));
}

// Weights and activations are channels-last for speed (model_zoo.h), including the layers where
// contiguous() would silently keep NCHW (one input channel per group: stem, depthwise; 1x1 kernels),
// and the logits equal an all-NCHW run of the same weights (different oneDNN kernels).
TEST(Models, ChannelsLastThroughoutWithNchwValues) {
    for (const std::string arch : {"small", "efficientnet_b2"}) {
        SCOPED_TRACE(arch);
        ModelConfig c;
        c.arch = arch;
        torch::manual_seed(3);
        alzscan::Classifier net = alzscan::make_model(c);
        alzscan::Classifier nchw = alzscan::make_model(c);
        net->eval();
        nchw->eval();
        torch::NoGradGuard no_grad;
        auto src = net->named_parameters();
        int64_t four_d = 0;
        for (auto& p : nchw->named_parameters()) {
            if (p.value().dim() != 4) {
                p.value().copy_(src[p.key()]);
                continue;
            }
            ++four_d;
            EXPECT_EQ(src[p.key()].suggest_memory_format(), torch::MemoryFormat::ChannelsLast) << p.key();
            const torch::Tensor w = src[p.key()];   // contiguous() would keep the stem's strides
            p.value().set_data(w.to(w.options(), /*non_blocking=*/false, /*copy=*/true, torch::MemoryFormat::Contiguous));
            ASSERT_EQ(p.value().suggest_memory_format(), torch::MemoryFormat::Contiguous) << p.key();
        }
        EXPECT_GT(four_d, 10);
        torch::Tensor x = torch::randn({2, 1, 64, 64});
        torch::Tensor maps = net->feature_maps(x);
        EXPECT_TRUE(maps.is_contiguous(torch::MemoryFormat::ChannelsLast));
        EXPECT_FALSE(maps.is_contiguous());
        torch::Tensor a = net->forward(x), b = nchw->forward(x);
        EXPECT_TRUE(torch::allclose(a, b, 1e-4, 1e-5)) << (a - b).abs().max().item<double>();
    }
}

TEST(Models, FreezeBackboneFreezesTheFirstNParameterTensors) {
    ModelConfig c;
    c.arch = "efficientnet_b2";
    c.head = "mlp";
    alzscan::Classifier net = alzscan::make_model(c);
    const int64_t total = alzscan::count_parameters(*net);
    int64_t first30 = 0, i = 0;
    for (const auto& p : net->backbone().parameters())
        if (i++ < 30) first30 += p.numel();
    EXPECT_EQ(net->freeze_backbone(30), 30);
    EXPECT_EQ(alzscan::count_parameters(*net, /*trainable_only=*/true), total - first30);
    EXPECT_FALSE(net->backbone().parameters()[29].requires_grad());
    EXPECT_TRUE(net->backbone().parameters()[30].requires_grad());
    const int64_t n_backbone = static_cast<int64_t>(net->backbone().parameters().size());
    EXPECT_EQ(net->freeze_backbone(1000000), n_backbone);
    EXPECT_EQ(alzscan::count_parameters(*net, true), alzscan::count_parameters(net->head()));
}

TEST(Models, HeadsDropoutDefaultsAndTrainModeDiffers) {
    ModelConfig c;
    c.head = "enhanced";
    alzscan::Classifier net = alzscan::make_model(c);
    auto* head = dynamic_cast<alzscan::EnhancedHeadImpl*>(net->head_ptr().get());
    ASSERT_NE(head, nullptr);
    EXPECT_DOUBLE_EQ(head->blocks[0]->dropout->options.p(), 0.4);
    c.head = "advanced";
    c.dropout = 0.5;
    net = alzscan::make_model(c);
    auto* adv = dynamic_cast<alzscan::AdvancedHeadImpl*>(net->head_ptr().get());
    ASSERT_NE(adv, nullptr);
    EXPECT_DOUBLE_EQ(adv->blocks[0]->dropout->options.p(), 0.5);   // higher in early layers
    EXPECT_DOUBLE_EQ(adv->blocks[2]->dropout->options.p(), 0.3);
    c.head = "mlp";
    c.dropout = -1;
    net = alzscan::make_model(c);
    EXPECT_DOUBLE_EQ(dynamic_cast<alzscan::MlpHeadImpl*>(net->head_ptr().get())->dropout->options.p(), 0.5);
}

TEST(Models, BadConfigsAreNamedErrors) {
    ModelConfig c;
    c.arch = "vgg16";
    try {
        alzscan::make_model(c);
        FAIL() << "no error for an unknown arch";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("vgg16"), std::string::npos);
    }
    c.arch = "small";
    c.head = "transformer";
    EXPECT_THROW(alzscan::make_model(c), std::invalid_argument);
    c.head = "mlp";
    c.dropout = 1.0;
    EXPECT_THROW(alzscan::make_model(c), std::invalid_argument);
    c.dropout = -1;
    c.num_classes = 1;
    EXPECT_THROW(alzscan::make_model(c), std::invalid_argument);
}

}  // namespace
