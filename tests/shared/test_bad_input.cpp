// Every kind of bad image input gets its own one-line message, never a crash or an abort
// (these suites also run as WebAssembly, where an abort would fail the test binary).
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "alzscan/image_decode.h"
#include "alzscan/preprocess.h"
#include "image_writers.h"

using namespace alzscan;
using namespace alzscan::test;

namespace {

// The decode error, after checking probe_image agrees where the problem is in the header.
std::string decode_error(const std::vector<uint8_t>& bytes, const DecodeLimits& limits = {}) {
    auto img = decode_gray(bytes.data(), bytes.size(), limits);
    EXPECT_FALSE(img.ok());
    EXPECT_EQ(img.error().find('\n'), std::string::npos) << "one line: " << img.error();
    return img.error();
}

std::vector<uint8_t> gray_png(int w, int h) {
    PngImage p{w, h, 8, PngColor::gray, std::vector<uint16_t>(size_t(w) * h, 77)};
    return encode_png(p);
}

// Overwrites the 16-bit big-endian height and width of a JPEG's SOF0 frame header.
void set_jpeg_size(std::vector<uint8_t>& jpg, uint16_t w, uint16_t h) {
    for (size_t i = 2; i + 9 < jpg.size(); ++i) {
        if (jpg[i] == 0xFF && jpg[i + 1] == 0xC0) {
            jpg[i + 5] = uint8_t(h >> 8), jpg[i + 6] = uint8_t(h);
            jpg[i + 7] = uint8_t(w >> 8), jpg[i + 8] = uint8_t(w);
            return;
        }
    }
    ADD_FAILURE() << "no SOF0 marker";
}

std::vector<uint8_t> small_jpeg() {
    std::vector<uint8_t> px(32 * 32);
    for (size_t i = 0; i < px.size(); ++i) px[i] = uint8_t(i * 3);
    return encode_jpeg_stb(32, 32, 1, px, 90);
}

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

}  // namespace

TEST(BadInput, EmptyBuffer) {
    uint8_t dummy = 0;
    const uint8_t* pointers[] = {nullptr, &dummy};
    for (const uint8_t* p : pointers) {
        auto img = decode_gray(p, 0);
        ASSERT_FALSE(img.ok());
        EXPECT_HAS(img.error(), "the file is empty (0 bytes)");
        auto info = probe_image(p, 0);
        ASSERT_FALSE(info.ok());
        EXPECT_HAS(info.error(), "empty");
    }
}

TEST(BadInput, NotAnImageNamesAcceptedFormats) {
    std::string e = decode_error(bytes_of("hello, this is a text file"));
    EXPECT_HAS(e, "not a PNG or JPEG image");
    EXPECT_HAS(e, "starts with bytes 68 65 6C 6C");
    EXPECT_HAS(decode_error(bytes_of("%PDF-1.7 ...")), "looks like a PDF document");
    std::vector<uint8_t> dicom(200, 0);
    dicom[128] = 'D', dicom[129] = 'I', dicom[130] = 'C', dicom[131] = 'M';
    EXPECT_HAS(decode_error(dicom), "looks like a DICOM file");
    EXPECT_HAS(decode_error({'I', 'I', '*', 0, 1, 2, 3, 4}), "looks like a TIFF image");
    EXPECT_HAS(decode_error({0x42}), "not a PNG or JPEG image");  // one byte "B"
}

TEST(BadInput, TruncatedPng) {
    auto png = gray_png(20, 20);
    // Cut inside the pixel data (IDAT), inside the header, and just before IEND.
    for (size_t keep : {png.size() / 2, size_t(20), png.size() - 12, png.size() - 1}) {
        std::vector<uint8_t> cut(png.begin(), png.begin() + long(keep));
        std::string e = decode_error(cut);
        EXPECT_HAS(e, "the PNG file is truncated");
        EXPECT_HAS(e, "after " + std::to_string(keep) + " bytes");
    }
}

TEST(BadInput, TruncatedJpegIsNotSilentlyPadded) {
    auto jpg = small_jpeg();
    ASSERT_TRUE(decode_gray(jpg.data(), jpg.size()).ok());
    // stb alone "decodes" these (it pads missing data); the structure walk must refuse them.
    for (size_t keep : {jpg.size() - 2, jpg.size() * 2 / 3, size_t(300), size_t(10)}) {
        std::vector<uint8_t> cut(jpg.begin(), jpg.begin() + long(keep));
        EXPECT_HAS(decode_error(cut), "the JPEG file is truncated");
    }
}

TEST(BadInput, ZeroOrNegativeSize) {
    EXPECT_HAS(decode_error(gray_png(0, 4)), "the PNG header says 0x4 pixels: width and height must each be at least 1");
    EXPECT_HAS(decode_error(gray_png(5, 0)), "header says 5x0 pixels");
    auto jpg = small_jpeg();
    set_jpeg_size(jpg, 0, 32);
    EXPECT_HAS(decode_error(jpg), "the JPEG header says 0x32 pixels");
}

TEST(BadInput, OverSideLimitCheckedFromHeaderBeforeDecoding) {
    // A header-only PNG: had the decoder run first, this would say "truncated".
    auto huge = png_header_only(60000, 60000);
    std::string e = decode_error(huge);
    EXPECT_HAS(e, "the PNG header says 60000x60000 pixels: over the 8192 px limit per side");
    auto info = probe_image(huge.data(), huge.size());
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.error(), e);
    EXPECT_HAS(decode_error(png_header_only(8193, 10)), "8193x10 pixels: over the 8192 px limit");
    EXPECT_HAS(decode_error(png_header_only(0xFFFFFFFFu, 1)), "4294967295x1 pixels");
    auto jpg = small_jpeg();
    set_jpeg_size(jpg, 65535, 100);
    EXPECT_HAS(decode_error(jpg), "the JPEG header says 65535x100 pixels: over the 8192 px limit");
}

