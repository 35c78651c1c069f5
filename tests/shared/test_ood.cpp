// The out-of-distribution checks (alzscan/ood.h) against values worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "alzscan/ood.h"

using namespace alzscan;

namespace {

GrayImage image(int w, int h, const std::vector<uint8_t>& pixels) {
    GrayImage g;
    g.width = w;
    g.height = h;
    g.pixels = pixels;
    return g;
}

OodSpec spec_with(std::vector<OodCheck> checks) {
    OodSpec s;
    s.enabled = true;
    s.checks = std::move(checks);
    s.reference_histogram.assign(kProfileBins, 1.0 / kProfileBins);
    return s;
}

}  // namespace

TEST(Ood, MeasuresByHand) {
    // 4 x 2, rows {0, 200, 200, 0} and {0, 100, 100, 0}: mirror-symmetric, half foreground.
    // Threshold max(8, ceil(0.12 * p99)) = 24; the foreground levels 100, 100, 200, 200 fall in
    // bins 6 and 12 (half each); L1 distance to a one-hot reference on bin 6 is 0.5 + 0.5 = 1.
    const GrayImage sym = image(4, 2, {0, 200, 200, 0, 0, 100, 100, 0});
    std::vector<double> ref(kProfileBins, 0.0);
    ref[6] = 1;
    OodSpec spec;
    spec.reference_histogram = ref;
    const InputMeasures m = measure_input(sym, spec);
    EXPECT_NEAR(m.foreground, 0.5, 1e-12);
    EXPECT_NEAR(m.symmetry, 1.0, 1e-12);
    EXPECT_NEAR(m.profile, 1.0, 1e-12);
    const std::vector<double> h = level_histogram(sym);
    EXPECT_NEAR(h[6], 0.5, 1e-12);
    EXPECT_NEAR(h[12], 0.5, 1e-12);
    // Left bright, right dark: the mirror is the negative of the centred image: correlation -1.
    const GrayImage half = image(2, 1, {200, 0});
    EXPECT_NEAR(measure_input(half, spec).symmetry, -1.0, 1e-12);
    // A flat image has no correlation to speak of.
    EXPECT_EQ(measure_input(image(2, 2, {9, 9, 9, 9}), spec).symmetry, 0.0);
}

TEST(Ood, TemplateMatchIsTheCorrelationOfBlockMeans) {
    // 32 x 32: each 2 x 2 block one level, a vertical ramp by block row (10 * by).
    GrayImage g = image(32, 32, std::vector<uint8_t>(32 * 32));
    for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) g.pixels[static_cast<size_t>(y) * 32 + x] = static_cast<uint8_t>(10 * (y / 2));
    const std::vector<double> grid = template_grid(g);
    EXPECT_NEAR(grid[0], 0, 1e-12);
    EXPECT_NEAR(grid[15 * kTemplateSide + 3], 150, 1e-12);
    OodSpec spec;
    spec.reference_template = grid;
    EXPECT_NEAR(measure_input(g, spec).template_match, 1.0, 1e-12);
    // Upside down: the ramp reversed, correlation -1.
    GrayImage flipped = g;
    for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) flipped.pixels[static_cast<size_t>(y) * 32 + x] = g.pixels[static_cast<size_t>(31 - y) * 32 + x];
    EXPECT_NEAR(measure_input(flipped, spec).template_match, -1.0, 1e-12);
    spec.reference_template.clear();   // no template: no correlation
    EXPECT_EQ(measure_input(g, spec).template_match, 0.0);
}

TEST(Ood, FeatureDistanceIsTheNearestClassInSharedVariance) {
    OodSpec s = spec_with({});
    s.class_means = {{0, 0}, {4, 0}};
    s.variance = {4, 1};
    const float f[2] = {3, 1};
    // class 0: (9/4 + 1) / 2 = 1.625; class 1: (1/4 + 1) / 2 = 0.625.
    EXPECT_NEAR(feature_distance(s, f, 2), 0.625, 1e-12);
    EXPECT_EQ(feature_distance(s, f, 3), -1.0);   // wrong width: no distance
}

TEST(Ood, AssessScoresAgainstTheThresholds) {
    std::vector<OodCheck> checks = default_checks(false);
    for (OodCheck& c : checks) {
        c.median = c.name == "symmetry" || c.name == "template" ? 0.8 : 0.5;
        c.threshold = c.name == "symmetry" || c.name == "template" ? 0.6 : (c.above ? 0.7 : 0.3);
    }
    const OodSpec s = spec_with(checks);
    InputMeasures m;
    m.foreground = 0.5;
    m.symmetry = 0.8;
    m.profile = 0.5;
    m.template_match = 0.8;
    EXPECT_FALSE(assess_slice(s, m, nullptr, 0).flag);
    m.symmetry = 0.5;   // (0.5 - 0.8) / (0.6 - 0.8) = 1.5
    const OodVerdict v = assess_slice(s, m, nullptr, 0);
    EXPECT_TRUE(v.flag);
    EXPECT_EQ(v.check, "symmetry");
    EXPECT_NEAR(v.score, 1.5, 1e-12);
    EXPECT_NE(v.reason.find("symmetric"), std::string::npos);
    m.symmetry = 0.8;
    m.foreground = 0.95;   // (0.95 - 0.5) / 0.2 = 2.25
    EXPECT_EQ(assess_slice(s, m, nullptr, 0).check, "foreground_high");
    EXPECT_FALSE(assess_slice(OodSpec{}, m, nullptr, 0).flag);   // no spec: nothing is flagged
}

