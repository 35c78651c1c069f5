// alzscan/analyze.h: an Analyze 7.5 volume from the bytes of its two files, the .hdr (348-byte
// header) and the .img (voxels).
//
//   auto vol = alzscan::decode_analyze(hdr.data(), hdr.size(), img.data(), img.size());
//   if (!vol) show(vol.error());
//   alzscan::Volume lps = alzscan::to_training_orientation(*vol);      // nifti.h
//
// Data contract:
//   decode_analyze  the header in either byte order (sizeof_hdr 348 as read, or byte-swapped);
//                   dim[0] 1..7 dimensions; datatypes 2 uint8, 4 int16, 8 int32, 16 float32,
//                   64 float64; voxels from byte int(vox_offset) of the .img, i fastest, as
//                   double and unscaled (plain Analyze, as nibabel.AnalyzeImage: funused1, SPM's
//                   scale factor, is not applied). 4-D (or more): the first volume, said in
//                   `notes`. The affine (affine_source "analyze") is nibabel's
//                   AnalyzeHeader.get_base_affine(): diag(-pixdim1, pixdim2, pixdim3) with the
//                   volume's centre voxel ((dim - 1) / 2) at the origin; axes past dim[0] count
//                   as 1 voxel of 1 mm. As nibabel on reading, a negative pixdim is taken as its
//                   absolute value and a zero one as 1 mm; a non-finite one is also taken as 1 mm;
//                   each said in `notes`. A NIfTI-1 header (magic "ni1" or "n+1") is refused,
//                   since its orientation fields would be ignored. Errors name the field and
//                   value, e.g. "not an Analyze header (sizeof_hdr is 1234, expected 348)", "the
//                   Analyze .img file is truncated: the header says 2 MB of voxels from byte 0 but
//                   the file has 1 MB"; dimensions and their product (<= kMaxVoxels) are checked
//                   before anything is allocated.
#pragma once

#include <cstddef>
#include <cstdint>

#include "alzscan/expected.h"
#include "alzscan/nifti.h"

namespace alzscan {

Expected<Volume> decode_analyze(const uint8_t* hdr, size_t hdr_size, const uint8_t* img, size_t img_size);

}  // namespace alzscan
