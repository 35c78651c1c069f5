// Volume files -> Volume (see volume_file.h).
#include "commands/volume_file.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include <zlib.h>

#include "alzscan/analyze.h"
#include "alzscan/mgh.h"

namespace alzscan {
namespace {

bool ends_with(const std::string& s, const std::string& tail) {
    if (s.size() < tail.size()) return false;
    return std::equal(tail.rbegin(), tail.rend(), s.rbegin(),
                      [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

// Inflates a whole gzip stream (several members allowed) up to `limit` bytes; `kind` (".nii.gz",
// ".mgz") names the file in errors.
bool gunzip(const std::vector<uint8_t>& in, std::vector<uint8_t>& out, size_t limit, const char* kind,
            std::string& error) {
    z_stream z{};
    if (inflateInit2(&z, 15 + 32) != Z_OK) {
        error = "cannot start zlib";
        return false;
    }
    z.next_in = const_cast<Bytef*>(in.data());
    z.avail_in = static_cast<uInt>(in.size());
    out.clear();
    std::vector<uint8_t> chunk(1 << 20);
    // The gzip trailer's ISIZE (the last member's size mod 2^32) as a capacity hint, capped at the
    // limit: an honest file is inflated without reallocating, a bomb fills at most one block.
    if (in.size() >= 18) {
        const size_t n = in.size();
        const uint32_t isize = in[n - 4] | (in[n - 3] << 8) | (in[n - 2] << 16) | (uint32_t(in[n - 1]) << 24);
        out.reserve(std::min<size_t>(isize, limit) + chunk.size());
    }
    int rc = Z_OK;
    while (rc != Z_STREAM_END || z.avail_in > 0) {
        if (rc == Z_STREAM_END) inflateReset(&z);   // another gzip member follows
        z.next_out = chunk.data();
        z.avail_out = static_cast<uInt>(chunk.size());
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) break;
        out.insert(out.end(), chunk.data(), chunk.data() + (chunk.size() - z.avail_out));
        if (out.size() > limit) {
            inflateEnd(&z);
            error = "the " + std::string(kind) + " inflates to more than " + std::to_string(limit >> 20) +
                    " MiB: too large a volume";
            return false;
        }
        if (rc == Z_BUF_ERROR && z.avail_in == 0) break;   // input ended before the stream did
    }
    const bool ok = rc == Z_STREAM_END && z.avail_in == 0;
    inflateEnd(&z);
    if (!ok) error = "the " + std::string(kind) + " is damaged or truncated (zlib: " +
                     std::string(z.msg ? z.msg : "unexpected end of data") + "); re-export or re-download the volume";
    return ok;
}

// gzip bytes (magic 1f 8b) inflated into `inflated`, else `bytes` themselves; nullptr + `error`
// past the limit or for a damaged stream.
const std::vector<uint8_t>* maybe_gunzip(const std::vector<uint8_t>& bytes, std::vector<uint8_t>& inflated,
                                         const char* kind, std::string& error) {
    if (bytes.size() < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b) return &bytes;
    const size_t limit = static_cast<size_t>(kMaxVoxels) * 8 + (64 << 10);
    return gunzip(bytes, inflated, limit, kind, error) ? &inflated : nullptr;
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

// An Analyze pair from either of its files.
std::optional<Volume> read_analyze(const std::string& path, bool given_hdr, FileReader read, std::string& error) {
    std::vector<uint8_t> given, partner;
    if (!read(path, given, error)) return std::nullopt;
    const std::string other_ext = given_hdr ? ".img" : ".hdr";
    const std::string other = pair_partner(path, other_ext);
    if (other.empty()) {
        error = std::string("no ") + other_ext + " file beside this " + (given_hdr ? ".hdr" : ".img") +
                " (an Analyze volume is a .hdr + .img pair with the same name): put both files in one folder";
        return std::nullopt;
    }
    if (!read(other, partner, error)) {
        error = "the pair's " + other_ext + " file " + other + ": " + error;
        return std::nullopt;
    }
    const std::vector<uint8_t>& hdr = given_hdr ? given : partner;
    const std::vector<uint8_t>& img = given_hdr ? partner : given;
    auto vol = decode_analyze(hdr.data(), hdr.size(), img.data(), img.size());
    if (!vol) {
        error = given_hdr ? vol.error() : "with its .hdr file " + other + ": " + vol.error();
        return std::nullopt;
    }
    return std::move(vol).value();
}

}  // namespace

bool is_volume_path(const std::string& path) {
    for (const char* tail : {".nii", ".nii.gz", ".mgh", ".mgz", ".hdr", ".img"})
        if (ends_with(path, tail)) return true;
    return false;
}

std::optional<Volume> read_volume(const std::vector<uint8_t>& bytes, std::string& error) {
    std::vector<uint8_t> inflated;
    const std::vector<uint8_t>* raw = maybe_gunzip(bytes, inflated, ".nii.gz", error);
    if (!raw) return std::nullopt;
    auto vol = decode_nifti(raw->data(), raw->size());
    if (!vol) {
        error = vol.error();
        return std::nullopt;
    }
    return std::move(vol).value();
}

std::optional<Volume> read_volume_file(const std::string& path, FileReader read, std::string& error) {
    const bool hdr = ends_with(path, ".hdr");
    if (hdr || ends_with(path, ".img")) return read_analyze(path, hdr, read, error);
    std::vector<uint8_t> bytes;
    if (!read(path, bytes, error)) return std::nullopt;
    if (!ends_with(path, ".mgh") && !ends_with(path, ".mgz")) return read_volume(bytes, error);
    std::vector<uint8_t> inflated;
    const std::vector<uint8_t>* raw = maybe_gunzip(bytes, inflated, ".mgz", error);
    if (!raw) return std::nullopt;
    auto vol = decode_mgh(raw->data(), raw->size());
    if (!vol) {
        error = vol.error();
        return std::nullopt;
    }
    return std::move(vol).value();
}

}  // namespace alzscan
