// Metrics against worked examples that can be checked elsewhere:
//  - sklearn's classification_report docs example (y_true=[0,1,2,2,2], y_pred=[0,0,2,2,1]):
//      class 0: precision 0.50 recall 1.00 f1 0.67 support 1
//      class 1: precision 0.00 recall 0.00 f1 0.00 support 1
//      class 2: precision 1.00 recall 0.67 f1 0.80 support 3
//      accuracy 0.60; macro avg 0.50 0.56 0.49; weighted avg 0.70 0.60 0.61
//  - sklearn's balanced_accuracy_score docs example: y_true=[0,1,0,0,1,0], y_pred=[0,1,0,0,0,1] -> 0.625
//  - Wilson score intervals worked by hand from the formula (below);
//  - ECE and log loss on a hand-made 6-sample case (below).
#include <gtest/gtest.h>

#include <cmath>

#include "alzscan/metrics.h"
#include "nlohmann/json.hpp"

using namespace alzscan;

TEST(Metrics, SklearnClassificationReportExample) {
    Metrics m = compute_metrics_from_predictions({0, 1, 2, 2, 2}, {0, 0, 2, 2, 1}, 3);
    ASSERT_EQ(m.num_classes, 3);
    EXPECT_EQ(m.count, 5);
    EXPECT_EQ(m.confusion, (std::vector<std::vector<int64_t>>{{1, 0, 0}, {1, 0, 0}, {0, 1, 2}}));
    EXPECT_DOUBLE_EQ(m.per_class[0].precision, 0.5);
    EXPECT_DOUBLE_EQ(m.per_class[0].recall, 1.0);
    EXPECT_NEAR(m.per_class[0].f1, 2.0 / 3.0, 1e-12);
    EXPECT_EQ(m.per_class[0].support, 1);
    EXPECT_EQ(m.per_class[0].predicted, 2);
    EXPECT_DOUBLE_EQ(m.per_class[1].precision, 0.0);
    EXPECT_DOUBLE_EQ(m.per_class[1].recall, 0.0);
    EXPECT_DOUBLE_EQ(m.per_class[1].f1, 0.0);
    EXPECT_DOUBLE_EQ(m.per_class[2].precision, 1.0);
    EXPECT_NEAR(m.per_class[2].recall, 2.0 / 3.0, 1e-12);
    EXPECT_NEAR(m.per_class[2].f1, 0.8, 1e-12);
    EXPECT_EQ(m.per_class[2].support, 3);
    EXPECT_DOUBLE_EQ(m.accuracy, 0.6);
    EXPECT_NEAR(m.macro_precision, 0.5, 1e-12);
    EXPECT_NEAR(m.macro_recall, (1.0 + 0.0 + 2.0 / 3.0) / 3.0, 1e-12);  // 0.56
    EXPECT_NEAR(m.macro_f1, (2.0 / 3.0 + 0.0 + 0.8) / 3.0, 1e-12);     // 0.49
    EXPECT_NEAR(m.weighted_f1, (1 * 2.0 / 3.0 + 1 * 0.0 + 3 * 0.8) / 5.0, 1e-12);  // 0.61
    EXPECT_NEAR(m.balanced_accuracy, (1.0 + 0.0 + 2.0 / 3.0) / 3.0, 1e-12);
    EXPECT_EQ(m.ece, 0.0);
    EXPECT_EQ(m.log_loss, 0.0);
}

TEST(Metrics, SklearnBalancedAccuracyExample) {
    Metrics m = compute_metrics_from_predictions({0, 1, 0, 0, 1, 0}, {0, 1, 0, 0, 0, 1}, 2);
    EXPECT_DOUBLE_EQ(m.balanced_accuracy, 0.625);  // (3/4 + 1/2) / 2
    EXPECT_NEAR(m.accuracy, 4.0 / 6.0, 1e-12);
}

TEST(Metrics, BalancedAccuracySkipsClassesWithoutSupportMacroDoesNot) {
    // Class 2 never occurs and is never predicted: balanced accuracy = mean recall of classes
    // 0 and 1 = (1 + 0.5)/2; macro recall averages all three = 1.5/3.
    Metrics m = compute_metrics_from_predictions({0, 0, 1, 1}, {0, 0, 1, 0}, 3);
    EXPECT_DOUBLE_EQ(m.balanced_accuracy, 0.75);
    EXPECT_DOUBLE_EQ(m.macro_recall, 0.5);
    EXPECT_DOUBLE_EQ(m.per_class[2].precision, 0.0);  // zero_division = 0
    Interval ci = m.per_class[2].recall_ci;
    EXPECT_EQ(ci.low, 0.0);
    EXPECT_EQ(ci.high, 1.0);
}

