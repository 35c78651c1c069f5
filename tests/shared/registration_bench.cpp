// registration_bench VOLUME.nii [RUNS]: the time of each step that brings a volume into the training
// space (training_space.h), median of RUNS (default 5), and the process's peak memory against the
// volume's size. Built natively and as WebAssembly (run by node: V8's WebAssembly engine, the
// browser's); scripts/bench_registration.sh runs both on the same file (make bench-registration).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "alzscan/nifti.h"
#include "alzscan/volume_bytes.h"
#include "alzscan/training_space.h"
#include "reference_volumes.h"

#ifdef __EMSCRIPTEN__
#include <emscripten/heap.h>
#else
#include <sys/resource.h>
#endif

using namespace alzscan;

namespace {

double now_ms() {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

double peak_mb() {
#ifdef __EMSCRIPTEN__
    return emscripten_get_heap_size() / 1048576.0;   // the heap only grows: its size is the peak
#else
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1024.0;
#endif
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: registration_bench VOLUME.nii[.gz] [RUNS]\n");
        return 2;
    }
    const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
    const double t0 = now_ms();
    const test::Colin27& c = test::colin27();
    if (!c.error.empty()) {
        std::fprintf(stderr, "registration_bench: %s\n", c.error.c_str());
        return 1;
    }
    const double reference_ms = now_ms() - t0;
    std::ifstream file(argv[1], std::ios::binary);   // as stored: a .nii.gz's inflate is timed too
    const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(file), {}};
    if (!file || bytes.empty()) {
        std::fprintf(stderr, "registration_bench: cannot read %s\n", argv[1]);
        return 1;
    }
    std::vector<double> inflate, decode, registration, space, slab;
    ConformSpec levels;
    levels.levels = {30, 53, 97, 151, 200, 221, 237};
    double volume_mb = 0;
    for (int r = 0; r < runs; ++r) {
        double t = now_ms();
        if (is_gzip(bytes.data(), bytes.size())) {   // the inflate alone, then the whole file's decode
            auto raw = gunzip(bytes.data(), bytes.size(), kMaxInflatedBytes, ".nii.gz");
            inflate.push_back(now_ms() - t);
            t = now_ms();
        }
        auto v = decode_volume_file(argv[1], bytes.data(), bytes.size());
        decode.push_back(now_ms() - t);
        if (!v) {
            std::fprintf(stderr, "registration_bench: %s\n", v.error().c_str());
            return 1;
        }
        volume_mb = double(v->nx) * v->ny * v->nz * 2 / 1048576.0;   // as 16-bit voxels, a scanner's
        t = now_ms();
        auto reg = register_affine(*v, c.reference);
        registration.push_back(now_ms() - t);
        t = now_ms();
        auto s = to_training_space(*v, c.reference, levels);
        space.push_back(now_ms() - t);
        if (!s) {
            std::fprintf(stderr, "registration_bench: %s\n", s.error().c_str());
            return 1;
        }
        t = now_ms();
        auto given = to_training_space(*v, c.reference, levels, &s->registration);
        slab.push_back(now_ms() - t);
        if (r == 0)
            std::printf("volume %dx%dx%d, correlation %.4f, template %s\n", v->nx, v->ny, v->nz, s->registration.ncc,
                        s->registration.template_used.c_str());
    }
    std::printf("reference (once)     %8.1f ms\n", reference_ms);
    if (!inflate.empty()) std::printf("inflate (gzip)       %8.1f ms\n", median(inflate));
    std::printf("decode               %8.1f ms%s\n", median(decode), inflate.empty() ? "" : "   (inflate included)");
    std::printf("registration alone   %8.1f ms\n", median(registration));
    std::printf("to_training_space    %8.1f ms   (registration + extraction + bias + levels + slab)\n", median(space));
    std::printf("slab (registered)    %8.1f ms   (extraction + bias + levels + slab, the registration given)\n", median(slab));
    std::printf("peak memory          %8.1f MB   (%.1f x the volume as 16-bit voxels)\n", peak_mb(), peak_mb() / volume_mb);
    return 0;
}
