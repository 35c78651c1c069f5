// Out-of-fold rows -> the cross-validation's numbers (cv_summary.h).
#include "cv/cv_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <stdexcept>

#include "alzscan/aggregate.h"
#include "alzscan/calibration.h"
#include "alzscan/metrics.h"

namespace alzscan {
namespace {

using nlohmann::json;

int class_index(const CvInputs& in, const std::string& name) {
    auto it = std::find(in.class_names.begin(), in.class_names.end(), name);
    return it == in.class_names.end() ? -1 : static_cast<int>(it - in.class_names.begin());
}

// The metrics every table shows, from labels and N x C probabilities.
std::map<std::string, double> scalars(const std::vector<int>& labels, const std::vector<float>& probs,
                                      const CvInputs& in) {
    const int C = static_cast<int>(in.class_names.size());
    const Metrics m = compute_metrics(labels, probs, C);
    const int none = class_index(in, in.none_class), rare = class_index(in, in.rare_class);
    std::map<std::string, double> s = {
        {"accuracy", m.accuracy}, {"balanced_accuracy", m.balanced_accuracy}, {"macro_f1", m.macro_f1}};
    double recall_sum = 0;
    int recall_n = 0;
    for (int c = 0; c < C; ++c)
        if (c != rare && m.per_class[c].support > 0) recall_sum += m.per_class[c].recall, ++recall_n;
    s["balanced_accuracy_3"] = recall_n ? recall_sum / recall_n : 0.0;
    if (none < 0) return s;
    std::vector<double> score(labels.size());
    std::vector<int> positive(labels.size());
    int64_t tp = 0, pos = 0, tn = 0, neg = 0;
    for (size_t i = 0; i < labels.size(); ++i) {
        const float* row = probs.data() + i * C;
        score[i] = 1.0 - row[none];
        positive[i] = labels[i] != none;
        const bool called = std::max_element(row, row + C) - row != none;
        (positive[i] ? pos : neg) += 1;
        if (positive[i] && called) ++tp;
        if (!positive[i] && !called) ++tn;
    }
    s["dementia_auc"] = roc_auc(score, positive);
    s["dementia_sensitivity"] = pos ? double(tp) / pos : 0.0;
    s["dementia_specificity"] = neg ? double(tn) / neg : 0.0;
    s["none_precision"] = m.per_class[none].precision;
    return s;
}

// Rows grouped by person: the slice indices of each person, people in subject order.
std::vector<std::vector<size_t>> slices_by_person(const std::vector<OofRow>& rows) {
    std::map<std::string, std::vector<size_t>> by;
    for (size_t i = 0; i < rows.size(); ++i) by[rows[i].subject].push_back(i);
    std::vector<std::vector<size_t>> out;
    for (auto& [subject, idx] : by) out.push_back(std::move(idx));
    return out;
}

struct Flat {
    std::vector<int> labels;
    std::vector<float> probs;
};

Flat flatten(const std::vector<OofRow>& rows, const std::vector<size_t>& pick) {
    Flat f;
    for (size_t i : pick) {
        f.labels.push_back(rows[i].label);
        f.probs.insert(f.probs.end(), rows[i].probs.begin(), rows[i].probs.end());
    }
    return f;
}

// The rows a resample of people selects, at the given level.
std::vector<size_t> rows_of_pick(const std::vector<std::vector<size_t>>& people, const std::vector<size_t>& pick,
                                 Level level) {
    std::vector<size_t> out;
    for (size_t p : pick) {
        if (level == Level::people) out.push_back(p);
        else out.insert(out.end(), people[p].begin(), people[p].end());
    }
    return out;
}

}  // namespace

std::vector<OofRow> people_rows(const std::vector<OofRow>& slices, size_t num_classes) {
    std::vector<OofRow> out;
    for (const std::vector<size_t>& idx : slices_by_person(slices)) {
        const OofRow& first = slices[idx[0]];
        std::vector<float> probs;
        for (size_t i : idx) {
            if (slices[i].label != first.label || slices[i].fold != first.fold)
                throw std::runtime_error("person '" + first.subject + "': " + slices[i].path +
                                         " has another class or fold than " + first.path +
                                         "; hint: a person's slices must share class and fold");
            probs.insert(probs.end(), slices[i].probs.begin(), slices[i].probs.end());
        }
        OofRow p{first.subject, first.fold, first.subject, first.label,
                 aggregate_slices(probs.data(), idx.size(), num_classes)};
        out.push_back(std::move(p));
    }
    return out;
}

json summarise_level(const std::vector<OofRow>& slices, const CvInputs& in, Level level) {
    const size_t C = in.class_names.size();
    const std::vector<OofRow> people = people_rows(slices, C);
    const std::vector<OofRow>& rows = level == Level::people ? people : slices;
    const auto by_person = slices_by_person(slices);
    std::vector<size_t> all(rows.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    const Flat f = flatten(rows, all);
    json j;
    for (const auto& [name, value] : scalars(f.labels, f.probs, in)) j[name] = value;
    const Metrics m = compute_metrics(f.labels, f.probs, static_cast<int>(C));
    j["count"] = rows.size();
    j["people"] = people.size();
    j["confusion"] = m.confusion;
    for (size_t c = 0; c < C; ++c) {
        int64_t n_people = 0;
        for (const OofRow& p : people) n_people += p.label == static_cast<int>(c);
        j["per_class"][in.class_names[c]] = {{"recall", m.per_class[c].recall},
                                            {"support", m.per_class[c].support}, {"people", n_people}};
    }
    // One pass of resamples, every metric from each (bootstrap_interval's draws and quantiles).
    std::map<std::string, std::vector<double>> draws;
    bootstrap_interval(people.size(), [&](const std::vector<size_t>& pick) {
        const Flat r = flatten(rows, rows_of_pick(by_person, pick, level));
        for (const auto& [name, value] : scalars(r.labels, r.probs, in)) draws[name].push_back(value);
        return 0.0;
    }, in.resamples, in.seed);
    for (const auto& [name, values] : draws)
        j["intervals"][name] = {quantile(values, 0.025), quantile(values, 0.975)};
    return j;
}

json per_fold(const std::vector<OofRow>& slices, const CvInputs& in) {
    const std::vector<OofRow> people = people_rows(slices, in.class_names.size());
    std::map<int, std::vector<size_t>> folds;
    for (size_t i = 0; i < people.size(); ++i) folds[people[i].fold].push_back(i);
    json j = {{"folds", json::array()}, {"balanced_accuracy", json::array()}, {"dementia_auc", json::array()}};
    for (const auto& [fold, idx] : folds) {
        const Flat f = flatten(people, idx);
        const auto s = scalars(f.labels, f.probs, in);
        j["folds"].push_back(fold);
        j["balanced_accuracy"].push_back(s.at("balanced_accuracy"));
        j["dementia_auc"].push_back(s.count("dementia_auc") ? s.at("dementia_auc") : 0.0);
    }
    return j;
}

json paired_difference(const std::vector<OofRow>& a, const std::vector<OofRow>& b, const CvInputs& in) {
    const std::vector<OofRow> pa = people_rows(a, in.class_names.size());
    const std::vector<OofRow> pb = people_rows(b, in.class_names.size());
    if (pa.size() != pb.size()) throw std::runtime_error("paired difference: the two sets hold different people");
    json j;
    for (const char* metric : {"balanced_accuracy", "dementia_auc", "macro_f1"}) {
        auto diff = [&](const std::vector<size_t>& pick) {
            const Flat fa = flatten(pa, pick), fb = flatten(pb, pick);
            return scalars(fa.labels, fa.probs, in).at(metric) - scalars(fb.labels, fb.probs, in).at(metric);
        };
        std::vector<size_t> all(pa.size());
        for (size_t i = 0; i < all.size(); ++i) all[i] = i;
        const Interval ci = bootstrap_interval(pa.size(), diff, in.resamples, in.seed);
        j[metric] = {{"difference", diff(all)}, {"interval", {ci.low, ci.high}}};
    }
    return j;
}

std::string oof_tsv(const std::vector<OofRow>& rows, const std::vector<std::string>& class_names) {
    std::string out = "relative_path\tfold\tsubject\tclass";
    for (const std::string& c : class_names) out += "\tp_" + c;
    out += "\n";
    char num[32];
    for (const OofRow& r : rows) {
        out += r.path + "\t" + std::to_string(r.fold) + "\t" + r.subject + "\t" + class_names.at(r.label);
        for (float p : r.probs) {
            std::snprintf(num, sizeof num, "\t%.6g", p);
            out += num;
        }
        out += "\n";
    }
    return out;
}

std::vector<OofRow> parse_oof_tsv(const std::string& text, std::vector<std::string>& class_names) {
    std::istringstream in(text);
    std::string line;
    const auto fields = [](const std::string& l) {
        std::vector<std::string> f;
        std::istringstream ls(l);
        for (std::string x; std::getline(ls, x, '\t');) f.push_back(x);
        return f;
    };
    if (!std::getline(in, line)) throw std::runtime_error("oof.tsv: empty (hint: alzscan cv writes it)");
    const std::vector<std::string> head = fields(line);
    if (head.size() < 6 || head[0] != "relative_path" || head[1] != "fold" || head[2] != "subject" || head[3] != "class")
        throw std::runtime_error("oof.tsv: header '" + line + "' is not relative_path, fold, subject, class, p_<class>...");
    class_names.clear();
    for (size_t k = 4; k < head.size(); ++k) {
        if (head[k].rfind("p_", 0) != 0) throw std::runtime_error("oof.tsv: column '" + head[k] + "' is not p_<class>");
        class_names.push_back(head[k].substr(2));
    }
    std::vector<OofRow> rows;
    for (int n = 2; std::getline(in, line); ++n) {
        if (line.empty()) continue;
        const std::vector<std::string> f = fields(line);
        const auto cls = std::find(class_names.begin(), class_names.end(), f.size() > 3 ? f[3] : "");
        if (f.size() != head.size() || cls == class_names.end())
            throw std::runtime_error("oof.tsv line " + std::to_string(n) + ": expected " + std::to_string(head.size()) +
                                     " fields and a class of the header");
        OofRow r{f[0], std::stoi(f[1]), f[2], int(cls - class_names.begin()), {}};
        for (size_t k = 4; k < f.size(); ++k) r.probs.push_back(std::stof(f[k]));
        rows.push_back(std::move(r));
    }
    return rows;
}

namespace {

const char* const kTableMetrics[] = {"balanced_accuracy", "balanced_accuracy_3", "macro_f1", "accuracy",
                                     "dementia_auc", "dementia_sensitivity", "dementia_specificity",
                                     "none_precision"};

std::string fmt3(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.3f", v);
    return b;
}

std::string with_interval(const json& level, const std::string& metric) {
    if (!level.contains(metric)) return "–";
    std::string out = fmt3(level[metric].get<double>());
    if (level.contains("intervals") && level["intervals"].contains(metric))
        out += " (" + fmt3(level["intervals"][metric][0].get<double>()) + "–" +
               fmt3(level["intervals"][metric][1].get<double>()) + ")";
    return out;
}

// | metric | model | baseline... | for one level ("people" or "slices").
std::string metric_table(const json& cv, const char* level) {
    std::string out = "| metric | model";
    for (const auto& [name, b] : cv["baselines"].items()) out += " | " + name;
    out += " |\n| --- | ---:";
    for (size_t k = 0; k < cv["baselines"].size(); ++k) out += " | ---:";
    out += " |\n";
    for (const char* m : kTableMetrics) {
        out += std::string("| ") + m + " | " + with_interval(cv["model"][level], m);
        for (const auto& [name, b] : cv["baselines"].items()) out += " | " + (b.contains(level) ? with_interval(b[level], m) : "–");
        out += " |\n";
    }
    return out;
}

}  // namespace

json calibration_json(const std::vector<OofRow>& rows, size_t C) {
    std::vector<int> labels;
    std::vector<float> probs;
    for (const OofRow& r : rows) {
        labels.push_back(r.label);
        probs.insert(probs.end(), r.probs.begin(), r.probs.end());
    }
    const CalibrationStats s = calibration_stats(labels, probs, static_cast<int>(C));
    json bins = json::array();
    for (const ReliabilityBin& b : s.bins) bins.push_back({{"count", b.count}, {"confidence", b.confidence}, {"accuracy", b.accuracy}});
    return {{"count", s.count}, {"ece", s.ece}, {"brier", s.brier}, {"nll", s.nll}, {"bins", bins}};
}

json calibration_summary(const std::vector<OofRow>& before, const std::vector<OofRow>& after, const CvInputs& in) {
    const size_t C = in.class_names.size();
    return {{"method", "temperature scaling, each fold's temperature fitted on its inner validation people (NLL)"},
            {"slices", {{"before", calibration_json(before, C)}, {"after", calibration_json(after, C)}}},
            {"people", {{"before", calibration_json(people_rows(before, C), C)},
                        {"after", calibration_json(people_rows(after, C), C)}}}};
}

std::string cv_markdown(const json& cv) {
    const json& people = cv["model"]["people"];
    std::string out = "# Cross-validation by person: " + cv.value("config", std::string("?")) + "\n\n";
    out += std::to_string(cv["folds"].size()) + " folds by person (`" + cv.value("split_file", std::string()) + "`, column `" +
           cv.value("split_column", std::string()) + "`): " + std::to_string(people["count"].get<int64_t>()) +
           " people, " + std::to_string(cv["model"]["slices"]["count"].get<int64_t>()) +
           " slices, every one scored by the model that did not train on its fold. In brackets: 95 % "
           "bootstrap intervals over people (" + std::to_string(cv["bootstrap"]["resamples"].get<int>()) +
           " resamples). A person's verdict is the mean of their slices' log-probabilities. "
           "`balanced_accuracy_3` leaves " + cv.value("rare_class", std::string()) +
           " out; dementia = every class but " + cv.value("none_class", std::string()) + ".\n\n";
    if (cv["baselines"].contains("csf_fraction") || cv["baselines"].contains("tissue_logistic"))
        out += "`csf_fraction`: a person's mean CSF fraction of the brain over their slices, nothing fitted (a score "
               "without classes: only its dementia AUC). `tissue_logistic`: a logistic regression on a person's mean "
               "CSF, grey, white and ventricle fractions, fitted on the other folds' people.\n\n";
    out += "## People\n\n" + metric_table(cv, "people");
    out += "\n| class | people | recall (model)";
    for (const auto& [name, b] : cv["baselines"].items()) out += " | recall (" + name + ")";
    out += " |\n| --- | ---: | ---:";
    for (size_t k = 0; k < cv["baselines"].size(); ++k) out += " | ---:";
    out += " |\n";
    for (const auto& [cls, c] : people["per_class"].items()) {
        out += "| " + cls + " | " + std::to_string(c["people"].get<int64_t>()) + " | " + fmt3(c["recall"].get<double>());
        for (const auto& [name, b] : cv["baselines"].items())
            out += " | " + (b["people"].contains("per_class") ? fmt3(b["people"]["per_class"][cls]["recall"].get<double>()) : "–");
        out += " |\n";
    }
    out += "\n## Model minus baseline, people (paired bootstrap)\n\n| baseline | balanced_accuracy | dementia_auc | macro_f1 |\n"
           "| --- | ---: | ---: | ---: |\n";
    for (const auto& [name, d] : cv["paired"].items()) {
        out += "| " + name;
        for (const char* m : {"balanced_accuracy", "dementia_auc", "macro_f1"})
            out += !d.contains(m) ? " | –"
                                  : " | " + fmt3(d[m]["difference"].get<double>()) + " (" + fmt3(d[m]["interval"][0].get<double>()) +
                                        "–" + fmt3(d[m]["interval"][1].get<double>()) + ")";
        out += " |\n";
    }
    if (cv.contains("combined")) {
        const json& c = cv["combined"];
        const json& inner = c["inner_validation"];
        out += "\n## The network and the tissue measures in one verdict\n\nA logistic regression on a person's network "
               "log-probability ratios and tissue measures, fitted on inner validation people. Chosen on those people "
               "(cross-fitted): balanced_accuracy_3 " + fmt3(inner["combined"]["balanced_accuracy_3"].get<double>()) +
               " against the network's " + fmt3(inner["model"]["balanced_accuracy_3"].get<double>()) + ", dementia_auc " +
               fmt3(inner["combined"]["dementia_auc"].get<double>()) + " against " +
               fmt3(inner["model"]["dementia_auc"].get<double>()) + ": " +
               (c["adopted"].get<bool>() ? "it helps" : "it does not help") + " (" + c["rule"].get<std::string>() +
               "). Out of fold: balanced_accuracy_3 " + with_interval(c["people"], "balanced_accuracy_3") +
               ", dementia_auc " + with_interval(c["people"], "dementia_auc") + "; minus the network, paired: ";
        for (const char* m : {"balanced_accuracy", "dementia_auc", "macro_f1"})
            out += std::string(m) + " " + fmt3(c["paired"][m]["difference"].get<double>()) + " (" +
                   fmt3(c["paired"][m]["interval"][0].get<double>()) + "–" + fmt3(c["paired"][m]["interval"][1].get<double>()) +
                   (std::string(m) == "macro_f1" ? ").\n" : "), ");
    }
    const json& pf = cv["model"]["per_fold"];
    out += "\n## Per fold, people\n\n| fold | balanced_accuracy | dementia_auc |\n| --- | ---: | ---: |\n";
    for (size_t k = 0; k < pf["folds"].size(); ++k)
        out += "| " + std::to_string(pf["folds"][k].get<int>()) + " | " + fmt3(pf["balanced_accuracy"][k].get<double>()) +
               " | " + fmt3(pf["dementia_auc"][k].get<double>()) + " |\n";
    if (cv["model"].contains("inner_validation")) {
        const json& v = cv["model"]["inner_validation"]["people"];
        out += "\n## Inner validation, people (what recipes are chosen on)\n\nEach fold's validation people (whole "
               "people carved from its training folds), scored by that fold's model, pooled: " +
               std::to_string(v["count"].get<int64_t>()) + " person-folds; balanced_accuracy " +
               fmt3(v["balanced_accuracy"].get<double>()) + ", balanced_accuracy_3 " +
               fmt3(v["balanced_accuracy_3"].get<double>()) + ", dementia_auc " + fmt3(v["dementia_auc"].get<double>()) +
               ", macro_f1 " + fmt3(v["macro_f1"].get<double>()) + ".\n";
    }
    if (cv["model"].contains("calibration")) {
        const json& c = cv["model"]["calibration"];
        out += "\n## Calibration, out of fold (" + c["method"].get<std::string>() + ")\n\n"
               "| level | ECE before | ECE after | Brier before | Brier after | NLL before | NLL after |\n"
               "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n";
        for (const char* level : {"slices", "people"}) {
            const json& b = c[level]["before"];
            const json& a = c[level]["after"];
            out += std::string("| ") + level + " | " + fmt3(b["ece"].get<double>()) + " | " + fmt3(a["ece"].get<double>()) + " | " + fmt3(b["brier"].get<double>()) +
                   " | " + fmt3(a["brier"].get<double>()) + " | " + fmt3(b["nll"].get<double>()) + " | " + fmt3(a["nll"].get<double>()) + " |\n";
        }
        std::string ts;
        for (const auto& t : c["temperatures"]) ts += (ts.empty() ? "" : ", ") + fmt3(t.get<double>());
        out += "\nTemperatures per fold: " + ts + ".\n\n![reliability, slices](reliability_slices.svg) "
               "![reliability, people](reliability_people.svg)\n";
    }
    out += "\n## Slices\n\n" + metric_table(cv, "slices");
    return out;
}

}  // namespace alzscan
