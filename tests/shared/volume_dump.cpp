// volume_dump mgh FILE.mgh OUT | volume_dump analyze FILE.hdr FILE.img OUT: what shared/'s
// decode_mgh / decode_analyze make of a volume, for tests/shared/test_volume_formats.py to check
// against nibabel. FILE is read as it is (an .mgz is inflated by the caller). Writes OUT.f64 (the
// voxels as decoded, float64 little-endian, i fastest) and prints one JSON line: nx, ny, nz,
// spacing, affine (4x4 rows), affine_source, datatype, notes; or {"error": "..."} for a volume
// shared/ refuses.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alzscan/analyze.h"
#include "alzscan/mgh.h"

namespace {

std::vector<uint8_t> slurp(const char* path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
    const bool mgh = argc == 4 && std::strcmp(argv[1], "mgh") == 0;
    const bool analyze = argc == 5 && std::strcmp(argv[1], "analyze") == 0;
    if (!mgh && !analyze) {
        std::fprintf(stderr, "usage: volume_dump mgh FILE.mgh OUT | volume_dump analyze FILE.hdr FILE.img OUT\n");
        return 2;
    }
    const std::vector<uint8_t> first = slurp(argv[2]);
    const std::vector<uint8_t> second = analyze ? slurp(argv[3]) : std::vector<uint8_t>{};
    auto vol = mgh ? alzscan::decode_mgh(first.data(), first.size())
                   : alzscan::decode_analyze(first.data(), first.size(), second.data(), second.size());
    if (!vol) {
        std::printf("%s\n", nlohmann::json{{"error", vol.error()}}.dump().c_str());
        return 0;
    }
    const std::string out = argv[argc - 1];
    std::ofstream(out + ".f64", std::ios::binary)
        .write(reinterpret_cast<const char*>(vol->voxels.data()), vol->voxels.size() * sizeof(double));
    const nlohmann::json j = {{"nx", vol->nx},         {"ny", vol->ny},
                              {"nz", vol->nz},         {"spacing", vol->spacing},
                              {"affine", vol->affine}, {"affine_source", vol->affine_source},
                              {"datatype", vol->datatype}, {"notes", vol->notes}};
    std::printf("%s\n", j.dump().c_str());
    return 0;
}
