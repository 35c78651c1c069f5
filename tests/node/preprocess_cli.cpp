// preprocess_cli: shared/ preprocess_bytes() compiled to WebAssembly, for the parity test.
//
//   node --no-experimental-fetch build-wasm/tests/node/preprocess_cli.js model.json out.f32 a.png b.jpg
//
// Reads the spec from model.json (shared/ parse_preprocess_spec), preprocesses each file and
// writes the N,1,H,W float32 tensor (little-endian, files in argument order) to out.f32: the
// exact tensor the browser would feed ONNX Runtime. Exit 1 with a one-line error on failure.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "alzscan/preprocess.h"
#include "alzscan/preprocess_spec.h"

namespace {

bool read_file(const char* path, std::vector<uint8_t>& out) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return false;
    out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: preprocess_cli MODEL_JSON OUT_F32 IMAGE...\n");
        return 2;
    }
    std::vector<uint8_t> json;
    if (!read_file(argv[1], json)) {
        std::fprintf(stderr, "%s: cannot read\n", argv[1]);
        return 1;
    }
    auto spec = alzscan::parse_preprocess_spec(std::string(json.begin(), json.end()));
    if (!spec) {
        std::fprintf(stderr, "%s: %s\n", argv[1], spec.error().c_str());
        return 1;
    }
    std::vector<float> all;
    for (int i = 3; i < argc; ++i) {
        std::vector<uint8_t> bytes;
        if (!read_file(argv[i], bytes)) {
            std::fprintf(stderr, "%s: cannot read\n", argv[i]);
            return 1;
        }
        auto tensor = alzscan::preprocess_bytes(bytes.data(), bytes.size(), *spec);
        if (!tensor) {
            std::fprintf(stderr, "%s: %s\n", argv[i], tensor.error().c_str());
            return 1;
        }
        all.insert(all.end(), tensor->begin(), tensor->end());
    }
    std::ofstream out(argv[2], std::ios::binary);
    out.write(reinterpret_cast<const char*>(all.data()), static_cast<std::streamsize>(all.size() * sizeof(float)));
    if (!out) {
        std::fprintf(stderr, "%s: cannot write\n", argv[2]);
        return 1;
    }
    return 0;
}
