// Image bytes -> 8-bit gray. The order of checks is the contract of image_decode.h:
//   1. empty buffer, 2. format from the magic bytes, 3. width/height read from the header by
//   our own few lines (so zero sizes and over-limit sizes are caught before stb allocates),
//   4. stb's header probe (channels, 16-bit), 5. a structural walk that proves the file is
//   complete (stb pads a truncated JPEG/BMP with zeros and returns a half-grey image without
//   complaint), 6. stb decode, 7. conversion to gray with the documented integer formulas.
#include "alzscan/image_decode.h"

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#define STBI_NO_STDIO
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
// One code path for the trainer (x86-64) and the browser (wasm32): stb's SSE2 kernels are said
// to be bit-identical to the scalar ones, but the scalar ones need no such promise.
#define STBI_NO_SIMD
#define STBI_ASSERT(x) ((void)0)
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#endif
#include "stb/stb_image.h"
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace alzscan {
namespace {

enum class Format { unknown, png, jpeg, bmp, gif };

const char* format_name(Format f) {
    switch (f) {
        case Format::png: return "png";
        case Format::jpeg: return "jpeg";
        case Format::bmp: return "bmp";
        case Format::gif: return "gif";
        default: return "unknown";
    }
}

const char* format_title(Format f) {
    switch (f) {
        case Format::png: return "PNG";
        case Format::jpeg: return "JPEG";
        case Format::bmp: return "BMP";
        case Format::gif: return "GIF";
        default: return "image";
    }
}

bool starts_with(const uint8_t* d, size_t n, const char* magic, size_t m) {
    return n >= m && std::memcmp(d, magic, m) == 0;
}

Format sniff_format(const uint8_t* d, size_t n) {
    if (starts_with(d, n, "\x89PNG\r\n\x1a\n", 8)) return Format::png;
    if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return Format::jpeg;
    if (starts_with(d, n, "BM", 2)) return Format::bmp;
    if (starts_with(d, n, "GIF87a", 6) || starts_with(d, n, "GIF89a", 6)) return Format::gif;
    return Format::unknown;
}

// A hint for files people plausibly pick by mistake.
const char* guess_other_format(const uint8_t* d, size_t n) {
    if (n >= 132 && std::memcmp(d + 128, "DICM", 4) == 0) return "a DICOM file";
    if (starts_with(d, n, "II*\0", 4) || starts_with(d, n, "MM\0*", 4)) return "a TIFF image";
    if (n >= 12 && std::memcmp(d, "RIFF", 4) == 0 && std::memcmp(d + 8, "WEBP", 4) == 0)
        return "a WebP image";
    if (starts_with(d, n, "%PDF", 4)) return "a PDF document";
    if (starts_with(d, n, "\x1f\x8b", 2)) return "a gzip archive (a .nii.gz volume?)";
    if (n >= 348 && d[0] == 0x5C && d[1] == 0x01 && d[2] == 0 && d[3] == 0) return "a NIfTI volume";
    if (starts_with(d, n, "PK\x03\x04", 4)) return "a ZIP archive";
    if (n >= 12 && std::memcmp(d + 4, "ftyp", 4) == 0) return "a HEIC/MP4 file";
    return nullptr;
}

std::string first_bytes_hex(const uint8_t* d, size_t n) {
    std::string s;
    char buf[4];
    for (size_t i = 0; i < n && i < 4; ++i) {
        std::snprintf(buf, sizeof buf, i ? " %02X" : "%02X", d[i]);
        s += buf;
    }
    return s;
}

uint32_t be32(const uint8_t* p) {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}
uint32_t be16(const uint8_t* p) { return (uint32_t(p[0]) << 8) | p[1]; }
uint32_t le16(const uint8_t* p) { return uint32_t(p[0]) | (uint32_t(p[1]) << 8); }
uint32_t le32(const uint8_t* p) {
    return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}

Error truncated_error(Format f, size_t size, const char* where) {
    return make_error(std::string("the ") + format_title(f) + " file is truncated: it ends after " +
                      std::to_string(size) + " bytes, " + where +
                      "; the copy or download was cut short, copy the file again");
}

// Width and height as the header states them (64-bit: a BMP may say -2^31, a PNG 2^32-1).
struct HeaderSize {
    int64_t width = 0;
    int64_t height = 0;
    int jpeg_frame = 0;      // JPEG only: the SOFn marker (0xC0 baseline, 0xC2 progressive)
    int jpeg_precision = 8;  // JPEG only: bits per sample
};

Expected<HeaderSize> read_header_size(Format f, const uint8_t* d, size_t n) {
    HeaderSize s;
    switch (f) {
        case Format::png:
            // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4).
            if (n < 24) return truncated_error(f, n, "inside the header");
            if (std::memcmp(d + 12, "IHDR", 4) != 0)
                return make_error("the PNG file is corrupt: its first chunk is not the IHDR header;"
                                  " re-export the image and try again");
            s.width = be32(d + 16);
            s.height = be32(d + 20);
            return s;
        case Format::bmp: {
            if (n < 26) return truncated_error(f, n, "inside the header");
            uint32_t header_size = le32(d + 14);
            if (header_size == 12) {  // OS/2 BITMAPCOREHEADER: 16-bit unsigned sizes
                s.width = le16(d + 18);
                s.height = le16(d + 20);
            } else {
                s.width = static_cast<int32_t>(le32(d + 18));
                int64_t h = static_cast<int32_t>(le32(d + 22));
                s.height = h < 0 ? -h : h;  // negative height: rows stored top-down, legal
            }
            return s;
        }
        case Format::gif:
            if (n < 10) return truncated_error(f, n, "inside the header");
            s.width = le16(d + 6);
            s.height = le16(d + 8);
            return s;
        case Format::jpeg: {
            // Walk the marker segments up to the frame header (SOFn).
            size_t pos = 2;
            for (;;) {
                while (pos < n && d[pos] != 0xFF) ++pos;  // tolerate junk between segments
                while (pos < n && d[pos] == 0xFF) ++pos;  // fill bytes
                if (pos >= n) return truncated_error(f, n, "before the frame header");
                uint8_t m = d[pos++];
                if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue;
                if (m == 0xD9 || m == 0xDA)
                    return make_error("the JPEG file is corrupt: it has no frame header before its "
                                      "image data; re-export the image and try again");
                if (pos + 2 > n) return truncated_error(f, n, "inside the header");
                size_t len = be16(d + pos);
                bool is_sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
                if (is_sof) {
                    if (pos + 7 > n) return truncated_error(f, n, "inside the frame header");
                    s.jpeg_frame = m;
                    s.jpeg_precision = d[pos + 2];
                    s.height = be16(d + pos + 3);
                    s.width = be16(d + pos + 5);
                    return s;
                }
                if (len < 2)
                    return make_error("the JPEG file is corrupt: a header segment has length " +
                                      std::to_string(len) + "; re-export the image and try again");
                pos += len;
            }
        }
        default:
            return s;
    }
}

// True when the file holds everything the decoder will read; otherwise an error naming where
// it stops. Only "ends early" is judged here; damaged content is left to stb's decoder.
Expected<bool> check_complete(Format f, const uint8_t* d, size_t n) {
    switch (f) {
        case Format::png: {
            size_t pos = 8;
            while (pos + 8 <= n) {
                uint64_t len = be32(d + pos);
                if (len > 0x7FFFFFFFu)
                    return make_error("the PNG file is corrupt: a chunk claims " +
                                      std::to_string(len) +
                                      " bytes; re-export the image and try again");
                if (pos + 12 + len > n) return truncated_error(f, n, "inside a data chunk");
                if (std::memcmp(d + pos + 4, "IEND", 4) == 0) return true;
                pos += 12 + static_cast<size_t>(len);
            }
            return truncated_error(f, n, "before the end-of-image chunk (IEND)");
        }
        case Format::jpeg: {
            size_t pos = 2;
            for (;;) {
                if (pos >= n) return truncated_error(f, n, "before the end-of-image marker");
                if (d[pos] != 0xFF) return true;  // not a marker: let the decoder judge it
                while (pos < n && d[pos] == 0xFF) ++pos;
                if (pos >= n) return truncated_error(f, n, "before the end-of-image marker");
                uint8_t m = d[pos++];
                if (m == 0xD9) return true;  // EOI
                if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue;
                if (pos + 2 > n) return truncated_error(f, n, "inside a header segment");
                size_t len = be16(d + pos);
                if (len < 2) return true;  // the decoder reports the corrupt segment
                if (pos + len > n) return truncated_error(f, n, "inside a header segment");
                pos += len;
                if (m == 0xDA) {
                    // Entropy-coded data runs to the next marker that is not a stuffed zero,
                    // a restart marker or a fill byte.
                    for (;;) {
                        if (pos >= n) return truncated_error(f, n, "inside the image data");
                        if (d[pos] != 0xFF) { ++pos; continue; }
                        if (pos + 1 >= n) return truncated_error(f, n, "inside the image data");
                        uint8_t next = d[pos + 1];
                        if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) { pos += 2; continue; }
                        if (next == 0xFF) { ++pos; continue; }
                        break;  // a real marker at pos
                    }
                }
            }
        }
        case Format::bmp: {
            if (n < 26) return truncated_error(f, n, "inside the header");
            uint32_t header_size = le32(d + 14);
            if (header_size != 12 && n < 34) return truncated_error(f, n, "inside the header");
            uint64_t offset = le32(d + 10);
            int64_t width, height;
            uint32_t bpp, compression = 0;
            if (header_size == 12) {
                width = le16(d + 18);
                height = le16(d + 20);
                bpp = le16(d + 24);
            } else {
                width = static_cast<int32_t>(le32(d + 18));
                height = static_cast<int32_t>(le32(d + 22));
                bpp = le16(d + 28);
                compression = le32(d + 30);
            }
            if (height < 0) height = -height;
            // Uncompressed / bit-field rows are padded to 4 bytes; RLE size is unknowable here.
            if ((compression == 0 || compression == 3 || compression == 6) && width > 0 && bpp > 0) {
                uint64_t row = ((static_cast<uint64_t>(width) * bpp + 31) / 32) * 4;
                if (offset + row * static_cast<uint64_t>(height) > n)
                    return truncated_error(f, n, "inside the pixel rows");
            }
            return true;
        }
        case Format::gif: {
            size_t pos = 13;
            if (n < pos) return truncated_error(f, n, "inside the header");
            uint8_t flags = d[10];
            if (flags & 0x80) pos += 3u * (2u << (flags & 7));
            auto skip_sub_blocks = [&](size_t& p) -> bool {
                for (;;) {
                    if (p >= n) return false;
                    uint8_t len = d[p++];
                    if (len == 0) return true;
                    p += len;
                }
            };
            for (;;) {
                if (pos >= n) return truncated_error(f, n, "before the first frame is complete");
                uint8_t block = d[pos++];
                if (block == 0x21) {  // extension: label + sub-blocks
                    ++pos;
                    if (!skip_sub_blocks(pos))
                        return truncated_error(f, n, "before the first frame is complete");
                } else if (block == 0x2C) {  // image descriptor: the first frame
                    if (pos + 9 > n) return truncated_error(f, n, "inside the first frame");
                    uint8_t local = d[pos + 8];
                    pos += 9;
                    if (local & 0x80) pos += 3u * (2u << (local & 7));
                    ++pos;  // LZW minimum code size
                    if (!skip_sub_blocks(pos))
                        return truncated_error(f, n, "inside the first frame");
                    return true;
                } else if (block == 0x3B) {
                    return make_error("the GIF file has no image in it (only a header); "
                                      "export the slice again");
                } else {
                    return true;  // let the decoder judge it
                }
            }
        }
        default:
            return true;
    }
}

std::string dims_text(int64_t w, int64_t h) { return std::to_string(w) + "x" + std::to_string(h); }

struct StbFree {
    void operator()(void* p) const { stbi_image_free(p); }
};

}  // namespace

