// libFuzzer target: untrusted image bytes through shared/'s whole preprocessing path
// (decode_gray -> resize_gray or conform_slice -> normalise_into), at the shipped model's input
// size and at the training size. Built with ASan + UBSan by scripts/fuzz.sh (`make fuzz`).
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "alzscan/preprocess.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    for (int side : {64, 128}) {
      for (bool conform : {false, true}) {
        alzscan::PreprocessSpec spec;
        spec.height = spec.width = side;
        spec.conform.enabled = conform;
        auto tensor = alzscan::preprocess_bytes(data, size, spec);
        if (!tensor) continue;   // a clear error is a correct answer
        if (tensor->size() != static_cast<size_t>(side) * side) std::abort();
        for (float v : *tensor)
            if (!std::isfinite(v)) std::abort();
      }
    }
    return 0;
}
