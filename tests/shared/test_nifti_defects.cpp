// The NIfTI volume path on damaged headers: non-finite affines and voxel sizes, out-of-range
// vox_offset, truncation messages and slices that cannot be resampled. Each file is a NIfTI-1
// header built here byte by byte (348 bytes + 4 extension bytes + voxels, little endian), so
// every field holds exactly the value under test.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "alzscan/nifti.h"
#include "alzscan/scan.h"

using namespace alzscan;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// The NIfTI-1 fields these tests set; bytes() lays them out at nifti1.h's offsets.
struct Nifti1 {
    int16_t dim[8] = {3, 8, 8, 4, 1, 1, 1, 1};
    int16_t datatype = 2;   // uint8
    int16_t bitpix = 8;
    float pixdim[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    float vox_offset = 352;
    int16_t qform_code = 0, sform_code = 0;
    float quatern[3] = {0, 0, 0}, qoffset[3] = {0, 0, 0};
    float srow[3][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}};

    size_t voxel_count() const { return size_t(dim[1]) * dim[2] * dim[3]; }

    // Header, the 4-byte extension flag (zero) and `voxels` (uint8 i + 10 * j + 50 * k by default).
    std::vector<uint8_t> bytes(std::vector<uint8_t> voxels = {}) const {
        if (voxels.empty()) {
            voxels.resize(voxel_count());
            for (size_t n = 0; n < voxels.size(); ++n) {
                const size_t i = n % dim[1], j = n / dim[1] % dim[2], k = n / (size_t(dim[1]) * dim[2]);
                voxels[n] = uint8_t(i + 10 * j + 50 * k);
            }
        }
        std::vector<uint8_t> b(352 + voxels.size(), 0);
        const int32_t sizeof_hdr = 348;
        put(b, 0, &sizeof_hdr, 4);
        put(b, 40, dim, sizeof dim);
        put(b, 70, &datatype, 2);
        put(b, 72, &bitpix, 2);
        put(b, 76, pixdim, sizeof pixdim);
        put(b, 108, &vox_offset, 4);
        put(b, 252, &qform_code, 2);
        put(b, 254, &sform_code, 2);
        put(b, 256, quatern, sizeof quatern);
        put(b, 268, qoffset, sizeof qoffset);
        put(b, 280, srow, sizeof srow);
        std::memcpy(&b[344], "n+1", 4);
        std::copy(voxels.begin(), voxels.end(), b.begin() + 352);
        return b;
    }

    static void put(std::vector<uint8_t>& b, size_t at, const void* v, size_t n) { std::memcpy(&b[at], v, n); }
};

Expected<Volume> decode(const std::vector<uint8_t>& bytes) { return decode_nifti(bytes.data(), bytes.size()); }

bool has_note(const Volume& v, const std::string& text) {
    for (const std::string& n : v.notes)
        if (n.find(text) != std::string::npos) return true;
    return false;
}

std::string notes_of(const Volume& v) {
    std::string all;
    for (const std::string& n : v.notes) all += "[" + n + "] ";
    return all;
}

bool all_finite(const Volume& v) {
    for (const auto& row : v.affine)
        for (double x : row)
            if (!std::isfinite(x)) return false;
    for (double s : v.spacing)
        if (!std::isfinite(s) || s <= 0) return false;
    return true;
}

// A volume made by hand: voxel (i, j, k) = i + 10 j + 50 k, affine and spacing as given.
Volume hand_volume(int nx, int ny, int nz, const std::array<std::array<double, 4>, 4>& affine,
                   std::array<double, 3> spacing = {1, 1, 1}) {
    Volume v;
    v.nx = nx, v.ny = ny, v.nz = nz;
    v.affine = affine;
    v.spacing = spacing;
    v.datatype = "uint8";
    v.voxels.resize(size_t(nx) * ny * nz);
    for (int k = 0; k < nz; ++k)
        for (int j = 0; j < ny; ++j)
            for (int i = 0; i < nx; ++i) v.voxels[i + size_t(nx) * (j + size_t(ny) * k)] = i + 10 * j + 50 * k;
    return v;
}

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)
#define EXPECT_LACKS(text, part) EXPECT_EQ((text).find(part), std::string::npos) << (text)

}  // namespace

