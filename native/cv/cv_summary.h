// native/cv/cv_summary.h: out-of-fold predictions -> person-level and slice-level numbers with
// intervals over people, baselines beside the model, paired differences. No LibTorch.
//
//   std::vector<alzscan::OofRow> rows = ...;             // every image once, from the model that
//                                                        // did not train on its fold
//   alzscan::CvInputs in{class_names, "Non_Demented", "Moderate_Demented", 2000, 1};
//   nlohmann::json level = alzscan::summarise_level(rows, in, alzscan::Level::people);
//   nlohmann::json diff  = alzscan::paired_difference(model_rows, knn_rows, in);
//
// Data contract: OofRow.probs has one probability per class (class_names order), summing to 1.
// A person's probabilities are shared/ aggregate_slices() of their slices (the browser's scan
// verdict uses the same function); a person's class is their slices' class (all must agree).
// Intervals: 95 % percentile bootstrap over people (shared/ bootstrap_interval), resampling whole
// people at both levels (a person's slices are not independent). "dementia" is every class but
// `none_class`; its score is 1 - p(none_class); sensitivity and specificity come from the argmax.
// balanced_accuracy_3 leaves `rare_class` out (Moderate_Demented is two people in this data).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace alzscan {

struct OofRow {
    std::string path;      // relative_path
    int fold = 0;
    std::string subject;
    int label = 0;
    std::vector<float> probs;
};

struct CvInputs {
    std::vector<std::string> class_names;
    std::string none_class = "Non_Demented";
    std::string rare_class = "Moderate_Demented";
    int resamples = 2000;
    uint64_t seed = 1;
};

enum class Level { slices, people };

// One row per person (fold, subject, label, aggregated probs; path = the subject). Throws
// std::runtime_error naming the person when their slices disagree on class or fold.
std::vector<OofRow> people_rows(const std::vector<OofRow>& slices, size_t num_classes);

// {"count", "people", "accuracy", "balanced_accuracy", "balanced_accuracy_3", "macro_f1",
//  "dementia_auc", "dementia_sensitivity", "dementia_specificity", "none_precision",
//  "per_class": {name: {"recall", "support", "people"}}, "confusion",
//  "intervals": {metric: [low, high]}}
nlohmann::json summarise_level(const std::vector<OofRow>& slices, const CvInputs& in, Level level);

// Person level, per fold: {"balanced_accuracy": [...], "dementia_auc": [...]} in fold order.
nlohmann::json per_fold(const std::vector<OofRow>& slices, const CvInputs& in);

// Person level, a minus b on the same resampled people: {"balanced_accuracy": {"difference",
// "interval"}, "dementia_auc": {...}, "macro_f1": {...}}. a and b hold the same images.
nlohmann::json paired_difference(const std::vector<OofRow>& a, const std::vector<OofRow>& b, const CvInputs& in);

// Before and after temperature scaling (each fold at its validation people's temperature): ECE (15
// bins), Brier score, NLL and the reliability bins, at both levels: {"slices": {"before", "after"},
// "people": {"before", "after"}, "method"}; each {"count", "ece", "brier", "nll", "bins":
// [{"count", "confidence", "accuracy"}]}. before and after hold the same images.
nlohmann::json calibration_summary(const std::vector<OofRow>& before, const std::vector<OofRow>& after, const CvInputs& in);

// The oof.tsv text: relative_path, fold, subject, class, p_<class>... (%.6g), one line per row.
std::string oof_tsv(const std::vector<OofRow>& rows, const std::vector<std::string>& class_names);

// oof_tsv's text back into rows; class_names gets the header's p_<class> names. Throws
// std::runtime_error naming the line for a malformed file.
std::vector<OofRow> parse_oof_tsv(const std::string& text, std::vector<std::string>& class_names);

// summary.md from cv.json (see cmd_cv.cpp for its layout).
std::string cv_markdown(const nlohmann::json& cv);

}  // namespace alzscan
