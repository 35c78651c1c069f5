// The tissue-measure baselines of `alzscan cv` (see tissue_baselines.h).
#include "cv/tissue_baselines.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

namespace alzscan {
namespace {

using nlohmann::json;
constexpr double kAbsent = 1e-6;   // an unfitted class's probability (aggregation takes logs)

const PersonTissueMeans& person_of(const PersonTissue& people, const std::string& subject) {
    const auto it = people.find(subject);
    if (it == people.end() || it->second.slices == 0)
        throw TissueBaselineUnavailable("no slice of " + subject + " has a brain to measure");
    return it->second;
}

int class_index(const CvInputs& in, const std::string& name) {
    const auto it = std::find(in.class_names.begin(), in.class_names.end(), name);
    if (it == in.class_names.end()) throw std::runtime_error("tissue baselines: " + name + " is not a class");
    return int(it - in.class_names.begin());
}

// Standardise train and test by train's mean and (population) standard deviation.
void standardise(std::vector<Features>& train, std::vector<Features>& test) {
    for (size_t f = 0; f < train.front().size(); ++f) {
        double mean = 0, var = 0;
        for (const auto& r : train) mean += r[f];
        mean /= double(train.size());
        for (const auto& r : train) var += (r[f] - mean) * (r[f] - mean);
        const double sd = std::max(1e-9, std::sqrt(var / double(train.size())));
        for (auto* rows : {&train, &test})
            for (auto& r : *rows) r[f] = (r[f] - mean) / sd;
    }
}

std::vector<double> softmax(const std::vector<Features>& w, const std::vector<double>& b, const Features& x) {
    std::vector<double> z(b);
    for (size_t k = 0; k < z.size(); ++k)
        for (size_t f = 0; f < x.size(); ++f) z[k] += w[k][f] * x[f];
    const double top = *std::max_element(z.begin(), z.end());
    double sum = 0;
    for (double& v : z) sum += (v = std::exp(v - top));
    for (double& v : z) v /= sum;
    return z;
}

// Keep only the people-level metric that a score without classes has.
json auc_only(const json& level) {
    return {{"count", level["count"]}, {"people", level["people"]}, {"dementia_auc", level["dementia_auc"]},
            {"intervals", {{"dementia_auc", level["intervals"]["dementia_auc"]}}}};
}

}  // namespace

void PersonTissueMeans::add(const TissueMeasures& t) {
    if (!t.found) return;
    sum[0] += t.csf_fraction, sum[1] += t.gm_fraction, sum[2] += t.wm_fraction, sum[3] += t.ventricle_fraction;
    ++slices;
}

Features PersonTissueMeans::mean() const {
    Features m(sum.size(), 0.0);
    for (size_t f = 0; f < sum.size(); ++f) m[f] = slices ? sum[f] / slices : 0.0;
    return m;
}

std::vector<std::vector<double>> fit_predict_logistic(const std::vector<Features>& x_in, const std::vector<int>& labels,
                                                      int classes, const std::vector<Features>& test_in) {
    std::vector<int> count(classes, 0);
    for (const int y : labels) ++count[y];
    std::vector<int> fitted;   // class index of each fitted output
    for (int c = 0; c < classes; ++c)
        if (count[c] >= kMinPeoplePerClass) fitted.push_back(c);
    if (fitted.size() < 2)
        throw TissueBaselineUnavailable("fewer than 2 classes have the " + std::to_string(kMinPeoplePerClass) + " people a fit needs");
    std::vector<int> row_labels;   // index into fitted, or -1: people of unfitted classes are left out
    std::vector<Features> x, test = test_in;
    for (size_t i = 0; i < labels.size(); ++i) {
        const auto it = std::find(fitted.begin(), fitted.end(), labels[i]);
        if (it == fitted.end()) continue;
        row_labels.push_back(int(it - fitted.begin()));
        x.push_back(x_in[i]);
    }
    standardise(x, test);
    const size_t K = fitted.size(), n = x.size(), F = x.front().size();
    std::vector<double> weight(K);
    for (size_t k = 0; k < K; ++k) weight[k] = double(n) / (double(K) * count[fitted[k]]);
    std::vector<Features> w(K, Features(F, 0.0));
    std::vector<double> b(K, 0.0);
    for (int step = 0; step < 4000; ++step) {
        std::vector<Features> gw(K, Features(F, 0.0));
        std::vector<double> gb(K, 0.0);
        for (size_t i = 0; i < n; ++i) {
            const std::vector<double> p = softmax(w, b, x[i]);
            for (size_t k = 0; k < K; ++k) {
                const double d = weight[row_labels[i]] * (p[k] - (int(k) == row_labels[i] ? 1.0 : 0.0)) / double(n);
                gb[k] += d;
                for (size_t f = 0; f < F; ++f) gw[k][f] += d * x[i][f];
            }
        }
        for (size_t k = 0; k < K; ++k) {
            b[k] -= 0.5 * gb[k];
            for (size_t f = 0; f < F; ++f) w[k][f] -= 0.5 * (gw[k][f] + 2 * 1e-2 * w[k][f]);
        }
    }
    std::vector<std::vector<double>> out;
    const double kept = 1.0 - kAbsent * double(classes - int(K));
    for (const auto& t : test) {
        const std::vector<double> p = softmax(w, b, t);
        std::vector<double> full(classes, kAbsent);
        for (size_t k = 0; k < K; ++k) full[fitted[k]] = p[k] * kept;
        out.push_back(std::move(full));
    }
    return out;
}

std::vector<OofRow> csf_fraction_rows(const std::vector<OofRow>& model_rows, const PersonTissue& people, const CvInputs& in) {
    const int none = class_index(in, in.none_class), C = int(in.class_names.size());
    std::vector<OofRow> rows = model_rows;
    for (OofRow& r : rows) {
        const double csf = std::clamp(person_of(people, r.subject).mean()[0], kAbsent, 1 - kAbsent);
        r.probs.assign(C, float(csf / (C - 1)));
        r.probs[none] = float(1 - csf);
    }
    return rows;
}

std::vector<OofRow> tissue_logistic_rows(const std::vector<OofRow>& model_rows, const PersonTissue& people, const CvInputs& in) {
    std::map<std::string, std::pair<int, int>> person;   // subject -> (fold, label)
    for (const OofRow& r : model_rows) person[r.subject] = {r.fold, r.label};
    std::set<int> folds;
    for (const auto& [s, fl] : person) folds.insert(fl.first);
    std::map<std::string, std::vector<double>> probs;
    for (const int fold : folds) {
        std::vector<Features> train, test;
        std::vector<int> labels;
        std::vector<std::string> tested;
        for (const auto& [s, fl] : person) {
            const Features m = person_of(people, s).mean();
            if (fl.first == fold) test.push_back(m), tested.push_back(s);
            else train.push_back(m), labels.push_back(fl.second);
        }
        const auto p = fit_predict_logistic(train, labels, int(in.class_names.size()), test);
        for (size_t i = 0; i < tested.size(); ++i) probs[tested[i]] = p[i];
    }
    std::vector<OofRow> rows = model_rows;
    for (OofRow& r : rows) r.probs.assign(probs[r.subject].begin(), probs[r.subject].end());
    return rows;
}

json tissue_baselines(const std::vector<OofRow>& model_rows, const PersonTissue& people, const CvInputs& in) {
    json out = {{"baselines", json::object()}, {"paired", json::object()}, {"skipped", json::object()}};
    try {
        const std::vector<OofRow> csf = csf_fraction_rows(model_rows, people, in);
        out["baselines"]["csf_fraction"] = {{"people", auc_only(summarise_level(csf, in, Level::people))}};
        out["paired"]["csf_fraction"] = {{"dementia_auc", paired_difference(model_rows, csf, in)["dementia_auc"]}};
    } catch (const TissueBaselineUnavailable& e) {
        out["skipped"]["csf_fraction"] = e.what();
    }
    try {
        const std::vector<OofRow> logistic = tissue_logistic_rows(model_rows, people, in);
        out["baselines"]["tissue_logistic"] = {{"people", summarise_level(logistic, in, Level::people)}};
        out["paired"]["tissue_logistic"] = paired_difference(model_rows, logistic, in);
    } catch (const TissueBaselineUnavailable& e) {
        out["skipped"]["tissue_logistic"] = e.what();
    }
    return out;
}

}  // namespace alzscan
