// Test-only reader for the dataset's MANIFEST.tsv and file bytes (tests may do I/O; shared/ not).
//   split class relative_path sha256 width height bytes
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace alzscan {
namespace test {

struct ManifestRow {
    std::string split, class_name, relative_path, sha256;
    int width = 0, height = 0;
    int64_t bytes = 0;
};

inline bool read_file(const std::string& path, std::vector<uint8_t>& out) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return false;
    out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    return true;
}

// Empty when the file is missing; `error` names the first malformed line.
inline std::vector<ManifestRow> read_manifest(const std::string& path, std::string* error) {
    std::vector<ManifestRow> rows;
    std::ifstream f(path);
    std::string line;
    int number = 0;
    while (std::getline(f, line)) {
        ++number;
        if (number == 1 || line.empty()) continue;  // header
        std::istringstream ss(line);
        ManifestRow r;
        std::string w, h, b;
        if (!std::getline(ss, r.split, '\t') || !std::getline(ss, r.class_name, '\t') ||
            !std::getline(ss, r.relative_path, '\t') || !std::getline(ss, r.sha256, '\t') ||
            !std::getline(ss, w, '\t') || !std::getline(ss, h, '\t') || !std::getline(ss, b)) {
            if (error && error->empty()) *error = path + ":" + std::to_string(number) + ": expected 7 tab-separated fields";
            continue;
        }
        r.width = std::atoi(w.c_str());
        r.height = std::atoi(h.c_str());
        r.bytes = std::atoll(b.c_str());
        rows.push_back(std::move(r));
    }
    return rows;
}

}  // namespace test
}  // namespace alzscan
