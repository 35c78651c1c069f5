// conform.h: the brain box, the level map and the framing, on images whose answers are worked out
// by hand, and the spec's JSON member.
#include <gtest/gtest.h>

#include "drawing.h"

#include <cmath>

#include "alzscan/conform.h"
#include "alzscan/preprocess_spec.h"

using namespace alzscan;
using alzscan::drawing::blank;
using alzscan::drawing::fill;


TEST(MeasureBrain, BoxAndPercentilesOfARectangle) {
    GrayImage img = blank(100, 80);
    fill(img, 20, 10, 70, 60, 200);   // 50 x 50 "brain" at 200
    fill(img, 30, 20, 40, 30, 100);   // 100 darker pixels: 4 % of the 2500 foreground pixels
    const BrainStats s = measure_brain(img);
    ASSERT_TRUE(s.found);
    EXPECT_EQ(s.x0, 20);
    EXPECT_EQ(s.x1, 70);
    EXPECT_EQ(s.y0, 10);
    EXPECT_EQ(s.y1, 60);
    EXPECT_EQ(s.low, 100);   // the 1st percentile falls among the 100 darker pixels
    EXPECT_EQ(s.high, 200);
}

TEST(MeasureBrain, LevelsArePercentilesOfTheBrainPixels) {
    GrayImage img = blank(10, 10);
    for (int i = 0; i < 100; ++i) img.pixels[i] = static_cast<uint8_t>(100 + i);   // 100 levels, one pixel each
    const BrainStats s = measure_brain(img);
    ASSERT_TRUE(s.found);
    // The q-th percentile of 100 distinct values: the smallest reaching ceil(q) of them, 100 + q - 1.
    const std::array<int, kLevelCount> want{100, 109, 124, 149, 174, 189, 198};
    EXPECT_EQ(s.levels, want);
    EXPECT_EQ(s.low, 100);
    EXPECT_EQ(s.high, 198);
    const ConformSpec spec = conform_spec_from({s, s, measure_brain(blank(4, 4))});
    EXPECT_EQ(spec.levels, std::vector<int>(want.begin(), want.end()));
}

TEST(MeasureBrain, SpecksAndScaleBarsDoNotWidenTheBox) {
    GrayImage img = blank(100, 100);
    fill(img, 30, 30, 60, 70, 180);
    img.pixels[5 * 100 + 5] = 255;            // one bright speck
    fill(img, 80, 5, 81, 95, 255);            // a scale bar: 90 pixels, under a tenth of the brain's 1200
    const BrainStats s = measure_brain(img);
    ASSERT_TRUE(s.found);
    EXPECT_EQ(s.x0, 30);
    EXPECT_EQ(s.x1, 60);
    EXPECT_EQ(s.y0, 30);
    EXPECT_EQ(s.y1, 70);
}

TEST(MeasureBrain, BlankImageHasNoBrain) {
    EXPECT_FALSE(measure_brain(blank(64, 64)).found);
    GrayImage dim = blank(64, 64);
    fill(dim, 10, 10, 50, 50, 7);   // below the floor of 8 gray levels
    EXPECT_FALSE(measure_brain(dim).found);
    auto r = conform_slice(dim, ConformSpec{}, 32, 32);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("no brain found in the 64x64 image"), std::string::npos) << r.error();
}

TEST(ConformSpecFrom, MediansOfFoundSlices) {
    std::vector<BrainStats> stats(3);
    stats[0] = {true, 10, 20, 90, 100, 100, 100, 20, 200, {}};   // box 0.8 x 0.8, centre 0.5, 0.6
    stats[1] = {true, 0, 0, 60, 50, 100, 100, 30, 220, {}};      // box 0.6 x 0.5, centre 0.3, 0.25
    stats[2] = {true, 20, 10, 90, 80, 100, 100, 26, 241, {}};    // box 0.7 x 0.7, centre 0.55, 0.45
    stats.push_back(BrainStats{});                           // not found: ignored
    const ConformSpec c = conform_spec_from(stats);
    EXPECT_TRUE(c.enabled);
    EXPECT_DOUBLE_EQ(c.box_width, 0.7);
    EXPECT_DOUBLE_EQ(c.box_height, 0.7);
    EXPECT_DOUBLE_EQ(c.centre_x, 0.5);
    EXPECT_DOUBLE_EQ(c.centre_y, 0.45);
    EXPECT_EQ(c.low, 26);
    EXPECT_EQ(c.high, 220);
}

