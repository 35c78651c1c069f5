// The whole path bytes -> tensor: normalise values by hand, composition of the stages.
#include <gtest/gtest.h>

#include "alzscan/preprocess.h"
#include "alzscan/resize.h"
#include "image_writers.h"

using namespace alzscan;
using namespace alzscan::test;

TEST(Normalise, HandComputedValues) {
    PreprocessSpec spec;  // mean 0.5, std 0.5
    GrayImage img{4, 1, {0, 255, 51, 204}};
    float out[4];
    normalise_into(img, spec, out);
    // 0 -> (0 - .5)/.5 = -1; 255 -> 1; 51 -> (0.2 - .5)/.5 = -0.6; 204 -> (0.8 - .5)/.5 = 0.6
    EXPECT_FLOAT_EQ(out[0], -1.0f);
    EXPECT_FLOAT_EQ(out[1], 1.0f);
    EXPECT_NEAR(out[2], -0.6f, 1e-6);
    EXPECT_NEAR(out[3], 0.6f, 1e-6);

    spec.mean = 0.2f;
    spec.std = 0.25f;
    GrayImage img2{3, 1, {102, 0, 255}};
    normalise_into(img2, spec, out);
    EXPECT_NEAR(out[0], 0.8f, 1e-6);   // (0.4 - 0.2) / 0.25
    EXPECT_NEAR(out[1], -0.8f, 1e-6);  // (0 - 0.2) / 0.25
    EXPECT_NEAR(out[2], 3.2f, 1e-6);   // (1 - 0.2) / 0.25
}

TEST(Normalise, IsFloat32AsWritten) {
    // The contract is the float32 expression (p/255 - mean)/std evaluated in that order,
    // which is what ONNX-side consumers reproduce; check it bit for bit for every pixel value.
    PreprocessSpec spec;
    spec.mean = 0.449f;
    spec.std = 0.226f;
    GrayImage img{256, 1, {}};
    for (int i = 0; i < 256; ++i) img.pixels.push_back(uint8_t(i));
    std::vector<float> out(256);
    normalise_into(img, spec, out.data());
    for (int i = 0; i < 256; ++i) {
        volatile float scaled = float(i) / 255.0f;
        volatile float centred = scaled - 0.449f;
        EXPECT_EQ(out[i], centred / 0.226f) << i;
    }
}

TEST(PreprocessBytes, ShrinksTo128AndNormalises) {
    // 256x256 gray PNG of 2x2 blocks (value b): the 128x128 result is exactly the block values.
    const int n = 256;
    std::vector<uint16_t> samples(n * n);
    for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x) samples[y * n + x] = uint16_t(((x / 2) + (y / 2)) % 256);
    auto png = encode_png({n, n, 8, PngColor::gray, samples});
    PreprocessSpec spec;
    auto t = preprocess_bytes(png.data(), png.size(), spec);
    ASSERT_TRUE(t.ok()) << t.error();
    ASSERT_EQ(t->size(), size_t(128 * 128));
    for (int y = 0; y < 128; y += 17)
        for (int x = 0; x < 128; x += 13) {
            const float v = float((x + y) % 256);
            EXPECT_FLOAT_EQ((*t)[y * 128 + x], (v / 255.0f - 0.5f) / 0.5f) << x << "," << y;
        }
}

TEST(PreprocessBytes, EqualsDecodeThenResizeThenNormalise) {
    // 100x60 RGB enlarged in height and shrunk... (100 -> 64 wide, 60 -> 80 high).
    const int w = 100, h = 60;
    std::vector<uint16_t> samples(w * h * 3);
    for (size_t i = 0; i < samples.size(); ++i) samples[i] = uint16_t((i * 13) % 256);
    auto png = encode_png({w, h, 8, PngColor::rgb, samples});
    PreprocessSpec spec;
    spec.width = 64;
    spec.height = 80;
    auto prepared = prepare_image(png.data(), png.size(), spec);
    ASSERT_TRUE(prepared.ok()) << prepared.error();
    EXPECT_EQ(prepared->width, 64);
    EXPECT_EQ(prepared->height, 80);
    auto decoded = decode_gray(png.data(), png.size());
    ASSERT_TRUE(decoded.ok());
    auto by_hand = resize_gray(*decoded, 64, 80);
    ASSERT_TRUE(by_hand.ok());
    EXPECT_EQ(prepared->pixels, by_hand->pixels);
    auto t = preprocess_bytes(png.data(), png.size(), spec);
    ASSERT_TRUE(t.ok());
    std::vector<float> expect(64 * 80);
    normalise_into(*by_hand, spec, expect.data());
    EXPECT_EQ(*t, expect);
}

TEST(PreprocessBytes, ImageAtInputSizePassesThroughExactly) {
    std::vector<uint16_t> samples(128 * 128);
    for (size_t i = 0; i < samples.size(); ++i) samples[i] = uint16_t((i * 7919) % 256);
    auto png = encode_png({128, 128, 8, PngColor::gray, samples});
    auto img = prepare_image(png.data(), png.size(), PreprocessSpec{});
    ASSERT_TRUE(img.ok());
    for (size_t i = 0; i < samples.size(); ++i) ASSERT_EQ(img->pixels[i], samples[i]);
}

TEST(PreprocessBytes, RejectsHandBuiltBadSpec) {
    auto png = encode_png({2, 2, 8, PngColor::gray, {1, 2, 3, 4}});
    PreprocessSpec spec;
    spec.std = 0.0f;
    auto t = preprocess_bytes(png.data(), png.size(), spec);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().find("std must be > 0"), std::string::npos) << t.error();
    spec = PreprocessSpec{};
    spec.resize = "bicubic";
    t = preprocess_bytes(png.data(), png.size(), spec);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().find("resize method \"bicubic\""), std::string::npos) << t.error();
    spec = PreprocessSpec{};
    spec.channels = 3;
    t = preprocess_bytes(png.data(), png.size(), spec);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().find("3 channels"), std::string::npos) << t.error();
    spec = PreprocessSpec{};
    spec.width = 0;
    t = preprocess_bytes(png.data(), png.size(), spec);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().find("resize target 0x128 is invalid"), std::string::npos) << t.error();
}
