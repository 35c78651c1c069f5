// native/commands/dicom_files.h: DICOM files and folders on disk as one series' Volume (the
// dicom/ library: GDCM, decision 0014). Folders are walked here; dicom/ sees bytes only.
//
//   if (is_dicom_path(arg) || holds_dicom(arg)) {
//       std::string error;
//       std::optional<Volume> vol = read_dicom_volume({arg}, 0, cmd::read_file, error);   // 0: choose by itself
//   }
//
// Data contract:
//   is_dicom_path      names ending in .dcm, .dicom or .ima (any case).
//   holds_dicom        a directory with a DICOM file in it or below (up to 8 levels, hidden names
//                      skipped): a DICOM extension, or "DICM" at byte 128 (files without extension,
//                      as on CDs and in PACS exports).
//   read_dicom_volume  every path a DICOM file or a folder (walked as above, files by name);
//                      at most 100000 files and 1 GiB of them, checked as they are read; the files'
//                      series listed (dicom.h), one chosen (`series` 1..N, else by itself: the only
//                      one or the one T1, else an error listing them all with "--series N"), read
//                      as a Volume. The chosen series' descriptions and how it was chosen are the
//                      first note; no patient field reaches `error` or the notes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "alzscan/nifti.h"
#include "commands/volume_file.h"

namespace alzscan {

bool is_dicom_path(const std::string& path);

bool holds_dicom(const std::string& dir);

std::optional<Volume> read_dicom_volume(const std::vector<std::string>& paths, int series, FileReader read,
                                        std::string& error);

}  // namespace alzscan
