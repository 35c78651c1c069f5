// ImageFolder scanning, split-file reassignment, stratified validation carve, one-time decode.
#include "data/dataset.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "alzscan/conform.h"
#include "alzscan/preprocess.h"

namespace fs = std::filesystem;

namespace alzscan {
namespace {

constexpr const char* kLayoutHint =
    "hint: --data expects an ImageFolder tree DIR/train/<class>/*, DIR/test/<class>/*";

struct Entry {
    std::string relative_path;
    int label = -1;
    std::string split;   // "train" | "val" | "test"
    uint64_t file_size = 0;
    std::string group;   // --groups: the person (or other unit) the image belongs to
};

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

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
    return s;
}

std::vector<std::string> split_tabs(const std::string& line) {
    std::vector<std::string> out;
    std::string cell;
    std::istringstream in(line);
    while (std::getline(in, cell, '\t')) {
        if (!cell.empty() && cell.back() == '\r') cell.pop_back();
        out.push_back(cell);
    }
    if (!line.empty() && line.back() == '\t') out.push_back("");
    return out;
}

// A tab-separated file with a header row (split files, group files), read whole.
struct Tsv {
    std::string path;
    std::vector<std::string> header;
    std::vector<std::pair<int, std::vector<std::string>>> rows;   // (line number, cells), blank lines left out

    int column(const std::string& name) const {
        for (size_t i = 0; i < header.size(); ++i)
            if (header[i] == name) return static_cast<int>(i);
        return -1;
    }
    int require_column(const std::string& name, const std::string& hint) const {
        const int c = column(name);
        if (c < 0)
            throw DatasetError(path + ": no column '" + name + "' in the header (has: " + join(header) + ")" + hint);
        return c;
    }
};

Tsv read_tsv(const std::string& path, const char* what) {
    std::ifstream in(path);
    if (!in) throw DatasetError(path + ": cannot open " + what + "; hint: check the path");
    Tsv t;
    t.path = path;
    std::string line;
    if (!std::getline(in, line)) throw DatasetError(path + ": empty " + what + " (no header row)");
    t.header = split_tabs(line);
    int line_no = 1;
    while (std::getline(in, line)) {
        ++line_no;
        if (line.empty() || line == "\r") continue;
        std::vector<std::string> cells = split_tabs(line);
        if (cells.size() < t.header.size())
            throw DatasetError(path + ":" + std::to_string(line_no) + ": row has " + std::to_string(cells.size()) +
                               " cells, header has " + std::to_string(t.header.size()));
        t.rows.emplace_back(line_no, std::move(cells));
    }
    return t;
}

// The split a row's value names: train | val | test, or with --test-fold K a fold number
// (K: test, any other fold: train).
std::string split_of(const DatasetOptions& opt, const std::string& value, const std::string& rel,
                     const std::string& where) {
    if (opt.test_fold < 0) {
        if (value != "train" && value != "test" && value != "val")
            throw DatasetError(where + ": split value '" + value + "' for " + rel +
                               " is not train, val or test; hint: a column of fold numbers needs --test-fold K");
        return value;
    }
    char* end = nullptr;
    const long fold = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || fold < 0)
        throw DatasetError(where + ": fold '" + value + "' for " + rel + " is not a fold number; hint: --test-fold " +
                           "needs --split-column to name a column of fold numbers (e.g. subject_fold)");
    return fold == opt.test_fold ? "test" : "train";
}

void apply_split_file(const DatasetOptions& opt, const std::vector<std::string>& classes,
                      std::vector<Entry>& entries) {
    const std::string& path = opt.split_file;
    if (opt.split_column.empty())
        throw DatasetError(path + ": --split-file needs --split-column NAME (e.g. kaggle_split)");
    const Tsv tsv = read_tsv(path, "split file");
    const int path_col = tsv.require_column("relative_path", "");
    const int split_col = tsv.require_column(opt.split_column, "; hint: --split-column names one of them");
    const int class_col = tsv.column("class");

    std::map<std::string, size_t> index;
    for (size_t i = 0; i < entries.size(); ++i) index[entries[i].relative_path] = i;
    std::vector<bool> listed(entries.size(), false);
    bool any_test = false;
    for (const auto& [line_no, cells] : tsv.rows) {
        const std::string where = path + ":" + std::to_string(line_no);
        const std::string& rel = cells[path_col];
        const std::string split = split_of(opt, cells[split_col], rel, where);
        std::string folder_class = fs::path(rel).parent_path().filename().string();
        if (class_col >= 0) {
            const std::string& cls = cells[class_col];
            if (std::find(classes.begin(), classes.end(), cls) == classes.end())
                throw DatasetError(where + ": unknown class '" + cls + "' for " + rel + " (dataset classes: " +
                                   join(classes) + "); hint: is this split file for another dataset?");
            if (cls != folder_class)
                throw DatasetError(where + ": class '" + cls + "' disagrees with the folder of " + rel);
        }
        if (std::find(classes.begin(), classes.end(), folder_class) == classes.end())
            throw DatasetError(where + ": unknown class folder '" + folder_class + "' in " + rel +
                               " (dataset classes: " + join(classes) + ")");
        auto it = index.find(rel);
        if (it == index.end())
            throw DatasetError(where + ": " + rel + " is not an image under " + opt.dir +
                               "; hint: is the split file for this dataset?");
        entries[it->second].split = split;
        listed[it->second] = true;
        any_test = any_test || split == "test";
    }
    for (size_t i = 0; i < entries.size(); ++i)
        if (!listed[i])
            throw DatasetError(path + ": does not list " + entries[i].relative_path + " (found under " +
                               opt.dir + "); hint: every image must have a row");
    if (opt.test_fold >= 0 && !any_test)
        throw DatasetError(path + ": no row of column '" + opt.split_column + "' is fold " +
                           std::to_string(opt.test_fold) + "; hint: --test-fold names one of its folds");
}

