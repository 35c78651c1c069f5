// native/report/report.h: `alzscan report` as a library: run directories in, one offline page
// and a Markdown summary out.
//
//   std::vector<alzscan::report::RunData> runs;   // from load_run(), in the order to show
//   alzscan::report::ReportOptions opt;
//   opt.title = "Experiment ladder, Kaggle split";
//   std::string err = alzscan::report::write_report(runs, "reports/ladder", opt);
//   if (!err.empty()) { std::fprintf(stderr, "%s\n", err.c_str()); return 1; }
//
// Output contract:
//   OUT/index.html  one self-contained page: inline CSS and inline SVG charts, no script, no
//                   external URL (a Content-Security-Policy of default-src 'none' enforces it).
//                   Tables carry id="table-<id>" (ids from report_tables.h), one <tr> per row,
//                   cells exactly the Table cells' text.
//   OUT/summary.md  the same tables in GitHub Markdown.
// A cross-validation directory given to `alzscan report` adds its folds as runs and a section
// "Cross-validation by person" (id="cv-<n>"): person-level numbers with intervals and, when cv.json
// has them, calibration before and after with reliability diagrams (slices and people).
// A model given with --model adds the section "Atrophy evidence" (id="atrophy"): the training
// people's CSF fraction by slice position and class, the picture the app draws beside a verdict.
// Both files are written atomically (rundir/files.h).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/run_data.h"
#include "report/svg_charts.h"

namespace alzscan::report {

// A cross-validation directory's cv.json (alzscan cv): its person-level numbers and, when it has
// them, its calibration before and after with reliability diagrams.
struct CrossValidation {
    std::string dir;
    nlohmann::json cv;
};

struct ReportOptions {
    std::string title = "alzscan experiment report";
    std::string generated_at;   // shown in the header when not empty (e.g. "2026-11-26 02:10 UTC")
    std::string generator = "alzscan report";
    std::vector<CrossValidation> cross_validations;   // a section each, before the runs
    // A model's atrophy reference (shared/ atrophy.h atrophy_chart_svg) and what it was measured on:
    // a section "Atrophy evidence" (id="atrophy") when not empty.
    std::string atrophy_svg, atrophy_note;
};

// A calibration level of cv.json ({"bins": [{"count", "confidence", "accuracy"}]}) as a diagram series.
ReliabilitySeries reliability_series(const nlohmann::json& stats, const std::string& name, const std::string& color);

// The cross-validation section alone (HTML), as render_html places it.
std::string cross_validation_html(const CrossValidation& cv);

std::string render_html(const std::vector<RunData>& runs, const ReportOptions& options);
std::string render_markdown(const std::vector<RunData>& runs, const ReportOptions& options);

// Creates out_dir when needed and writes index.html and summary.md. Returns "" or an error.
std::string write_report(const std::vector<RunData>& runs, const std::string& out_dir,
                         const ReportOptions& options);

// The current time as "%Y-%m-%d %H:%M UTC", for the report's "generated at" line.
std::string utc_now_text();

}  // namespace alzscan::report