TEST(BadInput, OverMegapixelLimit) {
    // 8000x8000 passes the per-side limit but is 64 MP.
    EXPECT_HAS(decode_error(png_header_only(8000, 8000)),
               "header says 8000x8000 pixels (64.0 megapixels, over the 40.0 megapixel limit)");
    // Custom limits: 5x5 = 25 pixels over a 24-pixel budget.
    EXPECT_HAS(decode_error(gray_png(5, 5), DecodeLimits{100, 24}),
               "5x5 pixels (0.0 megapixels, over the 0.0 megapixel limit)");
    EXPECT_HAS(decode_error(gray_png(5, 5), DecodeLimits{4, 1000}), "over the 4 px limit per side");
}

TEST(BadInput, CorruptPixelData) {
    auto png = gray_png(16, 16);
    // The zlib header sits right after "IDAT": make it invalid (CM != 8).
    for (size_t i = 8; i + 4 < png.size(); ++i)
        if (png[i] == 'I' && png[i + 1] == 'D' && png[i + 2] == 'A' && png[i + 3] == 'T') {
            png[i + 4] = 0x77;
            break;
        }
    std::string e = decode_error(png);
    EXPECT_HAS(e, "the PNG file is corrupt: the decoder stopped with");

    auto jpg = small_jpeg();
    // A DHT segment with an impossible table class (tc > 1).
    for (size_t i = 2; i + 4 < jpg.size(); ++i)
        if (jpg[i] == 0xFF && jpg[i + 1] == 0xC4) {
            jpg[i + 4] = 0x55;
            break;
        }
    EXPECT_HAS(decode_error(jpg), "the JPEG file is corrupt");  // header or pixel data

    auto png_bad_first = gray_png(4, 4);
    png_bad_first[12] = 'X';  // first chunk no longer IHDR
    EXPECT_HAS(decode_error(png_bad_first), "the PNG file is corrupt: its first chunk is not the IHDR header");
}

TEST(BadInput, PreprocessReportsTheSameMessage) {
    PreprocessSpec spec;
    spec.height = 64;
    spec.width = 48;
    auto huge = png_header_only(60000, 60000);
    DecodeLimits for_the_model;   // what preprocessing tells the decoder: the size it decodes for
    for_the_model.model_height = spec.height;
    for_the_model.model_width = spec.width;
    auto direct = decode_gray(huge.data(), huge.size(), for_the_model);
    auto tensor = preprocess_bytes(huge.data(), huge.size(), spec);
    ASSERT_FALSE(tensor.ok());
    EXPECT_EQ(tensor.error(), direct.error());
    // The hint names the spec's size (width x height), not a fixed one.
    EXPECT_HAS(tensor.error(), "downscale the image (the model sees 48x64) and try again");
    EXPECT_HAS(decode_gray(huge.data(), huge.size()).error(), "downscale the image and try again");
    auto prepared = prepare_image(nullptr, 0, spec);
    ASSERT_FALSE(prepared.ok());
    EXPECT_HAS(prepared.error(), "empty");
}

TEST(BadInput, RandomGarbageAfterValidMagicNeverCrashes) {
    // Deterministic pseudo-random bytes behind each magic number: any error is fine, a crash
    // or an abort is not (and under WebAssembly an abort would fail this binary).
    const std::vector<std::vector<uint8_t>> magics = {
        {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}, {0xFF, 0xD8, 0xFF}};
    uint32_t state = 12345;
    int failures = 0;
    for (const auto& magic : magics) {
        for (int round = 0; round < 200; ++round) {
            std::vector<uint8_t> bytes = magic;
            const int n = 1 + round * 3;
            for (int i = 0; i < n; ++i) {
                state = state * 1664525u + 1013904223u;
                bytes.push_back(uint8_t(state >> 24));
            }
            auto img = decode_gray(bytes.data(), bytes.size());
            if (!img) {
                ++failures;
                EXPECT_FALSE(img.error().empty());
            }
        }
    }
    EXPECT_GT(failures, 350);
}

TEST(BadInput, RegressionFilesAreRefusedWithTheDecodersWords) {
    // tests/fuzz/regressions/make_regressions.py: the edits that broke stb_image, on a synthetic
    // gradient. libjpeg-turbo names each defect; the walk names the cut.
    const std::pair<const char*, const char*> cases[] = {
        {"dht_counts_overflow.jpg", "the decoder stopped with \"Bogus Huffman table definition\""},
        {"no_dqt.jpg", "the decoder stopped with \"Quantization table 0x00 was not defined\""},
        {"progressive_undefined_table.jpg", "the decoder stopped with \"Huffman table 0x00 was not defined\""},
        {"truncated.jpg", "the JPEG file is truncated: it ends after 1026 bytes, inside the image data"},
    };
    for (const auto& [name, message] : cases) {
        std::ifstream f(std::string(ALZSCAN_REGRESSIONS_DIR) + "/" + name, std::ios::binary);
        ASSERT_TRUE(f) << name << " missing from " << ALZSCAN_REGRESSIONS_DIR;
        const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), {});
        for (int again = 0; again < 2; ++again) EXPECT_HAS(decode_error(bytes), message) << name;
    }
}