// --groups: each image's group from the file's group column. Every image must have one.
void apply_groups(const DatasetOptions& opt, std::vector<Entry>& entries) {
    const std::string& path = opt.groups_file;
    const Tsv tsv = read_tsv(path, "groups file");
    const int path_col = tsv.require_column("relative_path", "");
    const int group_col = tsv.require_column(opt.group_column, "; hint: --group-column names one of them");
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < entries.size(); ++i) index[entries[i].relative_path] = i;
    for (const auto& [line_no, cells] : tsv.rows) {
        auto it = index.find(cells[path_col]);
        if (it == index.end())
            throw DatasetError(path + ":" + std::to_string(line_no) + ": " + cells[path_col] + " is not an image under " +
                               opt.dir + "; hint: is the groups file for this dataset?");
        if (cells[group_col].empty())
            throw DatasetError(path + ":" + std::to_string(line_no) + ": empty group for " + cells[path_col]);
        entries[it->second].group = cells[group_col];
    }
    for (const Entry& e : entries)
        if (e.group.empty())
            throw DatasetError(path + ": no group for " + e.relative_path + " (found under " + opt.dir +
                               "); hint: every image must have a row");
}

// No group may have images in two parts (train, val, test): a person seen in training would be
// scored as new. Names the first group that does, and where.
void check_groups_disjoint(const std::vector<Entry>& entries) {
    std::map<std::string, std::pair<std::string, std::string>> first;   // group -> (split, path)
    for (const Entry& e : entries) {
        auto [it, inserted] = first.emplace(e.group, std::make_pair(e.split, e.relative_path));
        if (!inserted && it->second.first != e.split)
            throw DatasetError("group '" + e.group + "' has images in " + it->second.first + " (" + it->second.second +
                               ") and in " + e.split + " (" + e.relative_path +
                               "); hint: the split file must keep each group in one fold");
    }
}