// --- 1. Non-finite affines and voxel sizes -------------------------------------------------------

TEST(NiftiAffine, NaNSformFallsBackToTheQform) {
    Nifti1 h;
    h.sform_code = 1, h.qform_code = 1;
    h.srow[1][1] = kNaN;
    h.pixdim[0] = 1;   // qfac
    auto v = decode(h.bytes());
    ASSERT_TRUE(v.ok()) << v.error();
    EXPECT_EQ(v->affine_source, "qform");
    EXPECT_TRUE(has_note(*v, "the sform holds a non-finite value: the qform is used")) << notes_of(*v);
    EXPECT_TRUE(all_finite(*v));
    // The identity quaternion: RAS voxels, so i and j are reversed into LPS, k is kept.
    const Volume lps = to_training_orientation(*v);
    ASSERT_EQ(lps.nx, 8);
    ASSERT_EQ(lps.ny, 8);
    ASSERT_EQ(lps.nz, 4);
    EXPECT_EQ(lps.at(0, 0, 0), v->at(7, 7, 0));
    EXPECT_EQ(lps.at(2, 5, 3), v->at(5, 2, 3));
}

TEST(NiftiAffine, InfiniteSformWithoutQformFallsBackToPixdim) {
    Nifti1 h;
    h.sform_code = 2;
    h.srow[2][3] = -kInf;
    h.pixdim[1] = 2, h.pixdim[2] = 3, h.pixdim[3] = 4;
    auto v = decode(h.bytes());
    ASSERT_TRUE(v.ok()) << v.error();
    EXPECT_EQ(v->affine_source, "pixdim");
    EXPECT_TRUE(has_note(*v, "the sform holds a non-finite value: the pixdim affine is used")) << notes_of(*v);
    EXPECT_TRUE(all_finite(*v));
    EXPECT_EQ(v->spacing, (std::array<double, 3>{2, 3, 4}));
}

TEST(NiftiAffine, NaNQformFallsBackToPixdim) {
    Nifti1 h;
    h.qform_code = 1;
    h.quatern[0] = kNaN;
    auto v = decode(h.bytes());
    ASSERT_TRUE(v.ok()) << v.error();
    EXPECT_EQ(v->affine_source, "pixdim");
    EXPECT_TRUE(has_note(*v, "the qform holds a non-finite value: the pixdim affine is used")) << notes_of(*v);
    EXPECT_TRUE(all_finite(*v));
}

TEST(NiftiAffine, NonFiniteSformAndQformFallBackToPixdim) {
    Nifti1 h;
    h.sform_code = 1, h.qform_code = 1;
    h.srow[0][0] = kInf;
    h.qoffset[2] = kNaN;
    auto v = decode(h.bytes());
    ASSERT_TRUE(v.ok()) << v.error();
    EXPECT_EQ(v->affine_source, "pixdim");
    EXPECT_TRUE(has_note(*v, "the sform and the qform hold non-finite values: the pixdim affine is used"))
        << notes_of(*v);
    EXPECT_TRUE(all_finite(*v));
}

TEST(NiftiAffine, AGoodSformIsUsedWhateverTheQformHolds) {
    Nifti1 h;
    h.sform_code = 1, h.qform_code = 1;
    h.quatern[1] = kNaN;
    h.pixdim[2] = -1;
    auto v = decode(h.bytes());
    ASSERT_TRUE(v.ok()) << v.error();
    EXPECT_EQ(v->affine_source, "sform");
    EXPECT_TRUE(v->notes.empty()) << notes_of(*v);
}

TEST(NiftiAffine, BadPixdimInThePixdimAffineIsOneMillimetreWithANote) {
    Nifti1 h;
    h.pixdim[1] = kNaN, h.pixdim[2] = 0, h.pixdim[3] = -2;
    auto v = decode(h.bytes());
    ASSERT_TRUE(v.ok()) << v.error();
    EXPECT_EQ(v->affine_source, "pixdim");
    EXPECT_EQ(v->spacing, (std::array<double, 3>{1, 1, 1}));
    EXPECT_TRUE(has_note(*v, "pixdim[1] is nan")) << notes_of(*v);
    EXPECT_TRUE(has_note(*v, "pixdim[2] is 0")) << notes_of(*v);
    EXPECT_TRUE(has_note(*v, "pixdim[3] is -2")) << notes_of(*v);
    EXPECT_TRUE(has_note(*v, "1 mm is used")) << notes_of(*v);
}

