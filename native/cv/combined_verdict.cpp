// The network's probabilities and the tissue measures in one person-level verdict (see combined_verdict.h).
#include "cv/combined_verdict.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace alzscan {
namespace {

using nlohmann::json;

struct PersonRow {
    OofRow row;        // person-level: subject as in the rows, probs aggregated
    std::string person;
    int own_fold = 0;  // the person's fold in the split
    Features x;
};

std::string person_of_subject(const std::string& subject) {
    const size_t slash = subject.find('/');
    return slash == std::string::npos ? subject : subject.substr(slash + 1);
}

// Person-level rows with their features; own_fold from fold_of (every person's test fold).
std::vector<PersonRow> person_rows_with_features(const std::vector<OofRow>& slices, const PersonTissue& people,
                                                 const std::map<std::string, int>& fold_of, const CvInputs& in) {
    const size_t C = in.class_names.size();
    const size_t none = size_t(std::find(in.class_names.begin(), in.class_names.end(), in.none_class) - in.class_names.begin());
    std::vector<PersonRow> out;
    for (OofRow& r : people_rows(slices, C)) {
        PersonRow p;
        p.person = person_of_subject(r.subject);
        const auto fold = fold_of.find(p.person);
        const auto tissue = people.find(p.person);
        if (fold == fold_of.end() || tissue == people.end() || tissue->second.slices == 0)
            throw TissueBaselineUnavailable("combined verdict: no fold or tissue measures for " + p.person);
        p.own_fold = fold->second;
        const double floor = 1e-6;
        for (size_t c = 0; c < C; ++c)
            if (c != none) p.x.push_back(std::log(std::max<double>(r.probs[c], floor) / std::max<double>(r.probs[none], floor)));
        for (const double v : tissue->second.mean()) p.x.push_back(v);
        p.row = std::move(r);
        out.push_back(std::move(p));
    }
    return out;
}

// Rows of `apply` given the fit on those rows of `fit_on` whose person is not in the held-out fold.
std::vector<OofRow> cross_fit(const std::vector<PersonRow>& fit_on, const std::vector<PersonRow>& apply, const CvInputs& in) {
    std::set<int> folds;
    for (const PersonRow& p : apply) folds.insert(p.own_fold);
    std::vector<OofRow> out(apply.size());
    for (const int f : folds) {
        std::vector<Features> x, test;
        std::vector<int> labels;
        std::vector<size_t> where;
        for (const PersonRow& p : fit_on)
            if (p.own_fold != f) x.push_back(p.x), labels.push_back(p.row.label);
        for (size_t i = 0; i < apply.size(); ++i)
            if (apply[i].own_fold == f) test.push_back(apply[i].x), where.push_back(i);
        const auto probs = fit_predict_logistic(x, labels, int(in.class_names.size()), test);
        for (size_t j = 0; j < where.size(); ++j) {
            out[where[j]] = apply[where[j]].row;
            out[where[j]].probs.assign(probs[j].begin(), probs[j].end());
        }
    }
    return out;
}

std::vector<OofRow> rows_of(const std::vector<PersonRow>& people) {
    std::vector<OofRow> out;
    for (const PersonRow& p : people) out.push_back(p.row);
    return out;
}

}  // namespace

json combined_verdict(const std::vector<OofRow>& model_rows, const std::vector<OofRow>& validation_rows,
                      const PersonTissue& people, const CvInputs& in) {
    std::map<std::string, int> fold_of;
    for (const OofRow& r : model_rows) fold_of[r.subject] = r.fold;
    const std::vector<PersonRow> test = person_rows_with_features(model_rows, people, fold_of, in);
    const std::vector<PersonRow> val = person_rows_with_features(validation_rows, people, fold_of, in);

    const std::vector<OofRow> val_model = rows_of(val), val_combined = cross_fit(val, val, in);
    const json inner_model = summarise_level(val_model, in, Level::people);
    const json inner_combined = summarise_level(val_combined, in, Level::people);
    const bool helps = inner_combined["balanced_accuracy_3"].get<double>() > inner_model["balanced_accuracy_3"].get<double>() &&
                       inner_combined["dementia_auc"].get<double>() >= inner_model["dementia_auc"].get<double>();

    const std::vector<OofRow> test_model = rows_of(test), test_combined = cross_fit(val, test, in);
    json features = json::array();
    for (const std::string& c : in.class_names)
        if (c != in.none_class) features.push_back("log(p_" + c + " / p_" + in.none_class + ")");
    for (const char* t : {"csf_fraction", "gm_fraction", "wm_fraction", "ventricle_fraction"}) features.push_back(t);
    return {{"features", features},
            {"rule", "adopted when, on inner validation people (cross-fitted by the person's fold), its balanced_accuracy_3 "
                     "is higher than the network's and its dementia_auc is not lower"},
            {"inner_validation", {{"model", inner_model}, {"combined", inner_combined}}},
            {"adopted", helps},
            {"people", summarise_level(test_combined, in, Level::people)},
            {"paired", paired_difference(test_combined, test_model, in)}};
}

}  // namespace alzscan
