// slice_pose.h: a drawn "brain" turned and stretched by known amounts (drawn analytically, not
// through the code under test) has that pose estimated back; the correction turns it into the
// template's pose; a slice within the ranges comes out exactly as conform_slice's; the JSON member
// round-trips and bad members are refused by name.
#include <gtest/gtest.h>

#include <cmath>

#include "alzscan/conform.h"
#include "alzscan/preprocess_spec.h"
#include "alzscan/slice_pose.h"

using namespace alzscan;

namespace {

constexpr double kPi = 3.14159265358979323846;

// An axial-slice-like drawing at `side` pixels: a bright ellipse (brain) with a darker rim (cortex),
// two dark ventricles and a dark midline notch at the front, turned `deg` degrees clockwise as
// displayed and scaled by sx, sy about the centre (sampled 4 x 4 per pixel).
GrayImage draw_brain(int side, double deg, double sx, double sy) {
    GrayImage img{side, side, std::vector<uint8_t>(static_cast<size_t>(side) * side, 0)};
    const double c = std::cos(deg * kPi / 180), s = std::sin(deg * kPi / 180);
    auto value = [](double x, double y) {   // x, y in the upright brain's frame, units of the frame
        auto in = [&](double cx, double cy, double rx, double ry) {
            return (x - cx) * (x - cx) / (rx * rx) + (y - cy) * (y - cy) / (ry * ry) <= 1;
        };
        if (!in(0, 0, 0.30, 0.38)) return 0.0;
        if (in(-0.07, -0.05, 0.04, 0.14) || in(0.07, -0.05, 0.04, 0.14)) return 40.0;   // ventricles
        if (std::abs(x) < 0.015 && y < -0.25) return 40.0;                                // front notch
        if (!in(0, 0, 0.26, 0.34)) return 110.0;                                          // cortex
        return 200.0;
    };
    for (int py = 0; py < side; ++py)
        for (int px = 0; px < side; ++px) {
            double sum = 0;
            for (int j = 0; j < 4; ++j)
                for (int i = 0; i < 4; ++i) {
                    const double qx = (px + (i + 0.5) / 4) / side - 0.5, qy = (py + (j + 0.5) / 4) / side - 0.5;
                    // q = R diag(sx, sy) p  =>  p = diag(1/sx, 1/sy) R^T q
                    const double rx = c * qx + s * qy, ry = -s * qx + c * qy;
                    sum += value(rx / sx, ry / sy);
                }
            img.pixels[static_cast<size_t>(py) * side + px] = static_cast<uint8_t>(std::lround(sum / 16));
        }
    return img;
}

ConformSpec conform_spec() {
    ConformSpec c;
    c.enabled = true;
    return c;
}

// Every level the same template: the upright drawing, conformed.
PoseSpec spec_with_ranges(double rotation, double scale) {
    PoseSpec p;
    const GrayImage upright = conform_slice(draw_brain(160, 0, 1, 1), conform_spec(), 64, 64).value();
    p.templates.assign(kPoseLevels, pose_grid(upright));
    p.low = {-rotation, 1 - scale, 1 - scale, -0.05, -0.05, -0.05};
    p.high = {rotation, 1 + scale, 1 + scale, 0.05, 0.05, 0.05};
    p.ncc_min = 0.5;
    return p;
}

}  // namespace

TEST(SlicePose, UprightSliceHasTheIdentityPose) {
    const PoseSpec spec = spec_with_ranges(3, 0.05);
    const GrayImage x = conform_slice(draw_brain(160, 0, 1, 1), conform_spec(), 64, 64).value();
    const SlicePose pose = estimate_pose(x, spec);
    ASSERT_TRUE(pose.estimated);
    EXPECT_GT(pose.ncc, 0.999);
    EXPECT_NEAR(pose.params[0], 0, 0.5);
    EXPECT_NEAR(pose.params[1], 1, 0.02);
    EXPECT_NEAR(pose.params[2], 1, 0.02);
}

TEST(SlicePose, TurnedAndStretchedSlicesHaveTheirPoseEstimated) {
    const PoseSpec spec = spec_with_ranges(3, 0.05);
    for (double deg : {-22.0, -12.0, 8.0, 17.0}) {
        const GrayImage x = conform_slice(draw_brain(160, deg, 1, 1), conform_spec(), 64, 64).value();
        const SlicePose pose = estimate_pose(x, spec);
        ASSERT_TRUE(pose.estimated) << deg;
        EXPECT_NEAR(pose.params[0], deg, 1.5) << deg;
        EXPECT_NEAR(pose.params[1] / pose.params[2], 1.0, 0.04) << deg;   // conform sets the area, not the aspect
    }
    // Stretched along x by 1.2 (conform keeps the aspect): scale_x / scale_y is the stretch.
    const GrayImage wide = conform_slice(draw_brain(160, 0, 1.2, 1), conform_spec(), 64, 64).value();
    const SlicePose pose = estimate_pose(wide, spec);
    EXPECT_NEAR(pose.params[1] / pose.params[2], 1.2, 0.04);
    EXPECT_NEAR(pose.params[0], 0, 1.0);
}

