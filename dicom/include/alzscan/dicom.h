// alzscan/dicom.h: DICOM files (a folder from a CD or a PACS export, or files picked one by one)
// as series, and one series as a Volume (nifti.h). Bytes in, values out: the caller reads the
// files (native/commands/volume_file.h from disk, the browser from dropped files); GDCM parses
// and decodes them (decision 0014).
//
//   std::vector<alzscan::DicomInput> files = ...;        // {name, data, size} of every file
//   alzscan::DicomListing list = alzscan::list_dicom_series(files);
//   auto pick = alzscan::choose_dicom_series(list, 0);   // 0: choose by itself; N: the listing's Nth
//   if (!pick) show(pick.error());                       // names every series: "… 1: 'T1 MPRAGE' …"
//   auto vol = alzscan::read_dicom_series(files, list.series[*pick]);
//   if (!vol) show(vol.error());
//   alzscan::Volume lps = alzscan::to_training_orientation(*vol);
//
// Data contract:
//   DicomInput      a file's name (for messages only) and its bytes, owned by the caller, alive
//                   for the call.
//   list_dicom_series  parses each file's header (up to the pixel data): files without an image
//                   (a DICOMDIR, a report, a non-DICOM file) are counted in `skipped` with their
//                   first reason; images are grouped by SeriesInstanceUID, series ordered by
//                   SeriesNumber, then UID. Only descriptive fields are kept: StudyDescription,
//                   SeriesDescription, Modality, SeriesNumber. No patient identifier (PatientName,
//                   PatientID, birth date, accession number, institution, UIDs) leaves this
//                   library, in a field or in a message. Skipped before GDCM parses them (the
//                   little-endian data set walked by its lengths, into sequences, items and pixel
//                   fragments): an element whose length runs past its file or item, and a data
//                   set written in implicit VR under an explicit transfer syntax (GDCM's recovery
//                   from that reads a length from the wrong bytes and allocates it).
//   choose_dicom_series  `requested` 1..series.size() takes that entry; 0 takes the only series,
//                   else the one series whose description names a T1 (T1, MPRAGE, MP-RAGE, SPGR,
//                   BRAVO, TFE, MP2RAGE's UNI) among series of more than 32 slices; else an error
//                   listing every series ("3 series in these files: 1: 'localizer' 3 slices
//                   256x256 ...; choose one with --series N").
//   read_dicom_series  one series as a Volume: every file's frames decoded (uncompressed little
//                   and big endian, deflate, RLE, JPEG baseline/extended/lossless, JPEG-LS,
//                   JPEG 2000: GDCM's codecs), values = stored * RescaleSlope + RescaleIntercept
//                   (per frame; slope 1, intercept 0 when absent), voxels as double, i (column)
//                   fastest. Frames are sorted by ImagePositionPatient along the slice normal
//                   (row cosine x column cosine), not by file name or InstanceNumber. An enhanced
//                   multi-frame file's frames take their positions and orientation from its
//                   per-frame (else shared) functional groups. Refused, with a one-line message:
//                   mixed orientations (cosines differing by more than 1e-4), mixed sizes or pixel
//                   spacings, two frames at one position (duplicates, or several echoes/times: the
//                   position is given), uneven slice gaps (over 1 % + 0.01 mm from their mean: a
//                   missing slice names the gap), colour images, a frame count or size the pixel
//                   data cannot hold, more than kMaxVoxels voxels (checked before decoding), a
//                   transfer syntax GDCM cannot decode. Affine (affine_source "dicom"): voxel
//                   (i, j, k) -> RAS+ mm = LPS->RAS of IPP_0 + i * PixelSpacing[1] * row cosine
//                   + j * PixelSpacing[0] * column cosine + k * (IPP_last - IPP_0) / (n - 1), so a
//                   gantry tilt is kept as a shear; one frame: k along the normal by
//                   SpacingBetweenSlices, else SliceThickness, else 1 mm (said in `notes`).
//                   `datatype` is the stored type ("uint16", "int16", ...). More than 256^3
//                   voxels: averaged in blocks as the file readers do (nifti.h "large volumes"). Notes carry the
//                   series' descriptions and how it was chosen, never a patient field.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "alzscan/expected.h"
#include "alzscan/nifti.h"

namespace alzscan {

struct DicomInput {
    std::string name;             // shown in messages (a path or a file name)
    const uint8_t* data = nullptr;
    size_t size = 0;
};

struct DicomSeries {
    std::string uid;                      // SeriesInstanceUID: a grouping key, never shown
    int number = -1;                      // SeriesNumber (-1 when absent)
    std::string description;              // SeriesDescription
    std::string study_description;        // StudyDescription
    std::string modality;                 // Modality ("MR", "CT", ...)
    int rows = 0, columns = 0;            // of its first image
    int frames = 0;                       // slices: frames over all its files
    std::array<double, 2> pixel_spacing{0, 0};   // PixelSpacing (row, column) mm; 0 when absent
    std::vector<size_t> files;            // indices into the DicomInput list
};

struct DicomListing {
    std::vector<DicomSeries> series;
    int skipped = 0;                      // files that hold no image
    std::string first_skip_reason;        // "name: reason" of the first of them
};

DicomListing list_dicom_series(const std::vector<DicomInput>& files);

// One line per series, "N: 'description' (study 'x', MR) 176 slices 256x256, 1x1 mm".
std::string describe_dicom_series(const DicomListing& listing, size_t index);

Expected<size_t> choose_dicom_series(const DicomListing& listing, int requested);

Expected<Volume> read_dicom_series(const std::vector<DicomInput>& files, const DicomSeries& series);

}  // namespace alzscan
