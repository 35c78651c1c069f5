// native/commands/volume_file.h: a NIfTI file on disk (.nii, or .nii.gz inflated with zlib) as
// shared/'s Volume; the browser does the same with DecompressionStream.
//
//   if (is_volume_path(path)) { std::string error; auto vol = read_volume(bytes, error); }
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "alzscan/nifti.h"

namespace alzscan {

// True for names ending in .nii or .nii.gz (any case).
bool is_volume_path(const std::string& path);

// gzip bytes (magic 1f 8b) are inflated first, at most kMaxVoxels * 8 bytes + 64 KiB; then
// decode_nifti. Empty + `error` set (one line) when the file is damaged or refused.
std::optional<Volume> read_volume(const std::vector<uint8_t>& bytes, std::string& error);

}  // namespace alzscan
