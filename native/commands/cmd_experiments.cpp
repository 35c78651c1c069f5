// `alzscan experiments CONFIG_DIR --split hf|kaggle --profile quick|full --out DIR`: trains the
// seed's experiment ladder in order (one `alzscan train` child process per experiment), skips
// finished runs, resumes an interrupted one, then writes DIR/report/{index.html,summary.md}.
//
// Each experiment runs as a child process of this same binary, so a crash or Ctrl-C in one
// training loses nothing that is saved and leaves the ladder resumable by rerunning the command.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/common_options.h"
#include "commands/child_process.h"
#include "commands/commands.h"
#include "experiments/ladder.h"
#include "report/report.h"
#include "rundir/files.h"

namespace alzscan::cmd {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<int> parse_ids(const std::string& text, std::string& error) {
    std::vector<int> ids;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        char* end = nullptr;
        long v = std::strtol(item.c_str(), &end, 10);
        if (item.empty() || *end) {
            error = "--only " + text + ": expected experiment ids like 0,1,5";
            return {};
        }
        ids.push_back(static_cast<int>(v));
    }
    return ids;
}

// Exit code 2 (bad usage) rather than 1 (a failure while running).
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct LadderArgs {
    std::string config_dir, profile, split, out, data;
    int test_fold = 0;
    json overrides = json::object();
    std::vector<int> only;
    bool dry_run = false;
};

void add_ladder_options(CliArgs& args) {
    args.option("out", "", "ladder directory: one run directory per experiment + report/", /*required=*/true);
    args.option("split", "kaggle", "hf (the seed's split: neighbouring slices of one person in train and test) | kaggle (test: the top slices of people also in train) | subjects (people never seen: fold --test-fold of SUBJECTS.tsv held out)");
    args.option(kTestFoldOption.name, "0", "with --split subjects: the fold of SUBJECTS.tsv's subject_fold held out as test");
    args.option("profile", "quick", "quick (2-core CPU, sized for <= 90 min: see docs/experiments.md) | full (the seed's settings, GPU)");
    args.option(kDataOption.name, kDataOption.default_value, "dataset root (ImageFolder + KAGGLE_SPLIT.tsv)");
    args.option("only", "", "comma-separated experiment ids to run (default: all)");
    args.option("set", "", "JSON object of train options applied on top of every config, e.g. '{\"epochs\": 1}'");
    args.flag("dry-run", "print what would run, train nothing");
    args.positional("CONFIG_DIR", "directory of experiment configs (configs/experiments)", /*min_count=*/1);
}

LadderArgs ladder_args(const CliArgs& args) {
    if (args.positionals().size() != 1)
        throw UsageError("give exactly one CONFIG_DIR (got " + std::to_string(args.positionals().size()) + ")");
    LadderArgs a;
    a.config_dir = args.positionals()[0];
    a.profile = args.get("profile");
    a.split = args.get("split");
    a.out = args.get("out");
    a.data = args.get("data");
    a.dry_run = args.is_set("dry-run");
    a.test_fold = static_cast<int>(args.get_int(kTestFoldOption.name));
    if (a.test_fold < 0) throw UsageError("--test-fold " + args.get(kTestFoldOption.name) + ": must be >= 0");
    if (a.profile != "quick" && a.profile != "full") throw UsageError("--profile " + a.profile + ": expected quick | full");
    if (!args.get("set").empty()) {
        a.overrides = json::parse(args.get("set"), nullptr, false);
        if (a.overrides.is_discarded() || !a.overrides.is_object())
            throw UsageError("--set " + args.get("set") + ": expected a JSON object");
    }
    if (!args.get("only").empty()) {
        std::string err;
        a.only = parse_ids(args.get("only"), err);
        if (!err.empty()) throw UsageError(err);
    }
    return a;
}

// The ladder's steps that --only keeps (all without it).
std::vector<experiments::LadderStep> selected_steps(const LadderArgs& a,
                                                    const std::vector<experiments::LadderStep>& ladder) {
    std::vector<experiments::LadderStep> steps;
    for (const auto& s : ladder)
        if (a.only.empty() || std::find(a.only.begin(), a.only.end(), s.id) != a.only.end()) steps.push_back(s);
    for (int id : a.only) {
        bool found = false;
        for (const auto& s : steps) found = found || s.id == id;
        if (!found) throw UsageError("--only: no experiment " + std::to_string(id) + " in " + a.config_dir);
    }
    return steps;
}

