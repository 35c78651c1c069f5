// Person-level aggregation, the bootstrap over people (alzscan/aggregate.h) and the verdicts said
// about a file or a scan (alzscan/verdict.h) against values
// worked out by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "alzscan/aggregate.h"
#include "alzscan/verdict.h"

using alzscan::aggregate_slices;
using alzscan::bootstrap_interval;
using alzscan::quantile;

TEST(Aggregate, NormalisedGeometricMeanOfTheSlices) {
    // sqrt(0.8 * 0.5) = sqrt(0.4), sqrt(0.2 * 0.5) = sqrt(0.1); normalised: 2/3 and 1/3.
    const std::vector<float> two = {0.8f, 0.2f, 0.5f, 0.5f};
    const std::vector<float> p = aggregate_slices(two.data(), 2, 2);
    ASSERT_EQ(p.size(), 2u);
    EXPECT_NEAR(p[0], 2.0 / 3.0, 1e-6);
    EXPECT_NEAR(p[1], 1.0 / 3.0, 1e-6);
    // Three classes: sqrt(.07), sqrt(.04), sqrt(.07) over their sum 0.729150.
    const std::vector<float> three = {0.7f, 0.2f, 0.1f, 0.1f, 0.2f, 0.7f};
    const std::vector<float> q = aggregate_slices(three.data(), 2, 3);
    EXPECT_NEAR(q[0], 0.362853, 1e-5);
    EXPECT_NEAR(q[1], 0.274292, 1e-5);
    EXPECT_NEAR(q[2], 0.362853, 1e-5);
}

TEST(Aggregate, OneSliceIsItselfAndZerosAreFloored) {
    const std::vector<float> one = {0.1f, 0.6f, 0.3f};
    const std::vector<float> p = aggregate_slices(one.data(), 1, 3);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(p[c], one[c], 1e-6);
    // Two slices sure of opposite classes: both means are log(1e-12) / 2, so 0.5 each (no NaN).
    const std::vector<float> opposite = {1.0f, 0.0f, 0.0f, 1.0f};
    const std::vector<float> q = aggregate_slices(opposite.data(), 2, 2);
    EXPECT_NEAR(q[0], 0.5, 1e-6);
    EXPECT_NEAR(q[1], 0.5, 1e-6);
    EXPECT_TRUE(aggregate_slices(one.data(), 0, 3).empty());
}

TEST(Aggregate, QuantileInterpolatesLikeNumpy) {
    const std::vector<double> v = {4, 1, 3, 2};   // sorted: 1 2 3 4
    EXPECT_DOUBLE_EQ(quantile(v, 0.0), 1.0);
    EXPECT_DOUBLE_EQ(quantile(v, 0.25), 1.75);    // position 0.75
    EXPECT_DOUBLE_EQ(quantile(v, 0.5), 2.5);
    EXPECT_DOUBLE_EQ(quantile(v, 1.0), 4.0);
    EXPECT_DOUBLE_EQ(quantile({}, 0.5), 0.0);
}

TEST(Aggregate, BootstrapIntervalOverPeople) {
    // A statistic that ignores the resample: the interval is that value.
    auto constant = bootstrap_interval(10, [](const std::vector<size_t>&) { return 0.7; }, 200, 1);
    EXPECT_DOUBLE_EQ(constant.low, 0.7);
    EXPECT_DOUBLE_EQ(constant.high, 0.7);
    // One person: every resample is that person.
    auto single = bootstrap_interval(1, [](const std::vector<size_t>& pick) { return 3.0 + pick[0]; }, 50, 1);
    EXPECT_DOUBLE_EQ(single.low, 3.0);
    EXPECT_DOUBLE_EQ(single.high, 3.0);
    // 100 people, half of them right: accuracy 0.5, standard error sqrt(.25 / 100) = 0.05, so the
    // 95 % interval is about 0.5 -+ 0.098.
    std::vector<int> right(100);
    for (size_t i = 0; i < right.size(); ++i) right[i] = i % 2;
    auto accuracy = [&](const std::vector<size_t>& pick) {
        double sum = 0;
        for (size_t i : pick) sum += right[i];
        return sum / static_cast<double>(pick.size());
    };
    auto ci = bootstrap_interval(right.size(), accuracy, 4000, 7);
    EXPECT_NEAR(ci.low, 0.402, 0.02);
    EXPECT_NEAR(ci.high, 0.598, 0.02);
    // The draws are a function of the seed: the same seed, the same resamples; another seed, others.
    auto draws = [](uint64_t seed) {
        std::vector<size_t> all;
        bootstrap_interval(20, [&](const std::vector<size_t>& pick) {
            all.insert(all.end(), pick.begin(), pick.end());
            return 0.0;
        }, 5, seed);
        return all;
    };
    EXPECT_EQ(draws(7), draws(7));
    EXPECT_NE(draws(7), draws(8));
    std::vector<int> seen(20, 0);
    for (size_t i : draws(7)) ++seen.at(i);   // indices stay in 0..19
    EXPECT_LT(std::count(seen.begin(), seen.end(), 0), 10);   // 100 draws reach most people
    EXPECT_DOUBLE_EQ(bootstrap_interval(0, accuracy, 10, 1).high, 0.0);
}