// Union-find over same-class pairs closer than rmse (at about 64x64): pseudo-subjects.
std::vector<int64_t> pseudo_subject_groups(const std::vector<const uint8_t*>& images, const std::vector<int>& labels,
                                           int height, int width, double rmse, int64_t& group_count) {
    // Compare at about 64x64: pool x pool means, pool = side / 64 (128 px: 2x2, exactly
    // bench/alz_data.py's; 64 px: the area-resized pixels already are those 2x2 means).
    const int64_t n = static_cast<int64_t>(images.size());
    const int64_t pool = std::max<int64_t>(1, std::min(height, width) / 64);
    const int64_t ph = height / pool, pw = width / pool, d = std::max<int64_t>(1, ph * pw);
    const float scale = 1.0f / static_cast<float>(pool * pool);
    torch::Tensor x = torch::zeros({n, d}, torch::kFloat32);
    float* xp = x.data_ptr<float>();
    for (int64_t i = 0; i < n; ++i)
        for (int64_t y = 0; y < ph; ++y)
            for (int64_t c = 0; c < pw; ++c) {
                float sum = 0;
                for (int64_t dy = 0; dy < pool; ++dy)
                    for (int64_t dx = 0; dx < pool; ++dx) sum += images[i][(pool * y + dy) * width + pool * c + dx];
                xp[i * d + y * pw + c] = sum * scale;
            }
    std::vector<int64_t> parent(n);
    for (int64_t i = 0; i < n; ++i) parent[i] = i;
    auto find = [&](int64_t a) {
        while (parent[a] != a) a = parent[a] = parent[parent[a]];
        return a;
    };
    const int num_classes = labels.empty() ? 0 : *std::max_element(labels.begin(), labels.end()) + 1;
    const double limit = rmse * rmse * static_cast<double>(d);   // squared distance threshold
    for (int c = 0; c < num_classes; ++c) {
        std::vector<int64_t> idx;
        for (int64_t i = 0; i < n; ++i)
            if (labels[i] == c) idx.push_back(i);
        if (idx.size() < 2) continue;
        torch::Tensor xc = x.index_select(0, torch::tensor(idx, torch::kInt64)).to(torch::kFloat64);
        torch::Tensor sq = (xc * xc).sum(1);
        torch::Tensor dist = (sq.unsqueeze(1) + sq.unsqueeze(0) - 2 * xc.matmul(xc.t())).contiguous();
        const double* dp = dist.data_ptr<double>();
        const int64_t m = static_cast<int64_t>(idx.size());
        for (int64_t i = 0; i < m; ++i)
            for (int64_t j = i + 1; j < m; ++j)
                if (dp[i * m + j] < limit) {
                    int64_t ra = find(idx[i]), rb = find(idx[j]);
                    if (ra != rb) parent[ra] = rb;
                }
    }
    std::vector<int64_t> group(n);
    std::map<int64_t, int64_t> ids;
    for (int64_t i = 0; i < n; ++i) {
        auto it = ids.emplace(find(i), static_cast<int64_t>(ids.size())).first;
        group[i] = it->second;
    }
    group_count = static_cast<int64_t>(ids.size());
    return group;
}

// Whole groups of one class, seeded-shuffled, until `quota` images are held out; the last group
// always stays in train, so a class with one group holds none out (a line in notes).
template <class Shuffle>
void take_whole_groups(const std::vector<size_t>& idx, const std::vector<int64_t>& groups,
                       std::vector<int64_t> class_groups, size_t quota, Shuffle& shuffle, const std::string& name,
                       std::vector<std::string>& notes, std::vector<bool>& is_val) {
    if (class_groups.size() < 2) {
        notes.push_back("class '" + name + "': its " + std::to_string(idx.size()) + " train images are one group, "
                        "none held out for validation (validation scores leave it out); hint: a fold with more "
                        "people of this class in train, or more data");
        return;
    }
    shuffle(class_groups);
    size_t taken = 0;
    for (size_t k = 0; k + 1 < class_groups.size() && taken < quota; ++k)
        for (size_t i : idx)
            if (groups[i] == class_groups[k]) {
                is_val[i] = true;
                ++taken;
            }
}

// Picks validation members among the train candidates (see dataset.h). Returns a flag per candidate;
// classes carved otherwise than val_mode promises get a line in ds.val_notes.
// given_groups: the groups are real (--groups), not pseudo-subjects: whole groups only, at least
// one left in train per class, and a class with one group holds none out.
std::vector<bool> choose_validation(const std::vector<int>& labels, const std::vector<int64_t>* groups,
                                    bool given_groups, double fraction, uint64_t seed, Dataset& ds) {
    const int num_classes = static_cast<int>(ds.class_names.size());
    std::vector<bool> is_val(labels.size(), false);
    if (fraction <= 0) return is_val;
    std::mt19937_64 rng(seed ^ 0x76616c5f73706c74ULL);   // "val_splt": independent of other streams
    auto shuffle = [&](auto& v) {   // Fisher-Yates on raw draws: std::shuffle's algorithm is unspecified
        for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng() % i]);
    };
    for (int c = 0; c < num_classes; ++c) {
        std::vector<size_t> idx;
        for (size_t i = 0; i < labels.size(); ++i)
            if (labels[i] == c) idx.push_back(i);
        if (idx.size() < 2) {
            ds.val_notes.push_back("class '" + ds.class_names[c] + "': " + std::to_string(idx.size()) +
                                   " train image(s), none held out for validation (validation scores leave it out); "
                                   "hint: add images of this class");
            continue;
        }
        size_t quota = static_cast<size_t>(std::llround(fraction * static_cast<double>(idx.size())));
        quota = std::clamp<size_t>(quota, 1, idx.size() - 1);
        std::vector<int64_t> class_groups;
        if (groups) {
            for (size_t i : idx) class_groups.push_back((*groups)[i]);
            std::sort(class_groups.begin(), class_groups.end());
            class_groups.erase(std::unique(class_groups.begin(), class_groups.end()), class_groups.end());
        }
        if (given_groups) {
            take_whole_groups(idx, *groups, class_groups, quota, shuffle, ds.class_names[c], ds.val_notes, is_val);
            continue;
        }
        if (!groups || class_groups.size() < 5) {
            if (groups) {
                ++ds.val_random_classes;
                ds.val_notes.push_back(
                    "class '" + ds.class_names[c] + "': " + std::to_string(idx.size()) + " train images in " +
                    std::to_string(class_groups.size()) + " pseudo-subject(s), fewer than the 5 grouped validation needs: " +
                    std::to_string(quota) + " image(s) held out at random instead, so near-twins of them may stay in "
                    "train; hint: --val-mode random to ask for that, or more data for grouped validation");
            }
            shuffle(idx);
            for (size_t i = 0; i < quota; ++i) is_val[idx[i]] = true;
            continue;
        }
        shuffle(class_groups);
        size_t taken = 0;
        for (int64_t g : class_groups) {
            if (taken >= quota) break;
            for (size_t i : idx)
                if ((*groups)[i] == g && taken < idx.size() - 1) {
                    is_val[i] = true;
                    ++taken;
                }
        }
    }
    return is_val;
}