// Trains one step unless it is finished (resumes it when interrupted); throws when it fails.
void run_step(const LadderArgs& a, const experiments::LadderStep& s, size_t i, size_t n, const std::string& self) {
    const std::string run_dir = (fs::path(a.out) / s.run_name).string();
    const std::string mismatch = experiments::check_run_matches(run_dir, a.split, a.profile);
    if (!mismatch.empty()) throw std::runtime_error(mismatch);
    const experiments::RunState state = experiments::run_state(run_dir);
    std::printf("[%zu/%zu] experiment %d · %s: %s\n", i + 1, n, s.id, s.title.c_str(),
                state == experiments::RunState::kFinished ? "finished, skipped"
                : state == experiments::RunState::kInterrupted ? "interrupted, resuming" : "training");
    if (state == experiments::RunState::kFinished) return;
    json cfg = s.train_config;
    cfg["out"] = run_dir;
    const std::string config_file = (fs::path(a.out) / "configs" / (s.run_name + ".json")).string();
    std::vector<std::string> child = {self.empty() ? "alzscan" : self, "train", "--config", config_file};
    if (state == experiments::RunState::kInterrupted) child.push_back("--resume");
    std::string line;
    for (const std::string& arg : child) line += (line.empty() ? "" : " ") + shell_quote(arg);
    std::printf("  $ %s\n", line.c_str());
    if (a.dry_run) {
        std::printf("  config: %s\n", cfg.dump().c_str());
        return;
    }
    write_file_atomically(config_file, cfg.dump(2) + "\n");
    const auto t0 = std::chrono::steady_clock::now();
    const int rc = run_child(child);
    const double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / 60;
    if (rc != 0 || experiments::run_state(run_dir) != experiments::RunState::kFinished) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.1f min (exit code %d)", minutes, rc);
        throw std::runtime_error("experiment " + std::to_string(s.id) + " (" + run_dir + ") stopped after " + buf +
                                 "; rerun the same command to resume it");
    }
    std::printf("  done in %.1f min\n", minutes);
}

// OUT/report/: every finished experiment of the ladder, also those --only left out.
std::string write_ladder_report(const LadderArgs& a, const std::vector<experiments::LadderStep>& ladder) {
    std::vector<report::RunData> runs;
    for (const auto& s : ladder) {
        const std::string dir = (fs::path(a.out) / s.run_name).string();
        if (experiments::run_state(dir) != experiments::RunState::kFinished) continue;
        auto run = report::load_run(dir);
        if (!run) throw std::runtime_error(run.error());
        runs.push_back(std::move(run).value());
    }
    report::ReportOptions options;
    options.title = "Experiment ladder · " + a.split + " split · " + a.profile + " profile";
    options.generated_at = report::utc_now_text();
    options.generator = std::string("alzscan ") + ALZSCAN_VERSION + " experiments";
    const std::string report_dir = (fs::path(a.out) / "report").string();
    const std::string err = report::write_report(runs, report_dir, options);
    if (!err.empty()) throw std::runtime_error(err);
    return report_dir;
}

int run_ladder(const LadderArgs& a) {
    auto ladder = experiments::load_ladder(a.config_dir, a.profile, a.split, a.data, a.overrides, a.test_fold);
    if (!ladder) {
        if (a.split != "hf" && a.split != "kaggle" && a.split != "subjects") throw UsageError(ladder.error());
        throw std::runtime_error(ladder.error());
    }
    const std::vector<experiments::LadderStep> steps = selected_steps(a, ladder.value());
    const std::string self = self_path();
    if (self.empty() && !a.dry_run) throw std::runtime_error("cannot find this binary via /proc/self/exe");
    if (!a.dry_run) {
        std::error_code ec;
        fs::create_directories(fs::path(a.out) / "configs", ec);
        if (ec) throw std::runtime_error(a.out + ": cannot create (" + ec.message() + ")");
    }
    const auto ladder_start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < steps.size(); ++i) run_step(a, steps[i], i, steps.size(), self);
    if (a.dry_run) return 0;
    const std::string report_dir = write_ladder_report(a, ladder.value());
    const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - ladder_start).count() / 60;
    std::printf("ladder done in %.1f min: %s/index.html\n", total, report_dir.c_str());
    return 0;
}

}  // namespace

int experiments(int argc, char** argv) {
    CliArgs args("alzscan experiments",
                 "train the seed's experiment ladder (one config per experiment) in order, skip "
                 "finished runs, resume an interrupted one, then write OUT/report/index.html");
    add_ladder_options(args);
    if (int rc = args.parse(argc, argv); rc >= 0) return rc;
    try {
        return run_ladder(ladder_args(args));
    } catch (const UsageError& e) {
        std::fprintf(stderr, "alzscan experiments: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "alzscan experiments: %s\n", e.what());
        return 1;
    }
}

}  // namespace alzscan::cmd
