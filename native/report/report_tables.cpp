#include "report/report_tables.h"

#include <cmath>
#include <functional>

#include "report/report_format.h"

namespace alzscan::report {

using nlohmann::json;

namespace {

Cell text_cell(std::string s) { return Cell{std::move(s), false, false}; }
Cell number_cell(std::string s) { return Cell{std::move(s), true, false}; }

const json& member(const json& j, const char* key) {
    static const json empty = json::object();
    if (!j.is_object()) return empty;
    auto it = j.find(key);
    return it == j.end() ? empty : *it;
}

const json& class_metrics(const json& split_metrics, const std::string& name) {
    return member(member(split_metrics, "per_class"), name.c_str());
}

std::string selected_epoch_text(const RunData& run) {
    double e = number_or_nan(run.final_metrics, "epoch");
    std::string s = format_count(e);
    if (run.has_final_line) {
        auto c = run.final_metrics.find("checkpoint");
        if (c != run.final_metrics.end() && c->is_string()) s += " (" + c->get<std::string>() + ")";
    } else {
        s += " (last)";
    }
    return s;
}

// Marks the best finite value of column `col` (parsed back from `values`) in every row.
void mark_best(Table& t, size_t col, const std::vector<double>& values, bool higher_is_better) {
    if (values.size() < 2) return;
    double best = NAN;
    for (double v : values)
        if (std::isfinite(v) && (!std::isfinite(best) || (higher_is_better ? v > best : v < best)))
            best = v;
    if (!std::isfinite(best)) return;
    for (size_t r = 0; r < values.size(); ++r)
        if (std::isfinite(values[r]) && format_metric(values[r]) == format_metric(best))
            t.rows[r][col].best = true;
}

Table comparison_table(const std::vector<RunData>& runs) {
    Table t;
    t.id = "comparison";
    t.title = "Final test metrics";
    t.note = "Test set, selected checkpoint. Macro = unweighted mean over the classes; the "
             "Moderate interval is Wilson's 95 % score interval.";
    t.header = {"Run", "Epoch", "Accuracy", "Macro precision", "Macro recall", "Macro F1",
                "Balanced accuracy", "Test loss", "Moderate recall", "Moderate recall 95% CI"};
    struct Column { const char* key; bool higher_is_better; };
    const Column columns[] = {{"accuracy", true}, {"macro_precision", true}, {"macro_recall", true},
                              {"macro_f1", true}, {"balanced_accuracy", true}, {"loss", false}};
    std::vector<std::vector<double>> values(7);
    for (const RunData& run : runs) {
        const json& test = member(run.final_metrics, "test");
        std::vector<Cell> row{text_cell(run.label()), number_cell(selected_epoch_text(run))};
        for (size_t i = 0; i < 6; ++i) {
            double v = number_or_nan(test, columns[i].key);
            values[i].push_back(v);
            row.push_back(number_cell(format_metric(v)));
        }
        int m = moderate_class_index(run.classes);
        double recall = NAN, low = NAN, high = NAN;
        if (m >= 0) {
            const json& pc = class_metrics(test, run.classes[m]);
            recall = number_or_nan(pc, "recall");
            const json& ci = member(pc, "recall_ci");
            if (ci.is_array() && ci.size() == 2 && ci[0].is_number() && ci[1].is_number()) {
                low = ci[0].get<double>();
                high = ci[1].get<double>();
            }
        }
        values[6].push_back(recall);
        row.push_back(number_cell(format_metric(recall)));
        row.push_back(number_cell(format_interval(low, high)));
        t.rows.push_back(std::move(row));
    }
    for (size_t i = 0; i < 6; ++i) mark_best(t, 2 + i, values[i], columns[i].higher_is_better);
    mark_best(t, 8, values[6], true);
    return t;
}

Table per_class_table(const std::vector<RunData>& runs) {
    Table t;
    t.id = "per_class";
    t.title = "Per-class test metrics";
    t.note = "Test set, selected checkpoint. Support = true images of the class; predicted = "
             "images predicted as it.";
    t.header = {"Run", "Class", "Precision", "Recall", "F1", "Support", "Predicted",
                "Recall 95% CI"};
    for (const RunData& run : runs) {
        const json& test = member(run.final_metrics, "test");
        for (const std::string& c : run.classes) {
            const json& pc = class_metrics(test, c);
            const json& ci = member(pc, "recall_ci");
            double low = NAN, high = NAN;
            if (ci.is_array() && ci.size() == 2 && ci[0].is_number() && ci[1].is_number()) {
                low = ci[0].get<double>();
                high = ci[1].get<double>();
            }
            t.rows.push_back({text_cell(run.label()), text_cell(c),
                              number_cell(format_metric(number_or_nan(pc, "precision"))),
                              number_cell(format_metric(number_or_nan(pc, "recall"))),
                              number_cell(format_metric(number_or_nan(pc, "f1"))),
                              number_cell(format_count(number_or_nan(pc, "support"))),
                              number_cell(format_count(number_or_nan(pc, "predicted"))),
                              number_cell(format_interval(low, high))});
        }
    }
    return t;
}

Table loss_table(const std::vector<RunData>& runs) {
    Table t;
    t.id = "loss";
    t.title = "Loss";
    t.note = "Cross-entropy. Train loss is the running mean over the epoch (with augmentation and "
             "sampling as trained); val and test are evaluated after the epoch.";
    t.header = {"Run", "Selected epoch", "Train loss", "Val loss", "Test loss", "Last epoch",
                "Last train loss", "Last val loss", "Last test loss"};
    std::vector<double> test_losses;
    for (const RunData& run : runs) {
        const json* sel = run.selected_epoch_line();
        const json& last = run.epochs.empty() ? run.final_metrics : run.epochs.back();
        double train = sel ? number_or_nan(member(*sel, "train"), "loss") : NAN;
        double test = number_or_nan(member(run.final_metrics, "test"), "loss");
        test_losses.push_back(test);
        t.rows.push_back({text_cell(run.label()),
                          number_cell(format_count(number_or_nan(run.final_metrics, "epoch"))),
                          number_cell(format_metric(train)),
                          number_cell(format_metric(number_or_nan(member(run.final_metrics, "val"), "loss"))),
                          number_cell(format_metric(test)),
                          number_cell(format_count(number_or_nan(last, "epoch"))),
                          number_cell(format_metric(number_or_nan(member(last, "train"), "loss"))),
                          number_cell(format_metric(number_or_nan(member(last, "val"), "loss"))),
                          number_cell(format_metric(number_or_nan(member(last, "test"), "loss")))});
    }
    mark_best(t, 4, test_losses, false);
    return t;
}

std::string json_text(const json& j, const char* key) {
    auto it = j.is_object() ? j.find(key) : j.end();
    if (!j.is_object() || it == j.end() || it->is_null()) return kMissing;
    if (it->is_string()) return it->get<std::string>();
    return it->dump();
}

Table runs_table(const std::vector<RunData>& runs) {
    Table t;
    t.id = "runs";
    t.title = "Runs";
    t.note = "What each run was, from its config.json.";
    t.header = {"Run", "Directory", "Split", "Profile", "Model", "Head", "Epochs run",
                "Train images", "Test images", "Training time"};
    for (const RunData& run : runs) {
        const json& data = member(run.config, "data");
        const json& model = member(run.config, "model");
        double seconds = 0;
        bool any_seconds = false;
        for (const json& e : run.epochs) {
            double s = number_or_nan(e, "seconds");
            if (std::isfinite(s)) { seconds += s; any_seconds = true; }
        }
        auto count_images = [&](const char* split) {
            const json& counts = member(member(data, "counts"), split);
            if (!counts.is_object() || counts.empty()) return std::string(kMissing);
            double n = 0;
            for (const json& v : counts) if (v.is_number()) n += v.get<double>();
            return format_count(n);
        };
        char minutes[64];
        std::snprintf(minutes, sizeof minutes, "%.1f min", seconds / 60.0);
        t.rows.push_back({text_cell(run.label()), text_cell(run.dir), text_cell(json_text(data, "split")),
                          text_cell(json_text(run.config, "profile")), text_cell(json_text(model, "arch")),
                          text_cell(json_text(model, "head")),
                          number_cell(std::to_string(run.epochs.size())),
                          number_cell(count_images("train")), number_cell(count_images("test")),
                          number_cell(any_seconds ? std::string(minutes) : std::string(kMissing))});
    }
    return t;
}

}  // namespace

int moderate_class_index(const std::vector<std::string>& classes) {
    for (size_t i = 0; i < classes.size(); ++i)
        if (classes[i].find("Moderate") != std::string::npos) return static_cast<int>(i);
    return -1;
}

std::string final_description(const std::vector<RunData>& runs) {
    size_t with_final = 0;
    for (const RunData& r : runs) with_final += r.has_final_line ? 1 : 0;
    std::string n = std::to_string(runs.size()) + (runs.size() == 1 ? " run" : " runs");
    if (with_final == runs.size())
        return "Final = the checkpoint selected on validation (the metrics.jsonl line with "
               "\"final\": true) for all " + n + ".";
    if (with_final == 0)
        return "Final = the last epoch line of metrics.jsonl for all " + n +
               " (no \"final\" line: training did not finish).";
    std::string last;
    for (const RunData& r : runs)
        if (!r.has_final_line) last += (last.empty() ? "" : ", ") + r.label();
    return "Final = the checkpoint selected on validation (\"final\": true line) where present; "
           "the last epoch line for " + last + " (training did not finish).";
}

std::vector<Table> build_tables(const std::vector<RunData>& runs) {
    return {comparison_table(runs), per_class_table(runs), loss_table(runs), runs_table(runs)};
}

}  // namespace alzscan::report
