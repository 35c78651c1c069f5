// NIfTI-1/-2 single-file volumes (see nifti.h). The header fields are read at their fixed offsets
// (NIfTI-1: nifti1.h of the NIfTI DFWG; NIfTI-2: nifti2.h), in the file's byte order.
#include "alzscan/nifti.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <utility>

#include "voxel_read.h"

namespace alzscan {
namespace {

using detail::number;
using detail::Reader;

using Affine = std::array<std::array<double, 4>, 4>;

struct Header {
    int version = 1;
    int64_t dim[8] = {};
    double pixdim[8] = {};
    int datatype = 0;
    double vox_offset = 0;           // as written: any float (NIfTI-1), an integer (NIfTI-2)
    std::string vox_offset_text;     // the same, for messages
    double slope = 0, inter = 0;
    int qform_code = 0, sform_code = 0;
    double quatern[3] = {}, qoffset[3] = {};
    double srow[3][4] = {};
};

Header read_header(const Reader& r, int version) {
    Header h;
    h.version = version;
    if (version == 1) {
        for (int i = 0; i < 8; ++i) h.dim[i] = r.get<int16_t>(40 + 2 * i);
        h.datatype = r.get<int16_t>(70);
        for (int i = 0; i < 8; ++i) h.pixdim[i] = r.get<float>(76 + 4 * i);
        h.vox_offset = r.get<float>(108);
        h.vox_offset_text = number(h.vox_offset);
        h.slope = r.get<float>(112), h.inter = r.get<float>(116);
        h.qform_code = r.get<int16_t>(252), h.sform_code = r.get<int16_t>(254);
        for (int i = 0; i < 3; ++i) h.quatern[i] = r.get<float>(256 + 4 * i), h.qoffset[i] = r.get<float>(268 + 4 * i);
        for (int row = 0; row < 3; ++row)
            for (int c = 0; c < 4; ++c) h.srow[row][c] = r.get<float>(280 + 16 * row + 4 * c);
    } else {
        h.datatype = r.get<int16_t>(12);
        for (int i = 0; i < 8; ++i) h.dim[i] = r.get<int64_t>(16 + 8 * i);
        for (int i = 0; i < 8; ++i) h.pixdim[i] = r.get<double>(104 + 8 * i);
        const int64_t vox = r.get<int64_t>(168);
        h.vox_offset = static_cast<double>(vox);
        h.vox_offset_text = std::to_string(vox);
        h.slope = r.get<double>(176), h.inter = r.get<double>(184);
        h.qform_code = r.get<int32_t>(344), h.sform_code = r.get<int32_t>(348);
        for (int i = 0; i < 3; ++i) h.quatern[i] = r.get<double>(352 + 8 * i), h.qoffset[i] = r.get<double>(376 + 8 * i);
        for (int row = 0; row < 3; ++row)
            for (int c = 0; c < 4; ++c) h.srow[row][c] = r.get<double>(400 + 32 * row + 8 * c);
    }
    return h;
}

// The quaternion form of nifti1.h: rotation from (b, c, d), a = sqrt(1 - b^2 - c^2 - d^2),
// columns scaled by the voxel sizes, the third by qfac = pixdim[0] (-1 or 1).
Affine qform_affine(const Header& h, const std::array<double, 3>& size) {
    const double b = h.quatern[0], c = h.quatern[1], d = h.quatern[2];
    const double a = std::sqrt(std::max(0.0, 1.0 - (b * b + c * c + d * d)));
    const double R[3][3] = {{a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)},
                            {2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)},
                            {2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b}};
    const double qfac = h.pixdim[0] < 0 ? -1.0 : 1.0;
    const double scale[3] = {size[0], size[1], qfac * size[2]};
    Affine m{};
    m[3][3] = 1;
    for (int row = 0; row < 3; ++row) {
        for (int col = 0; col < 3; ++col) m[row][col] = R[row][col] * scale[col];
        m[row][3] = h.qoffset[row];
    }
    return m;
}