TEST(Metrics, OutOfRangeValuesAreIgnored) {
    Metrics m = compute_metrics_from_predictions({0, 1, 7, -1, 1}, {0, 1, 0, 0, 5}, 2);
    EXPECT_EQ(m.count, 2);
    EXPECT_DOUBLE_EQ(m.accuracy, 1.0);
}

TEST(Wilson, HandComputedIntervals) {
    // z = 1.959963984540054, z^2 = 3.841458821.
    // 8/10: p = 0.8, denom = 1 + z^2/10 = 1.3841458821, centre = (0.8 + z^2/20) / denom
    //   = 0.9920729411 / 1.3841458821 = 0.716741; half = z * sqrt(0.16/10 + z^2/400) / denom
    //   = 1.959964 * sqrt(0.0256036470) / 1.3841458821 = 0.226579  -> [0.490162, 0.943318]
    Interval a = wilson_interval(8, 10);
    EXPECT_NEAR(a.low, 0.490162, 1e-6);
    EXPECT_NEAR(a.high, 0.943318, 1e-6);
    // 0/10: centre = (z^2/20)/denom = 0.138766, half = z*sqrt(z^2/400)/denom = z^2/20/denom
    //   -> [0, 0.277533]
    Interval b = wilson_interval(0, 10);
    EXPECT_NEAR(b.low, 0.0, 1e-12);
    EXPECT_NEAR(b.high, 0.277533, 1e-6);
    // 10/10 mirrors 0/10.
    Interval c = wilson_interval(10, 10);
    EXPECT_NEAR(c.low, 1.0 - 0.277533, 1e-6);
    EXPECT_NEAR(c.high, 1.0, 1e-12);
    // 2/3: denom = 2.280486, centre = (0.666667 + 0.640243) / 2.280486 = 0.573084,
    //   half = 1.959964 * sqrt(0.074074 + 0.106707) / 2.280486 = 0.365424 -> [0.207660, 0.938508]
    Interval d = wilson_interval(2, 3);
    EXPECT_NEAR(d.low, 0.207660, 1e-6);
    EXPECT_NEAR(d.high, 0.938508, 1e-6);
    Interval none = wilson_interval(0, 0);
    EXPECT_EQ(none.low, 0.0);
    EXPECT_EQ(none.high, 1.0);
}

namespace {

// Six samples, two classes. Confidence (max prob), correct?, bin (15 bins, (b/15, (b+1)/15]):
//   [0.90,0.10] y=0: 0.90 right, bin 13      [0.92,0.08] y=1: 0.92 wrong, bin 13
//   [0.25,0.75] y=1: 0.75 right, bin 11      [0.62,0.38] y=1: 0.62 wrong, bin 9
//   [0.55,0.45] y=0: 0.55 right, bin 8       [0.30,0.70] y=1: 0.70 right, bin 10
// ECE = 2/6*|0.5 - 0.91| + 1/6*(0.25 + 0.62 + 0.45 + 0.30) = (0.82 + 1.62) / 6 = 0.406667
// log loss = mean -ln p_true = -(ln .9 + ln .08 + ln .75 + ln .38 + ln .55 + ln .7)/6
//          = (0.105361 + 2.525729 + 0.287682 + 0.967584 + 0.597837 + 0.356675) / 6 = 0.806811
const std::vector<int> kLabels = {0, 1, 1, 1, 0, 1};
const std::vector<float> kProbs = {0.90f, 0.10f, 0.92f, 0.08f, 0.25f, 0.75f,
                                   0.62f, 0.38f, 0.55f, 0.45f, 0.30f, 0.70f};

}  // namespace

TEST(Calibration, EceHandMadeSixSamples) {
    EXPECT_NEAR(expected_calibration_error(kLabels, kProbs, 2), 0.406667, 1e-6);
    // With one bin ECE is |accuracy - mean confidence| = |4/6 - 4.44/6| = 0.44/6.
    EXPECT_NEAR(expected_calibration_error(kLabels, kProbs, 2, 1), 0.44 / 6, 1e-6);
}

TEST(Calibration, PerfectlyCalibratedIsZero) {
    // Confidence 1.0 and always right: last bin, accuracy 1, confidence 1.
    EXPECT_NEAR(expected_calibration_error({0, 1}, {1.0f, 0.0f, 0.0f, 1.0f}, 2), 0.0, 1e-12);
    // Confidence 0.5 (first max wins -> class 0), right half the time: bin 7, |0.5 - 0.5| = 0.
    EXPECT_NEAR(expected_calibration_error({0, 1}, {0.5f, 0.5f, 0.5f, 0.5f}, 2), 0.0, 1e-12);
}

