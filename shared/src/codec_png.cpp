// PNG through libpng (and zlib). libpng reports errors through our error function, which stores
// the message and longjmps to the setjmp in guarded(); as in codec_jpeg.cpp, the state lives on
// the heap and the frames the jump leaves hold nothing with a destructor.
// libpng's warnings concern ancillary chunks it skips (colour profiles, text): they never change
// the pixels, so they are not errors. Critical chunks with a bad CRC are errors (libpng's default).
#include <csetjmp>
#include <cstdio>
#include <cstring>

#include <png.h>
#include <zlib.h>

#include "codecs.h"

namespace alzscan::codec {
namespace {

struct Reader {
    png_structp png = nullptr;
    png_infop info = nullptr;
    const uint8_t* data = nullptr;
    size_t size = 0, pos = 0;
    char message[256] = {};
    MallocBytes rows;  // the row pointers
};

void on_error(png_structp png, png_const_charp message) {
    auto* r = static_cast<Reader*>(png_get_error_ptr(png));
    const bool oom = std::strcmp(message, "Out of memory") == 0 ||
                     std::strcmp(message, "out of memory") == 0;
    std::snprintf(r->message, sizeof r->message, "%s", oom ? kOutOfMemory : message);
    png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}

void on_read(png_structp png, png_bytep out, size_t n) {
    auto* r = static_cast<Reader*>(png_get_io_ptr(png));
    if (n > r->size - r->pos) png_error(png, "the file ends inside the image data");
    std::memcpy(out, r->data + r->pos, n);
    r->pos += n;
}

// Creates the read structs; false when out of memory (nothing to jump to yet).
bool create(Reader& r, const uint8_t* data, size_t size) {
    r.data = data;
    r.size = size;
    r.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, on_error, on_warning);
    if (!r.png) return false;
    r.info = png_create_info_struct(r.png);
    return r.info != nullptr;
}

// Reads every chunk before the image data; may jump.
void read_header(Reader& r, const CodecLimits& limits) {
    png_set_read_fn(r.png, &r, on_read);
    png_set_user_limits(r.png, static_cast<png_uint_32>(limits.max_side),
                        static_cast<png_uint_32>(limits.max_side));
    png_read_info(r.png, r.info);
}

int stored_channels(png_structp png, png_infop info) {
    const int type = png_get_color_type(png, info);
    int channels = type == PNG_COLOR_TYPE_GRAY         ? 1
                   : type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
                   : type == PNG_COLOR_TYPE_RGB_ALPHA  ? 4
                                                       : 3;  // RGB, palette
    if (png_get_valid(png, info, PNG_INFO_tRNS) && (channels == 1 || channels == 3)) ++channels;
    return channels;
}

// Expands palette, low-bit gray and tRNS to plain samples, then reads every row; may jump.
// Returns false when a buffer cannot be allocated.
bool read_pixels(Reader& r, CodecImage& out) {
    const int type = png_get_color_type(r.png, r.info);
    if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(r.png);
    if (type == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(r.png, r.info) < 8)
        png_set_expand_gray_1_2_4_to_8(r.png);
    if (png_get_valid(r.png, r.info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(r.png);
    png_set_interlace_handling(r.png);
    png_read_update_info(r.png, r.info);
    out.width = static_cast<int>(png_get_image_width(r.png, r.info));
    out.height = static_cast<int>(png_get_image_height(r.png, r.info));
    out.channels = png_get_channels(r.png, r.info);
    out.bits = png_get_bit_depth(r.png, r.info);
    const size_t stride = png_get_rowbytes(r.png, r.info);
    if (stride != size_t(out.width) * out.channels * (out.bits / 8)) png_error(r.png, "unexpected row size");
    out.bytes.reset(static_cast<uint8_t*>(std::malloc(stride * out.height)));
    r.rows.reset(static_cast<uint8_t*>(std::malloc(sizeof(png_bytep) * out.height)));
    if (!out.bytes || !r.rows) return false;
    auto** rows = reinterpret_cast<png_bytep*>(r.rows.get());
    for (int y = 0; y < out.height; ++y) rows[y] = out.bytes.get() + stride * y;
    png_read_image(r.png, rows);
    png_read_end(r.png, nullptr);
    return true;
}

// Runs step() with libpng's errors landing here: false (and r.message set) when it jumped.
// The jump leaves only this frame, which holds nothing to destroy.
template <class Step>
bool guarded(Reader& r, Step&& step) {
    if (setjmp(png_jmpbuf(r.png))) return false;
    step();
    return true;
}

struct ReaderScope {  // png_destroy_read_struct also accepts structs that were never created
    Reader r;
    ~ReaderScope() { png_destroy_read_struct(&r.png, &r.info, nullptr); }
};

}  // namespace

Expected<CodecInfo> png_info(const uint8_t* data, size_t size, const CodecLimits& limits) {
    auto scope = std::make_unique<ReaderScope>();
    Reader& r = scope->r;
    if (!create(r, data, size)) return make_error(kOutOfMemory);
    CodecInfo info;
    const bool ok = guarded(r, [&] {
        read_header(r, limits);
        info.width = static_cast<int>(png_get_image_width(r.png, r.info));
        info.height = static_cast<int>(png_get_image_height(r.png, r.info));
        info.channels = stored_channels(r.png, r.info);
        info.bits = png_get_bit_depth(r.png, r.info) == 16 ? 16 : 8;
    });
    if (!ok) return make_error(r.message);
    return info;
}

Expected<CodecImage> png_decode(const uint8_t* data, size_t size, const CodecLimits& limits) {
    auto scope = std::make_unique<ReaderScope>();
    Reader& r = scope->r;
    if (!create(r, data, size)) return make_error(kOutOfMemory);
    CodecImage out;
    bool allocated = false;
    const bool ok = guarded(r, [&] {
        read_header(r, limits);
        allocated = read_pixels(r, out);
    });
    if (!ok) return make_error(r.message);
    if (!allocated) return make_error(kOutOfMemory);
    return out;
}

std::string png_version() {
    return std::string("libpng ") + png_get_libpng_ver(nullptr) + ", zlib " + zlibVersion();
}

}  // namespace alzscan::codec
