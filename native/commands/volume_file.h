// native/commands/volume_file.h: a volume file on disk as shared/'s Volume: NIfTI (.nii, .nii.gz),
// FreeSurfer MGH (.mgh, .mgz) or an Analyze 7.5 pair (.hdr + .img). This file only reads the disk
// (and finds an Analyze pair's other file); shared/'s volume_bytes.h decodes, as in the browser.
//
//   if (is_volume_path(path)) {
//       std::string error;
//       std::optional<Volume> vol = read_volume_file(path, cmd::read_file, error);   // predictor.h's reader
//   }
//
// Data contract:
//   is_volume_path    true for names ending in .nii, .nii.gz, .mgh, .mgz, .hdr or .img (any case).
//   read_volume       .nii / .nii.gz bytes: gzip (magic 1f 8b) inflated first, then decode_nifti.
//   read_volume_file  the file at `path`, read with `read`, decoded by its extension: .nii/.nii.gz
//                     decode_nifti, .mgh/.mgz decode_mgh, .hdr/.img decode_analyze with the other
//                     file of the pair found beside it (same name, extension .hdr/.img in any case).
//                     The bytes go to shared/'s decode_volume_file (volume_bytes.h): gzip inflated
//                     up to its limit, the same messages as the browser.
//   Both return empty with `error` set (one line) when a file is missing, damaged or refused; when
//   an Analyze pair is named by its .img, an error names the .hdr it was read with ("with its .hdr
//   file DIR/x.hdr: not an Analyze header ..."), and a missing or unreadable other file is named.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "alzscan/nifti.h"

namespace alzscan {

bool is_volume_path(const std::string& path);

std::optional<Volume> read_volume(const std::vector<uint8_t>& bytes, std::string& error);

// Reads a whole file into `bytes`; false + a one-line `error` when it cannot.
using FileReader = bool (*)(const std::string& path, std::vector<uint8_t>& bytes, std::string& error);

std::optional<Volume> read_volume_file(const std::string& path, FileReader read, std::string& error);

}  // namespace alzscan
