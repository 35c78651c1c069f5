// DICOM files and folders on disk -> one series' Volume (see dicom_files.h).
#include "commands/dicom_files.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "alzscan/dicom.h"

namespace alzscan {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxDicomFiles = 100000;
constexpr uint64_t kMaxDicomBytes = uint64_t(1) << 30;
constexpr int kMaxDepth = 8;

std::string lower_extension(const fs::path& p) {
    std::string e = p.extension().string();
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return e;
}

// "DICM" at byte 128: the DICOM file preamble, which files without an extension carry.
bool has_dicom_magic(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    char magic[4] = {};
    return in.seekg(128) && in.read(magic, 4) && std::equal(magic, magic + 4, "DICM");
}

bool looks_dicom(const fs::path& p) { return is_dicom_path(p.string()) || has_dicom_magic(p); }

// The DICOM files in `dir` and below, by name; false + `error` past the file count.
bool walk(const fs::path& dir, int depth, std::vector<std::string>& out, std::string& error) {
    std::vector<fs::path> entries;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().filename().string().rfind('.', 0) != 0) entries.push_back(it->path());
    std::sort(entries.begin(), entries.end());
    for (const fs::path& p : entries) {
        if (fs::is_directory(p, ec)) {
            if (depth < kMaxDepth && !walk(p, depth + 1, out, error)) return false;
        } else if (fs::is_regular_file(p, ec) && looks_dicom(p)) {
            out.push_back(p.string());
            if (out.size() > kMaxDicomFiles) {
                error = dir.string() + ": more than " + std::to_string(kMaxDicomFiles) +
                        " DICOM files; give the folder of one series";
                return false;
            }
        }
    }
    return true;
}

}  // namespace

bool is_dicom_path(const std::string& path) {
    const std::string e = lower_extension(path);
    return e == ".dcm" || e == ".dicom" || e == ".ima";
}

bool holds_dicom(const std::string& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return false;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (it.depth() > kMaxDepth) it.disable_recursion_pending();
        if (it->is_regular_file(ec) && looks_dicom(it->path())) return true;
    }
    return false;
}

std::optional<Volume> read_dicom_volume(const std::vector<std::string>& paths, int series, FileReader read,
                                        std::string& error) {
    std::vector<std::string> names;
    for (const std::string& p : paths) {
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            if (!walk(p, 0, names, error)) return std::nullopt;
        } else {
            names.push_back(p);
        }
    }
    if (names.empty()) {
        error = paths.front() + ": no DICOM files in it (a .dcm extension, or DICM at byte 128)";
        return std::nullopt;
    }
    std::vector<std::vector<uint8_t>> bytes(names.size());
    std::vector<DicomInput> inputs(names.size());
    uint64_t total = 0;
    for (size_t i = 0; i < names.size(); ++i) {
        if (!read(names[i], bytes[i], error)) {
            error = names[i] + ": " + error;
            return std::nullopt;
        }
        if ((total += bytes[i].size()) > kMaxDicomBytes) {
            error = paths.front() + ": the DICOM files hold more than " + std::to_string(kMaxDicomBytes >> 20) +
                    " MiB; give the folder of one series";
            return std::nullopt;
        }
        inputs[i] = DicomInput{names[i], bytes[i].data(), bytes[i].size()};
    }
    const DicomListing listing = list_dicom_series(inputs);
    auto pick = choose_dicom_series(listing, series);
    if (!pick) {
        error = paths.front() + ": " + pick.error();
        return std::nullopt;
    }
    auto vol = read_dicom_series(inputs, listing.series[*pick]);
    if (!vol) {
        error = vol.error();
        return std::nullopt;
    }
    Volume v = std::move(vol).value();
    if (listing.series.size() > 1)
        v.notes.insert(v.notes.begin() + 1, "series " + describe_dicom_series(listing, *pick) + " of " +
                                                std::to_string(listing.series.size()) +
                                                (series > 0 ? " (--series)" : " (named as a T1; --series N for another)"));
    return v;
}

}  // namespace alzscan
