// Cross-validation numbers from out-of-fold rows (native/cv/cv_summary.h), against values worked
// out by hand in the comments.
#include <gtest/gtest.h>

#include <cmath>

#include "cv/cv_summary.h"

using namespace alzscan;

namespace {

CvInputs two_classes() {
    CvInputs in;
    in.class_names = {"A", "N"};   // A: a dementia class, N: none
    in.none_class = "N";
    in.rare_class = "none of them";
    in.resamples = 200;
    return in;
}

// P1 (A): slices (0.8, 0.2), (0.6, 0.4); P2 (N): (0.3, 0.7); P3 (N): (0.6, 0.4); P4 (A): (0.45, 0.55).
std::vector<OofRow> rows() {
    return {{"s1", 0, "P1", 0, {0.8f, 0.2f}}, {"s2", 0, "P1", 0, {0.6f, 0.4f}}, {"s3", 1, "P2", 1, {0.3f, 0.7f}},
            {"s4", 1, "P3", 1, {0.6f, 0.4f}}, {"s5", 2, "P4", 0, {0.45f, 0.55f}}};
}

}  // namespace

TEST(CvSummary, APersonIsTheNormalisedGeometricMeanOfTheirSlices) {
    auto people = people_rows(rows(), 2);
    ASSERT_EQ(people.size(), 4u);
    EXPECT_EQ(people[0].subject, "P1");
    // sqrt(0.8 * 0.6) = 0.69282, sqrt(0.2 * 0.4) = 0.28284; normalised: 0.71010, 0.28990.
    EXPECT_NEAR(people[0].probs[0], 0.69282 / (0.69282 + 0.28284), 1e-5);
    EXPECT_NEAR(people[0].probs[1], 0.28284 / (0.69282 + 0.28284), 1e-5);
    EXPECT_NEAR(people[1].probs[1], 0.7, 1e-6);   // one slice: itself
}

TEST(CvSummary, PersonLevelNumbersByHand) {
    const auto j = summarise_level(rows(), two_classes(), Level::people);
    // Predicted A, N, A, N for true A, N, N, A: recall 1/2 each.
    EXPECT_EQ(j["count"], 4);
    EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), 0.5);
    EXPECT_DOUBLE_EQ(j["balanced_accuracy"].get<double>(), 0.5);
    // Dementia scores 1 - p(N): P1 0.710, P4 0.45 (positives) vs P2 0.3, P3 0.6: 3 of 4 pairs.
    EXPECT_DOUBLE_EQ(j["dementia_auc"].get<double>(), 0.75);
    EXPECT_DOUBLE_EQ(j["dementia_sensitivity"].get<double>(), 0.5);   // P1 called, P4 not
    EXPECT_DOUBLE_EQ(j["dementia_specificity"].get<double>(), 0.5);   // P2 right, P3 not
    EXPECT_DOUBLE_EQ(j["none_precision"].get<double>(), 0.5);         // called N: P2 (right), P4
    EXPECT_EQ(j["per_class"]["A"]["people"], 2);
    for (const auto& [name, ci] : j["intervals"].items()) {
        EXPECT_LE(ci[0].get<double>(), ci[1].get<double>()) << name;
        EXPECT_GE(ci[0].get<double>(), 0.0) << name;
        EXPECT_LE(ci[1].get<double>(), 1.0) << name;
    }
}

TEST(CvSummary, SliceLevelCountsSlicesButResamplesPeople) {
    const auto j = summarise_level(rows(), two_classes(), Level::slices);
    // Slices: true A A N N A, predicted A A N A N: recall A 2/3, N 1/2 -> (2/3 + 1/2) / 2.
    EXPECT_EQ(j["count"], 5);
    EXPECT_EQ(j["people"], 4);
    EXPECT_NEAR(j["balanced_accuracy"].get<double>(), (2.0 / 3.0 + 0.5) / 2.0, 1e-12);
}

TEST(CvSummary, PairedDifferenceOfAModelWithItselfIsExactlyZero) {
    const auto d = paired_difference(rows(), rows(), two_classes());
    for (const char* m : {"balanced_accuracy", "dementia_auc", "macro_f1"}) {
        EXPECT_EQ(d[m]["difference"].get<double>(), 0.0) << m;
        EXPECT_EQ(d[m]["interval"][0].get<double>(), 0.0) << m;
        EXPECT_EQ(d[m]["interval"][1].get<double>(), 0.0) << m;
    }
}

TEST(CvSummary, APersonWhoseSlicesDisagreeIsAnError) {
    auto r = rows();
    r[1].label = 1;
    try {
        people_rows(r, 2);
        FAIL() << "accepted a person with two classes";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("person 'P1': s2 has another class or fold than s1"), std::string::npos)
            << e.what();
    }
}

TEST(CvSummary, OofTsvHasOneLinePerRow) {
    const std::string t = oof_tsv(rows(), {"A", "N"});
    EXPECT_EQ(t.substr(0, t.find('\n')), "relative_path\tfold\tsubject\tclass\tp_A\tp_N");
    EXPECT_NE(t.find("\ns5\t2\tP4\tA\t0.45\t0.55\n"), std::string::npos) << t;
    EXPECT_EQ(std::count(t.begin(), t.end(), '\n'), 6);
}

TEST(CvSummary, CalibrationBeforeAndAfterByHand) {
    // "After": every slice moved to (0.5, 0.5) except s1. Slices before: Brier of s1 (y = A, p_A 0.8) is
    // 0.2^2 + 0.2^2 = 0.08; s2 0.32; s3 (y = N, p_N 0.7) 0.18; s4 (y = N, p_N 0.4) 0.72; s5 0.605.
    std::vector<OofRow> after = rows();
    for (size_t i = 1; i < after.size(); ++i) after[i].probs = {0.5f, 0.5f};
    const auto j = calibration_summary(rows(), after, two_classes());
    EXPECT_EQ(j["slices"]["before"]["count"], 5);
    EXPECT_NEAR(j["slices"]["before"]["brier"].get<double>(), (0.08 + 0.32 + 0.18 + 0.72 + 0.605) / 5, 1e-6);
    EXPECT_NEAR(j["slices"]["before"]["nll"].get<double>(),
                -(std::log(0.8) + std::log(0.6) + std::log(0.7) + std::log(0.4) + std::log(0.45)) / 5, 1e-6);
    EXPECT_NEAR(j["slices"]["after"]["brier"].get<double>(), (0.08 + 4 * 0.5) / 5, 1e-6);
    EXPECT_EQ(j["people"]["before"]["count"], 4);
    EXPECT_EQ(j["slices"]["before"]["bins"].size(), 15u);
}
