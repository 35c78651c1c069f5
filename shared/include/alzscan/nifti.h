// alzscan/nifti.h: a NIfTI-1 / NIfTI-2 volume from its bytes, turned to the training slices'
// orientation. Bytes in, values out: a .nii.gz is inflated by the caller (zlib natively,
// DecompressionStream in the browser).
//
//   auto vol = alzscan::decode_nifti(bytes.data(), bytes.size());      // .nii bytes
//   if (!vol) show(vol.error());
//   alzscan::Volume lps = alzscan::to_training_orientation(*vol);
//   // lps.at(i, j, k): column i (patient's right -> left), row j (anterior -> posterior),
//   // axial slice k (inferior -> superior): slice k drawn row by row is a training-like slice
//
// Data contract:
//   decode_nifti  single-file NIfTI-1 (348-byte header, "n+1") or NIfTI-2 (540, "n+2"), either
//                 byte order; datatypes uint8, int8, int16, uint16, int32, uint32, float32, float64;
//                 values = raw * scl_slope + scl_inter when scl_slope is finite and non-zero;
//                 voxels as double, i fastest (the file's order). 4-D (or more): the first volume,
//                 said in `notes`. The affine is the sform when sform_code > 0, else the qform
//                 (quaternion) when qform_code > 0, else diag(-pixdim1, pixdim2, pixdim3) (Analyze's
//                 convention, as nibabel reads such files); `affine_source` says which. A form
//                 with a non-finite entry is passed over, said in `notes` ("the sform holds a
//                 non-finite value: the qform is used"); a pixdim the chosen form scales by that
//                 is not positive and finite is taken as 1 mm, also said in `notes`.
//                 Errors name the field and value as written, e.g. "not a NIfTI file (sizeof_hdr
//                 is 1234, expected 348 or 540)", "the NIfTI header's vox_offset is 1e+30, beyond
//                 the file (608 bytes): ...", "the NIfTI file is truncated: the header says 2 MB
//                 of voxels from byte 352 but the file has 1 MB" (exact bytes when the MB agree).
//   to_training_orientation  permutes and flips the axes (no interpolation) so that index
//                 i grows toward the patient's left, j toward posterior, k toward superior
//                 (LPS), each voxel axis going to the world axis it is closest to (largest
//                 |direction cosine|, greedy, as nibabel's io_orientation for non-oblique
//                 affines); an axis left with only NaN cosines keeps its own index (else the next
//                 free one), so any affine gives a permutation. Spacing follows the axes. Values
//                 are moved, never changed.
//   large volumes  more than 256^3 voxels: every reader (NIfTI, MGH, Analyze) averages each axis
//                 longer than 256 in blocks of ceil(n / 256) as it reads (512^3 -> 256^3, never a
//                 full-size copy of doubles), said in `notes`; the affine and spacing follow the
//                 blocks (voxel centres at the blocks' centres). average_large_volume does the same,
//                 in the same order of sums, to a volume decoded otherwise (DICOM).
//   encode_nifti2 a Volume as single-file NIfTI-2 bytes (the host's byte order, little endian on
//                 both sides) that decode_nifti reads back as the same voxels, affine (the sform,
//                 float64, code 1), spacing and `datatype`: the volume's datatype when every voxel
//                 is exactly a value of it, else float64. For handing a volume from one WASM
//                 module to another (the browser's DICOM reader to the app), not for archiving.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "alzscan/expected.h"

namespace alzscan {

struct Volume {
    int nx = 0, ny = 0, nz = 0;                   // voxels along i, j, k
    std::array<double, 3> spacing{1, 1, 1};       // mm per voxel along i, j, k
    std::array<std::array<double, 4>, 4> affine{};   // voxel (i, j, k, 1) -> RAS+ mm
    std::string affine_source;                    // "sform" | "qform" | "pixdim" | "mgh" (mgh.h) | "analyze" (analyze.h)
    int nifti_version = 1;                        // 1 | 2; 0 for an MGH or Analyze volume
    std::string datatype;                         // "uint8", "int16", ... "float64"
    std::vector<double> voxels;                   // nx * ny * nz, index i + nx * (j + ny * k)
    std::vector<std::string> notes;               // e.g. "4-D file (2 volumes): the first volume is used"

    double at(int i, int j, int k) const { return voxels[static_cast<size_t>(i) + size_t(nx) * (j + size_t(ny) * k)]; }
};

// Upper bound on nx * ny * nz (the first volume), so a hostile header cannot ask for gigabytes.
constexpr int64_t kMaxVoxels = int64_t(512) * 512 * 512;

Expected<Volume> decode_nifti(const uint8_t* data, size_t size);

Volume to_training_orientation(const Volume& volume);

Volume average_large_volume(Volume volume);

std::vector<uint8_t> encode_nifti2(const Volume& volume);

}  // namespace alzscan
