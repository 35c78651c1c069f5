// shared/'s volume_bytes.h and encode_nifti2: gzip inflated with a limit and zlib's reason for a
// damaged stream, the decoder chosen by the file name, an Analyze file without its partner, and a
// volume carried through NIfTI-2 bytes unchanged. The gzip streams are written here with zlib's
// own deflate (an independent encoder); expected values are written out by hand.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <zlib.h>

#include "alzscan/nifti.h"
#include "alzscan/volume_bytes.h"

using namespace alzscan;

namespace {

// `data` as one gzip member (zlib's deflate with the gzip wrapper, windowBits 15 + 16).
std::vector<uint8_t> gzip(const std::vector<uint8_t>& data) {
    z_stream z{};
    EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::vector<uint8_t> out(deflateBound(&z, data.size()) + 32);
    z.next_in = const_cast<Bytef*>(data.data());
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

// A 3x2x2 volume with a sheared, shifted affine.
Volume small_volume(const std::string& datatype, std::vector<double> voxels) {
    Volume v;
    v.nx = 3, v.ny = 2, v.nz = 2;
    v.datatype = datatype;
    v.voxels = std::move(voxels);
    v.affine = {{{-0.9, 0.1, 0.0, 90.25}, {0.0, 1.1, 0.2, -126.5}, {0.05, 0.0, 3.0, -72.125}, {0, 0, 0, 1}}};
    for (int c = 0; c < 3; ++c)
        v.spacing[c] = std::sqrt(v.affine[0][c] * v.affine[0][c] + v.affine[1][c] * v.affine[1][c] + v.affine[2][c] * v.affine[2][c]);
    return v;
}

void expect_same(const Volume& a, const Volume& b) {
    EXPECT_EQ(a.nx, b.nx);
    EXPECT_EQ(a.ny, b.ny);
    EXPECT_EQ(a.nz, b.nz);
    EXPECT_EQ(a.voxels, b.voxels);
    EXPECT_EQ(a.affine, b.affine);
    EXPECT_EQ(a.spacing, b.spacing);
}

}  // namespace

TEST(Gunzip, InflatesOneAndSeveralMembers) {
    const std::vector<uint8_t> a = {'a', 'b', 'c'}, b(5000, 'x');
    std::vector<uint8_t> two = gzip(a);
    const std::vector<uint8_t> second = gzip(b);
    two.insert(two.end(), second.begin(), second.end());
    auto out = gunzip(two.data(), two.size(), 1 << 20, ".nii.gz");
    ASSERT_TRUE(out) << out.error();
    std::vector<uint8_t> want = a;
    want.insert(want.end(), b.begin(), b.end());
    EXPECT_EQ(std::vector<uint8_t>(out->data.get(), out->data.get() + out->size), want);
}

TEST(Gunzip, StopsAtTheLimitWithTheMessage) {
    const std::vector<uint8_t> zeros(3 << 20, 0);   // 3 MiB
    auto z = gzip(zeros);
    auto out = gunzip(z.data(), z.size(), 2 << 20, ".mgz");
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error(), "the .mgz inflates to more than 2 MiB: too large a volume");
    // Two members, the last of 100 bytes: the trailer claims 100 bytes, the buffer has to grow,
    // and the limit still stops it; under a larger limit every byte arrives.
    const std::vector<uint8_t> tail(100, 9);
    const auto last = gzip(tail);
    z.insert(z.end(), last.begin(), last.end());
    out = gunzip(z.data(), z.size(), 2 << 20, ".mgz");
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error(), "the .mgz inflates to more than 2 MiB: too large a volume");
    out = gunzip(z.data(), z.size(), 4 << 20, ".mgz");
    ASSERT_TRUE(out) << out.error();
    std::vector<uint8_t> want = zeros;
    want.insert(want.end(), tail.begin(), tail.end());
    EXPECT_EQ(std::vector<uint8_t>(out->data.get(), out->data.get() + out->size), want);
}

TEST(Gunzip, NamesZlibsReasonForATruncatedOrDamagedStream) {
    std::vector<uint8_t> z = gzip(std::vector<uint8_t>(100000, 7));
    const std::vector<uint8_t> cut(z.begin(), z.begin() + z.size() / 2);
    auto out = gunzip(cut.data(), cut.size(), 1 << 20, ".nii.gz");
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error(), "the .nii.gz is damaged or truncated (zlib: unexpected end of data); re-export or re-download the volume");
    z[10] = 0xff;   // the first deflate block's header: BTYPE 11 is invalid
    z[11] = 0xff;
    out = gunzip(z.data(), z.size(), 1 << 20, ".nii.gz");
    ASSERT_FALSE(out);
    EXPECT_NE(out.error().find("the .nii.gz is damaged or truncated (zlib: invalid"), std::string::npos) << out.error();
}

