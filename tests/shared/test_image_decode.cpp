// Decoding: every format, bit depth and channel layout, against hand-computed gray values.
// Formulas (image_decode.h): v8 = (v16*255 + 32767) / 65535; y = (299R + 587G + 114B + 500) / 1000;
// g = (y*A + 127) / 255. Each expected value below is worked out by hand in its comment.
#include <gtest/gtest.h>

#include "alzscan/image_decode.h"
#include "image_writers.h"

using namespace alzscan;
using namespace alzscan::test;

namespace {

std::vector<uint8_t> decode_ok(const std::vector<uint8_t>& bytes, int w, int h) {
    auto img = decode_gray(bytes.data(), bytes.size());
    EXPECT_TRUE(img.ok()) << img.error();
    if (!img) return {};
    EXPECT_EQ(img->width, w);
    EXPECT_EQ(img->height, h);
    return img->pixels;
}

}  // namespace

TEST(Luma, Bt601IntegerFormulaByHand) {
    EXPECT_EQ(luma_bt601(255, 0, 0), 76);    // (76245 + 500) / 1000 = 76.745
    EXPECT_EQ(luma_bt601(0, 255, 0), 150);   // (149685 + 500) / 1000 = 150.185
    EXPECT_EQ(luma_bt601(0, 0, 255), 29);    // (29070 + 500) / 1000 = 29.57
    EXPECT_EQ(luma_bt601(10, 20, 30), 18);   // (2990 + 11740 + 3420 + 500) / 1000 = 18.65
    EXPECT_EQ(luma_bt601(255, 255, 255), 255);
    for (int g = 0; g < 256; ++g) EXPECT_EQ(luma_bt601(g, g, g), g) << g;  // gray stays gray
}

TEST(Luma, CompositeOverBlackByHand) {
    EXPECT_EQ(composite_over_black(255, 128), 128);  // (32640 + 127) / 255 = 128.5
    EXPECT_EQ(composite_over_black(200, 51), 40);    // (10200 + 127) / 255 = 40.5
    EXPECT_EQ(composite_over_black(7, 200), 5);      // (1400 + 127) / 255 = 5.99
    EXPECT_EQ(composite_over_black(123, 0), 0);
    for (int g = 0; g < 256; ++g) EXPECT_EQ(composite_over_black(g, 255), g) << g;  // opaque: exact
}

TEST(DecodePng, Gray8KeepsValuesBitExactly) {
    PngImage p{3, 2, 8, PngColor::gray, {0, 1, 127, 128, 254, 255}};
    auto png = encode_png(p);
    EXPECT_EQ(decode_ok(png, 3, 2), (std::vector<uint8_t>{0, 1, 127, 128, 254, 255}));
    auto info = probe_image(png.data(), png.size());
    ASSERT_TRUE(info.ok()) << info.error();
    EXPECT_EQ(info->format, "png");
    EXPECT_EQ(info->width, 3);
    EXPECT_EQ(info->height, 2);
    EXPECT_EQ(info->channels, 1);
    EXPECT_EQ(info->bits, 8);
}

TEST(DecodePng, Gray16RoundsToNearest8Bit) {
    // 0 -> 0; 65535 -> 255; 25700 -> 6586267/65535 = 100.49 -> 100; 32767 -> 8388352/65535
    // = 127.998 -> 127; 32768 -> 8388607/65535 = 128.002 -> 128; 128 -> 65407/65535 -> 0.
    PngImage p{6, 1, 16, PngColor::gray, {0, 65535, 25700, 32767, 32768, 128}};
    auto png = encode_png(p);
    EXPECT_EQ(decode_ok(png, 6, 1), (std::vector<uint8_t>{0, 255, 100, 127, 128, 0}));
    auto info = probe_image(png.data(), png.size());
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->bits, 16);
    EXPECT_EQ(info->channels, 1);
}