TEST(NiftiAffine, BadPixdimInTheQformIsOneMillimetreWithANote) {
    Nifti1 h;
    h.qform_code = 1;
    h.pixdim[1] = 2, h.pixdim[2] = kInf, h.pixdim[3] = 3;
    auto v = decode(h.bytes());
    ASSERT_TRUE(v.ok()) << v.error();
    EXPECT_EQ(v->affine_source, "qform");
    EXPECT_TRUE(has_note(*v, "pixdim[2] is inf")) << notes_of(*v);
    EXPECT_TRUE(all_finite(*v));
    EXPECT_EQ(v->spacing, (std::array<double, 3>{2, 1, 3}));
    const Volume lps = to_training_orientation(*v);
    EXPECT_EQ(lps.nx, 8);
    EXPECT_EQ(lps.nz, 4);
}

TEST(NiftiAffine, GoodPixdimGivesNoNote) {
    Nifti1 h;
    h.qform_code = 1;
    h.pixdim[1] = 0.9f, h.pixdim[2] = 1.1f, h.pixdim[3] = 2;
    auto v = decode(h.bytes());
    ASSERT_TRUE(v.ok()) << v.error();
    EXPECT_EQ(v->affine_source, "qform");
    EXPECT_TRUE(v->notes.empty()) << notes_of(*v);
}

// to_training_orientation on affines decode_nifti never makes: every axis still gets a place.
TEST(NiftiOrientation, NaNColumnKeepsItsAxis) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    // i to the left, j to posterior (already LPS), k's column unknown: kept as k, nothing moves.
    const Volume v = hand_volume(5, 6, 7, {{{-1, 0, 0, 0}, {0, -1, 0, 0}, {0, 0, nan, 0}, {0, 0, 0, 1}}});
    const Volume lps = to_training_orientation(v);
    ASSERT_EQ(lps.nx, 5);
    ASSERT_EQ(lps.ny, 6);
    ASSERT_EQ(lps.nz, 7);
    ASSERT_EQ(lps.voxels.size(), v.voxels.size());
    EXPECT_EQ(lps.voxels, v.voxels);
}

TEST(NiftiOrientation, NaNColumnAmongSwappedAxes) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    // i runs to posterior, j to the left: swapped into LPS; k's column unknown: kept as k.
    const Volume v = hand_volume(5, 6, 7, {{{0, -1, 0, 0}, {-1, 0, 0, 0}, {0, 0, nan, 0}, {0, 0, 0, 1}}});
    const Volume lps = to_training_orientation(v);
    ASSERT_EQ(lps.nx, 6);
    ASSERT_EQ(lps.ny, 5);
    ASSERT_EQ(lps.nz, 7);
    for (int k = 0; k < 7; ++k)
        for (int j = 0; j < 5; ++j)
            for (int i = 0; i < 6; ++i) ASSERT_EQ(lps.at(i, j, k), v.at(j, i, k)) << i << " " << j << " " << k;
}

TEST(NiftiOrientation, AllNaNAffineKeepsTheAxesInOrder) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    std::array<std::array<double, 4>, 4> a{};
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 4; ++c) a[r][c] = nan;
    a[3][3] = 1;
    const Volume v = hand_volume(3, 4, 5, a, {nan, 0, -1});
    const Volume lps = to_training_orientation(v);
    ASSERT_EQ(lps.nx, 3);
    ASSERT_EQ(lps.ny, 4);
    ASSERT_EQ(lps.nz, 5);
    ASSERT_EQ(lps.voxels.size(), v.voxels.size());
    // Each voxel axis stays in place; every voxel is still there exactly once.
    std::vector<double> a_sorted = v.voxels, b_sorted = lps.voxels;
    std::sort(a_sorted.begin(), a_sorted.end());
    std::sort(b_sorted.begin(), b_sorted.end());
    EXPECT_EQ(a_sorted, b_sorted);
    for (int k = 0; k < 5; ++k) EXPECT_EQ(int(lps.at(0, 0, k)) / 50, k);
}

