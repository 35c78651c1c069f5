// alzscan/preprocess.h: the single path from image bytes to a model input tensor.
// The trainer (native/) and the browser (wasm/) both call exactly these functions.
//
//   auto spec  = alzscan::parse_preprocess_spec(model_json);
//   auto input = alzscan::preprocess_bytes(bytes.data(), bytes.size(), *spec);
//   if (!input) show(input.error());
//   // input->data(): 1,1,H,W float32, normalised with spec.mean/std
//
// The trainer caches the uint8 stage (prepare_image) and normalises per batch, so that
// augmentation can work on pixels; the sum of the two stages is preprocess_bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "alzscan/expected.h"
#include "alzscan/gray_image.h"
#include "alzscan/image_decode.h"
#include "alzscan/preprocess_spec.h"
#include "alzscan/slice_pose.h"

namespace alzscan {

// decode_gray + prepare_slice: a file is a single 2-D slice.
Expected<GrayImage> prepare_image(const uint8_t* data, size_t size, const PreprocessSpec& spec,
                                  const DecodeLimits& limits = {}, SlicePose* pose = nullptr);

// A single 2-D slice (a decoded file) to spec.width x spec.height: resize_gray, or with
// spec.conform.enabled conform_slice and, when spec.pose is enabled, the pose step (slice_pose.h
// pose_and_conform; `pose` receives it, may be null).
Expected<GrayImage> prepare_slice(const GrayImage& image, const PreprocessSpec& spec, SlicePose* pose = nullptr);

// A registered volume's slice (scan.h) to spec.width x spec.height: conform_slice when
// spec.conform.enabled, else resize_gray; no pose step (the volume was registered in 3-D). A thin
// stack's slices are 2-D slices: prepare_slice.
Expected<GrayImage> prepare_gray(const GrayImage& image, const PreprocessSpec& spec);

// Writes width*height floats (one channel plane, row-major) to out:
// out[i] = (pixels[i] / 255 - mean) / std, computed in float32 as written.
void normalise_into(const GrayImage& image, const PreprocessSpec& spec, float* out);

// prepare_image + normalise_into: a 1,1,H,W float32 tensor as a flat vector.
Expected<std::vector<float>> preprocess_bytes(const uint8_t* data, size_t size,
                                              const PreprocessSpec& spec,
                                              const DecodeLimits& limits = {});

}  // namespace alzscan
