// alzscan/scan.h: from a volume in the training orientation to the axial slices a model knows.
//
//   alzscan::Volume lps = alzscan::to_training_orientation(*alzscan::decode_nifti(bytes, n));
//   alzscan::Expected<alzscan::Slab> slab = alzscan::axial_slab(lps);
//   for (const alzscan::GrayImage& s : slab->images) classify(s);   // inferior -> superior
//   // then alzscan::aggregate_slices over their probabilities: the scan's verdict
//
// Data contract:
//   gray levels   uint8 data is used as it is; anything else maps 0 .. the 99.9th percentile of
//                 its positive voxels linearly onto 0..255 (negatives to 0). Conforming
//                 (conform.h) then brings each slice's levels to the training slices'.
//   brain extent  slices whose foreground (the conform.h threshold on the whole volume) covers
//                 at least 5 % of the largest slice's foreground: the lowest and highest of them.
//   the slab      a volume of at most kSlabSlices axial slices is a slab already: every slice is
//                 taken. Otherwise kSlabSlices slices at evenly spaced heights from kSlabFrom to
//                 kSlabTo of the brain extent (nearest slice). The training stacks run from the
//                 third ventricle and basal ganglia (their lowest slice) to the bodies of the
//                 lateral ventricles (their highest); on the Colin27 brain (mricron-data's
//                 ch2bet, 1 mm, extent 12..150 with the cerebellum) those landmarks sit at 0.40
//                 and 0.62 of the extent, about 1 mm apart over 32 slices, as the stacks are.
//   in-plane      slices are resampled to square pixels of the finer in-plane spacing when the
//                 two spacings differ by more than 1 % (resize_gray), else left as they are. A
//                 slice resize_gray refuses (a side over its limit, e.g. 1000:1 voxels) is an
//                 error naming the slice, resize_gray's message and the spacings; so is an
//                 in-plane spacing that is not positive and finite.
//   images[s]     row 0 = anterior, column 0 = the patient's right (training orientation).
#pragma once

#include <string>
#include <vector>

#include "alzscan/expected.h"
#include "alzscan/gray_image.h"
#include "alzscan/nifti.h"

namespace alzscan {

constexpr int kSlabSlices = 32;
constexpr double kSlabFrom = 0.40, kSlabTo = 0.62;

struct Slab {
    std::vector<int> slices;          // k of each chosen slice, ascending (inferior -> superior)
    int brain_first = 0, brain_last = 0;
    std::vector<GrayImage> images;    // one per chosen slice
    std::string how;                  // one line: which slices and why, for the UI and the CLI
};

// The volume's gray levels as 8-bit voxels (the rule above), same layout as volume.voxels.
std::vector<uint8_t> volume_gray(const Volume& volume);

Expected<Slab> axial_slab(const Volume& lps);

}  // namespace alzscan
