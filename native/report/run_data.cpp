#include "report/run_data.h"
#include "report/text_file.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace alzscan::report {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string first_line(std::string s) {
    size_t nl = s.find('\n');
    if (nl != std::string::npos) s.resize(nl);
    return s;
}

}  // namespace

std::string RunData::label() const {
    const json* exp = config.contains("experiment") ? &config["experiment"] : nullptr;
    if (exp && exp->is_object() && exp->contains("title") && (*exp)["title"].is_string()) {
        std::string title = (*exp)["title"].get<std::string>();
        int id = experiment_id();
        return id >= 0 ? std::to_string(id) + " · " + title : title;
    }
    if (config.contains("name") && config["name"].is_string() &&
        !config["name"].get<std::string>().empty())
        return config["name"].get<std::string>();
    std::string base = fs::path(dir).lexically_normal().filename().string();
    if (base.empty() || base == ".") base = fs::path(dir).lexically_normal().parent_path().filename().string();
    return base.empty() ? dir : base;
}

int RunData::experiment_id() const {
    auto it = config.find("experiment");
    if (it == config.end() || !it->is_object()) return -1;
    auto id = it->find("id");
    return (id != it->end() && id->is_number_integer()) ? id->get<int>() : -1;
}

const json* RunData::selected_epoch_line() const {
    auto e = final_metrics.find("epoch");
    if (e == final_metrics.end() || !e->is_number_integer()) return nullptr;
    for (const json& line : epochs)
        if (line["epoch"] == *e) return &line;
    return nullptr;
}

Expected<std::vector<json>> parse_metrics_lines(const std::string& text, const std::string& path) {
    std::vector<json> lines;
    std::istringstream in(text);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        std::string where = path + ":" + std::to_string(number) + ": ";
        json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded())
            return make_error(where + "not valid JSON (a truncated write? delete the line or rerun "
                                      "with --resume)");
        if (!j.is_object()) return make_error(where + "a line must be a JSON object");
        bool is_final = j.value("final", false) == true;
        if (!is_final && !(j.contains("epoch") && j["epoch"].is_number_integer()))
            return make_error(where + "epoch line has no integer \"epoch\"");
        if (!j.contains("test") || !j["test"].is_object())
            return make_error(where + "no \"test\" metrics object");
        lines.push_back(std::move(j));
    }
    return lines;
}

Expected<RunData> load_run(const std::string& dir) {
    fs::path root(dir);
    std::error_code ec;
    if (!fs::exists(root, ec)) return make_error(dir + ": no such directory");
    if (!fs::is_directory(root, ec))
        return make_error(dir + ": not a directory (give a run directory written by `alzscan train`)");

    RunData run;
    run.dir = dir;
    std::string text;
    fs::path config_path = root / "config.json";
    if (!fs::exists(config_path, ec))
        return make_error(config_path.string() + ": missing (is " + dir +
                          " a run directory written by `alzscan train`?)");
    if (!read_text_file(config_path, text)) return make_error(config_path.string() + ": cannot be read");
    run.config = json::parse(text, nullptr, false);
    if (run.config.is_discarded() || !run.config.is_object())
        return make_error(config_path.string() + ": not a JSON object");

    fs::path metrics_path = root / "metrics.jsonl";
    if (!fs::exists(metrics_path, ec))
        return make_error(metrics_path.string() + ": missing (is " + dir +
                          " a run directory written by `alzscan train`?)");
    if (!read_text_file(metrics_path, text)) return make_error(metrics_path.string() + ": cannot be read");
    auto lines = parse_metrics_lines(text, metrics_path.string());
    if (!lines) return make_error(first_line(lines.error()));

    // A resumed run may repeat an epoch that was logged before its checkpoint was saved: the
    // later line wins. The last final line wins too.
    std::map<int, json> by_epoch;
    for (json& j : lines.value()) {
        if (j.value("final", false) == true) {
            run.final_metrics = std::move(j);
            run.has_final_line = true;
        } else {
            int e = j["epoch"].get<int>();
            by_epoch[e] = std::move(j);
        }
    }
    for (auto& kv : by_epoch) run.epochs.push_back(std::move(kv.second));
    if (run.epochs.empty() && !run.has_final_line)
        return make_error(metrics_path.string() + ": no epoch finished yet (training still running?)");
    if (!run.has_final_line) run.final_metrics = run.epochs.back();

    auto classes = run.config.find("classes");
    if (classes != run.config.end() && classes->is_array()) {
        for (const json& c : *classes)
            if (c.is_string()) run.classes.push_back(c.get<std::string>());
    }
    if (run.classes.empty()) {
        const json& test = run.final_metrics["test"];
        if (test.contains("per_class") && test["per_class"].is_object())
            for (auto it = test["per_class"].begin(); it != test["per_class"].end(); ++it)
                run.classes.push_back(it.key());
    }
    return run;
}

}  // namespace alzscan::report
