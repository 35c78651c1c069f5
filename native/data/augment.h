// native/data/augment.h: seeded training augmentation on cached uint8 slices.
//
//   alzscan::AugmentOptions aug;  aug.enabled = true;
//   std::mt19937_64 rng(batch_seed);
//   alzscan::augment_and_normalise(pixels, 128, 128, aug, spec, rng, out);   // out: 128*128 floats
//
// The seed homework's augmentation (random crop, horizontal flip, rotation, brightness/contrast
// jitter) as ONE affine warp + intensity change per image, drawn from `rng`:
//   zoom s ~ U[crop_scale, 1] (a random crop of side s*W resized back to W), crop centre shifted
//   uniformly inside the image, rotation ~ U[-rotation, +rotation] degrees, horizontal flip with
//   probability hflip; bilinear sampling, black (0) outside the source;
//   brightness factor b ~ U[1-brightness, 1+brightness]: v *= b;
//   contrast factor  c ~ U[1-contrast, 1+contrast]:   v = (v - mean(v)) * c + mean(v);
//   clamp to 0..255, then normalise exactly like shared/ normalise_into: (v/255 - mean)/std.
// With enabled == false the output is bit-identical to shared/ normalise_into.
// Draws use only rng() (no std:: distributions), so a seed gives the same images everywhere.
#pragma once

#include <cstdint>
#include <random>

#include <nlohmann/json.hpp>

#include "alzscan/preprocess_spec.h"

namespace alzscan {

struct AugmentOptions {
    bool enabled = false;
    double crop_scale = 0.9;   // smallest crop side as a fraction of the image side (1: no crop)
    double rotation = 10.0;    // degrees
    double hflip = 0.5;        // probability
    double brightness = 0.2;
    double contrast = 0.2;
    double gamma = 0.0;        // gray levels v -> 255 (v/255)^g, log g uniform in +-log(1 + gamma); 0: off
};

nlohmann::json augment_options_to_json(const AugmentOptions& a);

// Uniform in [0, 1) from the top 53 bits of one draw.
inline double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

void augment_and_normalise(const uint8_t* pixels, int height, int width, const AugmentOptions& options,
                           const PreprocessSpec& spec, std::mt19937_64& rng, float* out);

}  // namespace alzscan
