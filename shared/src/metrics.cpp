// Classification metrics (definitions in metrics.h, sklearn's where it has one).
#include "alzscan/metrics.h"

#include <algorithm>

#include <cmath>

#include "nlohmann/json.hpp"

namespace alzscan {
namespace {

int argmax_row(const float* row, int num_classes) {
    int best = 0;
    for (int c = 1; c < num_classes; ++c)
        if (row[c] > row[best]) best = c;  // first max wins
    return best;
}

// Rows of probabilities actually present: a short buffer never reads past its end.
size_t usable_rows(const std::vector<int>& labels, const std::vector<float>& probabilities,
                   int num_classes) {
    if (num_classes <= 0) return 0;
    const size_t rows = probabilities.size() / static_cast<size_t>(num_classes);
    return rows < labels.size() ? rows : labels.size();
}

void finish(Metrics& m) {
    const int C = m.num_classes;
    int64_t trace = 0;
    m.per_class.assign(static_cast<size_t>(C), ClassMetrics{});
    for (int c = 0; c < C; ++c) {
        ClassMetrics& k = m.per_class[c];
        for (int p = 0; p < C; ++p) k.support += m.confusion[c][p];
        for (int t = 0; t < C; ++t) k.predicted += m.confusion[t][c];
        const int64_t tp = m.confusion[c][c];
        trace += tp;
        k.precision = k.predicted > 0 ? double(tp) / double(k.predicted) : 0.0;
        k.recall = k.support > 0 ? double(tp) / double(k.support) : 0.0;
        k.f1 = k.precision + k.recall > 0 ? 2 * k.precision * k.recall / (k.precision + k.recall) : 0.0;
        k.recall_ci = wilson_interval(tp, k.support);
    }
    m.accuracy = m.count > 0 ? double(trace) / double(m.count) : 0.0;
    double recall_sum = 0.0, weighted = 0.0;
    int present = 0;
    for (const ClassMetrics& k : m.per_class) {
        m.macro_precision += k.precision;
        m.macro_recall += k.recall;
        m.macro_f1 += k.f1;
        weighted += k.f1 * double(k.support);
        if (k.support > 0) {
            recall_sum += k.recall;
            ++present;
        }
    }
    if (C > 0) {
        m.macro_precision /= C;
        m.macro_recall /= C;
        m.macro_f1 /= C;
    }
    m.balanced_accuracy = present > 0 ? recall_sum / present : 0.0;
    m.weighted_f1 = m.count > 0 ? weighted / double(m.count) : 0.0;
}

Metrics empty_metrics(int num_classes) {
    Metrics m;
    m.num_classes = num_classes > 0 ? num_classes : 0;
    m.confusion.assign(static_cast<size_t>(m.num_classes),
                       std::vector<int64_t>(static_cast<size_t>(m.num_classes), 0));
    return m;
}

}  // namespace

Interval wilson_interval(int64_t successes, int64_t trials, double z) {
    if (trials <= 0) return {0.0, 1.0};  // no evidence: the whole range
    const double n = double(trials);
    const double p = double(successes) / n;
    const double z2 = z * z;
    const double denom = 1.0 + z2 / n;
    const double centre = (p + z2 / (2.0 * n)) / denom;
    const double half = z * std::sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom;
    Interval r{centre - half, centre + half};
    if (r.low < 0.0) r.low = 0.0;
    if (r.high > 1.0) r.high = 1.0;
    return r;
}

Metrics compute_metrics_from_predictions(const std::vector<int>& labels,
                                         const std::vector<int>& predictions, int num_classes) {
    Metrics m = empty_metrics(num_classes);
    const size_t n = labels.size() < predictions.size() ? labels.size() : predictions.size();
    for (size_t i = 0; i < n; ++i) {
        const int t = labels[i], p = predictions[i];
        if (t < 0 || t >= m.num_classes || p < 0 || p >= m.num_classes) continue;
        ++m.confusion[t][p];
        ++m.count;
    }
    finish(m);
    return m;
}

Metrics compute_metrics(const std::vector<int>& labels, const std::vector<float>& probabilities,
                        int num_classes) {
    Metrics m = empty_metrics(num_classes);
    const size_t rows = usable_rows(labels, probabilities, num_classes);
    double loss = 0.0;
    for (size_t i = 0; i < rows; ++i) {
        const int t = labels[i];
        if (t < 0 || t >= m.num_classes) continue;
        const float* row = probabilities.data() + i * static_cast<size_t>(num_classes);
        ++m.confusion[t][argmax_row(row, num_classes)];
        ++m.count;
        const double p_true = row[t] > 1e-12f ? double(row[t]) : 1e-12;
        loss -= std::log(p_true);
    }
    finish(m);
    m.log_loss = m.count > 0 ? loss / double(m.count) : 0.0;
    m.ece = expected_calibration_error(labels, probabilities, num_classes);
    return m;
}

double expected_calibration_error(const std::vector<int>& labels,
                                  const std::vector<float>& probabilities, int num_classes,
                                  int bins) {
    if (bins <= 0) return 0.0;
    const size_t rows = usable_rows(labels, probabilities, num_classes);
    std::vector<int64_t> count(static_cast<size_t>(bins), 0);
    std::vector<double> correct(static_cast<size_t>(bins), 0.0), confidence(static_cast<size_t>(bins), 0.0);
    int64_t total = 0;
    for (size_t i = 0; i < rows; ++i) {
        const int t = labels[i];
        if (t < 0 || t >= num_classes) continue;
        const float* row = probabilities.data() + i * static_cast<size_t>(num_classes);
        const int pred = argmax_row(row, num_classes);
        const double conf = row[pred];
        // Bin b holds (b/bins, (b+1)/bins]; confidence 0 goes to the first bin.
        int b = static_cast<int>(std::ceil(conf * bins)) - 1;
        if (b < 0) b = 0;
        if (b >= bins) b = bins - 1;
        while (b > 0 && conf <= double(b) / bins) --b;
        while (b < bins - 1 && conf > double(b + 1) / bins) ++b;
        ++count[b];
        correct[b] += pred == t ? 1.0 : 0.0;
        confidence[b] += conf;
        ++total;
    }
    if (total == 0) return 0.0;
    double ece = 0.0;
    for (int b = 0; b < bins; ++b) {
        if (count[b] == 0) continue;
        const double n = double(count[b]);
        ece += (n / double(total)) * std::fabs(correct[b] / n - confidence[b] / n);
    }
    return ece;
}

double roc_auc(const std::vector<double>& scores, const std::vector<int>& positive) {
    const size_t n = std::min(scores.size(), positive.size());
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
    // Sum of the positives' ranks, tied scores sharing their mean rank (1-based).
    double rank_sum = 0.0;
    int64_t n_pos = 0;
    for (size_t lo = 0; lo < n;) {
        size_t hi = lo;
        while (hi + 1 < n && scores[order[hi + 1]] == scores[order[lo]]) ++hi;
        const double mean_rank = 0.5 * static_cast<double>(lo + hi) + 1.0;
        for (size_t k = lo; k <= hi; ++k)
            if (positive[order[k]] != 0) rank_sum += mean_rank, ++n_pos;
        lo = hi + 1;
    }
    const int64_t n_neg = static_cast<int64_t>(n) - n_pos;
    if (n_pos == 0 || n_neg == 0) return 0.5;
    const double u = rank_sum - static_cast<double>(n_pos) * static_cast<double>(n_pos + 1) / 2.0;
    return u / (static_cast<double>(n_pos) * static_cast<double>(n_neg));
}

std::string metrics_to_json(const Metrics& metrics, const std::vector<std::string>& class_names) {
    using ojson = nlohmann::ordered_json;
    const bool named = class_names.size() == static_cast<size_t>(metrics.num_classes);
    ojson j;
    j["count"] = metrics.count;
    j["accuracy"] = metrics.accuracy;
    j["balanced_accuracy"] = metrics.balanced_accuracy;
    j["macro_precision"] = metrics.macro_precision;
    j["macro_recall"] = metrics.macro_recall;
    j["macro_f1"] = metrics.macro_f1;
    j["weighted_f1"] = metrics.weighted_f1;
    j["ece"] = metrics.ece;
    j["log_loss"] = metrics.log_loss;
    j["confusion"] = ojson::array();
    for (const auto& row : metrics.confusion) {
        ojson r = ojson::array();
        for (int64_t v : row) r.push_back(v);
        j["confusion"].push_back(std::move(r));
    }
    ojson per = ojson::object();
    for (size_t c = 0; c < metrics.per_class.size(); ++c) {
        const ClassMetrics& k = metrics.per_class[c];
        ojson o;
        o["precision"] = k.precision;
        o["recall"] = k.recall;
        o["f1"] = k.f1;
        o["support"] = k.support;
        o["predicted"] = k.predicted;
        o["recall_ci"] = ojson::array({k.recall_ci.low, k.recall_ci.high});
        per[named ? class_names[c] : std::to_string(c)] = std::move(o);
    }
    j["per_class"] = std::move(per);
    return j.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

}  // namespace alzscan
