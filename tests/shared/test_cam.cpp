// Activation-map display (alzscan/cam.h) against values worked out by hand.
#include <gtest/gtest.h>

#include <vector>

#include "alzscan/cam.h"

using namespace alzscan;

TEST(Cam, NormaliseIsReluThenScaleToOne) {
    const float raw[4] = {-2, 1, 4, 0};
    const std::vector<float> m = normalise_cam(raw, 4);
    EXPECT_EQ(m, (std::vector<float>{0, 0.25f, 1, 0}));
    const float none[2] = {-1, -3};
    EXPECT_EQ(normalise_cam(none, 2), (std::vector<float>{0, 0}));   // nothing positive: all zero
}

TEST(Cam, UpsampleIsBilinearWithHalfPixelCentres) {
    // 2 x 1 -> 4 x 1: output x centres at source positions -0.25, 0.25, 0.75, 1.25 -> clamped 0,
    // 0.25, 0.75, 1 of the way from 0 to 1 (torch interpolate, align_corners=False).
    const std::vector<float> up = upsample_cam({0, 1}, 2, 1, 4, 1);
    ASSERT_EQ(up.size(), 4u);
    EXPECT_NEAR(up[0], 0.0, 1e-7);
    EXPECT_NEAR(up[1], 0.25, 1e-7);
    EXPECT_NEAR(up[2], 0.75, 1e-7);
    EXPECT_NEAR(up[3], 1.0, 1e-7);
    EXPECT_EQ(upsample_cam({1}, 2, 2, 3, 3), std::vector<float>(9, 0.0f));   // a map too short: zeros
}

TEST(Cam, EnlargeAndOverlay) {
    GrayImage g{2, 1, {10, 200}};
    const GrayImage big = enlarge_nearest(g, 2);
    EXPECT_EQ(big.width, 4);
    EXPECT_EQ(big.height, 2);
    EXPECT_EQ(big.pixels, (std::vector<uint8_t>{10, 10, 200, 200, 10, 10, 200, 200}));
    uint8_t lo[3], hi[3];
    cam_colour(0, lo);
    cam_colour(1, hi);
    EXPECT_EQ((std::vector<int>{lo[0], lo[1], lo[2]}), (std::vector<int>{40, 60, 220}));   // blue
    EXPECT_EQ((std::vector<int>{hi[0], hi[1], hi[2]}), (std::vector<int>{230, 30, 30}));   // red
    // Map 0 leaves the slice gray; map 1 at opacity 0.5 is half the slice, half red.
    const std::vector<uint8_t> rgba = cam_overlay(g, {0, 1}, 0.5);
    EXPECT_EQ((std::vector<int>{rgba[0], rgba[1], rgba[2], rgba[3]}), (std::vector<int>{10, 10, 10, 255}));
    EXPECT_EQ((std::vector<int>{rgba[4], rgba[5], rgba[6]}), (std::vector<int>{215, 115, 115}));
}
