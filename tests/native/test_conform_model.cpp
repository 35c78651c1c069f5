// The shipped model conforms its input: 40 real slices, each shifted, scaled, padded, gamma- and
// contrast-changed, get probabilities close to the original slice's, and much closer than the same
// weights give without conforming (the checkpoint's spec with conform switched off).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "alzscan/conform.h"
#include "alzscan/image_decode.h"
#include "alzscan/preprocess.h"
#include "data_manifest.h"
#include "models/checkpoint.h"
#include "reframe.h"

using namespace alzscan;

namespace {

std::vector<float> probabilities(LoadedModel& m, const GrayImage& img, const PreprocessSpec& spec) {
    GrayImage x = prepare_gray(img, spec).value();
    std::vector<float> input(x.pixels.size());
    normalise_into(x, spec, input.data());
    torch::NoGradGuard no_grad;
    torch::Tensor t = torch::from_blob(input.data(), {1, 1, spec.height, spec.width}, torch::kFloat32);
    torch::Tensor p = torch::softmax(m.net->forward(t), 1).contiguous();
    return std::vector<float>(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
}

double max_abs(const std::vector<float>& a, const std::vector<float>& b) {
    double d = 0;
    for (size_t i = 0; i < a.size(); ++i) d = std::max(d, double(std::abs(a[i] - b[i])));
    return d;
}

}  // namespace

TEST(ConformModel, ReframedRealSlicesKeepTheirProbabilities) {
    // ALZSCAN_CHECKPOINT: another checkpoint to measure (a candidate recipe's run) instead of the shipped one.
    const char* other = std::getenv("ALZSCAN_CHECKPOINT");
    LoadedModel m = load_model(other ? other : std::string(ALZSCAN_SOURCE_DIR) + "/models/default/checkpoint.pt");
    m.net->eval();
    ASSERT_TRUE(m.spec.conform.enabled) << "the shipped model does not conform its input (input.conform)";
    PreprocessSpec plain = m.spec;
    plain.conform.enabled = false;
    std::string error;
    const auto rows = test::read_manifest(std::string(ALZSCAN_DATA_DIR) + "/MANIFEST.tsv", &error);
    ASSERT_FALSE(rows.empty()) << error;
    std::vector<GrayImage> slices;
    for (size_t i = 0; i < rows.size() && slices.size() < 40; i += rows.size() / 40) {
        std::vector<uint8_t> bytes;
        ASSERT_TRUE(test::read_file(std::string(ALZSCAN_DATA_DIR) + "/" + rows[i].relative_path, bytes));
        slices.push_back(decode_gray(bytes.data(), bytes.size()).value());
    }
    struct Change { const char* name; double scale; int w, h, ox, oy; double gamma, gain; };
    const Change changes[] = {{"shift", 1.0, 128, 128, 14, -9, 1.0, 1.0},      {"scale 0.7", 0.7, 128, 128, 19, 19, 1.0, 1.0},
                              {"scale 1.2", 1.2, 128, 128, -13, -13, 1.0, 1.0}, {"pad", 1.0, 200, 170, 50, 12, 1.0, 1.0},
                              {"gamma 0.8", 1.0, 128, 128, 0, 0, 0.8, 1.0},    {"contrast 0.6", 1.0, 128, 128, 0, 0, 1.0, 0.6},
                              {"all", 0.8, 180, 150, 40, 10, 1.2, 0.8}};
    for (const Change& c : changes) {
        double conformed = 0, without = 0, worst = 0;
        for (const GrayImage& img : slices) {
            const GrayImage changed = test::reframe(img, c.scale, c.w, c.h, c.ox, c.oy, c.gamma, c.gain);
            const double d = max_abs(probabilities(m, img, m.spec), probabilities(m, changed, m.spec));
            conformed += d, worst = std::max(worst, d);
            without += max_abs(probabilities(m, img, plain), probabilities(m, changed, plain));
        }
        conformed /= slices.size(), without /= slices.size();
        std::printf("  %-13s max |dp| per slice: conformed mean %.3f (worst %.3f), without conforming mean %.3f\n",
                    c.name, conformed, worst, without);
        EXPECT_LT(conformed, 0.10) << c.name;
        if (c.gamma == 1.0) {   // the level map is linear: a gamma change is not undone
            EXPECT_LT(conformed * 2, without) << c.name;
        }
    }
}
