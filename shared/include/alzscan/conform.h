// alzscan/conform.h: frame a slice the way the training slices are framed, before the model sees it.
// A user's slice may show the brain smaller, shifted, padded, darker or with another contrast than
// the training data; conforming finds the brain, crops it, scales it into the training slices'
// brain box and maps its intensities onto the training slices' levels.
//
//   alzscan::BrainStats s = alzscan::measure_brain(image);            // one slice
//   alzscan::ConformSpec spec = alzscan::conform_spec_from(stats);  // over the training slices
//   alzscan::Expected<alzscan::GrayImage> x = alzscan::conform_slice(image, spec, 64, 64);
//
// Data contract:
//   measure_brain  foreground = pixels >= threshold, threshold = max(8, ceil(0.12 * the 99th
//                  percentile of all pixels)); the brain = the 4-connected foreground components
//                  holding at least a tenth of the largest one's pixels (specks, scale bars and
//                  labels drop out). The box is their bounding box, [x0, x1) x [y0, y1) in pixels;
//                  low and high are the 1st and 99th percentiles (gray levels) of their pixels.
//                  found == false when the largest component has fewer than 16 pixels. levels are
//                  their percentiles at kLevelQuantiles (low and high are levels[0] and levels[6]).
//   ConformSpec    box_width/box_height: the brain box as fractions of the frame; centre_x/centre_y:
//                  its centre as fractions of the frame; low/high: gray levels (integers 0..255,
//                  low < high); levels: kLevelCount gray levels, ascending, or none. conform_spec_from
//                  takes the medians over slices with found == true.
//   conform_slice  crop (zero outside the image) the region that puts the slice's brain box onto
//                  the spec's box with one uniform scale s = sqrt(spec box area / brain box area)
//                  (aspect kept), resize it to out_width x out_height (resize_gray: area when
//                  shrinking, bilinear when growing), then map gray levels linearly so low -> spec.low
//                  and high -> spec.high (rounded, clamped 0..255; 0 stays 0). Integer arithmetic
//                  except s and the crop rectangle (IEEE double, the same on x86-64 and wasm32).
//                  A slice without a brain is an error ("no brain found ...").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "alzscan/expected.h"
#include "alzscan/gray_image.h"

namespace alzscan {

// The percentiles (0..100) of BrainStats::levels and ConformSpec::levels.
constexpr int kLevelCount = 7;
constexpr int kLevelQuantiles[kLevelCount] = {1, 10, 25, 50, 75, 90, 99};

struct BrainStats {
    bool found = false;
    int x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // box, pixels, half-open
    int width = 0, height = 0;           // the image's size
    int low = 0, high = 0;               // gray levels
    std::array<int, 7> levels{};         // the brain pixels' percentiles at kLevelQuantiles
};

struct ConformSpec {
    bool enabled = false;
    double box_width = 0.78, box_height = 0.81;  // fractions of the frame
    double centre_x = 0.5, centre_y = 0.5;       // fractions of the frame
    int low = 25, high = 240;                    // gray levels
    // Brain gray levels at kLevelQuantiles (medians over the training slices of each slice's brain
    // pixels' percentiles, ascending): what training_space.h maps a volume's brain onto. Empty in
    // specs measured without them.
    std::vector<int> levels;
};


// max(8, ceil(0.12 * the 99th percentile of the pixels)): measure_brain's foreground threshold on one
// slice, and scan.h's on a whole volume.
int foreground_threshold(const uint8_t* pixels, size_t count);

// The 4-connected components of the pixels where in[i] is true (w x h, row-major): labels[i] =
// component index + 1 (in raster order of their first pixel) or 0; returns each one's pixel count.
std::vector<int64_t> label_components(const std::vector<bool>& in, int w, int h, std::vector<int32_t>& labels);

BrainStats measure_brain(const GrayImage& image);

// Medians of `stats` with found == true; enabled = true. An empty or all-blank list keeps the
// defaults above.
ConformSpec conform_spec_from(const std::vector<BrainStats>& stats);

// The source region (pixels of the image, may reach outside it) that conform_slice puts onto the
// whole output frame: output fraction f (0..1 across the frame) is image coordinate x + f * width.
struct ConformCrop {
    int x = 0, y = 0, width = 0, height = 0;
};
ConformCrop conform_crop(const BrainStats& stats, const ConformSpec& spec, int out_width, int out_height);

Expected<GrayImage> conform_slice(const GrayImage& image, const ConformSpec& spec, int out_width, int out_height);

}  // namespace alzscan
