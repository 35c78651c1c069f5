// alzscan/preprocess_spec.h: how an image becomes a model input, and the class names.
//
//   auto spec = alzscan::parse_preprocess_spec(model_json_text);   // model.json from the trainer
//   if (!spec) return spec.error();   // e.g. "model.json: input.std must be > 0 (got 0)"
//   std::string j = alzscan::preprocess_spec_to_json(*spec);
//
// JSON contract (the "input" and "classes" members of model.json; other members are ignored
// here and belong to the caller):
//   {
//     "input":   {"name": "input", "layout": "NCHW", "channels": 1, "height": 128, "width": 128,
//                 "mean": 0.5, "std": 0.5, "resize": "area",
//                 "conform": {"box_width": 0.78, "box_height": 0.81, "centre_x": 0.5,
//                             "centre_y": 0.5, "low": 25, "high": 240},    // optional
//                 "pose": {"templates": ["00a1...", ...], "low": [...], "high": [...], "ncc_min": 0.8,
//                          "fitted_on": "..."}},                               // optional, slice_pose.h
//     "classes": ["Mild_Demented", "Moderate_Demented", "Non_Demented", "Very_Mild_Demented"]
//   }
// Normalised pixel = (pixel / 255 - mean) / std. With "conform", a decoded slice is conformed
// (conform.h) to height x width instead of resized: the trainer measured those numbers on its
// training slices, and every side applies them the same way.
#pragma once

#include <string>
#include <vector>

#include "alzscan/conform.h"
#include "alzscan/expected.h"
#include "alzscan/slice_pose.h"

namespace alzscan {

// model.json's "format" and the ONNX file's metadata "format": what `alzscan export` writes and the
// app accepts. A change of the layout gets a new number.
inline constexpr const char* kModelFormat = "alzscan-model/1";

struct PreprocessSpec {
    std::string input_name = "input";
    int channels = 1;        // only 1 (gray) is supported
    int height = 128;        // pixels
    int width = 128;         // pixels
    float mean = 0.5f;       // in units of pixel/255
    float std = 0.5f;        // in units of pixel/255, > 0
    std::string resize = "area";
    ConformSpec conform;     // enabled == false: resize only
    PoseSpec pose;           // with conform: a decoded slice's pose step (slice_pose.h); empty: none
    std::vector<std::string> class_names;
};

// The dataset's four classes, in the HF label order (0..3).
std::vector<std::string> default_class_names();

// Validates every member: types, height/width in 1..8192, std > 0 and finite, mean finite,
// channels == 1, layout == "NCHW", resize == "area", at least 2 distinct non-empty class names;
// conform (optional): fractions in range, 0 <= low < high <= 255; pose (optional, only with conform):
// kPoseLevels templates of kPoseSide^2 whole gray levels, each a string of 2 lowercase hex digits per
// level (row-major), low <= high, ncc_min in -1..1.
// Required: input.height, input.width, input.mean, input.std, classes. Optional (the default is
// the only accepted value): input.name ("input"), input.layout, input.channels, input.resize.
// Errors name the key: "model.json: missing key \"input.std\" (a number)",
// "model.json: input.height must be an integer (got string \"128\")", "model.json: classes[2]
// repeats the class name \"a\"". `source` names the text in every message (a checkpoint's meta
// is not a model.json). Never throws (nlohmann/json with allow_exceptions = false).
Expected<PreprocessSpec> parse_preprocess_spec(const std::string& json_text, const std::string& source = "model.json");

// Writes {"input": {...}, "classes": [...]}; parse_preprocess_spec reads it back exactly.
std::string preprocess_spec_to_json(const PreprocessSpec& spec);

}  // namespace alzscan
