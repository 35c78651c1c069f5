// native/cv/tissue_baselines.h: the tissue-measure baselines beside the model in `alzscan cv`: a
// person's CSF fraction with nothing fitted, and a logistic regression on their tissue measures
// fitted on the other folds' people. No LibTorch.
//
//   alzscan::PersonTissue people;                                   // subject -> means
//   for (each scored slice) people[subject].add(alzscan::measure_tissue(prepared_slice));
//   nlohmann::json b = alzscan::tissue_baselines(model_rows, people, in);
//   // b["baselines"]["csf_fraction"], b["baselines"]["tissue_logistic"], b["paired"][...]
//
// Data contract: model_rows are the model's out-of-fold slice rows (cv_summary.h OofRow); every
// subject in them is in people with at least one slice with a brain (else std::runtime_error naming
// them). Each baseline gives every slice of a person the person's probabilities, so shared/
// aggregate_slices returns them unchanged and the person-level numbers and paired differences of
// cv_summary.h apply as they are.
// - csf_fraction: the mean over the person's slices of shared/ tissue.h csf_fraction; its dementia
//   score (1 - p(none_class)) is that mean, so only its dementia AUC means something and only that is
//   reported.
// - tissue_logistic: multinomial logistic regression on the person's mean CSF, grey, white and
//   ventricle fractions, standardised on the training people; classes weighted n / (K n_c) over the
//   K classes with at least kMinPeoplePerClass training people (the others get probability 1e-6);
//   L2 1e-2 on the weights; 4000 full-batch gradient steps of 0.5 from zero (deterministic).
#pragma once

#include <array>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alzscan/tissue.h"
#include "cv/cv_summary.h"

namespace alzscan {

constexpr int kMinPeoplePerClass = 5;

// Why a baseline cannot be computed on these people (a person without a measurable brain, too few
// people per class to fit): the baseline is reported as skipped with this reason.
struct TissueBaselineUnavailable : std::runtime_error {
    using std::runtime_error::runtime_error;
};

using Features = std::vector<double>;

struct PersonTissueMeans {
    std::array<double, 4> sum{};   // csf, grey, white, ventricles
    int slices = 0;                 // slices with a brain
    void add(const TissueMeasures& t);
    Features mean() const;   // {csf, grey, white, ventricles}
};

using PersonTissue = std::map<std::string, PersonTissueMeans>;

// A multinomial logistic regression (see above): probabilities per class for each row of test.
// x and test: rows of the same number of features; labels in 0..classes-1.
std::vector<std::vector<double>> fit_predict_logistic(const std::vector<Features>& x, const std::vector<int>& labels,
                                                      int classes, const std::vector<Features>& test);

// The two baselines' slice rows (same order as model_rows).
std::vector<OofRow> csf_fraction_rows(const std::vector<OofRow>& model_rows, const PersonTissue& people, const CvInputs& in);
std::vector<OofRow> tissue_logistic_rows(const std::vector<OofRow>& model_rows, const PersonTissue& people, const CvInputs& in);

// {"baselines": {"csf_fraction": {"people": {count, people, dementia_auc, intervals}}, "tissue_logistic":
//  {"people": summarise_level}}, "paired": {"csf_fraction": {"dementia_auc"}, "tissue_logistic": {...}},
//  "skipped": {name: reason}}: a baseline is in baselines and paired, or in skipped.
nlohmann::json tissue_baselines(const std::vector<OofRow>& model_rows, const PersonTissue& people, const CvInputs& in);

}  // namespace alzscan
