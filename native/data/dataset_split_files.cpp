// The dataset's tables: a split file (train | val | test, or fold numbers, per image), a groups
// file (each image's person) and the check that no group spans two parts; tsv_column reads any
// other column of such a table.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "data/dataset_internal.h"

namespace fs = std::filesystem;

namespace alzscan::dataset_internal {
namespace {

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

}  // namespace

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

}  // namespace alzscan::dataset_internal

namespace alzscan {

std::map<std::string, std::string> tsv_column(const std::string& path, const std::string& column) {
    const dataset_internal::Tsv t = dataset_internal::read_tsv(path, "table");
    const int key = t.require_column("relative_path", ""), value = t.require_column(column, "");
    std::map<std::string, std::string> out;
    for (const auto& row : t.rows) out[row.second[key]] = row.second[value];
    return out;
}

}  // namespace alzscan
