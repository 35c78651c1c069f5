// `alzscan report RUN_DIR... --out DIR`: one offline HTML page + summary.md from run directories.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "alzscan/atrophy.h"
#include "cli/cli_args.h"
#include "commands/commands.h"
#include "report/report.h"
#include "rundir/files.h"

namespace alzscan::cmd {

namespace {

namespace fs = std::filesystem;

bool is_run_dir(const fs::path& p) {
    std::error_code ec;
    return fs::exists(p / "metrics.jsonl", ec) || fs::exists(p / "config.json", ec);
}

// A ladder directory (runs/ladder-kaggle) holds run directories: report all of them, in
// experiment order. Anything else is taken as a run directory and load_run() names what is
// missing.
std::vector<std::string> expand(const std::string& arg) {
    fs::path p(arg);
    std::error_code ec;
    if (!fs::is_directory(p, ec) || is_run_dir(p)) return {arg};
    std::vector<std::string> children;
    for (const auto& entry : fs::directory_iterator(p, ec))
        if (entry.is_directory() && fs::exists(entry.path() / "metrics.jsonl"))
            children.push_back(entry.path().string());
    if (children.empty()) return {arg};
    std::sort(children.begin(), children.end());
    return children;
}

// --model FILE: the model's atrophy picture and what it was measured on (ReportOptions).
bool atrophy_section(const std::string& model_json, report::ReportOptions& options) {
    std::string text;
    if (!read_text_file(model_json, text)) {
        std::fprintf(stderr, "alzscan report: --model %s: cannot be read (hint: models/default/model.json)\n", model_json.c_str());
        return false;
    }
    auto ref = parse_atrophy_reference(text);
    if (!ref || !ref->enabled()) {
        std::fprintf(stderr, "alzscan report: --model %s: %s\n", model_json.c_str(),
                     ref ? "has no atrophy reference (hint: alzscan calibrate, then alzscan export)" : ref.error().c_str());
        return false;
    }
    const AtrophyChart chart = atrophy_chart(*ref, nullptr);
    options.atrophy_svg = atrophy_chart_svg(chart, 720, 380);
    options.atrophy_note = chart.caption + " Measured on " + ref->fitted_on + " (" + model_json + ").";
    return true;
}

}  // namespace

int report(int argc, char** argv) {
    CliArgs args("alzscan report",
                 "render run directories (or a ladder directory holding them) as one offline HTML "
                 "page, DIR/index.html, and DIR/summary.md");
    args.option("out", "", "output directory (created when missing)", /*required=*/true);
    args.option("title", "alzscan experiment report", "page title");
    args.option("model", "", "a model.json (alzscan export) whose atrophy reference the page shows: the training "
                             "people's CSF fraction by slice position and class");
    args.positional("RUN_DIR", "run directories written by `alzscan train`", /*min_count=*/1);
    if (int rc = args.parse(argc, argv); rc >= 0) return rc;

    std::vector<report::RunData> runs;
    std::vector<report::CrossValidation> cvs;
    bool from_ladder = false;
    for (const std::string& arg : args.positionals()) {
        // A cross-validation directory (alzscan cv): its cv.json, and its folds as runs.
        const fs::path cv_json = fs::path(arg) / "cv.json";
        if (std::string text; fs::exists(cv_json) && read_text_file(cv_json.string(), text)) {
            const nlohmann::json cv = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
            if (!cv.is_object() || !cv.contains("model")) {
                std::fprintf(stderr, "alzscan report: %s: not an `alzscan cv` result (no \"model\")\n", cv_json.string().c_str());
                return 1;
            }
            cvs.push_back({arg, cv});
        }
        std::vector<std::string> dirs = expand(arg);
        from_ladder = from_ladder || dirs.size() > 1 || dirs[0] != arg;
        for (const std::string& dir : dirs) {
            auto run = report::load_run(dir);
            if (!run) {
                std::fprintf(stderr, "alzscan report: %s\n", run.error().c_str());
                return 1;
            }
            runs.push_back(std::move(run).value());
        }
    }
    if (from_ladder)
        std::stable_sort(runs.begin(), runs.end(), [](const report::RunData& a, const report::RunData& b) {
            return a.experiment_id() < b.experiment_id();
        });

    report::ReportOptions options;
    options.title = args.get("title");
    options.generated_at = report::utc_now_text();
    options.generator = std::string("alzscan ") + ALZSCAN_VERSION + " report";
    options.cross_validations = cvs;
    if (args.is_set("model") && !atrophy_section(args.get("model"), options)) return 1;
    std::string err = report::write_report(runs, args.get("out"), options);
    if (!err.empty()) {
        std::fprintf(stderr, "alzscan report: %s\n", err.c_str());
        return 1;
    }
    std::printf("wrote %s/index.html and %s/summary.md (%zu runs)\n", args.get("out").c_str(),
                args.get("out").c_str(), runs.size());
    return 0;
}

}  // namespace alzscan::cmd
