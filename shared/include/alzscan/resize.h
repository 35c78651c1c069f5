// alzscan/resize.h: bring a gray image to the model's input size.
//
//   GrayImage small = alzscan::resize_gray(img, 128, 128);
//
// Method ("area", the only one the spec names today): per axis, area averaging when the
// axis shrinks (each output pixel is the exact area-weighted mean of the input pixels it
// covers, like OpenCV's INTER_AREA / PIL's BOX), bilinear with half-pixel centres when it
// grows (align_corners = false, edge pixels clamped). An image already at the target size is
// returned bit-exactly. Output values are rounded to nearest (ties away from zero) and
// clamped to 0..255. out_width/out_height must be 1..8192 and the input non-empty with
// pixels.size() == width*height; otherwise an error value is returned.
// Every weight is a small-denominator rational (area: 1/in, bilinear: 1/(2*out)), so the whole
// resize runs in exact integer arithmetic: x86-64 and wasm32 cannot differ in the last bit.
#pragma once

#include "alzscan/expected.h"
#include "alzscan/gray_image.h"

namespace alzscan {

Expected<GrayImage> resize_gray(const GrayImage& image, int out_width, int out_height);

}  // namespace alzscan
