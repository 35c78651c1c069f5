// Volume file bytes -> Volume (see volume_bytes.h).
#include "alzscan/volume_bytes.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

#include <zlib.h>

#include "alzscan/analyze.h"
#include "alzscan/mgh.h"

namespace alzscan {
namespace {

bool ends_with(const std::string& s, const std::string& tail) {
    if (s.size() < tail.size()) return false;
    return std::equal(tail.rbegin(), tail.rend(), s.rbegin(),
                      [](char t, char c) { return std::tolower(static_cast<unsigned char>(c)) == t; });
}

// The gzip trailer's ISIZE: the last member's size mod 2^32, a claim the file makes about itself.
size_t claimed_size(const uint8_t* data, size_t size) {
    if (size < 18) return 0;
    const uint8_t* t = data + size - 4;
    return t[0] | (t[1] << 8) | (t[2] << 16) | (uint32_t(t[3]) << 24);
}

// Inflates every gzip member, handing each block of output to `sink` (false: out of memory);
// "" when the stream ended cleanly, else the one-line error.
template <typename Sink>
std::string inflate_stream(const uint8_t* data, size_t size, size_t limit, const std::string& kind, Sink sink) {
    z_stream z{};
    if (inflateInit2(&z, 15 + 32) != Z_OK) return "cannot start zlib";
    std::vector<uint8_t> chunk(1 << 20);
    size_t left = size, total = 0;
    z.next_in = const_cast<Bytef*>(data);
    int rc = Z_OK;
    std::string error;
    while (rc != Z_STREAM_END || z.avail_in > 0 || left > 0) {
        if (z.avail_in == 0 && left > 0) {   // zlib counts input in uInt: feed it in pieces
            z.avail_in = static_cast<uInt>(std::min<size_t>(left, 1u << 30));
            left -= z.avail_in;
        }
        if (rc == Z_STREAM_END) inflateReset(&z);   // another gzip member follows
        z.next_out = chunk.data();
        z.avail_out = static_cast<uInt>(chunk.size());
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) break;
        const size_t n = chunk.size() - z.avail_out;
        if ((total += n) > limit) {
            error = "the " + kind + " inflates to more than " + std::to_string(limit >> 20) + " MiB: too large a volume";
            break;
        }
        if (!sink(chunk.data(), n)) {
            error = "not enough memory to inflate the " + kind + " (" + std::to_string(total >> 20) +
                    " MiB so far): close other tabs or programs, or give the volume uncompressed";
            break;
        }
        if (rc == Z_BUF_ERROR && z.avail_in == 0 && left == 0) break;   // input ended before the stream did
    }
    const bool ok = error.empty() && rc == Z_STREAM_END && z.avail_in == 0 && left == 0;
    if (!ok && error.empty())
        error = "the " + kind + " is damaged or truncated (zlib: " + std::string(z.msg ? z.msg : "unexpected end of data") +
                "); re-export or re-download the volume";
    inflateEnd(&z);
    return error;
}

Expected<Volume> with_gzip(const std::string& kind, const uint8_t* data, size_t size,
                           Expected<Volume> (*decode)(const uint8_t*, size_t)) {
    if (!is_gzip(data, size)) return decode(data, size);
    auto raw = gunzip(data, size, kMaxInflatedBytes, kind);
    if (!raw) return make_error(raw.error());
    return decode(raw->data.get(), raw->size);
}

Expected<Volume> analyze_pair(const std::string& name, const uint8_t* data, size_t size, const NamedBytes& partner) {
    const bool given_hdr = ends_with(name, ".hdr");
    if (partner.data == nullptr) {
        return make_error(std::string("no ") + (given_hdr ? ".img" : ".hdr") + " file beside this " +
                          (given_hdr ? ".hdr" : ".img") + " (an Analyze volume is a .hdr + .img pair with the same name)");
    }
    auto vol = given_hdr ? decode_analyze(data, size, partner.data, partner.size)
                         : decode_analyze(partner.data, partner.size, data, size);
    if (!vol && !given_hdr) return make_error("with its .hdr file " + partner.name + ": " + vol.error());
    return vol;
}

}  // namespace

bool is_volume_name(const std::string& name) {
    for (const char* tail : {".nii", ".nii.gz", ".mgh", ".mgz", ".hdr", ".img"})
        if (ends_with(name, tail)) return true;
    return false;
}

bool is_analyze_name(const std::string& name) { return ends_with(name, ".hdr") || ends_with(name, ".img"); }

bool is_gzip(const uint8_t* data, size_t size) { return size >= 2 && data[0] == 0x1f && data[1] == 0x8b; }

Expected<InflatedBytes> gunzip(const uint8_t* data, size_t size, size_t limit, const std::string& kind) {
    // A file claiming more than the limit is counted first, keeping nothing: a bomb costs time,
    // not memory. Otherwise the claim sizes the buffer, which grows if the claim was low.
    size_t capacity = claimed_size(data, size);
    if (capacity > limit) {
        std::string error = inflate_stream(data, size, limit, kind, [](const uint8_t*, size_t) { return true; });
        if (!error.empty()) return make_error(error);
    }
    InflatedBytes out;
    capacity = std::min(std::max<size_t>(capacity, 1 << 16), limit + 1);
    out.data.reset(static_cast<uint8_t*>(std::malloc(capacity)));
    if (!out.data) capacity = 0;
    const std::string error = inflate_stream(data, size, limit, kind, [&](const uint8_t* block, size_t n) {
        if (out.size + n > capacity) {   // malloc/realloc: running out of memory is a message, never an abort
            const size_t grown = std::min(std::max(capacity * 2, out.size + n), limit + (size_t(1) << 20));
            auto* p = static_cast<uint8_t*>(std::realloc(out.data.get(), grown));
            if (!p) return false;
            out.data.release();
            out.data.reset(p);
            capacity = grown;
        }
        std::memcpy(out.data.get() + out.size, block, n);
        out.size += n;
        return true;
    });
    if (!error.empty()) return make_error(error);
    return out;
}

Expected<Volume> decode_volume_file(const std::string& name, const uint8_t* data, size_t size, const NamedBytes& partner) {
    if (is_analyze_name(name)) return analyze_pair(name, data, size, partner);
    if (ends_with(name, ".mgh") || ends_with(name, ".mgz")) return with_gzip(".mgz", data, size, decode_mgh);
    return with_gzip(".nii.gz", data, size, decode_nifti);
}

}  // namespace alzscan
