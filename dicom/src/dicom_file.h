// dicom/src/dicom_file.h: the one file that talks to GDCM. One DICOM file's bytes -> its header
// fields (descriptive and geometric, never a patient field) and, on demand, its frames' values.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace alzscan::dicom {

// Where one frame lies: ImagePositionPatient, ImageOrientationPatient (row then column cosine),
// PixelSpacing (row, column), the rescale; `has_*` false when the file does not say.
struct FrameGeometry {
    std::array<double, 3> position{0, 0, 0};
    std::array<double, 6> orientation{1, 0, 0, 0, 1, 0};
    std::array<double, 2> pixel_spacing{1, 1};
    double slope = 1, intercept = 0;
    bool has_position = false, has_orientation = false, has_spacing = false;
};

struct FileHeader {
    std::string series_uid, description, study_description, modality;
    int series_number = -1;
    int rows = 0, columns = 0, frames = 1, samples_per_pixel = 1;
    int bits_allocated = 0;
    int bits_stored = 0;                  // 0 when absent
    int pixel_representation = -1;        // 0 unsigned, 1 signed; -1 when absent
    double slice_gap = 0;                 // SpacingBetweenSlices, else SliceThickness; 0 when absent
    std::vector<FrameGeometry> geometry;  // one per frame (enhanced multi-frame), else one
    bool encapsulated = false;            // compressed pixel data (or a deflated data set)
    bool is_image = false;                // Rows and Columns
    std::string reason;                   // why not an image / why unreadable
};

// Header fields (reads up to the pixel data). `header.reason` set when the file is not a DICOM
// image.
FileHeader read_header(const uint8_t* data, size_t size);

// All frames' stored values (rescale not applied), frame after frame, i fastest; `datatype` the
// stored type. False + a one-line `error` when the pixel data cannot be decoded or is short.
bool read_frames(const uint8_t* data, size_t size, const FileHeader& header, std::vector<double>& values,
                 std::string& datatype, std::string& error);

}  // namespace alzscan::dicom