TEST(NiftiOrientation, AllZeroAffineKeepsTheAxesInOrder) {
    const Volume v = hand_volume(3, 4, 5, {{{0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 1}}});
    const Volume lps = to_training_orientation(v);
    ASSERT_EQ(lps.nx, 3);
    ASSERT_EQ(lps.ny, 4);
    ASSERT_EQ(lps.nz, 5);
    for (int k = 0; k < 5; ++k)
        for (int j = 0; j < 4; ++j)
            for (int i = 0; i < 3; ++i) {
                const double x = lps.at(i, j, k);
                EXPECT_EQ(int(x) / 50, k);
                EXPECT_EQ(int(x) % 50 / 10 == j || int(x) % 50 / 10 == 3 - j, true);
                EXPECT_EQ(int(x) % 10 == i || int(x) % 10 == 2 - i, true);
            }
}

// --- 2. vox_offset outside the file or not a number ---------------------------------------------

TEST(NiftiVoxOffset, NaNIsReportedAsNaN) {
    Nifti1 h;
    h.vox_offset = kNaN;
    auto v = decode(h.bytes());
    ASSERT_FALSE(v.ok());
    EXPECT_HAS(v.error(), "the NIfTI header's vox_offset is nan");
    EXPECT_HAS(v.error(), "the file is damaged");
    EXPECT_LACKS(v.error(), "-1");
    EXPECT_EQ(v.error().find('\n'), std::string::npos);
}

TEST(NiftiVoxOffset, HugeIsReportedAsWritten) {
    Nifti1 h;
    h.vox_offset = 1e30f;
    const std::vector<uint8_t> bytes = h.bytes();
    auto v = decode(bytes);
    ASSERT_FALSE(v.ok());
    EXPECT_HAS(v.error(), "the NIfTI header's vox_offset is 1e+30");
    EXPECT_HAS(v.error(), "beyond the file (" + std::to_string(bytes.size()) + " bytes)");
    EXPECT_LACKS(v.error(), "-9223372036854775808");
}

TEST(NiftiVoxOffset, InfiniteAndNegativeAreReportedAsWritten) {
    Nifti1 h;
    h.vox_offset = kInf;
    auto v = decode(h.bytes());
    ASSERT_FALSE(v.ok());
    EXPECT_HAS(v.error(), "the NIfTI header's vox_offset is inf");
    h.vox_offset = -kInf;
    v = decode(h.bytes());
    ASSERT_FALSE(v.ok());
    EXPECT_HAS(v.error(), "the NIfTI header's vox_offset is -inf");
    h.vox_offset = -1e20f;
    v = decode(h.bytes());
    ASSERT_FALSE(v.ok());
    EXPECT_HAS(v.error(), "the NIfTI header's vox_offset is -1e+20");
    h.vox_offset = 100;
    v = decode(h.bytes());
    ASSERT_FALSE(v.ok());
    EXPECT_HAS(v.error(), "the NIfTI header's vox_offset is 100");
}

TEST(NiftiVoxOffset, InRangeStillReads) {
    Nifti1 h;
    h.vox_offset = 352;
    auto v = decode(h.bytes());
    ASSERT_TRUE(v.ok()) << v.error();
    EXPECT_EQ(v->at(3, 2, 1), 3 + 20 + 50);
}

// --- 3. Truncation: sizes that round to the same MB are given in bytes --------------------------

TEST(NiftiTruncated, SameMegabytesAreGivenInBytes) {
    Nifti1 h;
    h.dim[1] = 100, h.dim[2] = 100, h.dim[3] = 790;   // 7,900,000 voxel bytes
    auto v = decode(h.bytes(std::vector<uint8_t>(7500000, 1)));
    ASSERT_FALSE(v.ok());
    EXPECT_HAS(v.error(), "the NIfTI file is truncated: the header says 7900000 bytes of voxels from byte 352 "
                          "but the file has 7500000 bytes");
}

