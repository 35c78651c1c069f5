// alzscan/slice_pose.h: a single 2-D slice from another pipeline (framed, turned, stretched or
// shifted differently) brought into the training slices' pose before the model sees it: an affine
// registration of the conformed slice to the training slices' mean image at the best-matching
// level, applied only when the slice's pose lies outside the training slices' own.
//
//   alzscan::SlicePose pose;
//   auto x = alzscan::pose_and_conform(image, spec.conform, spec.pose, 64, 64, &pose);  // preprocess.h
//   if (pose.corrected) show(alzscan::slice_pose_json(pose));
//
// Data contract:
//   frame          points d in [-0.5, 0.5]^2: fractions of the conformed frame, centre 0, x right,
//                  y down, the same at any resolution.
//   PoseSpec       templates: kPoseLevels mean images, kPoseSide^2 row-major whole gray levels; level g
//                  holds the training stacks' slices with slice_rank * kPoseLevels / slices == g,
//                  each conformed (conform.h) and area-resized to kPoseSide. low/high: each pose
//                  parameter's 0.1 % and 99.9 % quantiles over the training and validation people's
//                  slices (numpy linear); ncc_min: their 0.1 % quantile of the final correlation.
//                  Measured by `alzscan calibrate`; empty templates: no pose step.
//   estimate_pose  the affine T(d) = M d + t taking a template point to the slice point, maximising
//                  the squared normalised cross-correlation of template and slice (the least-squares
//                  intensity fit F = a S + b) as registration.h does in 3-D: Levenberg-Marquardt on
//                  6 parameters over block means at 16 then 32 pixels; starts: the identity turned by
//                  0, +-10 and +-20 degrees against the two levels that match best untouched; the two
//                  best at 16 pixels are refined at 32 and the best correlation wins. Bilinear
//                  sampling, 0 outside.
//   parameters     M = R(rotation) [scale_x, shear * scale_y; 0, scale_y]: rotation in degrees,
//                  clockwise as displayed; scale_x/scale_y the slice's brain per the template's
//                  along the rotated axes; shear; shift_x/shift_y = t (fractions of the frame).
//   corrected      some parameter lies outside [low, high], every one within the correctable bounds
//                  (|rotation| <= 30, scales 0.7..1.4, |shear| <= 0.3: beyond them the slice is left
//                  to the out-of-distribution checks) and ncc >= ncc_min. The original slice is then
//                  resampled (bilinear, at its own resolution, over conform's crop) so that its brain
//                  takes the template's pose, and conformed again. Otherwise the result is exactly
//                  conform_slice's.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "alzscan/conform.h"
#include "alzscan/expected.h"
#include "alzscan/gray_image.h"

namespace alzscan {

inline constexpr int kPoseSide = 32;
inline constexpr int kPoseLevels = 8;
inline constexpr int kPoseParams = 6;
// rotation, scale_x, scale_y, shear, shift_x, shift_y: the order of PoseSpec's ranges.
inline constexpr const char* kPoseParamNames[kPoseParams] = {"rotation", "scale_x", "scale_y",
                                                             "shear",    "shift_x", "shift_y"};

struct PoseSpec {
    std::vector<std::vector<double>> templates;   // kPoseLevels x kPoseSide^2, or empty
    std::array<double, kPoseParams> low{}, high{};
    double ncc_min = 0;
    std::string fitted_on;
    bool enabled() const { return !templates.empty(); }
};

struct SlicePose {
    bool estimated = false;   // a pose was fitted (a spec and a brain)
    bool corrected = false;   // the slice was resampled into the template's pose
    int level = 0;            // the best-matching template
    double ncc = 0;
    std::array<double, 6> m{1, 0, 0, 1, 0, 0};   // M row-major (0..3), t (4, 5)
    std::array<double, kPoseParams> params{0, 1, 1, 0, 0, 0};
    std::string reason;       // why it was or was not corrected, one line
};

// The level of a slice at rank 0..slices-1 of its stack (inferior -> superior): rank * kPoseLevels / slices,
// clamped to 0..kPoseLevels-1.
int slice_level(int rank, int slices);

// The kPoseSide x kPoseSide block-mean image of a conformed slice (what templates average).
std::vector<double> pose_grid(const GrayImage& conformed);

// The pose of a conformed slice (conform_slice's output) against the spec's templates.
SlicePose estimate_pose(const GrayImage& conformed, const PoseSpec& spec);

// Sets pose.corrected and pose.reason from the spec's ranges and the correctable bounds.
void judge_pose(SlicePose& pose, const PoseSpec& spec);

// conform_slice, with the pose step when spec is enabled (see corrected above); `pose` may be null.
Expected<GrayImage> pose_and_conform(const GrayImage& image, const ConformSpec& conform, const PoseSpec& spec,
                                     int out_width, int out_height, SlicePose* pose);

// {"level", "ncc", "corrected", "reason", "rotation", "scale_x", ...}: the CLI's and the app's member.
std::string slice_pose_json(const SlicePose& pose);

}  // namespace alzscan