TEST(SlicePose, OutsideTheRangesTheSliceIsTurnedIntoTheTemplatesPose) {
    const PoseSpec spec = spec_with_ranges(3, 0.05);
    const GrayImage turned = draw_brain(160, 15, 1, 1);
    SlicePose pose;
    const GrayImage out = pose_and_conform(turned, conform_spec(), spec, 64, 64, &pose).value();
    EXPECT_TRUE(pose.corrected) << pose.reason;
    EXPECT_NE(pose.reason.find("rotation 1"), std::string::npos) << pose.reason;
    const SlicePose after = estimate_pose(out, spec);
    EXPECT_NEAR(after.params[0], 0, 1.5);
    EXPECT_GT(after.ncc, 0.98);
    // The upright drawing conformed, and the turned one corrected, look alike.
    const GrayImage upright = conform_slice(draw_brain(160, 0, 1, 1), conform_spec(), 64, 64).value();
    double diff = 0;
    for (size_t i = 0; i < out.pixels.size(); ++i) diff += std::abs(int(out.pixels[i]) - int(upright.pixels[i]));
    EXPECT_LT(diff / out.pixels.size(), 8.0);
}

TEST(SlicePose, WithinTheRangesTheSliceIsExactlyConformed) {
    const PoseSpec spec = spec_with_ranges(25, 0.3);
    const GrayImage turned = draw_brain(160, 15, 1, 1);
    SlicePose pose;
    const GrayImage out = pose_and_conform(turned, conform_spec(), spec, 64, 64, &pose).value();
    EXPECT_TRUE(pose.estimated);
    EXPECT_FALSE(pose.corrected);
    EXPECT_EQ(pose.reason, "within the training slices' poses");
    EXPECT_EQ(out.pixels, conform_slice(turned, conform_spec(), 64, 64).value().pixels);
}

TEST(SlicePose, BeyondTheBoundsOrPoorlyMatchedItIsLeftAsItIs) {
    PoseSpec spec = spec_with_ranges(3, 0.05);
    SlicePose far;
    far.estimated = true;
    far.ncc = 0.9;
    far.params = {45, 1, 1, 0, 0, 0};
    judge_pose(far, spec);
    EXPECT_FALSE(far.corrected);
    EXPECT_NE(far.reason.find("beyond what is corrected"), std::string::npos) << far.reason;
    SlicePose poor = far;
    poor.params = {10, 1, 1, 0, 0, 0};
    poor.ncc = 0.3;
    judge_pose(poor, spec);
    EXPECT_FALSE(poor.corrected);
    EXPECT_NE(poor.reason.find("poorly"), std::string::npos) << poor.reason;
}

TEST(SlicePose, SpecRoundTripsThroughModelJsonAndBadMembersAreNamed) {
    PreprocessSpec spec;
    spec.width = spec.height = 64;
    spec.conform = conform_spec();
    spec.pose = spec_with_ranges(3, 0.05);
    spec.pose.fitted_on = "drawn";
    spec.class_names = {"a", "b"};
    auto back = parse_preprocess_spec(preprocess_spec_to_json(spec));
    ASSERT_TRUE(back) << back.error();
    EXPECT_EQ(back->pose.templates, spec.pose.templates);
    EXPECT_EQ(back->pose.low, spec.pose.low);
    EXPECT_EQ(back->pose.high, spec.pose.high);
    EXPECT_EQ(back->pose.ncc_min, spec.pose.ncc_min);
    EXPECT_EQ(back->pose.fitted_on, "drawn");

    const std::string bad_templates =
        R"({"input": {"height": 64, "width": 64, "mean": 0.5, "std": 0.5, "conform": {"box_width": 0.78,
           "box_height": 0.81, "centre_x": 0.5, "centre_y": 0.5, "low": 25, "high": 240},
           "pose": {"templates": ["0102"], "low": [0,0,0,0,0,0], "high": [0,0,0,0,0,0], "ncc_min": 0.5}},
           "classes": ["a", "b"]})";
    auto r = parse_preprocess_spec(bad_templates);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("input.pose.templates must be 8 images of 1024 gray levels (hex strings)"), std::string::npos) << r.error();
    std::string eight = "[";
    for (int k = 0; k < kPoseLevels; ++k) eight += std::string(k ? "," : "") + "\"" + std::string(k == 5 ? 2047 : 2048, 'a') + (k == 5 ? "g" : "") + "\"";
    eight += "]";
    const std::string bad_digit =
        R"({"input": {"height": 64, "width": 64, "mean": 0.5, "std": 0.5, "conform": {"box_width": 0.78,
           "box_height": 0.81, "centre_x": 0.5, "centre_y": 0.5, "low": 25, "high": 240},
           "pose": {"templates": )" + eight + R"(, "low": [0,0,0,0,0,0], "high": [0,0,0,0,0,0], "ncc_min": 0.5}},
           "classes": ["a", "b"]})";
    r = parse_preprocess_spec(bad_digit);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("input.pose.templates[5] must be 1024 gray levels as 2048 lowercase hex digits"),
              std::string::npos) << r.error();
    const std::string without_conform =
        R"({"input": {"height": 64, "width": 64, "mean": 0.5, "std": 0.5, "pose": {}}, "classes": ["a", "b"]})";
    r = parse_preprocess_spec(without_conform);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("input.pose needs input.conform"), std::string::npos) << r.error();
}