std::vector<uint8_t> read_bytes(const fs::path& path, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = "cannot open file";
        return {};
    }
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

uint64_t fnv1a64(const std::string& bytes, uint64_t hash) {
    for (unsigned char c : bytes) {
        hash ^= c;
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

namespace {

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

struct Decoded {
    std::vector<size_t> entry;     // entry index per decoded image
    std::vector<uint8_t> pixels;   // H*W per decoded image, in that order
};

// Decodes every wanted image once; unreadable ones are skipped (listed in ds.skipped) or, with
// --strict, abort.
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

// Moves the validation share of the decoded train images to "val" (never from test).
void carve_validation(const DatasetOptions& opt, const Decoded& d, std::vector<Entry>& entries, Dataset& ds) {
    if (opt.val_fraction <= 0) return;
    const int64_t H = opt.spec.height, W = opt.spec.width;
    std::vector<size_t> candidates;   // positions in d.entry
    std::vector<int> labels;
    std::vector<const uint8_t*> pixels;
    for (size_t i = 0; i < d.entry.size(); ++i)
        if (entries[d.entry[i]].split == "train") {
            candidates.push_back(i);
            labels.push_back(entries[d.entry[i]].label);
            pixels.push_back(d.pixels.data() + i * H * W);
        }
    const bool given = !opt.groups_file.empty();
    std::vector<int64_t> groups;
    if (given) {
        std::map<std::string, int64_t> ids;
        for (size_t i : candidates)
            groups.push_back(ids.emplace(entries[d.entry[i]].group, static_cast<int64_t>(ids.size())).first->second);
        ds.train_groups = static_cast<int64_t>(ids.size());
    } else if (opt.val_mode == "grouped") {
        groups = pseudo_subject_groups(pixels, labels, static_cast<int>(H), static_cast<int>(W), opt.group_rmse,
                                       ds.train_groups);
    }
    const bool use_groups = given || opt.val_mode == "grouped";
    std::vector<bool> is_val =
        choose_validation(labels, use_groups ? &groups : nullptr, given, opt.val_fraction, opt.seed, ds);
    for (size_t i = 0; i < candidates.size(); ++i)
        if (is_val[i]) entries[d.entry[candidates[i]]].split = "val";
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

namespace alzscan {

ConformSpec measure_conform(const std::string& dir, const std::vector<const DatasetSplit*>& splits) {
    std::vector<BrainStats> stats;
    for (const DatasetSplit* split : splits)
        for (const std::string& path : split->paths) {
            std::string error;
            const std::vector<uint8_t> bytes = read_bytes(fs::path(dir) / path, error);
            if (!error.empty()) throw DatasetError((fs::path(dir) / path).string() + ": " + error);
            auto img = decode_gray(bytes.data(), bytes.size());
            if (!img) throw DatasetError((fs::path(dir) / path).string() + ": " + img.error());
            stats.push_back(measure_brain(*img));
        }
    return conform_spec_from(stats);
}

std::map<std::string, std::string> tsv_column(const std::string& path, const std::string& column) {
    const Tsv t = read_tsv(path, "table");
    const int key = t.require_column("relative_path", ""), value = t.require_column(column, "");
    std::map<std::string, std::string> out;
    for (const auto& row : t.rows) out[row.second[key]] = row.second[value];
    return out;
}

GrayImage split_image(const DatasetSplit& split, int64_t i) {
    const torch::Tensor img = split.images[i][0].contiguous();
    GrayImage g{static_cast<int>(img.size(1)), static_cast<int>(img.size(0)), {}};
    g.pixels.assign(img.data_ptr<uint8_t>(), img.data_ptr<uint8_t>() + img.numel());
    return g;
}

}  // namespace alzscan
