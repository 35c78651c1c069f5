// preprocess_digest [DATA_DIR [FILE...]]: one line per case, "<name> <fnv1a64 of the float32
// tensor bytes>" (or "<name> error <message>"), for the decoder versions, a fixed set of
// synthetic images, each FILE (crafted and fixture files), and, when DATA_DIR/MANIFEST.tsv
// exists, every dataset image. Built natively and as WebAssembly; scripts/compare_native_wasm.sh diffs the outputs to
// prove the trainer and the browser produce the same bytes.
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "alzscan/image_decode.h"
#include "alzscan/preprocess.h"
#include "alzscan/preprocess_spec.h"
#include "alzscan/training_space.h"
#include "data_manifest.h"
#include "image_writers.h"
#include "fnv1a64.h"
#include "reference_volumes.h"

using namespace alzscan;
using namespace alzscan::test;

namespace {

// Deterministic pixel pattern with edges and gradients, so resizes do real work.
uint8_t pattern(int x, int y, int c) {
    uint32_t v = uint32_t(x * 7 + y * 13 + c * 71) ^ uint32_t((x / 5) * (y / 3) * 29);
    return uint8_t(v * 2654435761u >> 24);
}

void print_case(const std::string& name, const std::vector<uint8_t>& bytes, const PreprocessSpec& spec) {
    auto t = preprocess_bytes(bytes.data(), bytes.size(), spec);
    if (!t) {
        std::printf("%s error %s\n", name.c_str(), t.error().c_str());
        return;
    }
    std::printf("%s %016" PRIx64 "\n", name.c_str(), fnv1a64(t->data(), t->size() * sizeof(float)));
}

// The image turned 12 degrees clockwise about its centre (nearest pixel, 0 outside), as a gray PNG:
// a slice the pose step must turn back.
std::vector<uint8_t> turned_png(const GrayImage& g) {
    const double c = 0.97814760073380569, s = 0.20791169081775931;
    PngImage p{g.width, g.height, 8, PngColor::gray, {}};
    const double cx = (g.width - 1) / 2.0, cy = (g.height - 1) / 2.0;
    for (int y = 0; y < g.height; ++y)
        for (int x = 0; x < g.width; ++x) {
            const double dx = x - cx, dy = y - cy;
            const long sx = std::lround(cx + c * dx + s * dy), sy = std::lround(cy - s * dx + c * dy);
            const bool in = sx >= 0 && sy >= 0 && sx < g.width && sy < g.height;
            p.samples.push_back(in ? g.at(static_cast<int>(sx), static_cast<int>(sy)) : 0);
        }
    return encode_png(p);
}

// The shipped model's preprocessing (models/default/model.json: conform and the pose step) on every
// 4th dataset image, and on every 8th turned by 12 degrees.
bool print_pose_cases(const std::string& data_dir, const std::vector<ManifestRow>& rows) {
    std::vector<uint8_t> text;
    if (!read_file(ALZSCAN_MODEL_JSON, text)) {
        std::printf("# %s unreadable\n", ALZSCAN_MODEL_JSON);
        return false;
    }
    auto shipped = parse_preprocess_spec(std::string(text.begin(), text.end()));
    if (!shipped || !shipped->pose.enabled()) {
        std::printf("# %s: no conform + pose spec\n", ALZSCAN_MODEL_JSON);
        return false;
    }
    std::vector<uint8_t> bytes;
    int cases = 0, turned = 0;
    auto one = [&](const std::string& name, const std::vector<uint8_t>& b) {
        print_case(name, b, *shipped);
        SlicePose pose;
        (void)prepare_image(b.data(), b.size(), *shipped, {}, &pose);
        ++cases;
        turned += pose.corrected ? 1 : 0;
    };
    for (size_t i = 0; i < rows.size(); i += 4) {
        if (!read_file(data_dir + "/" + rows[i].relative_path, bytes)) continue;
        one("shipped_" + rows[i].relative_path, bytes);
        auto g = decode_gray(bytes.data(), bytes.size());
        if (i % 8 == 0 && g) one("shipped_turned12_" + rows[i].relative_path, turned_png(*g));
    }
    std::printf("# shipped model's preprocessing: %d cases, %d turned by the pose step\n", cases, turned);
    return true;
}

std::vector<uint8_t> gray_png(int w, int h, int depth) {
    PngImage p{w, h, depth, PngColor::gray, {}};
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) p.samples.push_back(uint16_t(depth == 16 ? pattern(x, y, 0) * 257 + x : pattern(x, y, 0)));
    return encode_png(p);
}

std::vector<uint8_t> colour_png(int w, int h, PngColor color, int channels) {
    PngImage p{w, h, 8, color, {}};
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < channels; ++c) p.samples.push_back(pattern(x, y, c));
    return encode_png(p);
}

std::vector<uint8_t> gray_pixels(int w, int h) {
    std::vector<uint8_t> px;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) px.push_back(pattern(x, y, 0));
    return px;
}

