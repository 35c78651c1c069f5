// tissue.h: the brain mask, the three tissue fractions and the ventricles on drawn slices whose pixel
// counts are worked out by hand (the numpy/scipy cross-check on real slices: tests/shared/test_tissue.py).
#include <gtest/gtest.h>

#include "drawing.h"

#include "alzscan/tissue.h"

using namespace alzscan;
using alzscan::drawing::blank;
using alzscan::drawing::fill;

namespace {

// A 30 x 30 "brain" (900 pixels) at (5, 5): white matter 200 inside a 3-pixel grey ring at 120; a
// 4 x 8 ventricle at 10 (below the foreground threshold of 24: a hole the mask must fill) in the
// middle; a 2 x 3 sulcus at 30 on the left edge (open to the outside); a 2 x 2 speck apart.
GrayImage drawn() {
    GrayImage img = blank(40, 40);
    fill(img, 5, 5, 35, 35, 120);
    fill(img, 8, 8, 32, 32, 200);
    fill(img, 18, 16, 22, 24, 10);
    fill(img, 5, 20, 7, 23, 30);
    fill(img, 37, 37, 39, 39, 200);
    return img;
}

}  // namespace

TEST(Tissue, FractionsAndVentriclesOfADrawnSlice) {
    const TissueMeasures t = measure_tissue(drawn());
    ASSERT_TRUE(t.found);
    EXPECT_EQ(t.brain_pixels, 900);                      // the hole counted, the speck not
    EXPECT_DOUBLE_EQ(t.csf_fraction, (32 + 6) / 900.0);  // ventricle + sulcus
    EXPECT_DOUBLE_EQ(t.gm_fraction, (324 - 6) / 900.0);  // the ring less the sulcus
    EXPECT_DOUBLE_EQ(t.wm_fraction, (576 - 32) / 900.0);
    EXPECT_DOUBLE_EQ(t.ventricle_fraction, 32 / 900.0);  // the sulcus touches the outside
    EXPECT_GT(t.thresholds[0], 30);
    EXPECT_LE(t.thresholds[0], 120);
    EXPECT_GT(t.thresholds[1], 120);
    EXPECT_LE(t.thresholds[1], 200);
}

TEST(Tissue, AnEnclosedDarkSpotOffCentreIsCsfButNoVentricle) {
    GrayImage img = drawn();
    fill(img, 9, 9, 11, 11, 40);   // in the white matter, outside the box's middle half (x, y < 12.25)
    const TissueMeasures t = measure_tissue(img);
    ASSERT_TRUE(t.found);
    EXPECT_DOUBLE_EQ(t.csf_fraction, (32 + 6 + 4) / 900.0);
    EXPECT_DOUBLE_EQ(t.ventricle_fraction, 32 / 900.0);
}

TEST(Tissue, NoBrainIsNotFound) {
    EXPECT_FALSE(measure_tissue(blank(20, 20)).found);
    GrayImage speck = blank(20, 20);
    fill(speck, 3, 3, 6, 6, 200);   // 9 pixels: under the 16 a brain needs
    const TissueMeasures t = measure_tissue(speck);
    EXPECT_FALSE(t.found);
    EXPECT_EQ(t.csf_fraction, 0);
    EXPECT_EQ(tissue_json(t), "null");
}
