// alzscan/training_space.h: any T1 head or brain volume brought into the space the model knows,
// the training stacks' band of axial slices, brain only, bias-corrected, at the training levels.
//
//   auto ref = alzscan::make_reference(std::move(ch2), std::move(ch2bet));   // registration.h
//   auto s = alzscan::to_training_space(*alzscan::decode_nifti(bytes, n), *ref, spec.conform);
//   if (!s) refuse(s.error());       // e.g. "its contrast is not T1: white matter (0.41) is darker ..."
//   for (const alzscan::GrayImage& img : s->slab.images) classify(img);  // then aggregate_slices
//
// Data contract (the steps, in order):
//   1 register   register_affine (registration.h): template world -> subject world.
//   2 check      refused when the correlation with the template is under kMinRegistrationNcc
//                ("the registration failed ..."), or the fit needs a scale outside
//                kMinScale..kMaxScale along an axis (not an adult human head: a macaque brain
//                needs about 2).
//   3 bias       a smooth multiplicative field, a quadratic polynomial in x, y, z fitted by least
//                squares to the subject's white matter (template white matter that the subject's
//                own 3-class Otsu also calls bright; two rounds), divided out.
//   4 contrast   medians of the corrected subject in the template's CSF, grey- and white-matter
//                labels: T1 when the intensity fit's slope is positive and WM > GM * kT1Ratio and
//                GM > CSF * kT1Ratio; anything else (T2, FLAIR, PD, CT, an inverted T1) is refused
//                for its contrast, never mapped into a fake T1.
//   5 extract    per band slice: the template's brain mask, its 2-pixel inner core kept whole,
//                its 2-pixel ring on either side kept where the subject is at least the CSF/GM
//                threshold (so a raw T1's scalp and skull drop out, a stripped brain's zeros stay out).
//   6 levels     brain voxels of the band mapped piecewise-linearly from their own percentiles at
//                kLevelQuantiles onto the training slices' (ConformSpec::levels, Nyul-Udupa);
//                without those, their 1st..99th percentiles onto spec low..high. 0 outside the brain.
//   7 slab       the 32 slices of Reference::band on the template's 1 mm grid, row 0 anterior,
//                column 0 the patient's right (the training orientation), cut to OASIS's 176 x 208 mm
//                atlas slice around the grid's centre and resized to 128 x 128 (resize_gray), as
//                the dataset's slices were (aspect not kept).
//   `input` is the subject's own stored axial slice (nifti.h's training orientation, 8-bit as
//   scan.h's volume_gray) nearest the band's middle, for a before/after picture; pixels of unequal
//   sides (thick slices seen edge-on) are resized square (resize_gray) to the head's proportions.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "alzscan/affine.h"
#include "alzscan/conform.h"
#include "alzscan/expected.h"
#include "alzscan/registration.h"
#include "alzscan/scan.h"

namespace alzscan {

constexpr double kMinRegistrationNcc = 0.5;
constexpr double kMinScale = 0.75, kMaxScale = 1.35;
constexpr double kT1Ratio = 1.05;
constexpr int kAtlasWidthMm = 176, kAtlasHeightMm = 208, kTrainingSide = 128;

struct TrainingSpace {
    Slab slab;                 // the model's slices; slab.slices are k on the template's 1 mm grid
    Registration registration;
    AffineParts parts;         // of the linear map template -> subject
    std::array<double, 3> tissue{0, 0, 0};   // CSF, GM, WM medians after bias correction (subject units)
    double bias_range = 1;     // max / min of the fitted field over the brain
    GrayImage input;           // the subject's own axial slice nearest the band's middle (square pixels)
    int input_slice = 0;       // its index along the subject's stored axis closest to superior
};

// `registered`: the subject's registration when the caller ran it in steps (RegistrationRun), else
// null and it is run here; either way steps 2..7 follow.
Expected<TrainingSpace> to_training_space(const Volume& subject, const Reference& ref, const ConformSpec& levels,
                                          const Registration* registered = nullptr);

// The picture of what this step did, for a person to check: the input's own slice, then `slices`
// (the model's), all scaled to the first model slice's height, 8 black pixels apart.
GrayImage before_after(const GrayImage& input, const std::vector<GrayImage>& slices);

// A volume's slices for the model, the one rule both the CLI and the app follow: a head volume (more
// than kSlabSlices slices along its axis closest to superior, or at least kMinHeadExtentMm along it)
// goes through to_training_space, which needs `ref` (an error names the missing reference
// otherwise); anything else is a stack of axial slices taken whole (scan.h axial_slab).
constexpr double kMinHeadExtentMm = 100;

// Voxels longer than this along an axis are thick slices: a registered volume's notes say so
// (thick_voxel_note), as each 1 mm slice the model gets averages tissue across them.
constexpr double kThickVoxelMm = 2.0;

// "" or "its voxels are 4.0 x 1.0 x 1.0 mm: thick slices, 4.0 mm left-right; ..." for the longest voxel side
// over kThickVoxelMm, named by the world axis it runs along most.
std::string thick_voxel_note(const Volume& volume);

struct ScanSlices {
    Slab slab;
    std::vector<std::string> notes;       // the volume's (e.g. a 4-D file's first volume), then a
                                          // registered volume's thick_voxel_note
    bool registered = false;
    TrainingSpace space;                  // when registered (its slab moved to `slab`)
};

// The rule above: true for a head volume (registered; needs the reference).
bool is_head_volume(const Volume& volume);

Expected<ScanSlices> scan_slices(const Volume& volume, const Reference* ref, const ConformSpec& spec,
                                 const Registration* registered = nullptr);

// {"template", "correlation", "start", "iterations", "scales", "rotation_deg", "translation_mm",
//  "tissue": {"csf", "gm", "wm"}, "bias_range", "input_slice"}: the CLI's
// "registration" member and the app's.
std::string registration_json(const TrainingSpace& space);

}  // namespace alzscan
