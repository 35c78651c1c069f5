#include "report/run_data.h"

#include <algorithm>
#include <filesystem>

namespace alzscan::report {

namespace fs = std::filesystem;
using nlohmann::json;

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

Expected<RunData> load_run(const std::string& dir) {
    fs::path root(dir);
    std::error_code ec;
    if (!fs::exists(root, ec)) return make_error(dir + ": no such directory");
    if (!fs::is_directory(root, ec))
        return make_error(dir + ": not a directory (give a run directory written by `alzscan train`)");

    const RunDir files(dir);
    auto config = read_run_config(files);
    if (!config) return make_error(config.error());
    auto log = read_metrics_log(files);
    if (!log) return make_error(log.error());
    RunData run;
    run.dir = dir;
    run.config = std::move(config.value());
    run.epochs = std::move(log.value().epochs);
    run.has_final_line = !log.value().final_line.is_null();
    run.final_metrics = run.has_final_line ? std::move(log.value().final_line) : run.epochs.back();

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