TEST(DecodePng, LowBitDepthGrayScalesToFullRange) {
    // stb_image scales 1/2/4-bit gray by 255 / (2^d - 1): 1-bit -> 0/255, 4-bit -> v * 17.
    // 10 px wide: the second byte of each 1-bit row is padding.
    PngImage one{10, 1, 1, PngColor::gray, {1, 0, 1, 1, 0, 0, 0, 1, 1, 0}};
    EXPECT_EQ(decode_ok(encode_png(one), 10, 1),
              (std::vector<uint8_t>{255, 0, 255, 255, 0, 0, 0, 255, 255, 0}));
    PngImage four{3, 2, 4, PngColor::gray, {0, 1, 15, 8, 2, 14}};
    EXPECT_EQ(decode_ok(encode_png(four), 3, 2), (std::vector<uint8_t>{0, 17, 255, 136, 34, 238}));
    PngImage two{4, 1, 2, PngColor::gray, {0, 1, 2, 3}};  // * 85
    EXPECT_EQ(decode_ok(encode_png(two), 4, 1), (std::vector<uint8_t>{0, 85, 170, 255}));
}

TEST(DecodePng, FourBitPalette) {
    PngImage p{3, 1, 4, PngColor::palette, {2, 0, 1}};
    p.palette_rgb = {0, 0, 0, 255, 0, 0, 0, 255, 0};
    EXPECT_EQ(decode_ok(encode_png(p), 3, 1), (std::vector<uint8_t>{150, 0, 76}));
}

TEST(DecodePng, GrayAlphaCompositesOverBlack) {
    // (100,255) -> 100; (100,0) -> 0; (255,128) -> 128; (7,200) -> 5.
    PngImage p{4, 1, 8, PngColor::gray_alpha, {100, 255, 100, 0, 255, 128, 7, 200}};
    auto png = encode_png(p);
    EXPECT_EQ(decode_ok(png, 4, 1), (std::vector<uint8_t>{100, 0, 128, 5}));
    EXPECT_EQ(probe_image(png.data(), png.size())->channels, 2);
}

TEST(DecodePng, Gray16AlphaConvertsBothSamplesFirst) {
    // gray 65535 -> 255, alpha 32768 -> 128 -> (255*128+127)/255 = 128.
    // gray 25700 -> 100, alpha 65535 -> 255 -> 100.
    PngImage p{2, 1, 16, PngColor::gray_alpha, {65535, 32768, 25700, 65535}};
    EXPECT_EQ(decode_ok(encode_png(p), 2, 1), (std::vector<uint8_t>{128, 100}));
}

TEST(DecodePng, RgbUsesBt601Luma) {
    PngImage p{5, 1, 8, PngColor::rgb,
               {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 255, 255, 255}};
    auto png = encode_png(p);
    EXPECT_EQ(decode_ok(png, 5, 1), (std::vector<uint8_t>{76, 150, 29, 18, 255}));
    EXPECT_EQ(probe_image(png.data(), png.size())->channels, 3);
}

TEST(DecodePng, RgbaLumaThenAlpha) {
    // white a=128 -> 128; red a=255 -> 76; green a=0 -> 0; gray 200 a=51 -> 40.
    PngImage p{4, 1, 8, PngColor::rgba,
               {255, 255, 255, 128, 255, 0, 0, 255, 0, 255, 0, 0, 200, 200, 200, 51}};
    auto png = encode_png(p);
    EXPECT_EQ(decode_ok(png, 4, 1), (std::vector<uint8_t>{128, 76, 0, 40}));
    EXPECT_EQ(probe_image(png.data(), png.size())->channels, 4);
}

TEST(DecodePng, Rgba16) {
    // (65535,0,0,32768) -> (255,0,0,128): luma 76, (76*128+127)/255 = 9855/255 = 38.6 -> 38.
    // (0,65535,0,65535) -> 150.
    PngImage p{2, 1, 16, PngColor::rgba, {65535, 0, 0, 32768, 0, 65535, 0, 65535}};
    auto png = encode_png(p);
    EXPECT_EQ(decode_ok(png, 2, 1), (std::vector<uint8_t>{38, 150}));
    auto info = probe_image(png.data(), png.size());
    EXPECT_EQ(info->bits, 16);
    EXPECT_EQ(info->channels, 4);
}