uint8_t luma_bt601(uint8_t r, uint8_t g, uint8_t b) {
    return static_cast<uint8_t>((299u * r + 587u * g + 114u * b + 500u) / 1000u);
}

uint8_t composite_over_black(uint8_t gray, uint8_t alpha) {
    return static_cast<uint8_t>((unsigned(gray) * alpha + 127u) / 255u);
}

Expected<ImageInfo> probe_image(const uint8_t* data, size_t size, const DecodeLimits& limits) {
    if (data == nullptr || size == 0)
        return make_error("the file is empty (0 bytes): choose an MRI slice saved as PNG, JPEG, "
                          "BMP or GIF");
    Format f = sniff_format(data, size);
    if (f == Format::unknown) {
        std::string msg = "this file is not a PNG, JPEG, BMP or GIF image";
        if (const char* other = guess_other_format(data, size))
            msg += std::string(" (it looks like ") + other + ")";
        else
            msg += " (it starts with bytes " + first_bytes_hex(data, size) + ")";
        return make_error(msg + "; alzscan reads PNG, JPEG, BMP and GIF (first frame): export the "
                                "slice in one of these formats");
    }
    if (size > static_cast<size_t>(INT_MAX))
        return make_error("the " + std::string(format_title(f)) + " file is " +
                          std::to_string(size) + " bytes: over the 2 GiB limit for one image");

    auto header = read_header_size(f, data, size);
    if (!header) return make_error(header.error());
    const int64_t w = header->width, h = header->height;
    const std::string title = format_title(f);
    if (w <= 0 || h <= 0)
        return make_error("the " + title + " header says " + dims_text(w, h) +
                          " pixels: width and height must each be at least 1; the file is corrupt, "
                          "re-export the image");
    // What the model sees, when the caller says (prepare_image does): the image can be that small.
    const std::string sees = limits.model_height > 0 && limits.model_width > 0
                                 ? " (the model sees " + dims_text(limits.model_width, limits.model_height) + ")"
                                 : "";
    if (w > limits.max_side || h > limits.max_side)
        return make_error("the " + title + " header says " + dims_text(w, h) + " pixels: over the " +
                          std::to_string(limits.max_side) + " px limit per side; downscale the image" + sees +
                          " and try again");
    if (w * h > limits.max_pixels) {
        char mp[64];
        std::snprintf(mp, sizeof mp, "%.1f megapixels, over the %.1f megapixel limit",
                      double(w * h) / 1e6, double(limits.max_pixels) / 1e6);
        return make_error("the " + title + " header says " + dims_text(w, h) + " pixels (" + mp +
                          "); downscale the image" + sees + " and try again");
    }

    // JPEG variants stb_image cannot decode, named so the user knows what to change.
    if (f == Format::jpeg && header->jpeg_precision != 8)
        return make_error("this JPEG stores " + std::to_string(header->jpeg_precision) +
                          "-bit samples: alzscan reads 8-bit JPEG only; save the slice as a 16-bit "
                          "PNG instead");
    if (f == Format::jpeg && header->jpeg_frame != 0xC0 && header->jpeg_frame != 0xC1 &&
        header->jpeg_frame != 0xC2)
        return make_error("this JPEG uses lossless or arithmetic coding, which alzscan cannot read "
                          "(baseline and progressive JPEG are fine); save the slice as PNG instead");

    if (f == Format::bmp && size >= 34 && le32(data + 14) >= 40) {
        const uint32_t compression = le32(data + 30);
        if (compression == 1 || compression == 2 || compression == 4 || compression == 5)
            return make_error(std::string("this BMP is stored compressed (") +
                              (compression <= 2 ? "RLE" : compression == 4 ? "JPEG" : "PNG") +
                              " inside BMP), which alzscan cannot read; save the slice as PNG "
                              "instead");
    }

    int x = 0, y = 0, comp = 0;
    const int len = static_cast<int>(size);
    // stbi_info tries every format in turn, so its failure reason is always "unknown image
    // type": do not quote it.
    if (!stbi_info_from_memory(data, len, &x, &y, &comp))
        return make_error("the " + title + " file is corrupt: its header cannot be read; "
                          "re-export the image (or save it as PNG) and try again");
    ImageInfo info;
    info.format = format_name(f);
    info.width = static_cast<int>(w);  // ours: stb reports a top-down BMP's height as negative
    info.height = static_cast<int>(h);
    info.channels = comp;
    info.bits = stbi_is_16_bit_from_memory(data, len) ? 16 : 8;
    return info;
}

