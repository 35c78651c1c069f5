// Calibration and out-of-distribution thresholds on validation people (see calibrate.h).
#include "train/calibrate.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>
#include <string>

#include "alzscan/calibration.h"
#include "alzscan/gray_image.h"
#include "alzscan/ood.h"
#include "train/evaluate.h"

namespace alzscan {
namespace {

// The gamma jitter of configs/default.json (aug-gamma 0.3): gammas in [1/1.3, 1.3].
constexpr double kGammaJitter = 1.3;

std::vector<int> labels_of(const DatasetSplit& split) {
    const int64_t* p = split.labels.data_ptr<int64_t>();
    return std::vector<int>(p, p + split.size());
}

GrayImage slice_image(const DatasetSplit& split, int64_t i) {
    const torch::Tensor s = split.images[i][0].contiguous();
    GrayImage g;
    g.height = static_cast<int>(s.size(0));
    g.width = static_cast<int>(s.size(1));
    g.pixels.assign(s.data_ptr<uint8_t>(), s.data_ptr<uint8_t>() + s.numel());
    return g;
}

// A slice as a scanner with another gray-level response would give it: v -> 255 (v / 255)^g.
GrayImage with_gamma(const GrayImage& g, double gamma) {
    GrayImage out = g;
    for (uint8_t& p : out.pixels) p = static_cast<uint8_t>(std::lround(255.0 * std::pow(p / 255.0, gamma)));
    return out;
}

nlohmann::json stats_json(const CalibrationStats& s) {
    return {{"ece", s.ece}, {"brier", s.brier}, {"nll", s.nll}, {"count", s.count}};
}

std::string people_phrase(const DatasetSplit& split) {
    const std::set<std::string> people(split.groups.begin(), split.groups.end());
    return std::to_string(split.size()) + " slices of " + std::to_string(people.size()) + " validation people";
}

// Class means and the within-class variance (one diagonal covariance shared by the classes) of the
// training people's pooled features.
void feature_statistics(const SplitOutputs& train, const std::vector<int>& labels, OodSpec& spec) {
    const size_t F = static_cast<size_t>(train.features_per_row), C = static_cast<size_t>(train.classes);
    std::vector<std::vector<double>> sum(C, std::vector<double>(F, 0.0));
    std::vector<double> count(C, 0.0);
    for (size_t i = 0; i < labels.size(); ++i) {
        count[static_cast<size_t>(labels[i])] += 1;
        for (size_t k = 0; k < F; ++k) sum[static_cast<size_t>(labels[i])][k] += train.features[i * F + k];
    }
    spec.class_means.clear();
    for (size_t c = 0; c < C; ++c) {
        if (count[c] == 0) continue;   // a class absent from training has no mean
        for (double& v : sum[c]) v /= count[c];
        spec.class_means.push_back(sum[c]);
    }
    std::vector<double> var(F, 0.0);
    for (size_t i = 0; i < labels.size(); ++i)
        for (size_t k = 0; k < F; ++k) {
            const double e = train.features[i * F + k] - sum[static_cast<size_t>(labels[i])][k];
            var[k] += e * e;
        }
    const double dof = std::max(1.0, static_cast<double>(labels.size()) - static_cast<double>(spec.class_means.size()));
    for (double& v : var) v = std::max(v / dof, 1e-8);
    spec.variance = var;
}

nlohmann::json fit_ood(const Dataset& ds, const SplitOutputs& train, const SplitOutputs& val) {
    OodSpec spec;
    spec.enabled = true;
    feature_statistics(train, labels_of(ds.train), spec);
    spec.reference_histogram.assign(kProfileBins, 0.0);
    spec.reference_template.assign(kTemplateSide * kTemplateSide, 0.0);
    const double n = static_cast<double>(ds.train.size());
    for (int64_t i = 0; i < ds.train.size(); ++i) {
        const GrayImage slice = slice_image(ds.train, i);
        const std::vector<double> h = level_histogram(slice), t = template_grid(slice);
        for (size_t b = 0; b < h.size(); ++b) spec.reference_histogram[b] += h[b] / n;
        for (size_t b = 0; b < t.size(); ++b) spec.reference_template[b] += t[b] / n;
    }
    spec.checks = default_checks(true);
    std::vector<std::vector<double>> values(spec.checks.size());
    const size_t F = static_cast<size_t>(val.features_per_row);
    // Each validation slice as it is and at the two ends of the gamma range the recipe trains with
    // (kGammaJitter), so a T1 slice from another scanner is not refused for its gray-level response;
    // the features are the slice's own.
    for (int64_t i = 0; i < ds.val.size(); ++i) {
        const GrayImage slice = slice_image(ds.val, i);
        const double d = feature_distance(spec, val.features.data() + static_cast<size_t>(i) * F, F);
        for (const double gamma : {1.0, 1.0 / kGammaJitter, kGammaJitter}) {
            const InputMeasures m = measure_input(gamma == 1.0 ? slice : with_gamma(slice, gamma), spec);
            for (size_t k = 0; k < spec.checks.size(); ++k) values[k].push_back(check_value(spec.checks[k], m, d));
        }
    }
    fit_thresholds(spec.checks, values, spec.target_rate, &spec.validation_rate);
    nlohmann::json j = nlohmann::json::parse(ood_spec_to_json(spec));
    j["fitted_on"] = people_phrase(ds.val) + ", each also at gamma 1/1.3 and 1.3 (thresholds); the training people "
                     "(features, histogram)";
    return j;
}

}  // namespace

SplitOutputs forward_split(Classifier& net, const DatasetSplit& split, const PreprocessSpec& spec,
                           torch::Device device, int64_t batch_size) {
    const bool was_training = net->is_training();
    net->eval();
    torch::NoGradGuard no_grad;
    SplitOutputs out;
    for (int64_t start = 0; start < split.size(); start += batch_size) {
        const int64_t end = std::min(split.size(), start + batch_size);
        const torch::Tensor x = normalise_batch(split.images.slice(0, start, end), spec).to(device);
        const torch::Tensor features = net->pool(net->feature_maps(x));
        const torch::Tensor logits = net->logits_of(features).to(torch::kFloat32).cpu().contiguous();
        const torch::Tensor pooled = features.to(torch::kFloat32).cpu().contiguous();
        out.classes = logits.size(1);
        out.features_per_row = pooled.size(1);
        out.logits.insert(out.logits.end(), logits.data_ptr<float>(), logits.data_ptr<float>() + logits.numel());
        out.features.insert(out.features.end(), pooled.data_ptr<float>(), pooled.data_ptr<float>() + pooled.numel());
    }
    if (was_training) net->train();
    return out;
}

nlohmann::json fit_calibration(Classifier& net, const Dataset& ds, const PreprocessSpec& spec, torch::Device device) {
    if (ds.val.size() == 0)
        throw std::runtime_error("calibration needs validation people, and this run has none; hint: train with "
                                 "--val-fraction > 0 --val-mode grouped");
    const SplitOutputs val = forward_split(net, ds.val, spec, device);
    const SplitOutputs train = forward_split(net, ds.train, spec, device);
    const std::vector<int> y = labels_of(ds.val);
    const int C = static_cast<int>(val.classes);
    const double t = fit_temperature(y, val.logits, C);
    const nlohmann::json calibration = {
        {"temperature", t},
        {"method", "temperature scaling: the t minimising the validation negative log-likelihood"},
        {"fitted_on", people_phrase(ds.val)},
        {"validation", {{"before", stats_json(calibration_stats(y, softmax_rows(val.logits, C, 1.0), C))},
                        {"after", stats_json(calibration_stats(y, softmax_rows(val.logits, C, t), C))}}}};
    return {{"calibration", calibration}, {"ood", fit_ood(ds, train, val)}};
}

double temperature_of(const nlohmann::json& meta) {
    if (!meta.is_object() || !meta.contains("calibration") || !meta["calibration"].is_object()) return 1.0;
    const double t = meta["calibration"].value("temperature", 1.0);
    if (!(t > 0) || !std::isfinite(t))
        throw std::runtime_error("the checkpoint's calibration temperature " + std::to_string(t) +
                                 " is not a positive number; hint: alzscan calibrate it again");
    return t;
}

}  // namespace alzscan
