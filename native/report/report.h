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
// Both files are written atomically (rundir/files.h).
#pragma once

#include <string>
#include <vector>

#include "report/run_data.h"

namespace alzscan::report {

struct ReportOptions {
    std::string title = "alzscan experiment report";
    std::string generated_at;   // shown in the header when not empty (e.g. "2026-11-26 02:10 UTC")
    std::string generator = "alzscan report";
};

std::string render_html(const std::vector<RunData>& runs, const ReportOptions& options);
std::string render_markdown(const std::vector<RunData>& runs, const ReportOptions& options);

// Creates out_dir when needed and writes index.html and summary.md. Returns "" or an error.
std::string write_report(const std::vector<RunData>& runs, const std::string& out_dir,
                         const ReportOptions& options);

// The current time as "%Y-%m-%d %H:%M UTC", for the report's "generated at" line.
std::string utc_now_text();

}  // namespace alzscan::report
