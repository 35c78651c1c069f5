// resize_gray against hand-computed results on tiny images (resize.h: area when shrinking,
// bilinear with half-pixel centres when enlarging, identity bit-exact, round half up).
#include <gtest/gtest.h>

#include "alzscan/resize.h"

using namespace alzscan;

namespace {

GrayImage make(int w, int h, std::vector<uint8_t> px) { return GrayImage{w, h, std::move(px)}; }

std::vector<uint8_t> resized(const GrayImage& in, int w, int h) {
    auto out = resize_gray(in, w, h);
    EXPECT_TRUE(out.ok()) << out.error();
    if (!out) return {};
    EXPECT_EQ(out->width, w);
    EXPECT_EQ(out->height, h);
    return out->pixels;
}

}  // namespace

TEST(Resize, IdentityIsBitExact) {
    std::vector<uint8_t> px(7 * 5);
    for (size_t i = 0; i < px.size(); ++i) px[i] = uint8_t(i * 37 + 11);
    EXPECT_EQ(resized(make(7, 5, px), 7, 5), px);
}

TEST(Resize, Area4x4To2x2IsBlockMean) {
    GrayImage in = make(4, 4, {0, 10, 20, 30,  40, 50, 60, 70,  80, 90, 100, 110,  120, 130, 140, 150});
    // (0+10+40+50)/4 = 25, (20+30+60+70)/4 = 45, (80+90+120+130)/4 = 105, (100+110+140+150)/4 = 125
    EXPECT_EQ(resized(in, 2, 2), (std::vector<uint8_t>{25, 45, 105, 125}));
}

TEST(Resize, AreaRoundsHalfUp) {
    EXPECT_EQ(resized(make(2, 1, {0, 1}), 1, 1), (std::vector<uint8_t>{1}));      // 0.5 -> 1
    EXPECT_EQ(resized(make(4, 1, {0, 0, 0, 1}), 1, 1), (std::vector<uint8_t>{0}));  // 0.25 -> 0
    EXPECT_EQ(resized(make(4, 1, {0, 1, 1, 1}), 1, 1), (std::vector<uint8_t>{1}));  // 0.75 -> 1
}

TEST(Resize, AreaNonIntegerRatio5To3) {
    // Each output covers 5/3 inputs. Weights (in thirds of a pixel): out0 = 3*p0 + 2*p1,
    // out1 = 1*p1 + 3*p2 + 1*p3, out2 = 2*p3 + 3*p4; each divided by 5.
    // [10,20,30,40,50]: (30+40)/5 = 14, (20+90+40)/5 = 30, (80+150)/5 = 46.
    EXPECT_EQ(resized(make(5, 1, {10, 20, 30, 40, 50}), 3, 1), (std::vector<uint8_t>{14, 30, 46}));
    // [0,0,255,0,0]: 0, 765/5 = 153, 0.
    EXPECT_EQ(resized(make(5, 1, {0, 0, 255, 0, 0}), 3, 1), (std::vector<uint8_t>{0, 153, 0}));
    // The same along the vertical axis.
    EXPECT_EQ(resized(make(1, 5, {10, 20, 30, 40, 50}), 1, 3), (std::vector<uint8_t>{14, 30, 46}));
    // [0,100,0,100,0]: (0+200)/5 = 40, (100+0+100)/5 = 40, (200+0)/5 = 40.
    EXPECT_EQ(resized(make(5, 1, {0, 100, 0, 100, 0}), 3, 1), (std::vector<uint8_t>{40, 40, 40}));
}

TEST(Resize, Area5x5To3x3IsSeparableProduct) {
    // Only the centre input pixel is 225: weights (1/5 * 3/5 horizontally... ) give
    // out(1,1) = 225 * (3/5) * (3/5) = 81; out(1,0) = 225 * (3/5) * 0 = 0 (rows 0-1 do not
    // reach row 2); out(0,1): column weight 0 -> 0.
    std::vector<uint8_t> px(25, 0);
    px[12] = 225;
    EXPECT_EQ(resized(make(5, 5, px), 3, 3), (std::vector<uint8_t>{0, 0, 0, 0, 81, 0, 0, 0, 0}));
}

TEST(Resize, Bilinear2To4HalfPixelCentres) {
    // Source x = (i + 0.5) * 2/4 - 0.5 = -0.25, 0.25, 0.75, 1.25 -> clamp, .75/.25, .25/.75, clamp.
    EXPECT_EQ(resized(make(2, 1, {0, 100}), 4, 1), (std::vector<uint8_t>{0, 25, 75, 100}));
    // 63.75 -> 64, 191.25 -> 191.
    EXPECT_EQ(resized(make(2, 1, {0, 255}), 4, 1), (std::vector<uint8_t>{0, 64, 191, 255}));
}

