#include "experiments/ladder.h"
#include "rundir/files.h"
#include "rundir/run_dir.h"

#include <algorithm>
#include <filesystem>
#include <map>

namespace alzscan::experiments {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Train options of `j` (no "experiment", "profiles" or "_comment" keys).
void merge_options(json& into, const json& from) {
    for (auto it = from.begin(); it != from.end(); ++it) {
        if (it.key() == "experiment" || it.key() == "profiles" || it.key().rfind('_', 0) == 0) continue;
        // "batch_size" and "batch-size" name the same option: keep one spelling.
        std::string dashed = it.key();
        std::replace(dashed.begin(), dashed.end(), '_', '-');
        std::string underscored = it.key();
        std::replace(underscored.begin(), underscored.end(), '-', '_');
        into.erase(dashed);
        into.erase(underscored);
        into[dashed] = it.value();
    }
}

}  // namespace

Expected<std::vector<LadderStep>> load_ladder(const std::string& config_dir, const std::string& profile,
                                              const std::string& split, const std::string& data_dir,
                                              const json& overrides, int test_fold) {
    std::error_code ec;
    if (!fs::is_directory(config_dir, ec))
        return make_error(config_dir + ": no such directory (expected configs/experiments)");
    if (split != "hf" && split != "kaggle" && split != "subjects")
        return make_error("--split " + split + ": expected hf | kaggle | subjects");
    if (!overrides.is_object()) return make_error("overrides must be a JSON object");
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(config_dir, ec))
        if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
    if (files.empty()) return make_error(config_dir + ": no *.json experiment configs");
    std::sort(files.begin(), files.end());

    std::vector<LadderStep> steps;
    std::map<int, std::string> ids;
    for (const fs::path& file : files) {
        const std::string path = file.string();
        std::string text;
        if (!read_text_file(file, text)) return make_error(path + ": cannot be read");
        json j = json::parse(text, nullptr, false);
        if (j.is_discarded() || !j.is_object()) return make_error(path + ": not a JSON object");
        const json& exp = j.contains("experiment") ? j["experiment"] : json();
        if (!exp.is_object() || !exp.contains("id") || !exp["id"].is_number_integer() ||
            !exp.contains("title") || !exp["title"].is_string())
            return make_error(path + ": needs \"experiment\": {\"id\": <integer>, \"title\": \"...\"}");
        LadderStep s;
        s.id = exp["id"].get<int>();
        s.title = exp["title"].get<std::string>();
        s.config_path = path;
        s.run_name = file.stem().string();
        if (!ids.emplace(s.id, path).second)
            return make_error(path + ": experiment id " + std::to_string(s.id) + " also used by " + ids[s.id]);
        const json& profiles = j.contains("profiles") ? j["profiles"] : json();
        if (!profiles.is_object() || !profiles.contains(profile) || !profiles[profile].is_object()) {
            std::string have;
            if (profiles.is_object())
                for (auto it = profiles.begin(); it != profiles.end(); ++it) have += (have.empty() ? "" : ", ") + it.key();
            return make_error(path + ": no profile \"" + profile + "\" (has: " + (have.empty() ? "none" : have) + ")");
        }
        json cfg = json::object();
        merge_options(cfg, j);
        merge_options(cfg, profiles[profile]);
        merge_options(cfg, overrides);
        cfg["data"] = data_dir;
        if (split == "kaggle") {
            cfg["split-file"] = (fs::path(data_dir) / "KAGGLE_SPLIT.tsv").string();
            cfg["split-column"] = "kaggle_split";
        } else if (split == "subjects") {   // people never seen: fold `test_fold` held out, validation whole people
            const std::string subjects = (fs::path(data_dir) / "SUBJECTS.tsv").string();
            cfg["split-file"] = subjects;
            cfg["split-column"] = "subject_fold";
            cfg["test-fold"] = test_fold;
            cfg["groups"] = subjects;
            cfg["group-column"] = "subject";
        } else {
            cfg["split-file"] = "";
            cfg["split-column"] = "";
        }
        cfg["profile"] = profile;
        cfg["experiment"] = exp;
        s.train_config = std::move(cfg);
        steps.push_back(std::move(s));
    }
    std::sort(steps.begin(), steps.end(), [](const LadderStep& a, const LadderStep& b) { return a.id < b.id; });
    return steps;
}

RunState run_state(const std::string& run_dir) {
    const RunDir run(run_dir);
    if (!find_final_line(run).is_null()) return RunState::kFinished;
    std::error_code ec;
    if (fs::exists(run.last, ec)) return RunState::kInterrupted;
    return RunState::kNew;
}

const char* run_state_name(RunState state) {
    switch (state) {
        case RunState::kNew: return "new";
        case RunState::kInterrupted: return "interrupted";
        case RunState::kFinished: return "finished";
    }
    return "?";
}

std::string check_run_matches(const std::string& run_dir, const std::string& split,
                              const std::string& profile) {
    auto config = read_run_config(RunDir(run_dir));
    if (!config) return "";   // nothing readable to compare: the child train says what is wrong
    const json& j = config.value();
    std::string have_split, have_profile;
    if (j.contains("data") && j["data"].is_object() && j["data"].contains("split") && j["data"]["split"].is_string())
        have_split = j["data"]["split"].get<std::string>();
    if (j.contains("profile") && j["profile"].is_string()) have_profile = j["profile"].get<std::string>();
    if (have_split == "fold") have_split = "subjects";   // the run's own name for a held-out fold
    if (!have_split.empty() && have_split != split)
        return run_dir + ": was trained on the " + have_split + " split, not " + split +
               " (use another --out for each split)";
    if (!have_profile.empty() && have_profile != profile)
        return run_dir + ": was trained with profile " + have_profile + ", not " + profile +
               " (use another --out for each profile)";
    return "";
}

}  // namespace alzscan::experiments
