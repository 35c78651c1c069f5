// Cross-validation numbers from out-of-fold rows (native/cv/cv_summary.h), against values worked
// out by hand in the comments.
#include <gtest/gtest.h>

#include <cmath>

#include "cv/cv_summary.h"
#include "cv/combined_verdict.h"
#include "cv/tissue_baselines.h"

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

// ---- oof.tsv read back, and the tissue baselines (native/cv/tissue_baselines.h) ----

TEST(CvSummary, OofTsvReadsBackWhatItWrote) {
    const std::vector<OofRow> r = rows();
    std::vector<std::string> classes;
    const std::vector<OofRow> back = parse_oof_tsv(oof_tsv(r, {"A", "N"}), classes);
    EXPECT_EQ(classes, (std::vector<std::string>{"A", "N"}));
    ASSERT_EQ(back.size(), r.size());
    for (size_t i = 0; i < r.size(); ++i) {
        EXPECT_EQ(back[i].path, r[i].path);
        EXPECT_EQ(back[i].fold, r[i].fold);
        EXPECT_EQ(back[i].subject, r[i].subject);
        EXPECT_EQ(back[i].label, r[i].label);
        EXPECT_EQ(back[i].probs, r[i].probs);   // %.6g keeps these two-digit values exactly
    }
    try {
        parse_oof_tsv("relative_path\tfold\tsubject\tclass\tp_A\tp_N\ns1\t0\tP1\tB\t0.5\t0.5\n", classes);
        FAIL() << "a class outside the header was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
    }
    EXPECT_THROW(parse_oof_tsv("path\tfold\n", classes), std::runtime_error);
}

namespace {

TissueMeasures csf(double v) {
    TissueMeasures t;
    t.found = true;
    t.csf_fraction = v, t.gm_fraction = 0.5 - v / 2, t.wm_fraction = 0.5 - v / 2, t.ventricle_fraction = v / 10;
    return t;
}

}  // namespace

TEST(TissueBaselines, CsfFractionScoresAPersonByTheirMeanCsf) {
    // P1 (A): slices 0.30 and 0.20 -> 0.25; P2 (N): 0.20; P3 (N): 0.28; P4 (A): 0.26.
    PersonTissue people;
    people["P1"].add(csf(0.30)), people["P1"].add(csf(0.20)), people["P2"].add(csf(0.20));
    people["P3"].add(csf(0.28)), people["P4"].add(csf(0.26));
    people["P4"].add(TissueMeasures{});   // a slice without a brain counts in nothing
    const std::vector<OofRow> r = csf_fraction_rows(rows(), people, two_classes());
    EXPECT_NEAR(r[0].probs[0], 0.25, 1e-6);   // 1 - p(N) is the person's mean
    EXPECT_NEAR(r[1].probs[1], 0.75, 1e-6);
    EXPECT_NEAR(r[4].probs[0], 0.26, 1e-6);
    // Pairs (A, N): (0.25, 0.20) yes, (0.25, 0.28) no, (0.26, 0.20) yes, (0.26, 0.28) no: AUC 2/4.
    const nlohmann::json b = tissue_baselines(rows(), people, two_classes());
    EXPECT_NEAR(b["baselines"]["csf_fraction"]["people"]["dementia_auc"].get<double>(), 0.5, 1e-9);
    EXPECT_FALSE(b["baselines"]["csf_fraction"]["people"].contains("balanced_accuracy"));   // no classes
    EXPECT_TRUE(b["paired"]["csf_fraction"]["dementia_auc"].contains("interval"));
    // 2 people per class: too few to fit the logistic regression, which is skipped with its reason.
    EXPECT_FALSE(b["baselines"].contains("tissue_logistic"));
    EXPECT_NE(b["skipped"]["tissue_logistic"].get<std::string>().find("5 people a fit needs"), std::string::npos);

    people.erase("P3");
    const nlohmann::json missing = tissue_baselines(rows(), people, two_classes());
    EXPECT_NE(missing["skipped"]["csf_fraction"].get<std::string>().find("P3"), std::string::npos);
}