std::vector<uint8_t> rgb_pixels(int w, int h) {
    std::vector<uint8_t> px;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < 3; ++c) px.push_back(pattern(x, y, c));
    return px;
}

}  // namespace

// Registration into the training space (training_space.h) of Colin27 with and without skull, and
// moved by a fixed affine: the slab's pixels and the registration's numbers. False when the
// template (mricron-data) is missing: native == WebAssembly must be shown on it, never skipped.
bool print_registration_cases() {
    const Colin27& c = colin27();
    if (!c.error.empty()) {
        std::fprintf(stderr, "preprocess_digest: %s\n", c.error.c_str());
        return false;
    }
    ConformSpec levels;
    levels.levels = {30, 53, 97, 151, 200, 221, 237};
    const Affine turn{{{{0.96, -0.28, 0, 12.5}, {0.28, 0.96, 0, -7.25}, {0, 0, 1.0625, 9}}}};
    const std::pair<const char*, Volume> cases[] = {{"ch2", c.head}, {"ch2bet", c.brain}, {"ch2_moved", moved(c.head, turn)}};
    for (const auto& [name, volume] : cases) {
        auto s = to_training_space(volume, c.reference, levels);
        if (!s) {
            std::printf("registration_%s error %s\n", name, s.error().c_str());
            continue;
        }
        uint64_t h = 1469598103934665603ull;
        for (const GrayImage& img : s->slab.images) h ^= fnv1a64(img.pixels.data(), img.pixels.size()), h *= 1099511628211ull;
        std::printf("registration_%s %016" PRIx64 " %s\n", name, h, registration_json(*s).c_str());
    }
    return true;
}

int main(int argc, char** argv) {
    const std::string data_dir = argc > 1 ? argv[1] : ALZSCAN_DATA_DIR;
    std::printf("decoders %s\n", decoder_versions().c_str());
    PreprocessSpec spec;  // 128x128, mean 0.5, std 0.5
    PreprocessSpec imagenet = spec;
    imagenet.mean = 0.449f;
    imagenet.std = 0.226f;

    // Sizes: identity, integer and non-integer shrink, enlarge, mixed axes.
    const int sizes[][2] = {{128, 128}, {256, 256}, {300, 200}, {97, 61}, {64, 200}, {1, 1}, {513, 127}};
    for (const auto& s : sizes) {
        const std::string wh = std::to_string(s[0]) + "x" + std::to_string(s[1]);
        print_case("png8_gray_" + wh, gray_png(s[0], s[1], 8), spec);
        print_case("png8_gray_" + wh + "_imagenet", gray_png(s[0], s[1], 8), imagenet);
        print_case("png16_gray_" + wh, gray_png(s[0], s[1], 16), spec);
        print_case("png_rgb_" + wh, colour_png(s[0], s[1], PngColor::rgb, 3), spec);
        print_case("png_rgba_" + wh, colour_png(s[0], s[1], PngColor::rgba, 4), spec);
        print_case("png_gray_alpha_" + wh, colour_png(s[0], s[1], PngColor::gray_alpha, 2), spec);
        print_case("jpeg_rgb_q90_" + wh, encode_jpeg_stb(s[0], s[1], 3, rgb_pixels(s[0], s[1]), 90), spec);
        print_case("jpeg_gray_q75_" + wh, encode_jpeg_stb(s[0], s[1], 1, gray_pixels(s[0], s[1]), 75), spec);
    }
    PreprocessSpec small = spec;
    small.width = 96;
    small.height = 160;
    print_case("png_rgb_300x200_to_96x160", colour_png(300, 200, PngColor::rgb, 3), small);
    print_case("error_empty", {}, spec);
    if (!print_registration_cases()) return 1;
    std::vector<uint8_t> file;
    for (int i = 2; i < argc; ++i) {
        const std::string path = argv[i];
        const std::string name = "file_" + path.substr(path.find_last_of('/') + 1);
        if (read_file(path, file))
            print_case(name, file, spec);
        else
            std::printf("%s unreadable\n", name.c_str());
    }

    std::string error;
    auto rows = read_manifest(data_dir + "/MANIFEST.tsv", &error);
    if (rows.empty()) {
        std::printf("# no dataset at %s: synthetic cases only\n", data_dir.c_str());
        return 0;
    }
    // Conforming: box, scale and level map are the same on both sides too (odd numbers on purpose).
    PreprocessSpec conformed = spec;
    conformed.width = conformed.height = 64;
    conformed.conform = {true, 0.73, 0.86, 0.47, 0.53, 31, 229, {}};
    std::vector<uint8_t> bytes;
    int missing = 0;
    for (const auto& r : rows) {
        if (!read_file(data_dir + "/" + r.relative_path, bytes)) {
            std::printf("%s unreadable\n", r.relative_path.c_str());
            ++missing;
            continue;
        }
        print_case(r.relative_path, bytes, spec);
        print_case("conform64_" + r.relative_path, bytes, conformed);
    }
    std::printf("# dataset: %zu images, %d unreadable\n", rows.size(), missing);
    return print_pose_cases(data_dir, rows) ? 0 : 1;
}