// verdict.h: the class said about a file or a scan, worked out by hand.
TEST(Verdict, ALoneSlicesClassIsItsArgmaxUnlessFlagged) {
    alzscan::OodVerdict ok, flagged;
    flagged.flag = true;
    EXPECT_EQ(alzscan::verdict_index({0.1f, 0.6f, 0.3f}, ok), 1);
    EXPECT_EQ(alzscan::verdict_index({0.4f, 0.2f, 0.4f}, ok), 0);   // ties: the first
    EXPECT_EQ(alzscan::verdict_index({0.1f, 0.6f, 0.3f}, flagged), -1);
    EXPECT_EQ(alzscan::verdict_index({}, ok), -1);
}

TEST(Verdict, AScanIsItsSlicesGeometricMeanFlaggedWhenOverAQuarterAre) {
    // Two slices as above: 2/3 and 1/3, class 0; neither flagged -> scores 0.5, 0.5.
    const std::vector<float> two = {0.8f, 0.2f, 0.5f, 0.5f};
    std::vector<alzscan::OodVerdict> oods(2);
    oods[0].score = oods[1].score = 0.5;
    alzscan::ScanVerdict v = alzscan::scan_verdict(two.data(), 2, 2, oods);
    ASSERT_EQ(v.probabilities.size(), 2u);
    EXPECT_NEAR(v.probabilities[0], 2.0 / 3.0, 1e-6);
    EXPECT_EQ(v.index, 0);
    EXPECT_FALSE(v.ood.flag);
    // Four slices, two flagged (scores 3): the 75th percentile of {0.5, 0.5, 3, 3} is 3 > 1, so the
    // scan is flagged, with the slices' reason, and says no class; its probabilities stay.
    const std::vector<float> four = {0.8f, 0.2f, 0.5f, 0.5f, 0.8f, 0.2f, 0.5f, 0.5f};
    std::vector<alzscan::OodVerdict> four_oods(4);
    for (int s = 0; s < 4; ++s) four_oods[s].score = s < 2 ? 0.5 : 3.0;
    for (int s = 2; s < 4; ++s) four_oods[s].flag = true, four_oods[s].reason = "its layout", four_oods[s].check = "layout";
    v = alzscan::scan_verdict(four.data(), 4, 2, four_oods);
    EXPECT_TRUE(v.ood.flag);
    EXPECT_EQ(v.ood.reason, "its layout");
    EXPECT_EQ(v.index, -1);
    EXPECT_NEAR(v.probabilities[0], 2.0 / 3.0, 1e-6);
    // One flagged of four (scores 0.5, 0.5, 0.5, 3): the 75th percentile is 0.5 + 0.25 * 2.5 = 1.125 > 1.
    four_oods[2].flag = false, four_oods[2].score = 0.5;
    v = alzscan::scan_verdict(four.data(), 4, 2, four_oods);
    EXPECT_TRUE(v.ood.flag);
    // No slices: nothing said.
    v = alzscan::scan_verdict(nullptr, 0, 2, {});
    EXPECT_TRUE(v.probabilities.empty());
    EXPECT_EQ(v.index, -1);
}
