// alzscan/cam.h: class activation maps shown over a slice, the same on both sides (the browser gets
// the maps from model.onnx's "cam" output, alzscan predict --cam from LibTorch Grad-CAM).
//
//   std::vector<float> m = alzscan::normalise_cam(raw, h * w);           // ReLU, then max 1
//   std::vector<float> up = alzscan::upsample_cam(m, w, h, 64, 64);      // to the slice's size
//   std::vector<uint8_t> rgba = alzscan::cam_overlay(slice, up, 0.5);    // slice.width x height x 4
//
// Data contract:
//   normalise_cam  max(v, 0) / max over the map of max(v, 0); all zeros when nothing is positive.
//   upsample_cam   bilinear, half-pixel centres, edges clamped (torch's interpolate(mode="bilinear",
//                  align_corners=False)); map is h x w row-major, the result out_h x out_w.
//   cam_overlay    RGBA, row-major: the gray slice blended with a blue-green-yellow-red colour ramp of
//                  the map, alpha = opacity * map value (the slice shows through where the map is 0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "alzscan/gray_image.h"

namespace alzscan {

std::vector<float> normalise_cam(const float* map, size_t count);
std::vector<float> upsample_cam(const std::vector<float>& map, int width, int height, int out_width, int out_height);
// The ramp colour (r, g, b, 0..255) of a map value in [0, 1].
void cam_colour(float value, uint8_t rgb[3]);
std::vector<uint8_t> cam_overlay(const GrayImage& slice, const std::vector<float>& map, double opacity);
// The slice `scale` times larger, each pixel a scale x scale block (what the overlay is drawn on).
GrayImage enlarge_nearest(const GrayImage& slice, int scale);

// The picture both fronts show (`alzscan predict --cam`, the app's "Activation map"): `prepared`, the
// slice as the model saw it, kCamScale times larger, under one class's map (map_height x map_width,
// raw or already normalised: normalise_cam is applied), as RGBA width x height x 4.
constexpr int kCamScale = 4;
struct CamPicture {
    int width = 0, height = 0;
    std::vector<uint8_t> rgba;
};
CamPicture cam_picture(const GrayImage& prepared, const float* map, int map_width, int map_height, double opacity);

}  // namespace alzscan
