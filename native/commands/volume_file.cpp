// Volume files -> Volume (see volume_file.h).
#include "commands/volume_file.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "alzscan/volume_bytes.h"

namespace alzscan {
namespace {

std::optional<Volume> value_or_error(Expected<Volume> vol, std::string& error) {
    if (!vol) {
        error = vol.error();
        return std::nullopt;
    }
    return std::move(vol).value();
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// The other file of an Analyze pair: `path` with its extension replaced by `want` (".img" or
// ".hdr"), first in the given extension's case, then the other, then any mixed case found in the
// folder. Empty when there is none.
std::string pair_partner(const std::string& path, const std::string& want) {
    namespace fs = std::filesystem;
    const fs::path p(path);
    const std::string ext = p.extension().string();
    const std::string stem = path.substr(0, path.size() - ext.size());
    std::string upper = want;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    const bool given_upper = ext.size() > 1 && std::isupper(static_cast<unsigned char>(ext.back()));
    std::error_code ec;
    for (const std::string& e : {given_upper ? upper : want, given_upper ? want : upper})
        if (fs::exists(stem + e, ec)) return stem + e;
    const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path name = it->path().filename();
        if (name.stem() == p.stem() && lower(name.extension().string()) == want)
            return p.has_parent_path() ? (dir / name).string() : name.string();
    }
    return "";
}

// An Analyze pair from either of its files, the other found beside it.
std::optional<Volume> read_analyze(const std::string& path, FileReader read, std::string& error) {
    std::vector<uint8_t> given, partner;
    if (!read(path, given, error)) return std::nullopt;
    const std::string other_ext = lower(std::filesystem::path(path).extension().string()) == ".hdr" ? ".img" : ".hdr";
    const std::string other = pair_partner(path, other_ext);
    if (other.empty()) {
        value_or_error(decode_volume_file(path, given.data(), given.size()), error);
        error += ": put both files in one folder";
        return std::nullopt;
    }
    if (!read(other, partner, error)) {
        error = "the pair's " + other_ext + " file " + other + ": " + error;
        return std::nullopt;
    }
    return value_or_error(decode_volume_file(path, given.data(), given.size(), {other, partner.data(), partner.size()}), error);
}

}  // namespace

bool is_volume_path(const std::string& path) { return is_volume_name(path); }

std::optional<Volume> read_volume(const std::vector<uint8_t>& bytes, std::string& error) {
    return value_or_error(decode_volume_file(".nii", bytes.data(), bytes.size()), error);
}

std::optional<Volume> read_volume_file(const std::string& path, FileReader read, std::string& error) {
    if (is_analyze_name(path)) return read_analyze(path, read, error);
    std::vector<uint8_t> bytes;
    if (!read(path, bytes, error)) return std::nullopt;
    return value_or_error(decode_volume_file(path, bytes.data(), bytes.size()), error);
}

}  // namespace alzscan
