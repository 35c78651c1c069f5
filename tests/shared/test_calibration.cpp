// Temperature scaling and calibration numbers (alzscan/calibration.h) against values worked out by
// hand and a fixture whose true temperature is known.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "alzscan/calibration.h"

using namespace alzscan;

TEST(Calibration, SoftmaxWithATemperature) {
    const std::vector<float> z = {0.0f, std::log(2.0f)};
    const std::vector<float> p1 = softmax_rows(z, 2, 1.0);
    EXPECT_NEAR(p1[0], 1.0 / 3, 1e-7);
    EXPECT_NEAR(p1[1], 2.0 / 3, 1e-7);
    // t = 2: exp(ln 2 / 2) = sqrt 2.
    const std::vector<float> p2 = softmax_rows(z, 2, 2.0);
    EXPECT_NEAR(p2[0], 1 / (1 + std::sqrt(2.0)), 1e-7);
    EXPECT_NEAR(p2[1], std::sqrt(2.0) / (1 + std::sqrt(2.0)), 1e-7);
    // log_probabilities gives logits whose softmax is the input again.
    const std::vector<float> back = softmax_rows(log_probabilities(p1), 2, 1.0);
    EXPECT_NEAR(back[0], p1[0], 1e-7);
}

TEST(Calibration, BrierNllAndBinsByHand) {
    // Two samples: p = (0.7, 0.3) with y = 0, p = (0.35, 0.65) with y = 0.
    const std::vector<int> y = {0, 0};
    const std::vector<float> p = {0.7f, 0.3f, 0.35f, 0.65f};
    const CalibrationStats s = calibration_stats(y, p, 2);
    EXPECT_EQ(s.count, 2);
    EXPECT_NEAR(s.brier, (0.18 + 0.845) / 2, 1e-6);   // 0.3² + 0.3², 0.65² + 0.65²
    EXPECT_NEAR(s.nll, (-std::log(0.7) - std::log(0.35)) / 2, 1e-6);
    // Confidence 0.7 is in bin 10 = (10/15, 11/15], right; 0.65 in bin 9 = (9/15, 10/15], wrong.
    EXPECT_EQ(s.bins[10].count, 1);
    EXPECT_NEAR(s.bins[10].accuracy, 1.0, 1e-12);
    EXPECT_EQ(s.bins[9].count, 1);
    EXPECT_NEAR(s.bins[9].accuracy, 0.0, 1e-12);
    EXPECT_NEAR(s.ece, (0.3 + 0.65) / 2, 1e-6);
}

// Labels drawn from softmax(z / 2.5): the fitted temperature must come back near 2.5, lower the
// NLL below t = 1, keep each row a distribution and never change an argmax.
TEST(Calibration, FitRecoversAKnownTemperature) {
    std::mt19937_64 rng(7);
    const int C = 4, N = 6000;
    const double t_true = 2.5;
    std::vector<float> logits;
    std::vector<int> labels;
    for (int i = 0; i < N; ++i) {
        std::vector<float> z(C);
        for (float& v : z) v = static_cast<float>(static_cast<double>(rng() >> 11) / 9007199254740992.0 * 12 - 6);
        const std::vector<float> p = softmax_rows(z, C, t_true);
        const double u = static_cast<double>(rng() >> 11) / 9007199254740992.0;
        double acc = 0;
        int y = C - 1;
        for (int c = 0; c < C; ++c) {
            acc += p[c];
            if (u < acc) { y = c; break; }
        }
        logits.insert(logits.end(), z.begin(), z.end());
        labels.push_back(y);
    }
    const double t = fit_temperature(labels, logits, C);
    EXPECT_NEAR(t, t_true, 0.2);
    EXPECT_LT(mean_nll(labels, logits, C, t), mean_nll(labels, logits, C, 1.0) - 0.05);
    // The minimum: a step either side is no better.
    EXPECT_LE(mean_nll(labels, logits, C, t), mean_nll(labels, logits, C, t * 1.01));
    EXPECT_LE(mean_nll(labels, logits, C, t), mean_nll(labels, logits, C, t / 1.01));
    const std::vector<float> before = softmax_rows(logits, C, 1.0), after = softmax_rows(logits, C, t);
    for (int i = 0; i < N; ++i) {
        double sum = 0;
        int a = 0, b = 0;
        for (int c = 0; c < C; ++c) {
            sum += after[i * C + c];
            if (before[i * C + c] > before[i * C + a]) a = c;
            if (after[i * C + c] > after[i * C + b]) b = c;
        }
        ASSERT_NEAR(sum, 1.0, 1e-5) << i;
        ASSERT_EQ(a, b) << i;
    }
    // Calibrated on data drawn from the model: the ECE falls well below the uncalibrated one.
    EXPECT_LT(calibration_stats(labels, after, C).ece, 0.03);
    EXPECT_GT(calibration_stats(labels, before, C).ece, 0.1);
}

TEST(Calibration, NoSamplesMeansNoChange) {
    EXPECT_EQ(fit_temperature({}, {}, 4), 1.0);
    EXPECT_EQ(calibration_stats({}, {}, 4).count, 0);
}
