#include "image_writers.h"

#include <cstring>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STBI_WRITE_NO_STDIO
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif
#include "stb/stb_image_write.h"
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace alzscan {
namespace test {
namespace {

void put_be32(std::vector<uint8_t>& v, uint32_t x) {
    v.push_back(uint8_t(x >> 24));
    v.push_back(uint8_t(x >> 16));
    v.push_back(uint8_t(x >> 8));
    v.push_back(uint8_t(x));
}
void put_le16(std::vector<uint8_t>& v, uint32_t x) {
    v.push_back(uint8_t(x));
    v.push_back(uint8_t(x >> 8));
}
void put_le32(std::vector<uint8_t>& v, uint32_t x) {
    put_le16(v, x & 0xFFFF);
    put_le16(v, x >> 16);
}

void put_chunk(std::vector<uint8_t>& png, const char* type, const std::vector<uint8_t>& data) {
    put_be32(png, static_cast<uint32_t>(data.size()));
    std::vector<uint8_t> typed(type, type + 4);
    typed.insert(typed.end(), data.begin(), data.end());
    png.insert(png.end(), typed.begin(), typed.end());
    put_be32(png, crc32(typed.data(), typed.size()));
}

std::vector<uint8_t> png_signature_and_ihdr(uint32_t w, uint32_t h, int depth, PngColor color) {
    std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    std::vector<uint8_t> ihdr;
    put_be32(ihdr, w);
    put_be32(ihdr, h);
    ihdr.push_back(uint8_t(depth));
    ihdr.push_back(uint8_t(color));
    ihdr.push_back(0);  // deflate
    ihdr.push_back(0);  // adaptive filtering
    ihdr.push_back(0);  // no interlace
    put_chunk(png, "IHDR", ihdr);
    return png;
}

int channels_of(PngColor c) {
    switch (c) {
        case PngColor::gray: return 1;
        case PngColor::gray_alpha: return 2;
        case PngColor::rgb: return 3;
        case PngColor::rgba: return 4;
        case PngColor::palette: return 1;
    }
    return 1;
}

void write_to_vector(void* context, void* data, int size) {
    auto* out = static_cast<std::vector<uint8_t>*>(context);
    const uint8_t* p = static_cast<const uint8_t*>(data);
    out->insert(out->end(), p, p + size);
}

}  // namespace

uint32_t crc32(const uint8_t* data, size_t size) {
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < size; ++i) {
        crc ^= data[i];
        for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return crc ^ 0xFFFFFFFFu;
}

uint32_t adler32(const uint8_t* data, size_t size) {
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < size; ++i) {
        a = (a + data[i]) % 65521u;
        b = (b + a) % 65521u;
    }
    return (b << 16) | a;
}

std::vector<uint8_t> bytes_of(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

std::vector<uint8_t> encode_png(const PngImage& image) {
    std::vector<uint8_t> png = png_signature_and_ihdr(uint32_t(image.width), uint32_t(image.height),
                                                      image.bit_depth, image.color);
    if (image.color == PngColor::palette) {
        put_chunk(png, "PLTE", image.palette_rgb);
        if (!image.palette_alpha.empty()) put_chunk(png, "tRNS", image.palette_alpha);
    }
    // Raw scanlines: filter type 0, then samples (16-bit big-endian).
    const int ch = channels_of(image.color);
    std::vector<uint8_t> raw;
    size_t s = 0;
    for (int y = 0; y < image.height; ++y) {
        raw.push_back(0);
        if (image.bit_depth < 8) {  // 1, 2, 4 bits: packed from the most significant bit
            const int per_byte = 8 / image.bit_depth;
            for (int x = 0; x < image.width * ch; x += per_byte) {
                uint8_t packed = 0;
                for (int k = 0; k < per_byte; ++k, ++s) {
                    const uint16_t v = (x + k < image.width * ch && s < image.samples.size()) ? image.samples[s] : 0;
                    packed |= uint8_t((v & ((1 << image.bit_depth) - 1)) << (8 - image.bit_depth * (k + 1)));
                }
                raw.push_back(packed);
            }
            s = size_t(y + 1) * image.width * ch;
            continue;
        }
        for (int x = 0; x < image.width * ch; ++x, ++s) {
            const uint16_t v = s < image.samples.size() ? image.samples[s] : 0;
            if (image.bit_depth == 16) raw.push_back(uint8_t(v >> 8));
            raw.push_back(uint8_t(v));
        }
    }
    // zlib stream of stored deflate blocks (at most 65535 bytes each).
    std::vector<uint8_t> z = {0x78, 0x01};
    size_t pos = 0;
    do {
        const size_t n = raw.size() - pos < 65535 ? raw.size() - pos : 65535;
        const bool last = pos + n == raw.size();
        z.push_back(last ? 1 : 0);
        put_le16(z, uint32_t(n));
        put_le16(z, uint32_t(~n & 0xFFFF));
        z.insert(z.end(), raw.begin() + long(pos), raw.begin() + long(pos + n));
        pos += n;
    } while (pos < raw.size());
    put_be32(z, adler32(raw.data(), raw.size()));
    put_chunk(png, "IDAT", z);
    put_chunk(png, "IEND", {});
    return png;
}

std::vector<uint8_t> png_header_only(uint32_t width, uint32_t height) {
    return png_signature_and_ihdr(width, height, 8, PngColor::gray);
}

static std::vector<uint8_t> bmp_headers(int width, int height, int bpp, uint32_t palette_entries,
                                        uint32_t data_size, bool top_down) {
    const uint32_t offset = 14 + 40 + palette_entries * 4;
    std::vector<uint8_t> b = {'B', 'M'};
    put_le32(b, offset + data_size);
    put_le32(b, 0);
    put_le32(b, offset);
    put_le32(b, 40);
    put_le32(b, uint32_t(width));
    put_le32(b, uint32_t(top_down ? -height : height));
    put_le16(b, 1);
    put_le16(b, uint32_t(bpp));
    put_le32(b, 0);  // BI_RGB
    put_le32(b, data_size);
    put_le32(b, 2835);
    put_le32(b, 2835);
    put_le32(b, palette_entries);
    put_le32(b, 0);
    return b;
}

std::vector<uint8_t> encode_bmp_rgb(int width, int height, const std::vector<uint8_t>& rgb,
                                    bool top_down) {
    const uint32_t row = uint32_t((width * 3 + 3) / 4 * 4);
    std::vector<uint8_t> b = bmp_headers(width, height, 24, 0, row * uint32_t(height), top_down);
    for (int r = 0; r < height; ++r) {
        const int y = top_down ? r : height - 1 - r;
        for (int x = 0; x < width; ++x) {
            const uint8_t* p = &rgb[(size_t(y) * width + x) * 3];
            b.push_back(p[2]);
            b.push_back(p[1]);
            b.push_back(p[0]);
        }
        for (uint32_t pad = uint32_t(width) * 3; pad < row; ++pad) b.push_back(0);
    }
    return b;
}

std::vector<uint8_t> encode_bmp_indexed(int width, int height, const std::vector<uint8_t>& indices,
                                        const std::vector<uint8_t>& palette_rgb) {
    const uint32_t entries = uint32_t(palette_rgb.size() / 3);
    const uint32_t row = uint32_t((width + 3) / 4 * 4);
    std::vector<uint8_t> b = bmp_headers(width, height, 8, entries, row * uint32_t(height), false);
    for (uint32_t e = 0; e < entries; ++e) {
        b.push_back(palette_rgb[e * 3 + 2]);
        b.push_back(palette_rgb[e * 3 + 1]);
        b.push_back(palette_rgb[e * 3 + 0]);
        b.push_back(0);
    }
    for (int r = 0; r < height; ++r) {
        const int y = height - 1 - r;
        for (int x = 0; x < width; ++x) b.push_back(indices[size_t(y) * width + x]);
        for (uint32_t pad = uint32_t(width); pad < row; ++pad) b.push_back(0);
    }
    return b;
}

std::vector<uint8_t> encode_gif(int width, int height, const std::vector<uint8_t>& palette_rgb,
                                const std::vector<std::vector<uint8_t>>& frames) {
    std::vector<uint8_t> g = {'G', 'I', 'F', '8', '9', 'a'};
    put_le16(g, uint32_t(width));
    put_le16(g, uint32_t(height));
    g.push_back(0xF7);  // global table, 8-bit colour resolution, 256 entries
    g.push_back(0);
    g.push_back(0);
    for (size_t i = 0; i < 256 * 3; ++i) g.push_back(i < palette_rgb.size() ? palette_rgb[i] : 0);
    for (const auto& frame : frames) {
        g.push_back(0x2C);
        put_le16(g, 0);
        put_le16(g, 0);
        put_le16(g, uint32_t(width));
        put_le16(g, uint32_t(height));
        g.push_back(0);
        g.push_back(8);  // LZW minimum code size
        // 9-bit codes, LSB first. The decoder's table grows by one per code; a clear code
        // every 250 literals keeps it below 512 so the code width never changes.
        std::vector<uint8_t> stream;
        uint32_t acc = 0;
        int bits = 0;
        auto emit = [&](uint32_t code) {
            acc |= code << bits;
            bits += 9;
            while (bits >= 8) {
                stream.push_back(uint8_t(acc));
                acc >>= 8;
                bits -= 8;
            }
        };
        for (size_t i = 0; i < frame.size(); ++i) {
            if (i % 250 == 0) emit(256);
            emit(frame[i]);
        }
        emit(257);
        if (bits > 0) stream.push_back(uint8_t(acc));
        for (size_t pos = 0; pos < stream.size(); pos += 255) {
            const size_t n = stream.size() - pos < 255 ? stream.size() - pos : 255;
            g.push_back(uint8_t(n));
            g.insert(g.end(), stream.begin() + long(pos), stream.begin() + long(pos + n));
        }
        g.push_back(0);
    }
    g.push_back(0x3B);
    return g;
}

std::vector<uint8_t> encode_jpeg_stb(int width, int height, int channels,
                                     const std::vector<uint8_t>& pixels, int quality) {
    std::vector<uint8_t> out;
    stbi_write_jpg_to_func(write_to_vector, &out, width, height, channels, pixels.data(), quality);
    return out;
}

std::vector<uint8_t> encode_png_stb(int width, int height, int channels,
                                    const std::vector<uint8_t>& pixels) {
    std::vector<uint8_t> out;
    stbi_write_png_to_func(write_to_vector, &out, width, height, channels, pixels.data(),
                           width * channels);
    return out;
}

}  // namespace test
}  // namespace alzscan
