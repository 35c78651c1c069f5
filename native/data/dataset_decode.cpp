// Decoding: image files into the prepared 8-bit slices of shared/ prepare_image(), and those into
// each split's tensors; measure_conform and split_image read the same pixels for other uses.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "alzscan/conform.h"
#include "alzscan/preprocess.h"
#include "data/dataset_internal.h"

namespace fs = std::filesystem;

namespace alzscan::dataset_internal {
namespace {

std::vector<uint8_t> read_bytes(const fs::path& path, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = "cannot open file";
        return {};
    }
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

Decoded decode_entries(const DatasetOptions& opt, const std::vector<Entry>& entries, Dataset& ds) {
    Decoded d;
    auto wanted = [&](const Entry& e) { return e.split == "test" ? opt.load_test : opt.load_train; };
    int64_t total = 0, done = 0;
    for (const Entry& e : entries) total += wanted(e) ? 1 : 0;
    for (size_t k = 0; k < entries.size(); ++k) {
        if (!wanted(entries[k])) continue;
        const fs::path full = fs::path(opt.dir) / entries[k].relative_path;
        std::string error;
        std::vector<uint8_t> bytes = read_bytes(full, error);
        if (error.empty()) {
            auto img = prepare_image(bytes.data(), bytes.size(), opt.spec);
            if (img) {
                d.entry.push_back(k);
                d.pixels.insert(d.pixels.end(), img->pixels.begin(), img->pixels.end());
            } else {
                error = img.error();
            }
        }
        if (!error.empty()) {
            std::string msg = full.string() + ": " + error;
            if (opt.strict) throw DatasetError(msg + " (--strict: aborting; drop --strict to skip unreadable images)");
            ds.skipped.push_back(msg);
        }
        if (opt.on_progress) opt.on_progress(++done, total);
    }
    return d;
}

void fill_split(const char* name, const DatasetOptions& opt, const Decoded& d, const std::vector<Entry>& entries,
                size_t num_classes, DatasetSplit& split) {
    const int64_t H = opt.spec.height, W = opt.spec.width;
    std::vector<size_t> members;
    for (size_t i = 0; i < d.entry.size(); ++i)
        if (entries[d.entry[i]].split == name) members.push_back(i);
    const int64_t n = static_cast<int64_t>(members.size());
    split.images = torch::empty({n, 1, H, W}, torch::kUInt8);
    split.labels = torch::empty({n}, torch::kInt64);
    split.class_counts.assign(num_classes, 0);
    uint8_t* dst = split.images.data_ptr<uint8_t>();
    int64_t* lab = split.labels.data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i) {
        const Entry& e = entries[d.entry[members[i]]];
        std::copy(d.pixels.begin() + members[i] * H * W, d.pixels.begin() + (members[i] + 1) * H * W, dst + i * H * W);
        lab[i] = e.label;
        split.paths.push_back(e.relative_path);
        split.groups.push_back(e.group);
        ++split.class_counts[e.label];
    }
}

}  // namespace alzscan::dataset_internal

namespace alzscan {

ConformSpec measure_conform(const std::string& dir, const std::vector<const DatasetSplit*>& splits) {
    std::vector<BrainStats> stats;
    for (const DatasetSplit* split : splits)
        for (const std::string& path : split->paths) {
            std::string error;
            const std::vector<uint8_t> bytes = dataset_internal::read_bytes(fs::path(dir) / path, error);
            if (!error.empty()) throw DatasetError((fs::path(dir) / path).string() + ": " + error);
            auto img = decode_gray(bytes.data(), bytes.size());
            if (!img) throw DatasetError((fs::path(dir) / path).string() + ": " + img.error());
            stats.push_back(measure_brain(*img));
        }
    return conform_spec_from(stats);
}

GrayImage split_image(const DatasetSplit& split, int64_t i) {
    const torch::Tensor img = split.images[i][0].contiguous();
    GrayImage g{static_cast<int>(img.size(1)), static_cast<int>(img.size(0)), {}};
    g.pixels.assign(img.data_ptr<uint8_t>(), img.data_ptr<uint8_t>() + img.numel());
    return g;
}

}  // namespace alzscan
