// alzscan/calibration.h: confidence that means what it says (temperature scaling, Guo et al. 2017)
// and the numbers that measure it.
//
//   double t = alzscan::fit_temperature(val_labels, val_logits, 4);   // validation people only
//   std::vector<float> p = alzscan::softmax_rows(logits, 4, t);        // calibrated probabilities
//   alzscan::CalibrationStats s = alzscan::calibration_stats(labels, p, 4);   // ECE, Brier, NLL
//
// Data contract (N samples, C classes, row-major N x C):
//   softmax_rows        p_ic = exp(z_ic / t) / sum_k exp(z_ik / t), in double, stored as float;
//                       t > 0, so each row's argmax is the argmax of its logits.
//   log_probabilities   ln(max(p, 1e-12)): logits whose softmax is p again (what the cross-validation
//                       has is probabilities; softmax_rows(log p, t) = p^(1/t) / sum p^(1/t)).
//   fit_temperature     the t in [0.05, 20] that minimises the mean negative log-likelihood of
//                       softmax_rows(z, t) (golden-section search on ln t to 1e-7); 1 when there is no
//                       sample. Labels outside 0..C-1 are skipped.
//   calibration_stats   ece: 15 equal-width confidence bins (metrics.h); brier: mean over samples of
//                       sum_c (p_c - [c == y])^2 (0..2); nll: mean -ln(max(p_y, 1e-12)); bins: each
//                       bin's count, mean confidence and accuracy (the reliability diagram).
#pragma once

#include <cstdint>
#include <vector>

namespace alzscan {

std::vector<float> softmax_rows(const std::vector<float>& logits, int num_classes, double temperature = 1.0);

std::vector<float> log_probabilities(const std::vector<float>& probabilities);

double mean_nll(const std::vector<int>& labels, const std::vector<float>& logits, int num_classes,
                double temperature);

double fit_temperature(const std::vector<int>& labels, const std::vector<float>& logits, int num_classes);

struct ReliabilityBin {
    int64_t count = 0;
    double confidence = 0.0;   // mean max-probability of the bin's samples
    double accuracy = 0.0;     // fraction of them whose argmax is right
};

struct CalibrationStats {
    int64_t count = 0;
    double ece = 0.0, brier = 0.0, nll = 0.0;
    std::vector<ReliabilityBin> bins;   // 15, bin b = (b/15, (b+1)/15]
};

CalibrationStats calibration_stats(const std::vector<int>& labels, const std::vector<float>& probabilities,
                                   int num_classes);

}  // namespace alzscan
