// tissue_dump FILE...: shared/'s tissue measures (tissue.h) of each image file as decoded, one JSON
// line each: {"file", "found", "brain_pixels", "csf", "gm", "wm", "ventricles", "t0", "t1"} with the
// pixel counts, or {"file", "error"}; for tests/shared/test_tissue.py to check against numpy + scipy.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alzscan/image_decode.h"
#include "alzscan/tissue.h"

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::ifstream in(argv[i], std::ios::binary);
        const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        nlohmann::json j{{"file", argv[i]}};
        auto img = alzscan::decode_gray(bytes.data(), bytes.size());
        if (!img) {
            j["error"] = img.error();
        } else {
            const alzscan::TissueMeasures t = alzscan::measure_tissue(*img);
            const double n = t.brain_pixels;
            j["found"] = t.found;
            j["brain_pixels"] = t.brain_pixels;
            j["csf"] = std::lround(t.csf_fraction * n);
            j["gm"] = std::lround(t.gm_fraction * n);
            j["wm"] = std::lround(t.wm_fraction * n);
            j["ventricles"] = std::lround(t.ventricle_fraction * n);
            j["t0"] = t.thresholds[0];
            j["t1"] = t.thresholds[1];
        }
        std::printf("%s\n", j.dump().c_str());
    }
    return 0;
}
