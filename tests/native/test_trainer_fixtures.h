// Synthetic ImageFolder trees for the trainer tests, written at test time (never dataset images).
//
//   fs::path root = make_temp_dir("data_errors");
//   write_synthetic_dataset(root, {{"train", 12}, {"test", 4}}, /*size=*/32);
//   // root/train/<class>/img_<k>.png for classes alpha, beta, gamma, delta
//
// Each class has its own texture plus seeded noise, so a small model learns it in a few steps. Images are 8-bit gray PNGs
// (tests/shared/support's encoder).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "image_writers.h"

namespace trainer_test {

namespace fs = std::filesystem;

inline const std::vector<std::string>& class_names() {
    static const std::vector<std::string> names = {"alpha", "beta", "gamma", "delta"};
    return names;
}

inline fs::path make_temp_dir(const std::string& name) {
    fs::path dir = fs::temp_directory_path() / ("alzscan_trainer_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

inline void write_png(const fs::path& path, int width, int height, const std::vector<uint8_t>& gray) {
    alzscan::test::PngImage image{width, height, 8, alzscan::test::PngColor::gray,
                                  std::vector<uint16_t>(gray.begin(), gray.end())};
    const std::vector<uint8_t> b = alzscan::test::encode_png(image);
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// Class textures a global-average-pooled CNN can tell apart: horizontal stripes, vertical
// stripes, a checkerboard, flat noise (period 4 px, amplitude 120, noise 0..39).
inline std::vector<uint8_t> synthetic_image(int cls, int index, int size) {
    std::mt19937 rng(static_cast<uint32_t>(cls * 1000 + index));
    std::vector<uint8_t> px(static_cast<size_t>(size) * size);
    const int phase = static_cast<int>(rng() % 4);
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
            int v = 60 + static_cast<int>(rng() % 40);
            const bool hx = ((x + phase) / 2) % 2 == 0, hy = ((y + phase) / 2) % 2 == 0;
            if ((cls == 0 && hy) || (cls == 1 && hx) || (cls == 2 && hx != hy)) v += 120;
            px[static_cast<size_t>(y) * size + x] = static_cast<uint8_t>(v);
        }
    return px;
}

// counts: images per class for each part ("train", "test").
inline void write_synthetic_dataset(const fs::path& root, const std::map<std::string, int>& counts, int size = 32,
                                    int num_classes = 4) {
    for (const auto& [part, n] : counts)
        for (int c = 0; c < num_classes; ++c) {
            fs::path dir = root / part / class_names()[c];
            fs::create_directories(dir);
            for (int k = 0; k < n; ++k) {
                char name[32];
                std::snprintf(name, sizeof name, "img_%03d.png", k);
                write_png(dir / name, size, size, synthetic_image(c, k + (part == "test" ? 500 : 0), size));
            }
        }
}

}  // namespace trainer_test
