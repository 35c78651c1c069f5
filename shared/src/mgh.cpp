// FreeSurfer MGH volumes (see mgh.h). The header is read at its fixed offsets (FreeSurfer's
// mghRead; nibabel's freesurfer/mghformat.py), big-endian.
#include "alzscan/mgh.h"

#include <cmath>
#include <string>

#include "voxel_read.h"

namespace alzscan {
namespace {

constexpr size_t kHeaderBytes = 284;

// MGH type code -> the NIfTI-1 code voxel_read.h reads.
int nifti_code(int32_t mgh_type) {
    switch (mgh_type) {
        case 0: return 2;    // MRI_UCHAR
        case 1: return 8;    // MRI_INT
        case 3: return 16;   // MRI_FLOAT
        case 4: return 4;    // MRI_SHORT
        default: return 0;
    }
}

// width, height, depth, nframes: each at least 1, the first three's product at most kMaxVoxels,
// checked one factor at a time so no product overflows. Fills v.nx, ny, nz and the 4-D note.
Expected<int64_t> check_dims(const detail::Reader& r, Volume& v) {
    const char* names[4] = {"width", "height", "depth", "nframes"};
    int32_t dims[4];
    for (int i = 0; i < 4; ++i) {
        dims[i] = r.get<int32_t>(4 + 4 * i);
        if (dims[i] < 1)
            return make_error("the MGH header's " + std::string(names[i]) + " is " + std::to_string(dims[i]) +
                              " (expected 1 or more): the file is damaged");
    }
    int64_t count = 1;
    for (int i = 0; i < 3; ++i) {
        count *= dims[i];   // at most kMaxVoxels * INT32_MAX: no overflow
        if (count > kMaxVoxels)
            return make_error("the MGH volume is " + std::to_string(dims[0]) + "x" + std::to_string(dims[1]) + "x" +
                              std::to_string(dims[2]) + " voxels, more than alzscan reads (" +
                              std::to_string(kMaxVoxels) + "); crop or downsample it first");
    }
    v.nx = dims[0], v.ny = dims[1], v.nz = dims[2];
    if (dims[3] > 1)
        v.notes.push_back("4-D file (" + std::to_string(dims[3]) + " frames): the first frame is used");
    return count;
}

// FreeSurfer's default coronal orientation (setDirectionCosine MRI_CORONAL): x to the left,
// y down, z forward, 1 mm voxels, centre at 0.
void default_orientation(double size[3], double dir[3][3], double centre[3]) {
    const double lia[3][3] = {{-1, 0, 0}, {0, 0, -1}, {0, 1, 0}};
    for (int j = 0; j < 3; ++j) {
        size[j] = 1, centre[j] = 0;
        for (int w = 0; w < 3; ++w) dir[j][w] = lia[j][w];
    }
}

bool finite_affine(const Volume& v) {
    for (int row = 0; row < 3; ++row)
        for (int c = 0; c < 4; ++c)
            if (!std::isfinite(v.affine[row][c])) return false;
    return true;
}

// affine = [dir * size | centre - dir * size * dims / 2], as nibabel's MGHHeader.get_affine().
void fill_affine(Volume& v, const double size[3], const double dir[3][3], const double centre[3]) {
    const double half[3] = {v.nx / 2.0, v.ny / 2.0, v.nz / 2.0};
    v.affine = {};
    v.affine[3][3] = 1;
    for (int w = 0; w < 3; ++w) {
        double origin = centre[w];
        for (int j = 0; j < 3; ++j) {
            v.affine[w][j] = dir[j][w] * size[j];
            origin -= v.affine[w][j] * half[j];
        }
        v.affine[w][3] = origin;
    }
}

// The vox2ras affine from goodRASflag, the sizes, direction cosines and c_ras (mgh.h); fills
// v.affine, v.spacing and the notes.
void set_affine(const detail::Reader& r, Volume& v) {
    double size[3], dir[3][3], centre[3];   // dir[j] = voxel axis j's direction (R, A, S)
    const int16_t good_ras = r.get<int16_t>(28);
    const std::string fallback = "FreeSurfer's default coronal orientation is used (1 mm voxels, LIA, centre at 0)";
    if (good_ras > 0) {
        const char* axis = "xyz";
        for (int j = 0; j < 3; ++j) {
            const double s = r.get<float>(30 + 4 * j);
            size[j] = std::isfinite(s) && s > 0 ? s : 1.0;
            if (!(size[j] == s))
                v.notes.push_back("the MGH header's " + std::string(1, axis[j]) + "size is " + detail::number(s) +
                                  ", not a voxel size: 1 mm is used");
            for (int w = 0; w < 3; ++w) dir[j][w] = r.get<float>(42 + 12 * j + 4 * w);
            centre[j] = r.get<float>(78 + 4 * j);
        }
    } else {
        default_orientation(size, dir, centre);
        v.notes.push_back("the MGH header stores no orientation (goodRASflag " + std::to_string(good_ras) + "): " + fallback);
    }
    fill_affine(v, size, dir, centre);
    if (!finite_affine(v)) {
        default_orientation(size, dir, centre);
        fill_affine(v, size, dir, centre);
        v.notes.push_back("the MGH header's orientation holds a non-finite value: " + fallback);
    }
    for (int j = 0; j < 3; ++j) {
        const double len = std::sqrt(v.affine[0][j] * v.affine[0][j] + v.affine[1][j] * v.affine[1][j] +
                                     v.affine[2][j] * v.affine[2][j]);
        v.spacing[j] = std::isfinite(len) && len > 0 ? len : 1.0;
    }
}

}  // namespace

Expected<Volume> decode_mgh(const uint8_t* data, size_t size) {
    if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b)
        return make_error("this is a gzip file: inflate the .mgz first (alzscan's readers do)");
    if (size < kHeaderBytes)
        return make_error("not an MGH file (" + std::to_string(size) + " bytes, shorter than the 284-byte MGH header)");
    const detail::Reader r{data, size, !detail::host_is_big_endian()};
    const int32_t version = r.get<int32_t>(0);
    if (version != 1)
        return make_error("the MGH header's version is " + std::to_string(version) +
                          " (expected 1): not an MGH file, or a damaged one");
    Volume v;
    v.nifti_version = 0;
    v.affine_source = "mgh";
    const auto count = check_dims(r, v);
    if (!count) return make_error(count.error());
    const int32_t mgh_type = r.get<int32_t>(20);
    const detail::VoxelType* type = detail::voxel_type(nifti_code(mgh_type));
    if (!type)
        return make_error("the MGH data type " + std::to_string(mgh_type) +
                          " is not supported (alzscan reads 0 uchar, 1 int, 3 float, 4 short): convert the volume "
                          "to one of these, e.g. mri_convert -odt float");
    const uint64_t need = uint64_t(*count) * type->bytes;
    const uint64_t have = size - kHeaderBytes;
    if (need > have) return make_error(detail::truncated_message("MGH", need, kHeaderBytes, have));
    v.datatype = type->name;
    set_affine(r, v);   // before the voxels: a large volume's affine follows its blocks
    detail::read_volume_voxels(r, *type, kHeaderBytes, v);
    return v;
}

}  // namespace alzscan
