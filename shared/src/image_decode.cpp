// Image bytes -> 8-bit gray. The order of checks is the contract of image_decode.h:
//   1. empty buffer, 2. format from the magic bytes, 3. width/height read from the header by
//   our own few lines (so zero sizes and over-limit sizes are caught before a decoder allocates),
//   4. the decoder's header read (channels, 16-bit; decode_gray leaves it to step 6, which reads the
//   header anyway), 5. a structural walk that proves the file is
//   complete (so a cut-short copy is named as such, not as a corrupt image), 6. the decode
//   (codecs.h: libjpeg-turbo, libpng), 7. conversion to gray with the documented integer formulas.
#include "alzscan/image_decode.h"

#include <climits>
#include <cstdio>
#include <cstring>

#include "codecs.h"

namespace alzscan {
namespace {

enum class Format { unknown, png, jpeg };

const char* format_name(Format f) {
    switch (f) {
        case Format::png: return "png";
        case Format::jpeg: return "jpeg";
        default: return "unknown";
    }
}

const char* format_title(Format f) {
    switch (f) {
        case Format::png: return "PNG";
        case Format::jpeg: return "JPEG";
        default: return "image";
    }
}

bool starts_with(const uint8_t* d, size_t n, const char* magic, size_t m) {
    return n >= m && std::memcmp(d, magic, m) == 0;
}

Format sniff_format(const uint8_t* d, size_t n) {
    if (starts_with(d, n, "\x89PNG\r\n\x1a\n", 8)) return Format::png;
    if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return Format::jpeg;
    return Format::unknown;
}

// A hint for files people plausibly pick by mistake. BMP and GIF are not read: no decoder for
// them is fuzzed as continuously as libjpeg-turbo and libpng (docs/decisions/0009-image-decoders.md).
const char* guess_other_format(const uint8_t* d, size_t n) {
    if (starts_with(d, n, "GIF87a", 6) || starts_with(d, n, "GIF89a", 6)) return "a GIF image";
    if (starts_with(d, n, "BM", 2) && n >= 26) return "a BMP image";
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

Error truncated_error(Format f, size_t size, const char* where) {
    return make_error(std::string("the ") + format_title(f) + " file is truncated: it ends after " +
                      std::to_string(size) + " bytes, " + where +
                      "; the copy or download was cut short, copy the file again");
}

// Width and height as the header states them (64-bit: a PNG may say 2^32-1).
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
// it stops. Only "ends early" is judged here; damaged content is left to the decoder.
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
        default:
            return true;
    }
}

std::string dims_text(int64_t w, int64_t h) { return std::to_string(w) + "x" + std::to_string(h); }

Error decoder_error(Format f, const std::string& reason) {
    return make_error("the " + std::string(format_title(f)) + " file is corrupt: the decoder stopped with \"" +
                      reason + "\"; re-export the image and try again");
}

// Steps 1-3: a format alzscan reads and a size within the limits, from the header alone.
Expected<HeaderSize> check_header(const uint8_t* data, size_t size, const DecodeLimits& limits) {
    if (data == nullptr || size == 0)
        return make_error("the file is empty (0 bytes): choose an MRI slice saved as PNG or JPEG");
    const Format f = sniff_format(data, size);
    if (f == Format::unknown) {
        std::string msg = "this file is not a PNG or JPEG image";
        if (const char* other = guess_other_format(data, size))
            msg += std::string(" (it looks like ") + other + ")";
        else
            msg += " (it starts with bytes " + first_bytes_hex(data, size) + ")";
        return make_error(msg + "; alzscan reads PNG and JPEG: export the slice as PNG (lossless) "
                                "and try again");
    }
    const std::string title = format_title(f);
    if (size > static_cast<size_t>(INT_MAX))
        return make_error("the " + title + " file is " + std::to_string(size) +
                          " bytes: over the 2 GiB limit for one image");
    auto header = read_header_size(f, data, size);
    if (!header) return make_error(header.error());
    const int64_t w = header->width, h = header->height;
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
    // JPEG variants alzscan does not decode, named so the user knows what to change.
    if (f == Format::jpeg && header->jpeg_precision != 8)
        return make_error("this JPEG stores " + std::to_string(header->jpeg_precision) +
                          "-bit samples: alzscan reads 8-bit JPEG only; save the slice as a 16-bit "
                          "PNG instead");
    if (f == Format::jpeg && header->jpeg_frame != 0xC0 && header->jpeg_frame != 0xC1 &&
        header->jpeg_frame != 0xC2)
        return make_error("this JPEG uses lossless or arithmetic coding, which alzscan cannot read "
                          "(baseline and progressive JPEG are fine); save the slice as PNG instead");
    return header;
}

// Our own header read and the decoder disagree on the size: a corrupt file.
Error size_mismatch_error(Format f, const HeaderSize& header, int width, int height) {
    return make_error("the " + std::string(format_title(f)) + " file is corrupt: its header says " +
                      dims_text(header.width, header.height) + " but the decoder reads " +
                      dims_text(width, height) + "; re-export the image and try again");
}

codec::CodecLimits codec_limits(const DecodeLimits& limits) {
    return codec::CodecLimits{limits.max_side, limits.max_pixels};
}

// Step 7 on one pixel: samples are 8-bit, or 16-bit big-endian reduced to 8 bits first.
GrayImage to_gray(const codec::CodecImage& img) {
    const int c = img.channels;
    const uint8_t* b = img.bytes.get();
    auto sample = [&](size_t k) -> uint8_t {
        if (img.bits != 16) return b[k];
        const uint32_t v = (uint32_t(b[2 * k]) << 8) | b[2 * k + 1];
        return static_cast<uint8_t>((v * 255u + 32767u) / 65535u);
    };
    GrayImage out;
    out.width = img.width;
    out.height = img.height;
    const size_t count = static_cast<size_t>(img.width) * img.height;
    out.pixels.resize(count);
    for (size_t i = 0; i < count; ++i) {
        const size_t at = i * c;
        const uint8_t g = c <= 2 ? sample(at) : luma_bt601(sample(at), sample(at + 1), sample(at + 2));
        const bool alpha = c == 2 || c == 4;
        out.pixels[i] = alpha ? composite_over_black(g, sample(at + c - 1)) : g;
    }
    return out;
}

}  // namespace