// pixdim[1..3] as voxel sizes; a non-finite or non-positive one is taken as 1 mm, said in `notes`
// when given.
std::array<double, 3> voxel_sizes(const Header& h, std::vector<std::string>* notes) {
    std::array<double, 3> size{};
    for (int i = 0; i < 3; ++i) {
        const double p = h.pixdim[i + 1];
        size[i] = std::isfinite(p) && p > 0 ? p : 1.0;
        if (notes && !(size[i] == p))
            notes->push_back("the NIfTI header's pixdim[" + std::to_string(i + 1) + "] is " + number(p) +
                             ", not a voxel size: 1 mm is used");
    }
    return size;
}

bool finite_affine(const Affine& m) {
    for (int row = 0; row < 3; ++row)
        for (int c = 0; c < 4; ++c)
            if (!std::isfinite(m[row][c])) return false;
    return true;
}

// Length of an affine column; entries past 1e154 (NIfTI-2 doubles) would overflow the squares,
// so those are scaled first.
double column_length(const Affine& m, int col) {
    const double x = m[0][col], y = m[1][col], z = m[2][col];
    const double len = std::sqrt(x * x + y * y + z * z);
    if (std::isfinite(len)) return len;
    const double big = std::max({std::abs(x), std::abs(y), std::abs(z)});
    return big * std::sqrt((x / big) * (x / big) + (y / big) * (y / big) + (z / big) * (z / big));
}

// The sform when its code is set and every entry is finite, else the qform likewise, else the
// pixdim affine; a form passed over for a non-finite entry is said in `notes`, and so is a
// pixdim the chosen form scales by that is not a voxel size.
void set_affine(const Header& h, Volume& v) {
    Affine sform{};
    sform[3][3] = 1;
    for (int row = 0; row < 3; ++row)
        for (int c = 0; c < 4; ++c) sform[row][c] = h.srow[row][c];
    const Affine qform = qform_affine(h, voxel_sizes(h, nullptr));
    const bool sform_bad = h.sform_code > 0 && !finite_affine(sform);
    const bool qform_bad = (h.sform_code <= 0 || sform_bad) && h.qform_code > 0 && !finite_affine(qform);
    if (h.sform_code > 0 && !sform_bad) {
        v.affine_source = "sform";
        v.affine = sform;
    } else if (h.qform_code > 0 && !qform_bad) {
        v.affine_source = "qform";
        v.affine = qform_affine(h, voxel_sizes(h, &v.notes));
    } else {
        v.affine_source = "pixdim";   // Analyze's convention, as nibabel: x runs to the patient's left
        const std::array<double, 3> size = voxel_sizes(h, &v.notes);
        v.affine = {};
        v.affine[3][3] = 1;
        for (int i = 0; i < 3; ++i) v.affine[i][i] = size[i];
        v.affine[0][0] = -v.affine[0][0];
    }
    const std::string used = v.affine_source == "qform" ? "the qform is used" : "the pixdim affine is used";
    if (sform_bad && qform_bad)
        v.notes.push_back("the sform and the qform hold non-finite values: " + used);
    else if (sform_bad || qform_bad)
        v.notes.push_back(std::string(sform_bad ? "the sform" : "the qform") + " holds a non-finite value: " + used);
    for (int col = 0; col < 3; ++col) {
        const double len = column_length(v.affine, col);
        v.spacing[col] = std::isfinite(len) && len > 0 ? len : 1.0;
    }
}

// The voxel block's first byte. vox_offset is compared as the double it was written as, so a NaN
// or one beyond int64 is reported as itself, and only an offset inside the file is converted.
Expected<uint64_t> voxel_offset(const Header& h, size_t file_size) {
    const size_t header_size = h.version == 1 ? 348 : 540;
    if (std::isnan(h.vox_offset))
        return make_error("the NIfTI header's vox_offset is nan, not a byte offset: the file is damaged");
    if (h.vox_offset > static_cast<double>(file_size))
        return make_error("the NIfTI header's vox_offset is " + h.vox_offset_text + ", beyond the file (" +
                          std::to_string(file_size) + " bytes): the file is damaged or truncated");
    if (h.vox_offset < static_cast<double>(header_size))
        return make_error("the NIfTI header's vox_offset is " + h.vox_offset_text + " (expected " +
                          std::to_string(header_size) + ".." + std::to_string(file_size) +
                          " for this file): the file is damaged, or its .img is separate (give a single .nii)");
    return static_cast<uint64_t>(h.vox_offset);
}

