// alzscan predict on scans: a real person's 32 slices as files (--scan), as a directory and
// written by this test into a NIfTI volume (stored RAS, so the reader must flip two axes; gzipped
// with zlib) give the same slices and the same verdict, and the verdict is the normalised
// geometric mean of the slices' probabilities computed here. Damaged volumes get one clear line.
#include <sys/wait.h>
#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "alzscan/image_decode.h"
#include "test_trainer_fixtures.h"

using namespace trainer_test;
using nlohmann::json;

namespace {

const std::string kData = ALZSCAN_DATA_DIR;
const std::string kCheckpoint = std::string(ALZSCAN_SOURCE_DIR) + "/models/default/checkpoint.pt";

int run(const std::string& args, std::string& output) {
    FILE* p = popen((std::string(ALZSCAN_BIN) + " " + args + " 2>&1").c_str(), "r");
    char buf[4096];
    output.clear();
    while (size_t n = fread(buf, 1, sizeof buf, p)) output.append(buf, n);
    const int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::vector<json> json_lines(const std::string& text) {
    std::vector<json> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
}

// Subject S000's slice files in slice_rank order, from SUBJECTS.tsv.
std::vector<std::string> person_slices(const std::string& subject) {
    std::ifstream f(kData + "/SUBJECTS.tsv");
    std::string line;
    std::getline(f, line);
    std::vector<std::pair<int, std::string>> ranked;
    while (std::getline(f, line)) {
        std::vector<std::string> c;
        std::istringstream l(line);
        for (std::string cell; std::getline(l, cell, '\t');) c.push_back(cell);
        if (c.size() >= 5 && c[2] == subject) ranked.push_back({std::stoi(c[4]), c[0]});
    }
    std::sort(ranked.begin(), ranked.end());
    std::vector<std::string> files;
    for (const auto& [rank, rel] : ranked) files.push_back(kData + "/" + rel);
    return files;
}

void put(std::string& h, size_t at, const void* v, size_t n) { std::memcpy(&h[at], v, n); }

// A NIfTI-1 uint8 volume written by hand (little endian): slice k = image k, stored RAS (sform =
// identity), so voxel (i, j) holds image pixel (column nx-1-i, row ny-1-j).
std::string nifti_of(const std::vector<alzscan::GrayImage>& slices) {
    const int16_t nx = static_cast<int16_t>(slices[0].width), ny = static_cast<int16_t>(slices[0].height),
                  nz = static_cast<int16_t>(slices.size());
    std::string h(352, '\0');
    const int32_t sizeof_hdr = 348;
    put(h, 0, &sizeof_hdr, 4);
    const int16_t dim[8] = {3, nx, ny, nz, 1, 1, 1, 1};
    put(h, 40, dim, sizeof dim);
    const int16_t datatype = 2, bitpix = 8;
    put(h, 70, &datatype, 2);
    put(h, 72, &bitpix, 2);
    const float pixdim[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    put(h, 76, pixdim, sizeof pixdim);
    const float vox_offset = 352;
    put(h, 108, &vox_offset, 4);
    const int16_t sform_code = 1;
    put(h, 254, &sform_code, 2);
    const float srow[3][4] = {{1, 0, 0, -64}, {0, 1, 0, -64}, {0, 0, 1, -16}};
    put(h, 280, srow, sizeof srow);
    std::memcpy(&h[344], "n+1", 4);
    std::string voxels(size_t(nx) * ny * nz, '\0');
    for (int k = 0; k < nz; ++k)
        for (int j = 0; j < ny; ++j)
            for (int i = 0; i < nx; ++i) voxels[i + size_t(nx) * (j + size_t(ny) * k)] = char(slices[k].at(nx - 1 - i, ny - 1 - j));
    return h + voxels;
}

std::string gzip(const std::string& raw) {
    z_stream z{};
    deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, raw.size()) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
    z.avail_in = static_cast<uInt>(raw.size());
    z.next_out = reinterpret_cast<Bytef*>(&out[0]);
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

// p_c = exp(mean log p_sc), normalised: aggregate.h's contract, computed independently here.
std::vector<double> geometric_mean(const std::vector<json>& slices) {
    std::vector<double> logs(slices[0]["probabilities"].size(), 0.0);
    for (const json& s : slices)
        for (size_t c = 0; c < logs.size(); ++c) logs[c] += std::log(std::max(s["probabilities"][c].get<double>(), 1e-12));
    double sum = 0;
    for (double& l : logs) sum += (l = std::exp(l / slices.size()));
    for (double& l : logs) l /= sum;
    return logs;
}

// A scan's --json "timings": every stage there, none negative, the stages within the total (each
// printed to 0.1 ms), and the stages a scan did not have at 0: a stack of files is neither read as a
// volume nor registered; a thin volume is read and sliced, not registered.
void expect_timings(const json& scan, bool volume) {
    const json& t = scan["scan"]["timings"];
    double parts = 0;
    for (const char* key : {"read_ms", "template_ms", "registration_ms", "slab_ms", "preprocess_ms", "inference_ms",
                            "aggregate_ms"}) {
        ASSERT_TRUE(t.contains(key)) << key << " missing: " << t.dump();
        EXPECT_GE(t[key].get<double>(), 0.0) << key;
        parts += t[key].get<double>();
    }
    EXPECT_LE(parts, t["total_ms"].get<double>() + 8 * 0.05) << t.dump();   // 7 parts and the total, each +-0.05
    EXPECT_GT(t["preprocess_ms"].get<double>(), 0.0) << t.dump();
    EXPECT_GT(t["inference_ms"].get<double>(), 0.0) << t.dump();
    EXPECT_EQ(t["template_ms"].get<double>(), 0.0) << t.dump();
    EXPECT_EQ(t["registration_ms"].get<double>(), 0.0) << t.dump();
    EXPECT_EQ(t["read_ms"].get<double>() > 0, volume) << t.dump();
    EXPECT_EQ(t["slab_ms"].get<double>() > 0, volume) << t.dump();
}

}  // namespace

TEST(PredictScan, SliceFilesDirectoryAndVolumeGiveOneVerdict) {
    const std::vector<std::string> files = person_slices("S000");
    ASSERT_EQ(files.size(), 32u) << "needs " << kData << "/SUBJECTS.tsv and the images";
    const fs::path root = make_temp_dir("predict_scan");
    std::vector<alzscan::GrayImage> slices;
    std::string list;
    for (size_t k = 0; k < files.size(); ++k) {
        std::ifstream f(files[k], std::ios::binary);
        std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        slices.push_back(alzscan::decode_gray(bytes.data(), bytes.size()).value());
        list += " " + files[k];
        char name[32];
        std::snprintf(name, sizeof name, "slice_%02zu.jpg", k);   // by name = by rank
        fs::create_directories(root / "stack");
        fs::copy_file(files[k], root / "stack" / name);
    }
    std::ofstream(root / "S000.nii.gz", std::ios::binary) << gzip(nifti_of(slices));

    std::string as_files, as_dir, as_volume;
    ASSERT_EQ(run("predict --json --checkpoint " + kCheckpoint + " --scan" + list, as_files), 0) << as_files;
    ASSERT_EQ(run("predict --json --checkpoint " + kCheckpoint + " --scan " + (root / "stack").string(), as_dir), 0) << as_dir;
    ASSERT_EQ(run("predict --json --checkpoint " + kCheckpoint + " " + (root / "S000.nii.gz").string(), as_volume), 0)
        << as_volume;
    const std::vector<json> a = json_lines(as_files), b = json_lines(as_dir), v = json_lines(as_volume);
    ASSERT_EQ(a.size(), 33u);
    ASSERT_EQ(b.size(), 33u);
    ASSERT_EQ(v.size(), 33u);
    const std::vector<json> slice_rows(a.begin(), a.end() - 1);
    const std::vector<double> expected = geometric_mean(slice_rows);
    for (size_t s = 0; s < 32; ++s) {
        EXPECT_EQ(v[s]["slice"], s);
        for (size_t c = 0; c < 4; ++c) {
            EXPECT_NEAR(a[s]["probabilities"][c].get<double>(), v[s]["probabilities"][c].get<double>(), 1e-5) << s;
            EXPECT_NEAR(a[s]["probabilities"][c].get<double>(), b[s]["probabilities"][c].get<double>(), 1e-7) << s;
        }
    }
    for (const json* scan : {&a.back(), &b.back(), &v.back()}) {
        ASSERT_TRUE(scan->contains("scan")) << scan->dump();
        EXPECT_EQ((*scan)["scan"]["slices"], 32);
        for (size_t c = 0; c < 4; ++c)
            EXPECT_NEAR((*scan)["scan"]["probabilities"][c].get<double>(), expected[c], 1e-5) << scan->dump();
    }
    EXPECT_NE(v.back()["scan"]["how"].get<std::string>().find("all 32 axial slices"), std::string::npos) << v.back();
    expect_timings(a.back(), false);
    expect_timings(b.back(), false);
    expect_timings(v.back(), true);
}

TEST(PredictScan, DamagedVolumesGetOneClearLine) {
    const fs::path root = make_temp_dir("predict_scan_bad");
    std::vector<alzscan::GrayImage> slices(3, alzscan::GrayImage{16, 16, std::vector<uint8_t>(256, 90)});
    const std::string gz = gzip(nifti_of(slices));
    std::ofstream(root / "cut.nii.gz", std::ios::binary) << gz.substr(0, gz.size() / 2);
    std::ofstream(root / "small.nii", std::ios::binary) << nifti_of(slices).substr(0, 360);
    std::ofstream(root / "text.nii", std::ios::binary) << std::string(400, 'x');
    for (const auto& [file, message] : std::vector<std::pair<std::string, std::string>>{
             {"cut.nii.gz", "the .nii.gz is damaged or truncated"},
             {"small.nii", "the NIfTI file is truncated"},
             {"text.nii", "not a NIfTI file (sizeof_hdr is"}}) {
        std::string out;
        EXPECT_EQ(run("predict --json --checkpoint " + kCheckpoint + " " + (root / file).string(), out), 1) << out;
        const std::vector<json> lines = json_lines(out);
        ASSERT_EQ(lines.size(), 1u) << out;
        EXPECT_NE(lines[0]["error"].get<std::string>().find(message), std::string::npos) << out;
    }
}
