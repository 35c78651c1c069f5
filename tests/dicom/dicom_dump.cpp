// dicom_dump: the dicom/ library on files, for the tests (test_dicom.py), natively and as
// WebAssembly under node (NODERAWFS), so both sides are checked on the same files.
//
//   dicom_dump [--series N] PREFIX PATH...     PATH: DICOM files, or folders (their files, by name)
//
// Prints one JSON object: the listing ("series": descriptions, frames, size; "skipped"), then the
// chosen series' volume ("chosen", nx, ny, nz, spacing, affine, datatype, notes) or "error", and
// writes the voxels to PREFIX.f64 (little-endian float64, i fastest). Exit 0 whenever it answers.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alzscan/dicom.h"

namespace {

std::vector<uint8_t> slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

int main(int argc, char** argv) {
    int series = 0, first = 1;
    if (argc > 2 && std::string(argv[1]) == "--series") {
        series = std::atoi(argv[2]);
        first = 3;
    }
    if (argc - first < 2) {
        std::fprintf(stderr, "usage: dicom_dump [--series N] PREFIX PATH...\n");
        return 2;
    }
    const std::string prefix = argv[first];
    std::vector<std::string> names;
    for (int a = first + 1; a < argc; ++a) {
        namespace fs = std::filesystem;
        if (fs::is_directory(argv[a])) {
            std::vector<std::string> in_dir;
            for (const auto& e : fs::directory_iterator(argv[a]))
                if (e.is_regular_file()) in_dir.push_back(e.path().string());
            std::sort(in_dir.begin(), in_dir.end());
            names.insert(names.end(), in_dir.begin(), in_dir.end());
        } else {
            names.push_back(argv[a]);
        }
    }
    std::vector<std::vector<uint8_t>> bytes;
    std::vector<alzscan::DicomInput> inputs;
    for (const std::string& n : names) bytes.push_back(slurp(n));
    for (size_t i = 0; i < names.size(); ++i) inputs.push_back({names[i], bytes[i].data(), bytes[i].size()});

    nlohmann::json out;
    const alzscan::DicomListing listing = alzscan::list_dicom_series(inputs);
    out["series"] = nlohmann::json::array();
    for (size_t i = 0; i < listing.series.size(); ++i) {
        const auto& s = listing.series[i];
        out["series"].push_back({{"line", alzscan::describe_dicom_series(listing, i)}, {"description", s.description},
                                 {"frames", s.frames}, {"files", s.files.size()}});
    }
    out["skipped"] = listing.skipped;
    const auto pick = alzscan::choose_dicom_series(listing, series);
    if (!pick) {
        out["error"] = pick.error();
    } else {
        out["chosen"] = *pick;
        const auto vol = alzscan::read_dicom_series(inputs, listing.series[*pick]);
        if (!vol) {
            out["error"] = vol.error();
        } else {
            out["nx"] = vol->nx, out["ny"] = vol->ny, out["nz"] = vol->nz;
            out["spacing"] = vol->spacing;
            out["affine"] = vol->affine;
            out["datatype"] = vol->datatype;
            out["notes"] = vol->notes;
            std::ofstream f(prefix + ".f64", std::ios::binary);
            f.write(reinterpret_cast<const char*>(vol->voxels.data()), std::streamsize(vol->voxels.size() * sizeof(double)));
        }
    }
    std::printf("%s\n", out.dump().c_str());
    return 0;
}
