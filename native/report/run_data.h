// native/report/run_data.h: one training run directory, read back for `alzscan report`.
//
//   alzscan::Expected<alzscan::report::RunData> run = alzscan::report::load_run("runs/exp0");
//   if (!run) { std::fprintf(stderr, "%s\n", run.error().c_str()); return 1; }
//   const nlohmann::json& test = run->final_metrics["test"];   // shared metrics_to_json() + "loss"
//
// Data contract (written by `alzscan train`, see native/trainer.h):
//   RUN/config.json    {"name", "model": {...}, "input": {...}, "classes": [...], "train": {...},
//                       "data": {"split", "counts", ...}, "profile": null|"quick"|"full",
//                       "experiment": null|{"id", "title", ...}}
//   RUN/metrics.jsonl  one JSON object per line; epoch lines
//                        {"epoch", "epochs", "lr", "seconds", "images_per_second",
//                         "train": {"loss", "accuracy", "macro_f1"},
//                         "val": {<metrics_to_json()>, "loss"}, "test": {<metrics_to_json()>, "loss"}}
//                      and, after training, one line {"final": true, "checkpoint": "best",
//                        "epoch": k, "val": {...}, "test": {...}} for the selected checkpoint.
// "Final" metrics are that final line when present, else the last epoch line (has_final_line
// says which). Blank lines are ignored. Nothing here depends on LibTorch.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alzscan/expected.h"

namespace alzscan::report {

struct RunData {
    std::string dir;                       // as given
    nlohmann::json config;                 // config.json
    std::vector<nlohmann::json> epochs;    // epoch lines, file order
    nlohmann::json final_metrics;          // the final line, or a copy of the last epoch line
    bool has_final_line = false;
    std::vector<std::string> classes;      // config "classes", else the per_class keys in order

    // "0 · Baseline" when the config names an experiment, else config "name", else the
    // directory's base name.
    std::string label() const;
    // Experiment id from config.experiment.id, -1 when there is none.
    int experiment_id() const;
    // The epoch line whose "epoch" equals final_metrics["epoch"], nullptr when there is none.
    const nlohmann::json* selected_epoch_line() const;
};

// Parses metrics.jsonl text. `path` only names the file in errors:
//   "runs/a/metrics.jsonl:3: not valid JSON (...)", "...:4: a line must be a JSON object",
//   "...:2: epoch line has no integer \"epoch\"".
Expected<std::vector<nlohmann::json>> parse_metrics_lines(const std::string& text,
                                                          const std::string& path);

// Reads DIR/config.json and DIR/metrics.jsonl. Errors name the path and what is missing:
//   "runs/a: no such directory", "runs/a/metrics.jsonl: missing (is runs/a a run directory
//   written by `alzscan train`?)", "runs/a/metrics.jsonl: no epoch finished yet".
Expected<RunData> load_run(const std::string& dir);

}  // namespace alzscan::report