Expected<GrayImage> decode_gray(const uint8_t* data, size_t size, const DecodeLimits& limits) {
    auto info = probe_image(data, size, limits);
    if (!info) return make_error(info.error());
    const Format f = sniff_format(data, size);
    auto complete = check_complete(f, data, size);
    if (!complete) return make_error(complete.error());

    // Ask stb for gray+alpha or RGBA: with req_comp = 0 stb may add an alpha channel (PNG tRNS)
    // without saying so. Gray input through (g, 255) stays exact: (g*255+127)/255 == g.
    const int want = info->channels <= 2 ? 2 : 4;
    const int len = static_cast<int>(size);
    int w = 0, h = 0, comp = 0;
    std::unique_ptr<void, StbFree> pixels;
    if (info->bits == 16)
        pixels.reset(stbi_load_16_from_memory(data, len, &w, &h, &comp, want));
    else
        pixels.reset(stbi_load_from_memory(data, len, &w, &h, &comp, want));
    if (!pixels) {
        const char* why = stbi_failure_reason();
        std::string reason = why ? why : "unknown";
        if (reason == "outofmem")
            return make_error("not enough memory to decode this " + dims_text(info->width, info->height) +
                              " " + format_title(f) + " image; downscale it and try again");
        return make_error("the " + std::string(format_title(f)) +
                          " file is corrupt: the decoder stopped with \"" + reason +
                          "\"; re-export the image and try again");
    }
    if (w != info->width || (h != info->height && -h != info->height))
        return make_error("the " + std::string(format_title(f)) + " file is corrupt: its header says " +
                          dims_text(info->width, info->height) + " but it decodes to " +
                          dims_text(w, h));

    GrayImage out;
    out.width = w;
    out.height = h;
    const size_t count = static_cast<size_t>(w) * h;
    out.pixels.resize(count);
    if (info->bits == 16) {
        const uint16_t* p = static_cast<const uint16_t*>(pixels.get());
        auto to8 = [](uint16_t v) { return static_cast<uint8_t>((uint32_t(v) * 255u + 32767u) / 65535u); };
        for (size_t i = 0; i < count; ++i, p += want) {
            uint8_t g = want == 2 ? to8(p[0]) : luma_bt601(to8(p[0]), to8(p[1]), to8(p[2]));
            out.pixels[i] = composite_over_black(g, to8(p[want - 1]));
        }
    } else {
        const uint8_t* p = static_cast<const uint8_t*>(pixels.get());
        for (size_t i = 0; i < count; ++i, p += want) {
            uint8_t g = want == 2 ? p[0] : luma_bt601(p[0], p[1], p[2]);
            out.pixels[i] = composite_over_black(g, p[want - 1]);
        }
    }
    return out;
}

}  // namespace alzscan