TEST(DecodePng, PaletteWithAndWithoutTransparency) {
    PngImage p{4, 1, 8, PngColor::palette, {0, 1, 2, 3}};
    p.palette_rgb = {0, 0, 0, 255, 0, 0, 0, 0, 255, 200, 200, 200};
    EXPECT_EQ(decode_ok(encode_png(p), 4, 1), (std::vector<uint8_t>{0, 76, 29, 200}));
    p.palette_alpha = {255, 0, 255, 51};  // red fully transparent, gray 200 at a=51 -> 40
    EXPECT_EQ(decode_ok(encode_png(p), 4, 1), (std::vector<uint8_t>{0, 0, 29, 40}));
}

TEST(DecodePng, MultiBlockStoredDeflateAndStbCompressedAgree) {
    // 300x300 gray: 90300 raw bytes -> two stored deflate blocks in our encoder; stb_image_write
    // compresses the same pixels with real deflate. Both must decode to the pixels we wrote.
    const int w = 300, h = 300;
    std::vector<uint16_t> samples(w * h);
    std::vector<uint8_t> pixels(w * h);
    for (int i = 0; i < w * h; ++i) pixels[i] = uint8_t((i * 7 + i / w * 13) & 0xFF), samples[i] = pixels[i];
    EXPECT_EQ(decode_ok(encode_png({w, h, 8, PngColor::gray, samples}), w, h), pixels);
    EXPECT_EQ(decode_ok(encode_png_stb(w, h, 1, pixels), w, h), pixels);
}

TEST(DecodeRefused, BmpAndGifNameTheFormatAndSayWhatToDo) {
    std::vector<uint8_t> rgb = {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 10, 20, 30};
    auto bmp = encode_bmp_rgb(3, 2, rgb, false);
    auto e = decode_gray(bmp.data(), bmp.size());
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.error(), "this file is not a PNG or JPEG image (it looks like a BMP image); alzscan "
                         "reads PNG and JPEG: export the slice as PNG (lossless) and try again");
    std::vector<uint8_t> palette = {0, 0, 0, 255, 0, 0, 0, 255, 0, 10, 20, 30};
    auto gif = encode_gif(2, 2, palette, {{0, 1, 2, 3}});
    auto g = probe_image(gif.data(), gif.size());
    ASSERT_FALSE(g.ok());
    EXPECT_NE(g.error().find("(it looks like a GIF image)"), std::string::npos) << g.error();
}

TEST(DecodeJpeg, BaselineColourAndGrayFromStbImageWrite) {
    // Lossy: quality 100 on flat colour blocks keeps values within a few levels.
    const int w = 16, h = 16;
    std::vector<uint8_t> rgb(w * h * 3), gray(w * h);
    for (int i = 0; i < w * h; ++i) {
        rgb[i * 3] = 255, rgb[i * 3 + 1] = 0, rgb[i * 3 + 2] = 0;  // red: luma 76
        gray[i] = 90;
    }
    auto red = encode_jpeg_stb(w, h, 3, rgb, 100);
    auto px = decode_ok(red, w, h);
    ASSERT_EQ(px.size(), size_t(w * h));
    for (uint8_t v : px) EXPECT_NEAR(v, 76, 3);
    auto info = probe_image(red.data(), red.size());
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->format, "jpeg");
    EXPECT_EQ(info->bits, 8);
    for (uint8_t v : decode_ok(encode_jpeg_stb(w, h, 1, gray, 100), w, h)) EXPECT_NEAR(v, 90, 2);
}

TEST(DecodeLimits, ExactlyAtTheLimitsIsAccepted) {
    DecodeLimits tight{4, 12};
    PngImage p{4, 3, 8, PngColor::gray, std::vector<uint16_t>(12, 9)};
    auto png = encode_png(p);
    auto img = decode_gray(png.data(), png.size(), tight);
    ASSERT_TRUE(img.ok()) << img.error();
    EXPECT_EQ(img->pixels, std::vector<uint8_t>(12, 9));
}
