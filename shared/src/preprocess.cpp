// The single path from image bytes to the model's input tensor (see preprocess.h).
#include "alzscan/preprocess.h"

#include <cmath>
#include <string>

#include "alzscan/conform.h"
#include "alzscan/resize.h"

namespace alzscan {
namespace {

// A spec built by hand (not through parse_preprocess_spec) still gets checked before use.
Expected<bool> check_spec(const PreprocessSpec& spec) {
    if (spec.channels != 1)
        return make_error("preprocessing spec asks for " + std::to_string(spec.channels) +
                          " channels: only 1 (grayscale) is supported");
    if (spec.resize != "area")
        return make_error("preprocessing spec asks for resize method \"" + spec.resize +
                          "\": only \"area\" is supported");
    if (!(spec.std > 0.0f) || !std::isfinite(spec.std) || !std::isfinite(spec.mean))
        return make_error("preprocessing spec has mean " + std::to_string(spec.mean) + " and std " +
                          std::to_string(spec.std) + ": std must be > 0 and both finite");
    return true;
}

}  // namespace

Expected<GrayImage> prepare_image(const uint8_t* data, size_t size, const PreprocessSpec& spec,
                                  const DecodeLimits& limits, SlicePose* pose) {
    auto ok = check_spec(spec);
    if (!ok) return make_error(ok.error());
    DecodeLimits with_size = limits;
    with_size.model_height = spec.height;
    with_size.model_width = spec.width;
    auto image = decode_gray(data, size, with_size);
    if (!image) return image;
    return prepare_slice(*image, spec, pose);
}

Expected<GrayImage> prepare_slice(const GrayImage& image, const PreprocessSpec& spec, SlicePose* pose) {
    auto ok = check_spec(spec);
    if (!ok) return make_error(ok.error());
    if (spec.conform.enabled) return pose_and_conform(image, spec.conform, spec.pose, spec.width, spec.height, pose);
    return resize_gray(image, spec.width, spec.height);
}

Expected<GrayImage> prepare_gray(const GrayImage& image, const PreprocessSpec& spec) {
    auto ok = check_spec(spec);
    if (!ok) return make_error(ok.error());
    if (spec.conform.enabled) return conform_slice(image, spec.conform, spec.width, spec.height);
    return resize_gray(image, spec.width, spec.height);
}

void normalise_into(const GrayImage& image, const PreprocessSpec& spec, float* out) {
    const size_t count = static_cast<size_t>(image.width) * image.height;
    const float mean = spec.mean, std = spec.std;
    for (size_t i = 0; i < count && i < image.pixels.size(); ++i)
        out[i] = (static_cast<float>(image.pixels[i]) / 255.0f - mean) / std;
}

Expected<std::vector<float>> preprocess_bytes(const uint8_t* data, size_t size,
                                              const PreprocessSpec& spec,
                                              const DecodeLimits& limits) {
    auto image = prepare_image(data, size, spec, limits);
    if (!image) return make_error(image.error());
    std::vector<float> tensor(static_cast<size_t>(image->width) * image->height);
    normalise_into(*image, spec, tensor.data());
    return tensor;
}

}  // namespace alzscan
