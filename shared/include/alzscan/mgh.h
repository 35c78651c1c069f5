// alzscan/mgh.h: a FreeSurfer MGH volume from its bytes (an .mgz is the gzip of one: the caller
// inflates it, zlib natively, DecompressionStream in the browser).
//
//   auto vol = alzscan::decode_mgh(bytes.data(), bytes.size());         // .mgh bytes
//   if (!vol) show(vol.error());
//   alzscan::Volume lps = alzscan::to_training_orientation(*vol);      // nifti.h
//
// Data contract:
//   decode_mgh  big-endian MGH version 1: the 284-byte header (version, width, height, depth,
//               nframes, type, dof, goodRASflag, then voxel sizes, direction cosines x_ras y_ras
//               z_ras and the centre c_ras), voxels from byte 284, i (width) fastest. Types 0
//               uchar, 1 int32, 3 float32, 4 int16 (datatype "uint8", "int32", "float32",
//               "int16"); voxels as double, unscaled. nframes > 1: the first frame, said in
//               `notes`. The affine (affine_source "mgh") is nibabel's MGHHeader.get_affine():
//               columns = direction cosines times the voxel sizes, origin such that voxel
//               (width/2, height/2, depth/2) lands on c_ras. goodRASflag <= 0 (FreeSurfer's
//               mghRead: no orientation stored): FreeSurfer's default coronal orientation, 1 mm
//               voxels, x to the left, y down, z forward (LIA), c_ras 0, said in `notes` (nibabel
//               5.0 differs here: it gives LSP); likewise when the stored fields make a non-finite
//               affine. A voxel size not positive and finite is taken as 1 mm, said in `notes`.
//               Dimensions and their product (<= kMaxVoxels) are checked from the header before
//               anything is allocated. Errors name the field and value, e.g. "the MGH header's
//               version is 16777216 (expected 1): not an MGH file, or a damaged one", "the MGH file
//               is truncated: the header says 2 MB of voxels from byte 284 but the file has 1 MB".
#pragma once

#include <cstddef>
#include <cstdint>

#include "alzscan/expected.h"
#include "alzscan/nifti.h"

namespace alzscan {

Expected<Volume> decode_mgh(const uint8_t* data, size_t size);

}  // namespace alzscan
