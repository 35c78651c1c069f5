// alzscan/metrics.h: classification metrics, computed the same way in trainer, report and browser.
//
//   std::vector<int> labels = {...};                 // true class per sample, 0..C-1
//   std::vector<float> probs = {...};                // N x C row-major probabilities
//   alzscan::Metrics m = alzscan::compute_metrics(labels, probs, 4);
//   std::printf("macro-F1 %.3f\n", m.macro_f1);
//   std::string j = alzscan::metrics_to_json(m, class_names);
//
// Definitions (sklearn's where it has one):
//   confusion[t][p]      count of samples of true class t predicted as p (argmax, first max wins)
//   precision_c          TP / (TP + FP), 0 when nothing was predicted as c ("zero_division=0")
//   recall_c             TP / support_c, 0 when support_c == 0
//   f1_c                 2PR / (P + R), 0 when P + R == 0
//   accuracy             trace / N
//   balanced_accuracy    mean recall over classes with support > 0
//   macro_*              unweighted mean over all C classes
//   weighted_f1          support-weighted mean of f1_c
//   recall interval      Wilson score interval, 95 % (z = 1.959963984540054); [0, 1] when support == 0
//   ece                  15 equal-width confidence bins (i/15, (i+1)/15], confidence = max prob;
//                        sum over bins of (n_bin / N) * |accuracy_bin - mean confidence_bin|
//                        (Guo et al. 2017, "On Calibration of Modern Neural Networks")
//   log_loss             mean of -ln(max(p_true, 1e-12)) when probabilities are given
//   roc_auc              area under the ROC curve of a score for a binary label: the
//                        Mann-Whitney U / (n_pos * n_neg), ties counted half (sklearn's
//                        roc_auc_score); 0.5 when either side is empty (undefined)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace alzscan {

struct Interval {
    double low = 0.0;
    double high = 0.0;
};

struct ClassMetrics {
    double precision = 0.0;
    double recall = 0.0;
    double f1 = 0.0;
    int64_t support = 0;     // number of true samples of this class
    int64_t predicted = 0;   // number of samples predicted as this class
    Interval recall_ci;      // Wilson 95 %
};

struct Metrics {
    int num_classes = 0;
    int64_t count = 0;
    std::vector<std::vector<int64_t>> confusion;  // [true][predicted]
    std::vector<ClassMetrics> per_class;
    double accuracy = 0.0;
    double balanced_accuracy = 0.0;
    double macro_precision = 0.0;
    double macro_recall = 0.0;
    double macro_f1 = 0.0;
    double weighted_f1 = 0.0;
    double ece = 0.0;        // 0 when computed from predictions only
    double log_loss = 0.0;   // 0 when computed from predictions only
};

// From hard predictions (no ECE / log loss). labels and predictions: same length, values 0..C-1;
// out-of-range values are ignored and not counted.
Metrics compute_metrics_from_predictions(const std::vector<int>& labels,
                                         const std::vector<int>& predictions, int num_classes);

// From probabilities, N x C row-major (N = labels.size()); predictions are the row argmax.
// A probability buffer shorter than N x C is never read past its end (missing rows are skipped).
Metrics compute_metrics(const std::vector<int>& labels, const std::vector<float>& probabilities,
                        int num_classes);

Interval wilson_interval(int64_t successes, int64_t trials, double z = 1.959963984540054);

double expected_calibration_error(const std::vector<int>& labels,
                                  const std::vector<float>& probabilities, int num_classes,
                                  int bins = 15);

// scores[i] ranks sample i (higher: more likely positive); positive[i] != 0 marks the positives.
double roc_auc(const std::vector<double>& scores, const std::vector<int>& positive);

// {"count":N,"accuracy":..,"balanced_accuracy":..,"macro_precision":..,"macro_recall":..,
//  "macro_f1":..,"weighted_f1":..,"ece":..,"log_loss":..,"confusion":[[..]..],
//  "per_class":{"<name>":{"precision":..,"recall":..,"f1":..,"support":..,"predicted":..,
//               "recall_ci":[low,high]}, ...}}
// class_names.size() must equal num_classes; when it does not, classes are named "0".."C-1".
std::string metrics_to_json(const Metrics& metrics, const std::vector<std::string>& class_names);

}  // namespace alzscan