TEST(Ood, ScanIsFlaggedWhenMoreThanAQuarterOfItsSlicesAre) {
    auto slice = [](double score) {
        OodVerdict v;
        v.score = score;
        v.flag = score > 1;
        v.reason = v.flag ? "r" : "";
        return v;
    };
    // 8 slices, 2 flagged (2.0): the 75th percentile of {0 x6, 2, 2} is at rank 5.25: 0 + 0.25 * 2 = 0.5.
    std::vector<OodVerdict> two(6, slice(0));
    two.push_back(slice(2));
    two.push_back(slice(2));
    EXPECT_FALSE(assess_scan(two).flag);
    EXPECT_NEAR(assess_scan(two).score, 0.5, 1e-12);
    // 3 of 8 flagged: rank 5.25 lands between the 0 and the first 2: 0.5 again... 4 of 8: 2.
    std::vector<OodVerdict> four(4, slice(0));
    for (int i = 0; i < 4; ++i) four.push_back(slice(2));
    EXPECT_TRUE(assess_scan(four).flag);
    EXPECT_EQ(assess_scan(four).reason, "r");
}

TEST(Ood, ThresholdsFlagAtMostTheTargetOfValidation) {
    // One "above" check over 0..999 and one "below" check over the same values reversed.
    std::vector<double> up, down;
    for (int i = 0; i < 1000; ++i) {
        up.push_back(i);
        down.push_back(i % 2 ? 1000 - i : i);
    }
    std::vector<OodCheck> checks = {{"profile", true, 0, 0, "p"}, {"symmetry", false, 0, 0, "s"}};
    double rate = 0;
    const double q = fit_thresholds(checks, {up, down}, 0.01, &rate);
    EXPECT_LE(rate, 0.01);
    EXPECT_GE(rate, 0.008);
    EXPECT_GT(q, 0.0);
    EXPECT_NEAR(checks[0].median, 499.5, 1e-9);
    EXPECT_GT(checks[0].threshold, 980);
    EXPECT_LT(checks[1].threshold, 20);
}

TEST(Ood, JsonRoundTripAndNamedErrors) {
    OodSpec s = spec_with(default_checks(true));
    for (OodCheck& c : s.checks) {
        c.median = 1;
        c.threshold = c.above ? 2 : 0.5;
    }
    s.class_means = {{1, 2}, {3, 4}};
    s.variance = {0.5, 0.25};
    s.reference_template.assign(kTemplateSide * kTemplateSide, 7.0);
    s.validation_rate = 0.008;
    const std::string text = "{\"ood\": " + ood_spec_to_json(s) + "}";
    const auto back = parse_ood_spec(text);
    ASSERT_TRUE(back) << back.error();
    EXPECT_TRUE(back->enabled);
    ASSERT_EQ(back->checks.size(), 6u);
    EXPECT_EQ(back->checks[5].name, "features");
    EXPECT_EQ(back->reference_template[10], 7.0);
    EXPECT_EQ(back->class_means[1][0], 3);
    EXPECT_NEAR(back->validation_rate, 0.008, 1e-12);
    EXPECT_FALSE(parse_ood_spec("{}")->enabled);   // an older model.json: no checks
    const auto bad = parse_ood_spec(R"({"ood": {"checks": [{"name": "colour", "median": 1, "threshold": 2}]}})");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().find("ood.checks[0].name"), std::string::npos) << bad.error();
    // Wrong types are named errors, never exceptions (the browser's WASM build has no exceptions).
    const auto typed = parse_ood_spec(R"({"ood": {"checks": [{"name": 3, "median": 1, "threshold": 2}]}})");
    ASSERT_FALSE(typed);
    EXPECT_NE(typed.error().find("ood.checks[0].name"), std::string::npos) << typed.error();
    const auto rate = parse_ood_spec(R"({"ood": {"checks": [], "reference_histogram": [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1],
                                        "target_rate": "1%"}})");
    ASSERT_FALSE(rate);
    EXPECT_NE(rate.error().find("ood.target_rate"), std::string::npos) << rate.error();
    const auto wrong_side = parse_ood_spec(R"({"ood": {"checks": [{"name": "profile", "median": 1, "threshold": 0}]}})");
    ASSERT_FALSE(wrong_side);
    EXPECT_NE(wrong_side.error().find("wrong side"), std::string::npos) << wrong_side.error();
}
