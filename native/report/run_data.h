// native/report/run_data.h: one training run directory, read back for `alzscan report`.
//
//   alzscan::Expected<alzscan::report::RunData> run = alzscan::report::load_run("runs/exp0");
//   if (!run) { std::fprintf(stderr, "%s\n", run.error().c_str()); return 1; }
//   const nlohmann::json& test = run->final_metrics["test"];   // shared metrics_to_json() + "loss"
//
// The files and their contract: native/rundir/run_dir.h (this only shapes them for the report).
// "Final" metrics are the final line when present, else the last epoch line (has_final_line
// says which). Nothing here depends on LibTorch.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alzscan/expected.h"
#include "rundir/run_dir.h"

namespace alzscan::report {

struct RunData {
    std::string dir;                       // as given
    nlohmann::json config;                 // config.json
    std::vector<nlohmann::json> epochs;    // epoch lines by epoch (a repeated epoch: its later line)
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

using alzscan::parse_metrics_lines;   // the run directory's own parser (rundir/run_dir.h)

// Reads DIR/config.json and DIR/metrics.jsonl. Errors name the path and what is missing:
//   "runs/a: no such directory", "runs/a/metrics.jsonl: missing (is runs/a a run directory
//   written by `alzscan train`?)", "runs/a/metrics.jsonl: no epoch finished yet".
Expected<RunData> load_run(const std::string& dir);

}  // namespace alzscan::report