TEST(VolumeFile, NamesChooseTheDecoder) {
    EXPECT_TRUE(is_volume_name("a.NII.GZ"));
    EXPECT_TRUE(is_volume_name("b.mgz"));
    EXPECT_TRUE(is_volume_name("c.Img"));
    EXPECT_FALSE(is_volume_name("d.png"));
    EXPECT_TRUE(is_analyze_name("x.HDR"));
    EXPECT_FALSE(is_analyze_name("x.nii"));
    const std::vector<uint8_t> junk(400, 0);
    // An MGH name goes to the MGH decoder, others to NIfTI's: their first words differ.
    auto mgh = decode_volume_file("brain.mgh", junk.data(), junk.size());
    ASSERT_FALSE(mgh);
    EXPECT_EQ(mgh.error().rfind("the MGH header's version is 0", 0), 0u) << mgh.error();
    auto nii = decode_volume_file("brain.nii", junk.data(), junk.size());
    ASSERT_FALSE(nii);
    EXPECT_EQ(nii.error(), "not a NIfTI file (sizeof_hdr is 0, expected 348 or 540)");
    const auto z = gzip(junk);
    auto nii_gz = decode_volume_file("brain.nii.gz", z.data(), z.size());
    EXPECT_EQ(nii_gz.error(), "not a NIfTI file (sizeof_hdr is 0, expected 348 or 540)");
}

TEST(VolumeFile, AnalyzeFileWithoutItsPartner) {
    const std::vector<uint8_t> hdr(348, 0);
    auto lone = decode_volume_file("lone.hdr", hdr.data(), hdr.size());
    ASSERT_FALSE(lone);
    EXPECT_EQ(lone.error(), "no .img file beside this .hdr (an Analyze volume is a .hdr + .img pair with the same name)");
    auto img = decode_volume_file("x.img", hdr.data(), hdr.size(), {"x.hdr", hdr.data(), hdr.size()});
    ASSERT_FALSE(img);
    EXPECT_EQ(img.error().rfind("with its .hdr file x.hdr: ", 0), 0u) << img.error();
}

TEST(EncodeNifti2, KeepsTheTypeWhenEveryVoxelFitsIt) {
    const Volume v = small_volume("int16", {-32768, -1, 0, 1, 2, 32767, 5, 6, 7, 8, 9, 10});
    const auto bytes = encode_nifti2(v);
    EXPECT_EQ(bytes.size(), 544u + 12 * 2);
    auto back = decode_nifti(bytes.data(), bytes.size());
    ASSERT_TRUE(back) << back.error();
    expect_same(*back, v);
    EXPECT_EQ(back->datatype, "int16");
    EXPECT_EQ(back->nifti_version, 2);
    EXPECT_EQ(back->affine_source, "sform");
}

TEST(EncodeNifti2, FallsBackToFloat64ForValuesTheTypeCannotHold) {
    // uint16 after a rescale of 0.5 and an intercept of -1024: fractions and negatives.
    const Volume v = small_volume("uint16", {-1024, -1023.5, 0.5, 1, 2, 3, 4, 5, 6, 7, 8, 1e6 + 0.25});
    const auto bytes = encode_nifti2(v);
    EXPECT_EQ(bytes.size(), 544u + 12 * 8);
    auto back = decode_nifti(bytes.data(), bytes.size());
    ASSERT_TRUE(back) << back.error();
    expect_same(*back, v);
    EXPECT_EQ(back->datatype, "float64");
    // float32 values that are not floats become float64 too; exact floats stay float32.
    const Volume f = small_volume("float32", {0.1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    EXPECT_EQ(decode_nifti(encode_nifti2(f).data(), encode_nifti2(f).size())->datatype, "float64");
    const Volume g = small_volume("float32", {0.5, 0.25, 0, 0, 0, 0, 0, 0, 0, 0, 0, -3});
    auto gb = decode_nifti(encode_nifti2(g).data(), encode_nifti2(g).size());
    EXPECT_EQ(gb->datatype, "float32");
    expect_same(*gb, g);
}

TEST(EncodeNifti2, HeaderFieldsAtNifti2Offsets) {
    const Volume v = small_volume("uint8", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255});
    const auto b = encode_nifti2(v);
    int32_t sizeof_hdr;
    int16_t datatype;
    int64_t dim1, vox_offset;
    double srow_x3;
    std::memcpy(&sizeof_hdr, b.data(), 4);
    std::memcpy(&datatype, b.data() + 12, 2);
    std::memcpy(&dim1, b.data() + 24, 8);
    std::memcpy(&vox_offset, b.data() + 168, 8);
    std::memcpy(&srow_x3, b.data() + 400 + 24, 8);
    EXPECT_EQ(sizeof_hdr, 540);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.data()) + 4, 3), "n+2");
    EXPECT_EQ(datatype, 2);   // NIfTI's DT_UINT8
    EXPECT_EQ(dim1, 3);
    EXPECT_EQ(vox_offset, 544);
    EXPECT_EQ(srow_x3, 90.25);
    EXPECT_EQ(b[544 + 11], 255);
}

