// native/report/report_tables.h: the report's tables as data, rendered by both the HTML page
// and summary.md so the two always show the same numbers.
//
//   std::vector<alzscan::report::Table> tables = alzscan::report::build_tables(runs);
//   for (const Table& t : tables) render(t);   // t.header[i] names t.rows[r][i]
//
// Tables (ids): "comparison" (final test metrics per run), "per_class" (final test precision /
// recall / F1 / support per run and class), "loss" (train / val / test loss at the selected
// epoch and at the last epoch), "runs" (what each run was: split, profile, model, epochs).
// Every number is a value of metrics.jsonl or config.json printed with report_format.h.
#pragma once

#include <string>
#include <vector>

#include "report/run_data.h"

namespace alzscan::report {

struct Cell {
    std::string text;
    bool numeric = false;   // right-aligned, tabular digits
    bool best = false;      // best value of its column across runs (highlighted)
};

struct Table {
    std::string id;
    std::string title;
    std::string note;                 // one sentence under the title
    std::vector<std::string> header;
    std::vector<std::vector<Cell>> rows;
};

// The class whose name contains "Moderate" (the seed's hardest class), -1 when there is none.
int moderate_class_index(const std::vector<std::string>& classes);

// Describes what "final" means for these runs, e.g. "Final = the checkpoint selected on
// validation (metrics.jsonl line with \"final\": true) for all 3 runs."
std::string final_description(const std::vector<RunData>& runs);

std::vector<Table> build_tables(const std::vector<RunData>& runs);

}  // namespace alzscan::report