uint8_t luma_bt601(uint8_t r, uint8_t g, uint8_t b) {
    return static_cast<uint8_t>((299u * r + 587u * g + 114u * b + 500u) / 1000u);
}

uint8_t composite_over_black(uint8_t gray, uint8_t alpha) {
    return static_cast<uint8_t>((unsigned(gray) * alpha + 127u) / 255u);
}

std::string decoder_versions() { return codec::jpeg_version() + ", " + codec::png_version(); }

Expected<ImageInfo> probe_image(const uint8_t* data, size_t size, const DecodeLimits& limits) {
    auto header = check_header(data, size, limits);
    if (!header) return make_error(header.error());
    const Format f = sniff_format(data, size);
    auto read = f == Format::png ? codec::png_info(data, size, codec_limits(limits)) : codec::jpeg_info(data, size);
    if (!read) {
        // A header cut short reads as corrupt to the decoder: name the truncation instead.
        auto complete = check_complete(f, data, size);
        return complete ? decoder_error(f, read.error()) : make_error(complete.error());
    }
    if (read->width != header->width || read->height != header->height)
        return size_mismatch_error(f, *header, read->width, read->height);
    ImageInfo info;
    info.format = format_name(f);
    info.width = read->width;
    info.height = read->height;
    info.channels = read->channels;
    info.bits = read->bits;
    return info;
}

Expected<GrayImage> decode_gray(const uint8_t* data, size_t size, const DecodeLimits& limits) {
    // probe_image's steps without its decoder header read: the decode below reads the header itself.
    auto header = check_header(data, size, limits);
    if (!header) return make_error(header.error());
    const Format f = sniff_format(data, size);
    auto complete = check_complete(f, data, size);
    if (!complete) return make_error(complete.error());
    auto pixels = f == Format::png ? codec::png_decode(data, size, codec_limits(limits))
                                   : codec::jpeg_decode(data, size);
    if (!pixels) {
        if (pixels.error() == codec::kOutOfMemory)
            return make_error("not enough memory to decode this " + dims_text(header->width, header->height) +
                              " " + format_title(f) + " image; downscale it and try again");
        return decoder_error(f, pixels.error());
    }
    if (pixels->width != header->width || pixels->height != header->height)
        return size_mismatch_error(f, *header, pixels->width, pixels->height);
    return to_gray(*pixels);
}

}  // namespace alzscan