namespace {

// A NIfTI-1 uint8 volume nx x ny x nz with voxel (i, j, k) = (i + 3 j + 5 k) % 251, 0.5 mm voxels
// and an origin of (-10, 20, 30) in the sform.
std::vector<uint8_t> nifti_u8(int nx, int ny, int nz) {
    std::vector<uint8_t> b(352 + size_t(nx) * ny * nz, 0);
    auto put16 = [&](size_t at, int16_t x) { std::memcpy(b.data() + at, &x, 2); };
    auto putf = [&](size_t at, float x) { std::memcpy(b.data() + at, &x, 4); };
    const int32_t sizeof_hdr = 348;
    std::memcpy(b.data(), &sizeof_hdr, 4);
    const int16_t dim[8] = {3, int16_t(nx), int16_t(ny), int16_t(nz), 1, 1, 1, 1};
    for (int i = 0; i < 8; ++i) put16(40 + 2 * i, dim[i]);
    put16(70, 2);
    put16(72, 8);
    for (int i = 0; i < 4; ++i) putf(76 + 4 * i, i == 0 ? 1.0f : 0.5f);
    putf(108, 352);
    put16(254, 1);   // sform_code
    const float srow[3][4] = {{0.5f, 0, 0, -10}, {0, 0.5f, 0, 20}, {0, 0, 0.5f, 30}};
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 4; ++c) putf(280 + 16 * r + 4 * c, srow[r][c]);
    std::memcpy(b.data() + 344, "n+1", 4);
    for (int k = 0; k < nz; ++k)
        for (int j = 0; j < ny; ++j)
            for (int i = 0; i < nx; ++i) b[352 + i + size_t(nx) * (j + size_t(ny) * k)] = uint8_t((i + 3 * j + 5 * k) % 251);
    return b;
}

double stored(int i, int j, int k) { return (i + 3 * j + 5 * k) % 251; }

}  // namespace

TEST(LargeVolume, AveragedInBlocksAsItIsRead) {
    // 515 x 260 x 130 = 17.4 M voxels, over 256^3: x by 3 (515 -> 171, the last 2 columns
    // dropped), y by 2 (260 -> 130), z left (130 <= 256).
    const auto bytes = nifti_u8(515, 260, 130);
    auto v = decode_nifti(bytes.data(), bytes.size());
    ASSERT_TRUE(v) << v.error();
    EXPECT_EQ(v->nx, 171);
    EXPECT_EQ(v->ny, 130);
    EXPECT_EQ(v->nz, 130);
    for (const auto& [i, j, k] : std::vector<std::array<int, 3>>{{0, 0, 0}, {170, 129, 129}, {57, 64, 3}}) {
        double sum = 0;
        for (int di = 0; di < 3; ++di)
            for (int dj = 0; dj < 2; ++dj) sum += stored(3 * i + di, 2 * j + dj, k);
        EXPECT_DOUBLE_EQ(v->at(i, j, k), sum / 6) << i << "," << j << "," << k;
    }
    // Voxel (0, 0, 0) sits at the centre of its block: stored voxel (1, 0.5, 0).
    EXPECT_DOUBLE_EQ(v->affine[0][0], 1.5);
    EXPECT_DOUBLE_EQ(v->affine[1][1], 1.0);
    EXPECT_DOUBLE_EQ(v->affine[2][2], 0.5);
    EXPECT_DOUBLE_EQ(v->affine[0][3], -10 + 0.5 * 1);
    EXPECT_DOUBLE_EQ(v->affine[1][3], 20 + 0.5 * 0.5);
    EXPECT_DOUBLE_EQ(v->affine[2][3], 30);
    EXPECT_DOUBLE_EQ(v->spacing[0], 1.5);
    ASSERT_FALSE(v->notes.empty());
    EXPECT_EQ(v->notes.back(), "515x260x130 voxels averaged in 3x2x1 blocks to 171x130x130 (alzscan works at about 1 mm; this bounds memory)");
}

TEST(LargeVolume, AverageLargeVolumeEqualsTheReader) {
    // The same stored voxels as a Volume decoded otherwise (as dicom/ has them): the same numbers.
    const auto bytes = nifti_u8(515, 260, 130);
    auto read = decode_nifti(bytes.data(), bytes.size());
    ASSERT_TRUE(read);
    Volume v;
    v.nx = 515, v.ny = 260, v.nz = 130;
    v.spacing = {0.5, 0.5, 0.5};
    v.affine = {{{0.5, 0, 0, -10}, {0, 0.5, 0, 20}, {0, 0, 0.5, 30}, {0, 0, 0, 1}}};
    v.voxels.resize(size_t(515) * 260 * 130);
    for (int k = 0; k < 130; ++k)
        for (int j = 0; j < 260; ++j)
            for (int i = 0; i < 515; ++i) v.voxels[i + size_t(515) * (j + size_t(260) * k)] = stored(i, j, k);
    const Volume a = average_large_volume(std::move(v));
    EXPECT_EQ(a.voxels, read->voxels);
    EXPECT_EQ(a.affine, read->affine);
    // At 256^3 voxels or fewer nothing changes.
    const auto small = nifti_u8(300, 20, 10);
    auto s = decode_nifti(small.data(), small.size());
    ASSERT_TRUE(s);
    EXPECT_EQ(s->nx, 300);
    EXPECT_DOUBLE_EQ(s->at(299, 19, 9), stored(299, 19, 9));
}