// Dimensions, datatype and the voxel block's place; fills v's sizes, type and notes.
Expected<size_t> check_header(const Header& h, size_t file_size, Volume& v, const detail::VoxelType*& type) {
    if (h.dim[0] < 1 || h.dim[0] > 7)
        return make_error("the NIfTI header's dim[0] is " + std::to_string(h.dim[0]) + " (expected 1..7 dimensions)");
    int64_t extra = 1;
    for (int i = 1; i <= h.dim[0]; ++i) {
        if (h.dim[i] < 1 || h.dim[i] > 65535)
            return make_error("the NIfTI header's dim[" + std::to_string(i) + "] is " + std::to_string(h.dim[i]) +
                              " (expected 1..65535)");
        if (i > 3) extra *= h.dim[i];
    }
    v.nx = static_cast<int>(h.dim[1]);
    v.ny = h.dim[0] >= 2 ? static_cast<int>(h.dim[2]) : 1;
    v.nz = h.dim[0] >= 3 ? static_cast<int>(h.dim[3]) : 1;
    const int64_t count = int64_t(v.nx) * v.ny * v.nz;
    if (count > kMaxVoxels)
        return make_error("the NIfTI volume is " + std::to_string(v.nx) + "x" + std::to_string(v.ny) + "x" +
                          std::to_string(v.nz) + " voxels, more than alzscan reads (" + std::to_string(kMaxVoxels) +
                          "); crop or downsample it first");
    if (extra > 1) v.notes.push_back(std::to_string(h.dim[0]) + "-D file (" + std::to_string(extra) +
                                     " volumes): the first volume is used");
    type = detail::voxel_type(h.datatype);
    if (!type)
        return make_error("the NIfTI datatype " + std::to_string(h.datatype) +
                          " is not supported (alzscan reads uint8, int8, int16, uint16, int32, uint32, float32, "
                          "float64): convert the volume to one of these");
    const auto offset = voxel_offset(h, file_size);
    if (!offset) return make_error(offset.error());
    const uint64_t need = uint64_t(count) * type->bytes;
    const uint64_t have = uint64_t(file_size) - *offset;
    if (need > have) return make_error(detail::truncated_message("NIfTI", need, *offset, have));
    return static_cast<size_t>(*offset);
}

}  // namespace

Expected<Volume> decode_nifti(const uint8_t* data, size_t size) {
    if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b)
        return make_error("this is a gzip file: inflate the .nii.gz first (alzscan's readers do)");
    if (size < 348) return make_error("not a NIfTI file (" + std::to_string(size) + " bytes, shorter than a NIfTI-1 header)");
    Reader r{data, size, false};
    int32_t sizeof_hdr = r.get<int32_t>(0);
    if (sizeof_hdr != 348 && sizeof_hdr != 540) {
        r.swap = true;
        sizeof_hdr = r.get<int32_t>(0);
    }
    if (sizeof_hdr != 348 && sizeof_hdr != 540) {
        r.swap = false;
        return make_error("not a NIfTI file (sizeof_hdr is " + std::to_string(r.get<int32_t>(0)) + ", expected 348 or 540)");
    }
    const int version = sizeof_hdr == 348 ? 1 : 2;
    if (version == 2 && size < 540) return make_error("the NIfTI-2 header is truncated (" + std::to_string(size) + " bytes of 540)");
    const char* magic = reinterpret_cast<const char*>(data) + (version == 1 ? 344 : 4);
    if (std::memcmp(magic, version == 1 ? "n+1" : "n+2", 4) != 0)
        return make_error(std::string("the NIfTI header's magic is not \"") + (version == 1 ? "n+1" : "n+2") +
                          "\": a two-file .hdr/.img pair or a damaged file; give a single .nii or .nii.gz");
    const Header h = read_header(r, version);
    Volume v;
    v.nifti_version = version;
    const detail::VoxelType* type = nullptr;
    auto offset = check_header(h, size, v, type);
    if (!offset) return make_error(offset.error());
    v.datatype = type->name;
    const bool scaled = std::isfinite(h.slope) && h.slope != 0 && std::isfinite(h.inter) && !(h.slope == 1 && h.inter == 0);
    set_affine(h, v);   // before the voxels: a large volume's affine follows its blocks
    detail::read_volume_voxels(r, *type, *offset, v, scaled, h.slope, h.inter);
    return v;
}

