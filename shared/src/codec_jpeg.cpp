// JPEG through libjpeg-turbo's libjpeg API. libjpeg reports errors by calling error_exit, which
// must not return: it longjmps back to the setjmp in guarded(). The frames the jump leaves
// (libjpeg's, the step lambda's, ours) hold no object with a destructor; the decoder state lives
// on the heap and jpeg_destroy frees libjpeg's pools.
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <jpeglib.h>
#include <jerror.h>

#include "codecs.h"

namespace alzscan::codec {
namespace {

// Debian's libjpeg-turbo picks SIMD kernels at each thread's first decode, unless
// JSIMD_FORCENONE=1. Its SIMD IDCT gives the C kernel's bits on valid data, but on corrupt
// coefficients it saturates where the C one wraps, so a damaged file that still decodes would
// read differently in the trainer and in the browser (whose build has no SIMD). Set before main,
// while the process has one thread.
const bool kPortableKernels = ::setenv("JSIMD_FORCENONE", "1", 1) == 0;

// More progressive scans than any encoder writes: bounds the time a crafted file can take
// (libjpeg-turbo's own TurboJPEG API uses the same limit for untrusted input).
constexpr int kMaxScans = 500;
// libjpeg's own working memory (a progressive image keeps every coefficient: 2 bytes/sample).
constexpr long kMaxLibjpegMemory = 1L << 30;

struct Decoder {
    jpeg_decompress_struct cinfo;
    jpeg_error_mgr err;
    jpeg_progress_mgr progress;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

Decoder& decoder_of(j_common_ptr cinfo) {
    // cinfo is the first member of Decoder.
    return *reinterpret_cast<Decoder*>(cinfo);
}

[[noreturn]] void jump_with(j_common_ptr cinfo) {
    Decoder& d = decoder_of(cinfo);
    if (d.err.msg_code == JERR_OUT_OF_MEMORY)
        std::snprintf(d.message, sizeof d.message, "%s", kOutOfMemory);
    else
        (*d.err.format_message)(cinfo, d.message);
    std::longjmp(d.jump, 1);
}

void on_error(j_common_ptr cinfo) { jump_with(cinfo); }

// Level -1 is a warning: corrupt data libjpeg would patch over (grey blocks, a guessed marker).
void on_message(j_common_ptr cinfo, int level) {
    if (level < 0) jump_with(cinfo);
}

void on_progress(j_common_ptr cinfo) {
    auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
    if (d->input_scan_number > kMaxScans) {
        Decoder& dec = decoder_of(cinfo);
        std::snprintf(dec.message, sizeof dec.message,
                      "the image has more than %d progressive scans", kMaxScans);
        std::longjmp(dec.jump, 1);
    }
}

// Everything up to the frame header; may jump.
void start(Decoder& d, const uint8_t* data, size_t size) {
    d.cinfo.err = jpeg_std_error(&d.err);
    d.err.error_exit = on_error;
    d.err.emit_message = on_message;
    jpeg_create_decompress(&d.cinfo);
    d.cinfo.mem->max_memory_to_use = kMaxLibjpegMemory;
    d.progress.progress_monitor = on_progress;
    d.cinfo.progress = &d.progress;
    jpeg_mem_src(&d.cinfo, data, static_cast<unsigned long>(size));
    jpeg_read_header(&d.cinfo, TRUE);
}

bool is_cmyk(const jpeg_decompress_struct& c) {
    return c.jpeg_color_space == JCS_CMYK || c.jpeg_color_space == JCS_YCCK;
}

uint8_t times_over_255(unsigned x, unsigned y) {  // round(x * y / 255), exact for 8-bit x, y
    unsigned t = x * y + 128;
    return static_cast<uint8_t>((t + (t >> 8)) >> 8);
}

// The pixels, row by row; may jump. Returns false when the pixel buffer cannot be allocated.
bool read_pixels(Decoder& d, CodecImage& out, MallocBytes& cmyk_row) {
    jpeg_decompress_struct& c = d.cinfo;
    c.dct_method = JDCT_ISLOW;  // the exact integer IDCT: the same bits with and without SIMD
    c.out_color_space = c.jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE
                        : is_cmyk(c)                         ? JCS_CMYK
                                                             : JCS_RGB;
    jpeg_start_decompress(&c);
    out.width = static_cast<int>(c.output_width);
    out.height = static_cast<int>(c.output_height);
    out.channels = c.out_color_space == JCS_GRAYSCALE ? 1 : 3;
    out.bits = 8;
    const size_t stride = size_t(out.width) * out.channels;
    out.bytes.reset(static_cast<uint8_t*>(std::malloc(stride * out.height)));
    if (!out.bytes) return false;
    if (c.out_color_space == JCS_CMYK) {
        cmyk_row.reset(static_cast<uint8_t*>(std::malloc(size_t(out.width) * 4)));
        if (!cmyk_row) return false;
    }
    while (c.output_scanline < c.output_height) {
        uint8_t* dst = out.bytes.get() + stride * c.output_scanline;
        JSAMPROW row = cmyk_row ? cmyk_row.get() : dst;
        jpeg_read_scanlines(&c, &row, 1);
        if (!cmyk_row) continue;
        for (int x = 0; x < out.width; ++x) {
            const uint8_t* p = cmyk_row.get() + 4 * x;
            for (int k = 0; k < 3; ++k) dst[3 * x + k] = times_over_255(p[k], p[3]);
        }
    }
    jpeg_finish_decompress(&c);
    return true;
}

// Runs step() with libjpeg's errors landing here: false (and d.message set) when it jumped.
template <class Step>
bool guarded(Decoder& d, Step&& step) {
    if (setjmp(d.jump)) return false;
    step();
    return true;
}

struct DecoderScope {  // zeroed on creation: jpeg_destroy is safe before jpeg_create
    Decoder d;
    ~DecoderScope() { jpeg_destroy_decompress(&d.cinfo); }
};

}  // namespace

Expected<CodecInfo> jpeg_info(const uint8_t* data, size_t size) {
    auto scope = std::make_unique<DecoderScope>();
    Decoder& d = scope->d;
    CodecInfo info;
    const bool ok = guarded(d, [&] {
        start(d, data, size);
        info.width = static_cast<int>(d.cinfo.image_width);
        info.height = static_cast<int>(d.cinfo.image_height);
        info.channels = d.cinfo.jpeg_color_space == JCS_GRAYSCALE ? 1 : is_cmyk(d.cinfo) ? 4 : 3;
        info.bits = d.cinfo.data_precision;
    });
    if (!ok) return make_error(d.message);
    return info;
}

Expected<CodecImage> jpeg_decode(const uint8_t* data, size_t size) {
    auto scope = std::make_unique<DecoderScope>();
    Decoder& d = scope->d;
    CodecImage out;
    MallocBytes cmyk_row;
    bool allocated = false;
    const bool ok = guarded(d, [&] {
        start(d, data, size);
        allocated = read_pixels(d, out, cmyk_row);
    });
    if (!ok) return make_error(d.message);
    if (!allocated) return make_error(kOutOfMemory);
    return out;
}

std::string jpeg_version() {
    const int v = LIBJPEG_TURBO_VERSION_NUMBER;
    return "libjpeg-turbo " + std::to_string(v / 1000000) + "." + std::to_string(v / 1000 % 1000) + "." +
           std::to_string(v % 1000);
}

}  // namespace alzscan::codec
