// native/cv/combined_verdict.h: a person-level verdict from the network's aggregated probabilities
// and the person's tissue measures, fitted and chosen on inner validation people, reported out of
// fold beside the network alone. No LibTorch.
//
//   nlohmann::json c = alzscan::combined_verdict(model_rows, validation_rows, people, in);
//   // c["adopted"]: whether it helps on inner validation people; c["people"]: out of fold;
//   // c["paired"]: combined minus the network, on the same people
//
// Data contract: model_rows are the out-of-fold slice rows (oof.tsv: each person once, scored by the
// model of their fold); validation_rows are each fold's inner validation slices scored by that
// fold's model (oof_validation.tsv: subject "fold/person", fold = the model's fold); people holds
// every person's tissue means (tissue_baselines.h). A person's features: log(p_c / p_none) of the
// network's aggregated probabilities for every class but none_class, then mean CSF, grey, white and
// ventricle fractions. The model is fit_predict_logistic (tissue_baselines.h).
// - Out of fold: for test fold f it is fitted on the validation person-rows of every fold's model
//   whose person is not in fold f (their network outputs are out of sample too), and applied to
//   fold f's people.
// - Chosen on inner validation only: the same fit, cross-fitted over the validation rows by the
//   person's own fold, against the network alone on those rows. It "helps" when its
//   balanced_accuracy_3 is higher and its dementia AUC is not lower; the test folds play no part.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "cv/cv_summary.h"
#include "cv/tissue_baselines.h"

namespace alzscan {

// {"features", "inner_validation": {"model": {...}, "combined": {...}}, "adopted", "rule",
//  "people": summarise_level (out of fold), "paired": paired_difference(combined, model)}.
// Throws TissueBaselineUnavailable when it cannot be fitted (a person without measures, too few people).
nlohmann::json combined_verdict(const std::vector<OofRow>& model_rows, const std::vector<OofRow>& validation_rows,
                                const PersonTissue& people, const CvInputs& in);

}  // namespace alzscan
