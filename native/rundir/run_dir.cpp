#include "rundir/run_dir.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "rundir/files.h"

namespace alzscan {

namespace fs = std::filesystem;
using nlohmann::json;

const char* const kSummaryHeader =
    "epoch,lr,seconds,images_per_second,train_loss,train_accuracy,train_macro_f1,"
    "val_loss,val_accuracy,val_balanced_accuracy,val_macro_f1,"
    "test_loss,test_accuracy,test_balanced_accuracy,test_macro_f1";

namespace {

void append_line(const fs::path& path, const std::string& line) {
    std::ofstream f(path, std::ios::app);
    f << line << "\n";
    f.flush();
    if (!f) throw std::runtime_error(path.string() + ": cannot append; hint: is the disk full?");
}

struct Line {
    std::string text;
    json value;
};

// Every line of the file that parses as JSON (an interrupted append leaves one that does not).
std::vector<Line> parsable_lines(const fs::path& path) {
    std::vector<Line> lines;
    std::ifstream in(path);
    for (std::string l; std::getline(in, l);) {
        json j = json::parse(l, nullptr, /*allow_exceptions=*/false);
        if (!j.is_discarded()) lines.push_back({std::move(l), std::move(j)});
    }
    return lines;
}

bool is_final(const json& j) { return j.is_object() && j.value("final", false) == true; }

std::string missing_message(const fs::path& file, const std::string& dir) {
    return file.string() + ": missing (is " + dir + " a run directory written by `alzscan train`?)";
}

std::string first_line(std::string s) {
    const size_t nl = s.find('\n');
    if (nl != std::string::npos) s.resize(nl);
    return s;
}

}  // namespace

RunDir::RunDir(const std::string& d)
    : dir(d),
      config(fs::path(d) / "config.json"),
      metrics(fs::path(d) / "metrics.jsonl"),
      summary(fs::path(d) / "summary.csv"),
      best(fs::path(d) / "best.pt"),
      last(fs::path(d) / "last.pt") {}

std::string summary_row(const json& line) {
    auto num = [](const json& j, const char* key) {
        if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return std::string();
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.6g", j[key].get<double>());
        return std::string(buf);
    };
    std::string row = std::to_string(line.at("epoch").get<int64_t>());
    for (const char* k : {"lr", "seconds", "images_per_second"}) row += "," + num(line, k);
    for (const char* k : {"loss", "accuracy", "macro_f1"}) row += "," + num(line.value("train", json()), k);
    for (const char* part : {"val", "test"})
        for (const char* k : {"loss", "accuracy", "balanced_accuracy", "macro_f1"})
            row += "," + num(line.value(part, json()), k);
    return row;
}

void write_run_config(const RunDir& run, const json& config) {
    write_file_atomically(run.config, config.dump(2) + "\n");
}

void start_run_log(const RunDir& run) {
    write_file_atomically(run.metrics, "");
    write_file_atomically(run.summary, std::string(kSummaryHeader) + "\n");
}

void append_epoch_line(const RunDir& run, const json& line) {
    append_line(run.metrics, line.dump());
    append_line(run.summary, summary_row(line));
}

void append_final_line(const RunDir& run, const json& final_line) { append_line(run.metrics, final_line.dump()); }

void keep_epoch_lines_through(const RunDir& run, int64_t epoch) {
    std::string text, csv = std::string(kSummaryHeader) + "\n";
    for (const Line& l : parsable_lines(run.metrics)) {
        const json& j = l.value;
        if (!j.is_object() || !j.contains("epoch") || j.contains("final") || j["epoch"].get<int64_t>() > epoch) continue;
        text += l.text + "\n";
        csv += summary_row(j) + "\n";
    }
    write_file_atomically(run.metrics, text);
    write_file_atomically(run.summary, csv);
}

Expected<json> read_run_config(const RunDir& run) {
    std::error_code ec;
    if (!fs::exists(run.config, ec)) return make_error(missing_message(run.config, run.dir));
    std::string text;
    if (!read_text_file(run.config, text)) return make_error(run.config.string() + ": cannot be read");
    json config = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (config.is_discarded() || !config.is_object()) return make_error(run.config.string() + ": not a JSON object");
    return config;
}

Expected<std::vector<json>> parse_metrics_lines(const std::string& text, const std::string& path) {
    std::vector<json> lines;
    std::istringstream in(text);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const std::string where = path + ":" + std::to_string(number) + ": ";
        json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded())
            return make_error(where + "not valid JSON (a truncated write? delete the line or rerun "
                                      "with --resume)");
        if (!j.is_object()) return make_error(where + "a line must be a JSON object");
        if (!is_final(j) && !(j.contains("epoch") && j["epoch"].is_number_integer()))
            return make_error(where + "epoch line has no integer \"epoch\"");
        if (!j.contains("test") || !j["test"].is_object()) return make_error(where + "no \"test\" metrics object");
        lines.push_back(std::move(j));
    }
    return lines;
}

Expected<MetricsLog> read_metrics_log(const RunDir& run) {
    std::error_code ec;
    if (!fs::exists(run.metrics, ec)) return make_error(missing_message(run.metrics, run.dir));
    std::string text;
    if (!read_text_file(run.metrics, text)) return make_error(run.metrics.string() + ": cannot be read");
    auto lines = parse_metrics_lines(text, run.metrics.string());
    if (!lines) return make_error(first_line(lines.error()));
    MetricsLog log;
    std::map<int64_t, json> by_epoch;
    for (json& j : lines.value()) {
        if (is_final(j)) {
            log.final_line = std::move(j);
        } else {
            const int64_t epoch = j["epoch"].get<int64_t>();   // before the move below
            by_epoch[epoch] = std::move(j);
        }
    }
    for (auto& kv : by_epoch) log.epochs.push_back(std::move(kv.second));
    if (log.epochs.empty() && log.final_line.is_null())
        return make_error(run.metrics.string() + ": no epoch finished yet (training still running?)");
    return log;
}

json find_final_line(const RunDir& run) {
    json found = nullptr;
    for (Line& l : parsable_lines(run.metrics))
        if (is_final(l.value)) found = std::move(l.value);
    return found;
}

}  // namespace alzscan
