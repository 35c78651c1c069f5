// nifti_dump FILE.nii OUT: what shared/ makes of a volume, for tests/shared/test_nifti.py to check
// against nibabel. Writes OUT.lps.f64 (to_training_orientation's voxels, float64, i fastest) and
// OUT.slab.u8 (axial_slab's images, one after another) and prints one JSON line: sizes, spacing,
// datatype, version, affine source, notes, the brain extent and the chosen slices; or
// {"error": "..."} for a file shared/ refuses.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

#include <nlohmann/json.hpp>

#include "alzscan/nifti.h"
#include "alzscan/scan.h"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: nifti_dump FILE.nii OUT\n");
        return 2;
    }
    std::ifstream in(argv[1], std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto vol = alzscan::decode_nifti(bytes.data(), bytes.size());
    if (!vol) {
        std::printf("%s\n", nlohmann::json{{"error", vol.error()}}.dump().c_str());
        return 0;
    }
    const alzscan::Volume lps = alzscan::to_training_orientation(*vol);
    const std::string out = argv[2];
    std::ofstream(out + ".lps.f64", std::ios::binary)
        .write(reinterpret_cast<const char*>(lps.voxels.data()), lps.voxels.size() * sizeof(double));
    nlohmann::json j = {{"nx", lps.nx}, {"ny", lps.ny}, {"nz", lps.nz}, {"spacing", lps.spacing},
                        {"datatype", lps.datatype}, {"version", lps.nifti_version},
                        {"affine_source", lps.affine_source}, {"notes", lps.notes}};
    auto slab = alzscan::axial_slab(lps);
    if (slab) {
        std::ofstream f(out + ".slab.u8", std::ios::binary);
        for (const auto& img : slab->images) f.write(reinterpret_cast<const char*>(img.pixels.data()), img.pixels.size());
        j["slices"] = slab->slices;
        j["brain"] = {slab->brain_first, slab->brain_last};
        j["slab_width"] = slab->images.front().width;
        j["slab_height"] = slab->images.front().height;
        j["how"] = slab->how;
    } else {
        j["slab_error"] = slab.error();
    }
    std::printf("%s\n", j.dump().c_str());
    return 0;
}