TEST(NiftiTruncated, DifferentMegabytesStayInMegabytes) {
    Nifti1 h;
    h.dim[1] = 100, h.dim[2] = 100, h.dim[3] = 800;   // 8,000,000 voxel bytes
    auto v = decode(h.bytes(std::vector<uint8_t>(3500000, 1)));
    ASSERT_FALSE(v.ok());
    EXPECT_HAS(v.error(), "the NIfTI file is truncated: the header says 8 MB of voxels from byte 352 "
                          "but the file has 3 MB");
}

// --- 4. A slice that cannot be resampled: the resize's own error ---------------------------------

TEST(NiftiSlab, ExtremeAnisotropyReportsTheResizeError) {
    std::array<std::array<double, 4>, 4> a{};
    a[0][0] = -1000, a[1][1] = -1, a[2][2] = 1, a[3][3] = 1;
    Volume v = hand_volume(16, 16, 4, a, {1000, 1, 1});
    for (double& x : v.voxels) x = 200;   // all foreground
    auto slab = axial_slab(v);
    ASSERT_FALSE(slab.ok()) << "slab of " << slab->images.size() << " images, first "
                            << (slab->images.empty() ? 0 : slab->images[0].width) << " wide";
    EXPECT_HAS(slab.error(), "axial slice 0");
    EXPECT_HAS(slab.error(), "resize target 16000x16 is invalid");
    EXPECT_LACKS(slab.error(), "0x0");
}

TEST(NiftiSlab, ExtremeAnisotropyFromTheFile) {
    Nifti1 h;
    h.dim[1] = 16, h.dim[2] = 16, h.dim[3] = 4;
    h.pixdim[1] = 1, h.pixdim[2] = 1000, h.pixdim[3] = 1;
    auto v = decode(h.bytes(std::vector<uint8_t>(16 * 16 * 4, 200)));
    ASSERT_TRUE(v.ok()) << v.error();
    auto slab = axial_slab(to_training_orientation(*v));
    ASSERT_FALSE(slab.ok());
    EXPECT_HAS(slab.error(), "axial slice 0");
    EXPECT_HAS(slab.error(), "resize target 16x16000 is invalid");
}

TEST(NiftiSlab, UnboundedAnisotropyIsAnErrorNotAnOverflow) {
    std::array<std::array<double, 4>, 4> a{};
    a[0][0] = -1e300, a[1][1] = -1e-300, a[2][2] = 1, a[3][3] = 1;
    Volume v = hand_volume(16, 16, 4, a, {1e300, 1e-300, 1});
    for (double& x : v.voxels) x = 200;
    auto slab = axial_slab(v);
    ASSERT_FALSE(slab.ok());
    EXPECT_HAS(slab.error(), "axial slice 0");
    EXPECT_HAS(slab.error(), "resize target");
}

TEST(NiftiSlab, NonFiniteInPlaneSpacingIsRefused) {
    std::array<std::array<double, 4>, 4> a{};
    a[0][0] = -1, a[1][1] = -1, a[2][2] = 1, a[3][3] = 1;
    Volume v = hand_volume(16, 16, 4, a, {std::numeric_limits<double>::quiet_NaN(), 1, 1});
    for (double& x : v.voxels) x = 200;
    auto slab = axial_slab(v);
    ASSERT_FALSE(slab.ok());
    EXPECT_HAS(slab.error(), "the volume's in-plane voxel sizes are nan x 1 mm");
}

TEST(NiftiSlab, ModestAnisotropyStillResamples) {
    std::array<std::array<double, 4>, 4> a{};
    a[0][0] = -2, a[1][1] = -1, a[2][2] = 1, a[3][3] = 1;
    Volume v = hand_volume(16, 16, 4, a, {2, 1, 1});
    for (double& x : v.voxels) x = 200;
    auto slab = axial_slab(v);
    ASSERT_TRUE(slab.ok()) << slab.error();
    ASSERT_EQ(slab->images.size(), 4u);
    EXPECT_EQ(slab->images[0].width, 32);
    EXPECT_EQ(slab->images[0].height, 16);
}