TEST(Resize, Bilinear3To5) {
    // Source x = (i + 0.5) * 0.6 - 0.5 = -0.2, 0.4, 1.0, 1.6, 2.2 -> p0, 0.6p0+0.4p1, p1,
    // 0.4p1+0.6p2, p2.  [0,50,100] -> [0, 20, 50, 80, 100].
    EXPECT_EQ(resized(make(3, 1, {0, 50, 100}), 5, 1), (std::vector<uint8_t>{0, 20, 50, 80, 100}));
}

TEST(Resize, Bilinear2x2To4x4) {
    // Separable: rows become [0,25,75,100] and [100,..]: row weights 1, .75/.25, .25/.75, 1.
    // Pixels: a=0 b=100 c=100 d=200 -> row0 [0,25,75,100], row3 [100,125,175,200],
    // row1 = .75*row0 + .25*row3 = [25,50,100,125], row2 = [75,100,150,175].
    EXPECT_EQ(resized(make(2, 2, {0, 100, 100, 200}), 4, 4),
              (std::vector<uint8_t>{0, 25, 75, 100, 25, 50, 100, 125, 75, 100, 150, 175, 100, 125, 175, 200}));
}

TEST(Resize, MixedShrinkWidthEnlargeHeight) {
    // 4x2 -> 2x4. Width 4->2 (area): [0,20,40,60] -> [10,50], [100,120,140,160] -> [110,150].
    // Height 2->4 (bilinear): rows 1, .75/.25, .25/.75, 1:
    // [10,50], [35,75], [85,125], [110,150].
    EXPECT_EQ(resized(make(4, 2, {0, 20, 40, 60, 100, 120, 140, 160}), 2, 4),
              (std::vector<uint8_t>{10, 50, 35, 75, 85, 125, 110, 150}));
    // And the transpose: 2x4 -> 4x2.
    EXPECT_EQ(resized(make(2, 4, {0, 100, 20, 120, 40, 140, 60, 160}), 4, 2),
              (std::vector<uint8_t>{10, 35, 85, 110, 50, 75, 125, 150}));
}

TEST(Resize, OneAxisIdentityOtherAxisArea) {
    EXPECT_EQ(resized(make(4, 2, {0, 10, 20, 30, 40, 50, 60, 70}), 2, 2),
              (std::vector<uint8_t>{5, 25, 45, 65}));
}

TEST(Resize, ConstantImagesStayConstant) {
    for (auto wh : {std::pair<int, int>{1000, 700}, {3, 3}, {1, 1}, {129, 127}}) {
        GrayImage in = make(wh.first, wh.second, std::vector<uint8_t>(size_t(wh.first) * wh.second, 173));
        EXPECT_EQ(resized(in, 128, 128), std::vector<uint8_t>(128 * 128, 173)) << wh.first;
    }
}

TEST(Resize, IntegerFactorShrinkMatchesIndependentBoxMean) {
    // 256x256 -> 128x128: a second implementation (2x2 box sum, round half up) must agree.
    const int n = 256;
    std::vector<uint8_t> px(n * n);
    for (int i = 0; i < n * n; ++i) px[i] = uint8_t((i * 2654435761u) >> 24);
    auto out = resized(make(n, n, px), 128, 128);
    ASSERT_EQ(out.size(), size_t(128 * 128));
    for (int y = 0; y < 128; ++y)
        for (int x = 0; x < 128; ++x) {
            int s = px[(2 * y) * n + 2 * x] + px[(2 * y) * n + 2 * x + 1] + px[(2 * y + 1) * n + 2 * x] +
                    px[(2 * y + 1) * n + 2 * x + 1];
            ASSERT_EQ(out[y * 128 + x], (s + 2) / 4) << x << "," << y;
        }
}

TEST(Resize, SinglePixelEnlargesToConstant) {
    EXPECT_EQ(resized(make(1, 1, {42}), 3, 2), std::vector<uint8_t>(6, 42));
}

TEST(Resize, Errors) {
    auto e = resize_gray(make(0, 0, {}), 2, 2);
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().find("cannot resize an empty image (0x0)"), std::string::npos) << e.error();
    e = resize_gray(make(2, 2, {1, 2, 3, 4}), 0, 5);
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().find("resize target 0x5 is invalid"), std::string::npos) << e.error();
    e = resize_gray(make(2, 2, {1, 2, 3, 4}), 9000, 5);
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().find("1..8192"), std::string::npos) << e.error();
    e = resize_gray(make(2, 2, {1, 2, 3}), 1, 1);
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().find("holds 3 pixels but a 2x2 image needs 4"), std::string::npos) << e.error();
}
