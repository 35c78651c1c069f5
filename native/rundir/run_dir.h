// native/rundir/run_dir.h: the run directory `alzscan train` writes, and everyone else reads
// (`alzscan export`, `alzscan report`, `alzscan experiments`). No LibTorch.
//
//   alzscan::RunDir run("runs/default");
//   alzscan::write_run_config(run, config);          // the trainer, once per start
//   alzscan::start_run_log(run);                     // fresh run: empty log, CSV header
//   alzscan::append_epoch_line(run, line);           // one metrics.jsonl line + one summary.csv row
//   alzscan::append_final_line(run, final_line);
//
//   alzscan::Expected<alzscan::MetricsLog> log = alzscan::read_metrics_log(run);   // strict
//   nlohmann::json f = alzscan::find_final_line(run);   // lenient; null when training has not ended
//
// Contract (DIR/...):
//   config.json    {"name", "model": {...}, "input": {...}, "classes": [...], "train": {every
//                  resolved option}, "data": {"dir", "split", "split_file", "split_column",
//                  "digest", "digest_method", "counts", "skipped", "val_mode", "train_groups",
//                  "val_random_classes", "val_notes", "val_files"}, "profile": null|"quick"|"full",
//                  "experiment": null|{"id", "title"}, "selection"}
//   metrics.jsonl  one JSON object per finished epoch
//                    {"epoch", "epochs", "lr", "seconds", "images_per_second",
//                     "train": {"loss", "accuracy", "macro_f1"},
//                     "val": {<shared metrics_to_json()>, "loss"} | null, "test": {...} | null}
//                  and, when training has ended, one final line for the selected checkpoint
//                    {"final": true, "checkpoint": "best", "epoch", "select_window",
//                     "selection_score", "val", "test"}
//   summary.csv    kSummaryHeader, then one row per epoch line (empty cell: no value)
//   best.pt, last.pt   checkpoints (native/models/checkpoint.h; what they hold: train/training_state.h)
// A resumed run may repeat an epoch logged before its checkpoint was saved: readers keep the
// later line, and the last final line wins.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alzscan/expected.h"

namespace alzscan {

struct RunDir {
    explicit RunDir(const std::string& dir);
    std::string dir;   // as given (error messages quote it)
    std::filesystem::path config, metrics, summary, best, last;
};

extern const char* const kSummaryHeader;

// ---- writing (the trainer). Each throws runtime_error naming the file.
void write_run_config(const RunDir& run, const nlohmann::json& config);   // atomic, 2-space JSON
void start_run_log(const RunDir& run);
void append_epoch_line(const RunDir& run, const nlohmann::json& line);
void append_final_line(const RunDir& run, const nlohmann::json& final_line);
// Resume: keeps the epoch lines up to `epoch` (1-based, inclusive), drops later ones and every
// final line, and rewrites summary.csv from what is kept. Unparsable lines are dropped.
void keep_epoch_lines_through(const RunDir& run, int64_t epoch);
std::string summary_row(const nlohmann::json& epoch_line);

// ---- reading.
// Errors: "DIR/config.json: missing (is DIR a run directory written by `alzscan train`?)",
// "...: cannot be read", "...: not a JSON object".
Expected<nlohmann::json> read_run_config(const RunDir& run);

struct MetricsLog {
    std::vector<nlohmann::json> epochs;   // by epoch number, the later line of a repeated epoch
    nlohmann::json final_line;            // the last final line; null when there is none
};
// Strict: every line must be a JSON object with "test" metrics and an integer "epoch" (or
// "final": true). Errors name the line: "DIR/metrics.jsonl:3: not valid JSON (...)",
// "...:4: a line must be a JSON object", "...:2: epoch line has no integer \"epoch\"",
// "DIR/metrics.jsonl: missing (...)", "...: no epoch finished yet (training still running?)".
Expected<std::vector<nlohmann::json>> parse_metrics_lines(const std::string& text, const std::string& path);
Expected<MetricsLog> read_metrics_log(const RunDir& run);

// Lenient: the last {"final": true, ...} line of metrics.jsonl, skipping lines
// that do not parse (an interrupted append); null when there is none or no file.
nlohmann::json find_final_line(const RunDir& run);

}  // namespace alzscan