TEST(Metrics, FromProbabilitiesAddsEceAndLogLoss) {
    Metrics m = compute_metrics(kLabels, kProbs, 2);
    EXPECT_EQ(m.count, 6);
    // argmax: 0,0,1,0,0,1 vs labels 0,1,1,1,0,1 -> 4 right.
    EXPECT_EQ(m.confusion, (std::vector<std::vector<int64_t>>{{2, 0}, {2, 2}}));
    EXPECT_NEAR(m.accuracy, 4.0 / 6.0, 1e-12);
    EXPECT_NEAR(m.ece, 0.406667, 1e-6);
    EXPECT_NEAR(m.log_loss, 0.806811, 1e-6);
}

TEST(Metrics, LogLossClampsZeroProbability) {
    Metrics m = compute_metrics({1}, {1.0f, 0.0f}, 2);
    EXPECT_NEAR(m.log_loss, -std::log(1e-12), 1e-9);  // 27.631021
}

TEST(Metrics, JsonHasEveryDocumentedField) {
    Metrics m = compute_metrics(kLabels, kProbs, 2);
    auto j = nlohmann::json::parse(metrics_to_json(m, {"Non_Demented", "Mild_Demented"}));
    for (const char* key : {"count", "accuracy", "balanced_accuracy", "macro_precision", "macro_recall",
                            "macro_f1", "weighted_f1", "ece", "log_loss", "confusion", "per_class"})
        EXPECT_TRUE(j.contains(key)) << key;
    EXPECT_EQ(j["count"], 6);
    EXPECT_NEAR(j["ece"].get<double>(), 0.406667, 1e-6);
    EXPECT_EQ(j["confusion"], nlohmann::json::parse("[[2,0],[2,2]]"));
    const auto& mild = j["per_class"]["Mild_Demented"];
    EXPECT_EQ(mild["support"], 4);
    EXPECT_EQ(mild["predicted"], 2);
    EXPECT_NEAR(mild["recall"].get<double>(), 0.5, 1e-12);
    EXPECT_NEAR(mild["precision"].get<double>(), 1.0, 1e-12);
    EXPECT_EQ(mild["recall_ci"].size(), 2u);
    // Wrong number of names: classes are called "0".."C-1".
    auto k = nlohmann::json::parse(metrics_to_json(m, {"only one"}));
    EXPECT_TRUE(k["per_class"].contains("0"));
    EXPECT_TRUE(k["per_class"].contains("1"));
}

TEST(Metrics, EmptyInputIsAllZeros) {
    Metrics m = compute_metrics({}, {}, 4);
    EXPECT_EQ(m.count, 0);
    EXPECT_EQ(m.accuracy, 0.0);
    EXPECT_EQ(m.ece, 0.0);
    EXPECT_EQ(m.confusion.size(), 4u);
    // A probability buffer shorter than labels x classes is never read past its end.
    Metrics short_buffer = compute_metrics({0, 1, 1}, {0.9f, 0.1f}, 2);
    EXPECT_EQ(short_buffer.count, 1);
}

TEST(RocAuc, MannWhitneyByHandWithTies) {
    // Positives 0.9, 0.4, 0.4; negatives 0.4, 0.1. Pairs (pos > neg = 1, tie = 0.5):
    // 0.9: 1 + 1; 0.4: 0.5 + 1; 0.4: 0.5 + 1 -> 5 of 6 pairs = 0.8333...
    EXPECT_NEAR(roc_auc({0.9, 0.4, 0.4, 0.4, 0.1}, {1, 1, 1, 0, 0}), 5.0 / 6.0, 1e-12);
    EXPECT_DOUBLE_EQ(roc_auc({0.1, 0.2, 0.3, 0.4}, {0, 0, 1, 1}), 1.0);   // perfectly ranked
    EXPECT_DOUBLE_EQ(roc_auc({0.1, 0.2, 0.3, 0.4}, {1, 1, 0, 0}), 0.0);   // perfectly reversed
    EXPECT_DOUBLE_EQ(roc_auc({0.5, 0.5, 0.5}, {1, 0, 1}), 0.5);           // all tied
    EXPECT_DOUBLE_EQ(roc_auc({0.3, 0.7}, {1, 1}), 0.5);                   // no negatives: undefined
}