Volume to_training_orientation(const Volume& v) {
    // axis_of[a] = world axis (0 R, 1 A, 2 S) of voxel axis a; sign_of[a] = +1 when it points to +world.
    int axis_of[3] = {-1, -1, -1}, sign_of[3] = {1, 1, 1};
    bool world_taken[3] = {false, false, false};
    for (int round = 0; round < 3; ++round) {   // greedy on the largest remaining |direction cosine|
        double best = -1;
        int ba = -1, bw = -1;
        for (int a = 0; a < 3; ++a)
            for (int w = 0; w < 3; ++w) {
                if (axis_of[a] >= 0 || world_taken[w]) continue;
                const double c = std::abs(v.affine[w][a]) / v.spacing[a];
                if (c > best) best = c, ba = a, bw = w;   // a NaN cosine never wins
            }
        if (ba < 0) break;
        axis_of[ba] = bw;
        sign_of[ba] = v.affine[bw][ba] < 0 ? -1 : 1;
        world_taken[bw] = true;
    }
    // Axes left with only NaN cosines: each keeps its own world axis when free (identity), else
    // takes the next free one (one is free per unassigned axis), so every target index has
    // exactly one source axis.
    for (int a = 0; a < 3; ++a) {
        if (axis_of[a] >= 0) continue;
        int w = a;
        while (world_taken[w]) w = (w + 1) % 3;
        axis_of[a] = w;
        sign_of[a] = v.affine[w][a] < 0 ? -1 : 1;
        world_taken[w] = true;
    }
    // Target index t (0: i to the left = -R, 1: j to posterior = -A, 2: k to superior = +S).
    const int want_sign[3] = {-1, -1, 1};
    int source_axis[3] = {0, 1, 2};
    bool flip[3] = {false, false, false};
    for (int a = 0; a < 3; ++a) {
        source_axis[axis_of[a]] = a;
        flip[axis_of[a]] = sign_of[a] != want_sign[axis_of[a]];
    }
    const int dims[3] = {v.nx, v.ny, v.nz};
    Volume out = v;
    out.nx = dims[source_axis[0]], out.ny = dims[source_axis[1]], out.nz = dims[source_axis[2]];
    for (int t = 0; t < 3; ++t) out.spacing[t] = v.spacing[source_axis[t]];
    for (int k = 0; k < out.nz; ++k)
        for (int j = 0; j < out.ny; ++j)
            for (int i = 0; i < out.nx; ++i) {
                const int idx[3] = {i, j, k};
                int src[3];
                for (int t = 0; t < 3; ++t) src[source_axis[t]] = flip[t] ? dims[source_axis[t]] - 1 - idx[t] : idx[t];
                out.voxels[size_t(i) + size_t(out.nx) * (j + size_t(out.ny) * k)] = v.at(src[0], src[1], src[2]);
            }
    // The new voxel -> world map: column t is +-(old column source_axis[t]), origin at the flipped corner.
    for (int t = 0; t < 3; ++t) {
        const int a = source_axis[t];
        for (int w = 0; w < 3; ++w) out.affine[w][t] = flip[t] ? -v.affine[w][a] : v.affine[w][a];
    }
    for (int w = 0; w < 3; ++w) {
        double origin = v.affine[w][3];
        for (int t = 0; t < 3; ++t)
            if (flip[t]) origin += v.affine[w][source_axis[t]] * (dims[source_axis[t]] - 1);
        out.affine[w][3] = origin;
    }
    return out;
}

}  // namespace alzscan

