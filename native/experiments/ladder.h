// native/experiments/ladder.h: the seed's experiment ladder as data: which configs to train, in
// which order, with which profile, and what state each run directory is in.
//
//   auto steps = alzscan::experiments::load_ladder("configs/experiments", "quick", "kaggle",
//                                                  "../shared/data/alzheimer_mri", overrides);
//   if (!steps) { std::fprintf(stderr, "%s\n", steps.error().c_str()); return 1; }
//   for (const auto& s : *steps) {
//       std::string run_dir = out + "/" + s.run_name;
//       if (alzscan::experiments::run_state(run_dir) == RunState::kFinished) continue;
//       // write s.train_config to a file and run `alzscan train --config FILE [--resume]`
//   }
//
// Experiment config file (configs/experiments/<id>_<slug>.json):
//   {"experiment": {"id": 0, "title": "...", "seed_conclusion": "..."},
//    "<train option>": value, ...               (alzscan train's option names, e.g. "batch-size")
//    "profiles": {"quick": {<option overrides>}, "full": {<option overrides>}}}
// The resolved train config (what `alzscan train --config` reads) is the options, then the
// profile's overrides, then `overrides`, plus "profile", "experiment", "data" and, for the
// Kaggle split, "split-file"/"split-column". Keys starting with "_" are comments and dropped.
// Nothing here depends on LibTorch.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alzscan/expected.h"

namespace alzscan::experiments {

struct LadderStep {
    int id = 0;
    std::string title;
    std::string config_path;      // the experiment file
    std::string run_name;         // its file stem: "0_baseline"
    nlohmann::json train_config;  // resolved, for `alzscan train --config`
};

// Reads every *.json in config_dir, sorted by experiment id. split: "hf" (the dataset's
// folders), "kaggle" (DATA/KAGGLE_SPLIT.tsv, column kaggle_split) or "subjects" (people never
// seen: DATA/SUBJECTS.tsv, fold `test_fold` of subject_fold held out, validation carved as whole
// people of the column subject). Errors name the file and the problem: not JSON, no
// "experiment" id/title, duplicate id, no such profile.
Expected<std::vector<LadderStep>> load_ladder(const std::string& config_dir, const std::string& profile,
                                              const std::string& split, const std::string& data_dir,
                                              const nlohmann::json& overrides = nlohmann::json::object(),
                                              int test_fold = 0);

enum class RunState {
    kNew,          // no run directory, or nothing to resume from: train from scratch
    kInterrupted,  // last.pt present but no "final" line: `alzscan train --resume`
    kFinished,     // metrics.jsonl holds the "final" line: skip
};
RunState run_state(const std::string& run_dir);
const char* run_state_name(RunState state);

// "" when run_dir is new or was trained with this split and profile, else a one-line error
// (a ladder directory must not mix splits or profiles).
std::string check_run_matches(const std::string& run_dir, const std::string& split,
                              const std::string& profile);

}  // namespace alzscan::experiments
