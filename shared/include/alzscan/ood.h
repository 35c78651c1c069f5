// alzscan/ood.h: is this input what the model knows? Cheap checks on the prepared slice plus a
// distance in the model's pooled features, each with a threshold set on validation people, so a
// photo, a sagittal or proton-density slice or a monkey brain is flagged instead of classified.
//
//   alzscan::OodSpec spec = *alzscan::parse_ood_spec(model_json_text);   // model.json "ood"
//   alzscan::InputMeasures m = alzscan::measure_input(prepared, spec);
//   alzscan::OodVerdict v = alzscan::assess_slice(spec, m, features, n_features);
//   if (v.flag) show(v.reason);            // the class is not a result
//
// Data contract:
//   prepared           the slice exactly as the model sees it (preprocess.h prepare_gray: conformed or
//                      resized, 8-bit, spec width x height).
//   measure_input      foreground: fraction of pixels >= conform.h foreground_threshold; symmetry: the
//                      Pearson correlation of the slice with its left-right mirror (0 when flat);
//                      profile: L1 distance (0..2) between the foreground's 16-bin gray-level histogram
//                      (bins of 16 levels, sums to 1) and reference_histogram; template: the Pearson
//                      correlation of the slice's 16 x 16 block means (template_grid) with the training
//                      slices' mean grid (reference_template; 0 when either is flat or absent).
//   feature_distance   min over classes of mean_k (f_k - mean_ck)^2 / variance_k: a Mahalanobis
//                      distance with one diagonal covariance shared by the classes, on the pooled
//                      features (model.onnx output "features"; the training people's class means
//                      and within-class variance). -1 when the spec has no feature statistics.
//   checks             each {name, direction ("above" | "below"), median, threshold, reason}: the value's
//                      score is (value - median) / (threshold - median); a score > 1 flags the input.
//   assess_slice       the largest score of the checks; flag = score > 1; reason = that check's. The
//                      features check is skipped without features, the template check without a
//                      reference_template.
//   assess_scan        a scan is flagged when more than a quarter of its slices are: its score is the
//                      75th percentile of its slices' scores (flag = score > 1), its reason the most
//                      common reason among its flagged slices.
//   fit_thresholds     thresholds at the validation values' quantiles q and 1 - q (numpy linear), the
//                      largest tail q <= target such that at most `target` of the validation samples
//                      are flagged by any check (bisection on q).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "alzscan/expected.h"
#include "alzscan/gray_image.h"

namespace alzscan {

inline constexpr int kProfileBins = 16;

struct InputMeasures {
    double foreground = 0.0;
    double symmetry = 0.0;
    double profile = 0.0;
    double template_match = 0.0;
};

inline constexpr int kTemplateSide = 16;

struct OodCheck {
    std::string name;        // foreground_low | foreground_high | symmetry | profile | template | features
    bool above = true;       // flagged when the value is above the threshold (else below)
    double median = 0.0;
    double threshold = 0.0;
    std::string reason;
};

struct OodSpec {
    bool enabled = false;
    std::vector<OodCheck> checks;
    std::vector<double> reference_histogram;            // kProfileBins, sums to 1
    std::vector<double> reference_template;             // kTemplateSide^2, row-major gray levels
    std::vector<std::vector<double>> class_means;       // classes x features
    std::vector<double> variance;                       // features
    double target_rate = 0.01;                          // of real validation slices flagged
    double validation_rate = 0.0;                       // measured at the thresholds
};

struct OodVerdict {
    bool flag = false;
    double score = 0.0;
    std::string check;    // the check with the largest score
    std::string reason;   // empty when not flagged
    std::vector<std::pair<std::string, double>> scores;   // every check's score (slices only)
};

// The foreground's 16-bin gray-level histogram (sums to 1; all zero when there is no foreground).
std::vector<double> level_histogram(const GrayImage& prepared);
// The slice's kTemplateSide x kTemplateSide block means (block y covers rows [y H / 16, (y + 1) H / 16)).
std::vector<double> template_grid(const GrayImage& prepared);
InputMeasures measure_input(const GrayImage& prepared, const OodSpec& spec);
double feature_distance(const OodSpec& spec, const float* features, size_t n_features);

// The check's value from the measures and the feature distance (by check name).
double check_value(const OodCheck& check, const InputMeasures& m, double distance);
OodVerdict assess_slice(const OodSpec& spec, const InputMeasures& m, const float* features, size_t n_features);
OodVerdict assess_scan(const std::vector<OodVerdict>& slices);

// The checks this version knows, in order, with their direction and reason (thresholds unset).
std::vector<OodCheck> default_checks(bool with_features);
// values[k][i]: check k's value on validation sample i. Sets each check's median and threshold and
// *flagged_rate (the fraction of samples any check flags); returns the tail q used.
double fit_thresholds(std::vector<OodCheck>& checks, const std::vector<std::vector<double>>& values,
                      double target, double* flagged_rate);

// A verdict as the CLI's and the app's JSON: {"flag", "score", "check", "reason"[, "scores": {check: score}]}.
std::string ood_verdict_json(const OodVerdict& v);

// model.json's "ood" member: ood_spec_to_json(spec) is its JSON text; parse_ood_spec reads a whole
// model.json (no "ood" member: enabled = false) and names the bad field on error.
std::string ood_spec_to_json(const OodSpec& spec);
Expected<OodSpec> parse_ood_spec(const std::string& model_json);

}  // namespace alzscan