namespace alzscan {
namespace {

// The volume's own type when every voxel is exactly a value of it, else float64: decode_nifti
// then gives back the same voxels and the same `datatype`.
const detail::VoxelType& exact_type(const Volume& v) {
    static const std::pair<double, double> ranges[] = {{0, 255}, {-128, 127}, {-32768, 32767}, {0, 65535},
                                                       {-2147483648.0, 2147483647.0}, {0, 4294967295.0}};
    for (size_t t = 0; t < std::size(detail::kVoxelTypes); ++t) {
        const detail::VoxelType& type = detail::kVoxelTypes[t];
        if (v.datatype != type.name) continue;
        if (type.code == 64) return type;
        const bool fits = std::all_of(v.voxels.begin(), v.voxels.end(), [&](double x) {
            if (type.code == 16) return std::isfinite(x) ? double(float(x)) == x : true;
            return x == std::floor(x) && x >= ranges[t].first && x <= ranges[t].second;
        });
        if (fits) return type;
    }
    return *detail::voxel_type(64);
}

template <typename T>
void put(std::vector<uint8_t>& out, size_t offset, T value) {
    std::memcpy(out.data() + offset, &value, sizeof(T));   // host order: sizeof_hdr tells a reader which
}

void put_voxel(std::vector<uint8_t>& out, size_t offset, int code, double x) {
    switch (code) {
        case 2: out[offset] = static_cast<uint8_t>(x); break;
        case 256: put(out, offset, static_cast<int8_t>(x)); break;
        case 4: put(out, offset, static_cast<int16_t>(x)); break;
        case 512: put(out, offset, static_cast<uint16_t>(x)); break;
        case 8: put(out, offset, static_cast<int32_t>(x)); break;
        case 768: put(out, offset, static_cast<uint32_t>(x)); break;
        case 16: put(out, offset, static_cast<float>(x)); break;
        default: put(out, offset, x);
    }
}

}  // namespace

Volume average_large_volume(Volume v) {
    const std::vector<double> stored = std::move(v.voxels);
    detail::fill_voxels(v, [&](size_t n) { return stored[n]; });
    return v;
}

std::vector<uint8_t> encode_nifti2(const Volume& v) {
    const detail::VoxelType& type = exact_type(v);
    const size_t offset = 544;   // the 540-byte header and 4 bytes of "no extension"
    std::vector<uint8_t> out(offset + v.voxels.size() * type.bytes, 0);
    put<int32_t>(out, 0, 540);
    std::memcpy(out.data() + 4, "n+2\0\r\n\032\n", 8);
    put<int16_t>(out, 12, static_cast<int16_t>(type.code));
    put<int16_t>(out, 14, static_cast<int16_t>(type.bytes * 8));
    const int64_t dim[8] = {3, v.nx, v.ny, v.nz, 1, 1, 1, 1};
    for (int i = 0; i < 8; ++i) put<int64_t>(out, 16 + 8 * i, dim[i]);
    const double pixdim[8] = {1, v.spacing[0], v.spacing[1], v.spacing[2], 1, 1, 1, 1};
    for (int i = 0; i < 8; ++i) put<double>(out, 104 + 8 * i, pixdim[i]);
    put<int64_t>(out, 168, static_cast<int64_t>(offset));
    put<double>(out, 176, 1.0);   // scl_slope 1, scl_inter 0: the values as stored
    put<int32_t>(out, 348, 1);    // sform_code 1: scanner coordinates
    for (int row = 0; row < 3; ++row)
        for (int c = 0; c < 4; ++c) put<double>(out, 400 + 32 * row + 8 * c, v.affine[row][c]);
    put<int32_t>(out, 500, 2);    // xyzt_units: mm
    for (size_t n = 0; n < v.voxels.size(); ++n) put_voxel(out, offset + n * type.bytes, type.code, v.voxels[n]);
    return out;
}

}  // namespace alzscan
