// Analyze 7.5 .hdr + .img volumes (see analyze.h). The header fields are read at their fixed
// offsets (the Mayo Clinic's dbh.h; nibabel's analyze.py), in the header's byte order, which the
// .img shares.
#include "alzscan/analyze.h"

#include <cmath>
#include <cstring>
#include <string>

#include "voxel_read.h"

namespace alzscan {
namespace {

constexpr size_t kHeaderBytes = 348;

struct Header {
    int16_t dim[8] = {};
    double pixdim[8] = {};
    int16_t datatype = 0;
    double vox_offset = 0;
};

Header read_header(const detail::Reader& r) {
    Header h;
    for (int i = 0; i < 8; ++i) h.dim[i] = r.get<int16_t>(40 + 2 * i);
    h.datatype = r.get<int16_t>(70);
    for (int i = 0; i < 8; ++i) h.pixdim[i] = r.get<float>(76 + 4 * i);
    h.vox_offset = r.get<float>(108);
    return h;
}

// Dimensions (each checked, their product <= kMaxVoxels) into v; the 4-D note.
Expected<int64_t> check_dims(const Header& h, Volume& v) {
    if (h.dim[0] < 1 || h.dim[0] > 7)
        return make_error("the Analyze header's dim[0] is " + std::to_string(h.dim[0]) + " (expected 1..7 dimensions)");
    int64_t extra = 1;
    for (int i = 1; i <= h.dim[0]; ++i) {
        if (h.dim[i] < 1)
            return make_error("the Analyze header's dim[" + std::to_string(i) + "] is " + std::to_string(h.dim[i]) +
                              " (expected 1 or more): the file is damaged");
        if (i > 3) extra *= h.dim[i];
    }
    v.nx = h.dim[1];
    v.ny = h.dim[0] >= 2 ? h.dim[2] : 1;
    v.nz = h.dim[0] >= 3 ? h.dim[3] : 1;
    const int64_t count = int64_t(v.nx) * v.ny * v.nz;
    if (count > kMaxVoxels)
        return make_error("the Analyze volume is " + std::to_string(v.nx) + "x" + std::to_string(v.ny) + "x" +
                          std::to_string(v.nz) + " voxels, more than alzscan reads (" + std::to_string(kMaxVoxels) +
                          "); crop or downsample it first");
    if (extra > 1)
        v.notes.push_back(std::to_string(h.dim[0]) + "-D file (" + std::to_string(extra) + " volumes): the first volume is used");
    return count;
}

// The voxel block's first byte in the .img: int(vox_offset), as nibabel's get_data_offset.
Expected<uint64_t> voxel_offset(const Header& h, size_t img_size) {
    if (!(h.vox_offset >= 0))
        return make_error("the Analyze header's vox_offset is " + detail::number(h.vox_offset) +
                          ", not a byte offset: the file is damaged");
    if (h.vox_offset > static_cast<double>(img_size))
        return make_error("the Analyze header's vox_offset is " + detail::number(h.vox_offset) + ", beyond the .img (" +
                          std::to_string(img_size) + " bytes): the .img is truncated or not this header's");
    return static_cast<uint64_t>(h.vox_offset);
}

// nibabel's shape_zoom_affine(dim, pixdim, x_flip=True): diag(-z1, z2, z3), origin at -(dim-1)/2 * z.
void set_affine(const Header& h, Volume& v) {
    const int dims[3] = {v.nx, v.ny, v.nz};
    v.affine = {};
    v.affine[3][3] = 1;
    for (int a = 0; a < 3; ++a) {
        const double p = a < h.dim[0] ? h.pixdim[a + 1] : 1.0;
        double zoom = std::isfinite(p) && p != 0 ? std::abs(p) : 1.0;
        if (!(zoom == p))
            v.notes.push_back("the Analyze header's pixdim[" + std::to_string(a + 1) + "] is " + detail::number(p) +
                              ", not a voxel size: " + detail::number(zoom) + " mm is used");
        v.spacing[a] = zoom;
        if (a == 0) zoom = -zoom;   // Analyze's radiological convention: x runs to the patient's left
        v.affine[a][a] = zoom;
        v.affine[a][3] = -(dims[a] - 1) / 2.0 * zoom;
    }
}

}  // namespace

Expected<Volume> decode_analyze(const uint8_t* hdr, size_t hdr_size, const uint8_t* img, size_t img_size) {
    if (hdr_size >= 2 && hdr[0] == 0x1f && hdr[1] == 0x8b)
        return make_error("this .hdr is a gzip file: inflate it first");
    if (hdr_size < kHeaderBytes)
        return make_error("not an Analyze header (" + std::to_string(hdr_size) + " bytes, shorter than 348)");
    detail::Reader r{hdr, hdr_size, false};
    if (r.get<int32_t>(0) != 348) r.swap = true;
    if (r.get<int32_t>(0) != 348) {
        r.swap = false;
        return make_error("not an Analyze header (sizeof_hdr is " + std::to_string(r.get<int32_t>(0)) + ", expected 348)");
    }
    if (std::memcmp(hdr + 344, "ni1", 4) == 0 || std::memcmp(hdr + 344, "n+1", 4) == 0)
        return make_error(std::string("this .hdr is a NIfTI-1 header (magic \"") + reinterpret_cast<const char*>(hdr + 344) +
                          "\"), which alzscan reads only as a single file: convert the pair to .nii (e.g. nibabel: "
                          "nib.save(nib.load('x.hdr'), 'x.nii'))");
    const Header h = read_header(r);
    Volume v;
    v.nifti_version = 0;
    v.affine_source = "analyze";
    const auto count = check_dims(h, v);
    if (!count) return make_error(count.error());
    const int code = h.datatype;
    const detail::VoxelType* type = code == 2 || code == 4 || code == 8 || code == 16 || code == 64 ? detail::voxel_type(code) : nullptr;
    if (!type)
        return make_error("the Analyze datatype " + std::to_string(code) +
                          " is not supported (alzscan reads uint8, int16, int32, float32, float64): convert the volume "
                          "to one of these");
    const auto offset = voxel_offset(h, img_size);
    if (!offset) return make_error(offset.error());
    const uint64_t need = uint64_t(*count) * type->bytes;
    const uint64_t have = img_size - *offset;
    if (need > have) return make_error(detail::truncated_message("Analyze .img", need, *offset, have));
    v.datatype = type->name;
    set_affine(h, v);   // before the voxels: a large volume's affine follows its blocks
    const detail::Reader data{img, img_size, r.swap};
    detail::read_volume_voxels(data, *type, static_cast<size_t>(*offset), v);
    return v;
}

}  // namespace alzscan
