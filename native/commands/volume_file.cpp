// .nii / .nii.gz bytes -> Volume (see volume_file.h).
#include "commands/volume_file.h"

#include <algorithm>
#include <cctype>

#include <zlib.h>

namespace alzscan {
namespace {

bool ends_with(const std::string& s, const std::string& tail) {
    if (s.size() < tail.size()) return false;
    return std::equal(tail.rbegin(), tail.rend(), s.rbegin(),
                      [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

// Inflates a whole gzip stream (several members allowed) up to `limit` bytes.
bool gunzip(const std::vector<uint8_t>& in, std::vector<uint8_t>& out, size_t limit, std::string& error) {
    z_stream z{};
    if (inflateInit2(&z, 15 + 32) != Z_OK) {
        error = "cannot start zlib";
        return false;
    }
    z.next_in = const_cast<Bytef*>(in.data());
    z.avail_in = static_cast<uInt>(in.size());
    out.clear();
    std::vector<uint8_t> chunk(1 << 20);
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
            error = "the .nii.gz inflates to more than " + std::to_string(limit >> 20) + " MiB: too large a volume";
            return false;
        }
        if (rc == Z_BUF_ERROR && z.avail_in == 0) break;   // input ended before the stream did
    }
    const bool ok = rc == Z_STREAM_END && z.avail_in == 0;
    inflateEnd(&z);
    if (!ok) error = "the .nii.gz is damaged or truncated (zlib: " + std::string(z.msg ? z.msg : "unexpected end of data") +
                     "); re-export or re-download the volume";
    return ok;
}

}  // namespace

bool is_volume_path(const std::string& path) { return ends_with(path, ".nii") || ends_with(path, ".nii.gz"); }

std::optional<Volume> read_volume(const std::vector<uint8_t>& bytes, std::string& error) {
    std::vector<uint8_t> inflated;
    const bool gz = bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
    if (gz && !gunzip(bytes, inflated, static_cast<size_t>(kMaxVoxels) * 8 + (64 << 10), error)) return std::nullopt;
    const std::vector<uint8_t>& raw = gz ? inflated : bytes;
    auto vol = decode_nifti(raw.data(), raw.size());
    if (!vol) {
        error = vol.error();
        return std::nullopt;
    }
    return std::move(vol).value();
}

}  // namespace alzscan
