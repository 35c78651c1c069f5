// load_dataset's pipeline: check the layout, list and digest the ImageFolder tree, then the steps of
// dataset_internal.h (split files, decoding, validation carve: one source file each) and the tensors.
#include "data/dataset.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>

#include "data/dataset_internal.h"

namespace fs = std::filesystem;

namespace alzscan {

using namespace dataset_internal;   // the pipeline's steps and their Entry

uint64_t fnv1a64(const std::string& bytes, uint64_t hash) {
    for (unsigned char c : bytes) {
        hash ^= c;
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

namespace {

constexpr const char* kLayoutHint =
    "hint: --data expects an ImageFolder tree DIR/train/<class>/*, DIR/test/<class>/*";

bool is_image_file(const fs::path& p) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

std::vector<std::string> sorted_subdirs(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_directory()) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::vector<fs::path> sorted_images(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file() && is_image_file(e.path())) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

void check_layout(const DatasetOptions& opt) {
    const fs::path root(opt.dir);
    if (opt.dir.empty()) throw DatasetError(std::string("--data is empty; ") + kLayoutHint);
    if (!fs::is_directory(root)) throw DatasetError(opt.dir + ": no such folder; " + kLayoutHint);
    for (const char* part : {"train", "test"})
        if (!fs::is_directory(root / part))
            throw DatasetError((root / part).string() + ": no such folder; " + kLayoutHint);
    if (opt.val_fraction < 0 || opt.val_fraction > 0.9)
        throw DatasetError("--val-fraction " + std::to_string(opt.val_fraction) + ": must be in 0..0.9");
}

// Every image of root/{train,test}/<class>/, in a fixed order (part, class, file name).
std::vector<Entry> list_entries(const fs::path& root, const std::vector<std::string>& class_names) {
    std::vector<Entry> entries;
    for (const char* part : {"train", "test"}) {
        for (const std::string& cls : sorted_subdirs(root / part)) {
            auto it = std::find(class_names.begin(), class_names.end(), cls);
            const fs::path class_dir = root / part / cls;
            if (it == class_names.end())
                throw DatasetError(class_dir.string() + ": unknown class '" + cls + "' (train has: " +
                                   join(class_names) + "); hint: class folders must match between train and test");
            std::vector<fs::path> files = sorted_images(class_dir);
            if (files.empty())
                throw DatasetError(class_dir.string() +
                                   ": empty class folder (no .png/.jpg/.jpeg files); hint: add images or remove the folder");
            for (const fs::path& f : files) {
                Entry e;
                e.relative_path = std::string(part) + "/" + cls + "/" + f.filename().string();
                e.label = static_cast<int>(it - class_names.begin());
                e.split = part;
                e.file_size = fs::file_size(f);
                entries.push_back(std::move(e));
            }
        }
    }
    return entries;
}

// fnv1a64 over the sorted "relative_path\tbytes\n" lines, as 16 hex digits.
std::string entries_digest(const std::vector<Entry>& entries) {
    std::vector<std::string> lines;
    for (const Entry& e : entries) lines.push_back(e.relative_path + "\t" + std::to_string(e.file_size) + "\n");
    std::sort(lines.begin(), lines.end());
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const std::string& l : lines) h = fnv1a64(l, h);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return hex;
}

}  // namespace

Dataset load_dataset(const DatasetOptions& opt) {
    check_layout(opt);
    const fs::path root(opt.dir);
    Dataset ds;
    ds.dir = opt.dir;
    ds.class_names = sorted_subdirs(root / "train");
    if (ds.class_names.size() < 2)
        throw DatasetError((root / "train").string() + ": found " + std::to_string(ds.class_names.size()) +
                           " class folders, need at least 2; " + kLayoutHint);
    std::vector<Entry> entries = list_entries(root, ds.class_names);
    ds.digest = entries_digest(entries);
    if (opt.test_fold >= 0 && opt.split_file.empty())
        throw DatasetError("--test-fold " + std::to_string(opt.test_fold) +
                           " needs --split-file TSV --split-column COLUMN (e.g. SUBJECTS.tsv, subject_fold)");
    if (!opt.split_file.empty()) {
        apply_split_file(opt, ds.class_names, entries);
        ds.split_kind = opt.test_fold >= 0            ? "fold"
                        : opt.split_column == "kaggle_split" ? "kaggle"
                                                             : "custom";
    } else {
        ds.split_kind = "hf";
    }
    if (!opt.groups_file.empty()) {
        apply_groups(opt, entries);
        check_groups_disjoint(entries);
    }
    if (opt.val_mode != "random" && opt.val_mode != "grouped")
        throw DatasetError("--val-mode " + opt.val_mode + ": expected random or grouped");
    const Decoded decoded = decode_entries(opt, entries, ds);
    carve_validation(opt, decoded, entries, ds);
    if (!opt.groups_file.empty()) check_groups_disjoint(entries);
    fill_split("train", opt, decoded, entries, ds.class_names.size(), ds.train);
    fill_split("val", opt, decoded, entries, ds.class_names.size(), ds.val);
    fill_split("test", opt, decoded, entries, ds.class_names.size(), ds.test);
    return ds;
}

nlohmann::json dataset_counts_json(const Dataset& ds) {
    nlohmann::json out = nlohmann::json::object();
    for (auto [name, split] : {std::pair<const char*, const DatasetSplit*>{"train", &ds.train},
                               {"val", &ds.val}, {"test", &ds.test}}) {
        nlohmann::json counts = nlohmann::json::object();
        for (size_t c = 0; c < ds.class_names.size(); ++c)
            counts[ds.class_names[c]] = c < split->class_counts.size() ? split->class_counts[c] : 0;
        out[name] = counts;
    }
    return out;
}

}  // namespace alzscan