TEST(TissueBaselines, LogisticRegressionSeparatesAndMirrors) {
    // Class 0 at CSF 0.1 .. 0.14, class 1 at 0.3 .. 0.34, class 2 with 3 people (too few to fit).
    std::vector<Features> x;
    std::vector<int> y;
    for (int i = 0; i < 5; ++i) x.push_back({0.10 + 0.01 * i, 0.4, 0.4, 0.01}), y.push_back(0);
    for (int i = 0; i < 5; ++i) x.push_back({0.30 + 0.01 * i, 0.3, 0.3, 0.03}), y.push_back(1);
    for (int i = 0; i < 3; ++i) x.push_back({0.20, 0.35, 0.35, 0.02}), y.push_back(2);
    // The fitted classes' midpoint (standardised features 0) lies where both are equally likely.
    const auto p = fit_predict_logistic(x, y, 3, {{0.05, 0.4, 0.4, 0.01}, {0.39, 0.3, 0.3, 0.03}, {0.22, 0.35, 0.35, 0.02}});
    ASSERT_EQ(p.size(), 3u);
    for (const auto& q : p) {
        EXPECT_NEAR(q[0] + q[1] + q[2], 1.0, 1e-12);
        EXPECT_DOUBLE_EQ(q[2], 1e-6);
    }
    EXPECT_GT(p[0][0], 0.9);
    EXPECT_GT(p[1][1], 0.9);
    EXPECT_NEAR(p[2][0], p[2][1], 1e-9);
    // Swapping the two classes' labels mirrors the probabilities.
    std::vector<int> swapped = y;
    for (int& v : swapped) v = v == 2 ? 2 : 1 - v;
    const auto q = fit_predict_logistic(x, swapped, 3, {{0.05, 0.4, 0.4, 0.01}});
    EXPECT_NEAR(q[0][1], p[0][0], 1e-9);
}

// ---- the network and the tissue measures in one verdict (native/cv/combined_verdict.h) ----

namespace {

// 3 folds of 10 people (5 A, 5 N). Each person is a test person of their fold and a validation person
// of the next fold's model. The network says p_A = model_a for A people and 1 - model_a for N people;
// the CSF fraction is 0.3 (+ a little) for A and 0.2 for N, or the same for all when !tissue_informs.
struct Synthetic {
    std::vector<OofRow> test, validation;
    PersonTissue people;
};

Synthetic synthetic(float model_a, bool tissue_informs) {
    Synthetic s;
    for (int fold = 0; fold < 3; ++fold)
        for (int i = 0; i < 10; ++i) {
            const int label = i < 5 ? 0 : 1;
            const std::string person = "P" + std::to_string(fold * 10 + i);
            const float pa = label == 0 ? model_a : 1 - model_a;
            s.test.push_back({person + ".jpg", fold, person, label, {pa, 1 - pa}});
            s.validation.push_back({person + ".jpg", (fold + 1) % 3, std::to_string((fold + 1) % 3) + "/" + person, label, {pa, 1 - pa}});
            const double v = tissue_informs ? (label == 0 ? 0.3 : 0.2) + 0.001 * i : 0.25 + 0.001 * (i % 5);
            s.people[person].add(csf(v));
        }
    return s;
}

}  // namespace

TEST(CombinedVerdict, AdoptedOnlyWhenItHelpsOnValidationPeople) {
    // The network knows nothing (0.5 everywhere), the CSF fraction separates: it helps, everywhere.
    Synthetic a = synthetic(0.5f, true);
    const nlohmann::json c = combined_verdict(a.test, a.validation, a.people, two_classes());
    EXPECT_TRUE(c["adopted"].get<bool>());
    EXPECT_DOUBLE_EQ(c["inner_validation"]["combined"]["dementia_auc"].get<double>(), 1.0);
    EXPECT_DOUBLE_EQ(c["inner_validation"]["model"]["dementia_auc"].get<double>(), 0.5);
    EXPECT_DOUBLE_EQ(c["people"]["dementia_auc"].get<double>(), 1.0);            // out of fold
    EXPECT_NEAR(c["paired"]["dementia_auc"]["difference"].get<double>(), 0.5, 1e-12);
    EXPECT_EQ(c["people"]["count"], 30);
    EXPECT_EQ(c["features"].size(), 5u);   // log(p_A / p_N) and 4 tissue measures

    // The network already separates (0.8) and the CSF fraction does not: nothing to gain, not adopted.
    Synthetic b = synthetic(0.8f, false);
    const nlohmann::json d = combined_verdict(b.test, b.validation, b.people, two_classes());
    EXPECT_DOUBLE_EQ(d["inner_validation"]["model"]["balanced_accuracy"].get<double>(), 1.0);
    EXPECT_FALSE(d["adopted"].get<bool>());

    // A person without tissue measures: it cannot be fitted, and says who.
    b.people.erase("P3");
    try {
        combined_verdict(b.test, b.validation, b.people, two_classes());
        FAIL() << "fitted without P3's measures";
    } catch (const TissueBaselineUnavailable& e) {
        EXPECT_NE(std::string(e.what()).find("P3"), std::string::npos) << e.what();
    }
}