// A 20 x 20 brain in a 200 x 100 image, conformed into a 40 x 40 frame whose box is half of it:
// scale = sqrt(20*20 / (20*20)) = 1, so the crop is 40 x 40 centred on the brain and the brain
// lands on pixels 10..29 unchanged in size; levels 100..200 map to 50..250.
TEST(ConformSlice, PutsTheBoxWhereTheSpecSays) {
    GrayImage img = blank(200, 100);
    fill(img, 150, 20, 170, 40, 200);
    fill(img, 150, 20, 170, 21, 100);   // 20 of 400 pixels (5 %) at 100: the 1st percentile
    ConformSpec spec{true, 0.5, 0.5, 0.5, 0.5, 50, 250, {}};
    auto r = conform_slice(img, spec, 40, 40);
    ASSERT_TRUE(r) << r.error();
    const BrainStats s = measure_brain(*r);
    ASSERT_TRUE(s.found);
    EXPECT_EQ(s.x0, 10);
    EXPECT_EQ(s.x1, 30);
    EXPECT_EQ(s.y0, 10);
    EXPECT_EQ(s.y1, 30);
    EXPECT_EQ(r->at(10, 10), 50);    // 100 -> low
    EXPECT_EQ(r->at(15, 15), 250);   // 200 -> high
    EXPECT_EQ(r->at(0, 0), 0);       // background stays 0
}

// The same brain at twice the size, off centre and padded: after conforming it fills the same box.
TEST(ConformSlice, ScaleAndShiftAreUndone) {
    GrayImage small = blank(64, 64), big = blank(300, 200);
    fill(small, 16, 12, 48, 52, 180);    // 32 x 40
    fill(big, 30, 100, 94, 180, 180);    // 64 x 80, near a corner
    ConformSpec spec{true, 0.6, 0.75, 0.5, 0.5, 20, 180, {}};
    auto a = conform_slice(small, spec, 64, 64), b = conform_slice(big, spec, 64, 64);
    ASSERT_TRUE(a && b);
    const BrainStats sa = measure_brain(*a), sb = measure_brain(*b);
    // sqrt(0.6*64 * 0.75*64 / (32*40)) = 1.2: the 32 x 40 box becomes 38.4 x 48 (rounded crops: +-1 px)
    EXPECT_NEAR(sa.x1 - sa.x0, 38, 1);
    EXPECT_NEAR(sa.y1 - sa.y0, 48, 1);
    EXPECT_NEAR(sa.x0, sb.x0, 1);
    EXPECT_NEAR(sa.x1, sb.x1, 1);
    EXPECT_NEAR(sa.y0, sb.y0, 1);
    EXPECT_NEAR(sa.y1, sb.y1, 1);
}

TEST(ConformSpecJson, RoundTripsAndRejectsBadValues) {
    PreprocessSpec spec;
    spec.class_names = {"a", "b"};
    spec.conform = {true, 0.7812345678901234, 0.81, 0.49, 0.52, 24, 241, {20, 40, 80, 150, 200, 230, 241}};
    auto back = parse_preprocess_spec(preprocess_spec_to_json(spec));
    ASSERT_TRUE(back) << back.error();
    EXPECT_TRUE(back->conform.enabled);
    EXPECT_EQ(back->conform.box_width, spec.conform.box_width);   // exact: doubles round-trip
    EXPECT_EQ(back->conform.low, 24);
    EXPECT_EQ(back->conform.high, 241);
    EXPECT_EQ(back->conform.levels, spec.conform.levels);
    PreprocessSpec plain = spec;
    plain.conform = {};
    auto none = parse_preprocess_spec(preprocess_spec_to_json(plain));
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->conform.enabled);
    EXPECT_EQ(preprocess_spec_to_json(plain).find("conform"), std::string::npos);

    const std::string base = R"({"classes": ["a", "b"], "input": {"height": 8, "width": 8, "mean": 0.5, "std": 0.5, )";
    auto bad = parse_preprocess_spec(base + R"("conform": {"box_width": 1.5, "box_height": 0.8, "centre_x": 0.5, "centre_y": 0.5, "low": 1, "high": 2}}})");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().find("input.conform.box_width must be"), std::string::npos) << bad.error();
    auto order = parse_preprocess_spec(base + R"("conform": {"box_width": 0.5, "box_height": 0.8, "centre_x": 0.5, "centre_y": 0.5, "low": 9, "high": 9}}})");
    ASSERT_FALSE(order);
    EXPECT_NE(order.error().find("input.conform.high must be above input.conform.low"), std::string::npos) << order.error();
    const std::string box = R"("conform": {"box_width": 0.5, "box_height": 0.8, "centre_x": 0.5, "centre_y": 0.5, "low": 9, "high": 200, )";
    for (const char* levels : {R"("levels": [1, 2, 3]}}})", R"("levels": [1, 2, 3, 9, 8, 10, 11]}}})",
                               R"("levels": [1, 2, 3, 4, 5, 6, 256]}}})", R"("levels": "30"}}})"}) {
        auto wrong = parse_preprocess_spec(base + box + levels);
        ASSERT_FALSE(wrong) << levels;
        EXPECT_NE(wrong.error().find("input.conform.levels must be 7 ascending gray levels"), std::string::npos) << wrong.error();
    }
    auto missing = parse_preprocess_spec(base + R"("conform": {"box_width": 0.5}}})");
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().find("missing key \"input.conform.box_height\""), std::string::npos) << missing.error();
}
