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
#include <string>
#include <vector>

#include "cli_args.h"
#include "commands/commands.h"
#include "experiments/ladder.h"
#include "report/report.h"
#include "report/text_file.h"

namespace alzscan::cmd {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string self_path() {
    std::error_code ec;
    fs::path p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : p.string();
}

std::string shell_quote(const std::string& s) {
    if (s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:") ==
        std::string::npos)
        return s;
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// Runs argv[0] with argv; returns its exit code, or 128 + signal. The parent ignores SIGINT /
// SIGTERM meanwhile so that Ctrl-C reaches the trainer, which saves last.pt and exits; the
// ladder then stops and can be resumed.
int run_child(const std::vector<std::string>& argv) {
    std::vector<char*> cargv;
    for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    struct sigaction ignore {}, old_int {}, old_term {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGINT, &ignore, &old_int);
    sigaction(SIGTERM, &ignore, &old_term);
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        execv(cargv[0], cargv.data());
        std::fprintf(stderr, "alzscan experiments: cannot run %s\n", cargv[0]);
        _exit(127);
    }
    int status = 0;
    int rc = 1;
    if (pid > 0 && waitpid(pid, &status, 0) == pid)
        rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    return rc;
}

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

}  // namespace

int experiments(int argc, char** argv) {
    CliArgs args("alzscan experiments",
                 "train the seed's experiment ladder (one config per experiment) in order, skip "
                 "finished runs, resume an interrupted one, then write OUT/report/index.html");
    args.option("out", "", "ladder directory: one run directory per experiment + report/", /*required=*/true);
    args.option("split", "kaggle", "hf (the seed's split: leaks neighbouring slices) | kaggle (honest)");
    args.option("profile", "quick", "quick (2-core CPU, sized for <= 90 min: see docs/experiments.md) | full (the seed's settings, GPU)");
    args.option("data", "../shared/data/alzheimer_mri", "dataset root (ImageFolder + KAGGLE_SPLIT.tsv)");
    args.option("only", "", "comma-separated experiment ids to run (default: all)");
    args.option("set", "", "JSON object of train options applied on top of every config, e.g. '{\"epochs\": 1}'");
    args.flag("dry-run", "print what would run, train nothing");
    args.positional("CONFIG_DIR", "directory of experiment configs (configs/experiments)", /*min_count=*/1);
    if (int rc = args.parse(argc, argv); rc >= 0) return rc;
    if (args.positionals().size() != 1) {
        std::fprintf(stderr, "alzscan experiments: give exactly one CONFIG_DIR (got %zu)\n", args.positionals().size());
        return 2;
    }
    const std::string profile = args.get("profile"), split = args.get("split"), out = args.get("out");
    if (profile != "quick" && profile != "full") {
        std::fprintf(stderr, "alzscan experiments: --profile %s: expected quick | full\n", profile.c_str());
        return 2;
    }
    json overrides = json::object();
    if (!args.get("set").empty()) {
        overrides = json::parse(args.get("set"), nullptr, false);
        if (overrides.is_discarded() || !overrides.is_object()) {
            std::fprintf(stderr, "alzscan experiments: --set %s: expected a JSON object\n", args.get("set").c_str());
            return 2;
        }
    }
    std::vector<int> only;
    if (!args.get("only").empty()) {
        std::string err;
        only = parse_ids(args.get("only"), err);
        if (!err.empty()) {
            std::fprintf(stderr, "alzscan experiments: %s\n", err.c_str());
            return 2;
        }
    }

    auto ladder = experiments::load_ladder(args.positionals()[0], profile, split, args.get("data"), overrides);
    if (!ladder) {
        std::fprintf(stderr, "alzscan experiments: %s\n", ladder.error().c_str());
        return split != "hf" && split != "kaggle" ? 2 : 1;
    }
    std::vector<experiments::LadderStep> steps;
    for (const auto& s : ladder.value())
        if (only.empty() || std::find(only.begin(), only.end(), s.id) != only.end()) steps.push_back(s);
    for (int id : only) {
        bool found = false;
        for (const auto& s : steps) found = found || s.id == id;
        if (!found) {
            std::fprintf(stderr, "alzscan experiments: --only: no experiment %d in %s\n", id,
                         args.positionals()[0].c_str());
            return 2;
        }
    }

    const bool dry_run = args.is_set("dry-run");
    const std::string self = self_path();
    if (self.empty() && !dry_run) {
        std::fprintf(stderr, "alzscan experiments: cannot find this binary via /proc/self/exe\n");
        return 1;
    }
    std::error_code ec;
    if (!dry_run) {
        fs::create_directories(fs::path(out) / "configs", ec);
        if (ec) {
            std::fprintf(stderr, "alzscan experiments: %s: cannot create (%s)\n", out.c_str(), ec.message().c_str());
            return 1;
        }
    }

    auto ladder_start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < steps.size(); ++i) {
        const auto& s = steps[i];
        const std::string run_dir = (fs::path(out) / s.run_name).string();
        std::string mismatch = experiments::check_run_matches(run_dir, split, profile);
        if (!mismatch.empty()) {
            std::fprintf(stderr, "alzscan experiments: %s\n", mismatch.c_str());
            return 1;
        }
        experiments::RunState state = experiments::run_state(run_dir);
        std::printf("[%zu/%zu] experiment %d · %s: %s\n", i + 1, steps.size(), s.id, s.title.c_str(),
                    state == experiments::RunState::kFinished ? "finished, skipped"
                    : state == experiments::RunState::kInterrupted ? "interrupted, resuming" : "training");
        if (state == experiments::RunState::kFinished) continue;
        json cfg = s.train_config;
        cfg["out"] = run_dir;
        const std::string config_file = (fs::path(out) / "configs" / (s.run_name + ".json")).string();
        std::vector<std::string> child = {self.empty() ? "alzscan" : self, "train", "--config", config_file};
        if (state == experiments::RunState::kInterrupted) child.push_back("--resume");
        std::string line;
        for (const std::string& a : child) line += (line.empty() ? "" : " ") + shell_quote(a);
        std::printf("  $ %s\n", line.c_str());
        if (dry_run) {
            std::printf("  config: %s\n", cfg.dump().c_str());
            continue;
        }
        std::string err = report::write_file_atomically(config_file, cfg.dump(2) + "\n");
        if (!err.empty()) {
            std::fprintf(stderr, "alzscan experiments: %s\n", err.c_str());
            return 1;
        }
        auto t0 = std::chrono::steady_clock::now();
        int rc = run_child(child);
        double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / 60;
        if (rc != 0 || experiments::run_state(run_dir) != experiments::RunState::kFinished) {
            std::fprintf(stderr,
                         "alzscan experiments: experiment %d (%s) stopped after %.1f min (exit code %d); "
                         "rerun the same command to resume it\n",
                         s.id, run_dir.c_str(), minutes, rc);
            return 1;
        }
        std::printf("  done in %.1f min\n", minutes);
    }
    if (dry_run) return 0;

    // The report covers every finished experiment of the ladder, also those --only left out.
    std::vector<report::RunData> runs;
    for (const auto& s : ladder.value()) {
        const std::string dir = (fs::path(out) / s.run_name).string();
        if (experiments::run_state(dir) != experiments::RunState::kFinished) continue;
        auto run = report::load_run(dir);
        if (!run) {
            std::fprintf(stderr, "alzscan experiments: %s\n", run.error().c_str());
            return 1;
        }
        runs.push_back(std::move(run).value());
    }
    report::ReportOptions options;
    options.title = "Experiment ladder · " + split + " split · " + profile + " profile";
    options.generated_at = report::utc_now_text();
    options.generator = std::string("alzscan ") + ALZSCAN_VERSION + " experiments";
    const std::string report_dir = (fs::path(out) / "report").string();
    std::string err = report::write_report(runs, report_dir, options);
    if (!err.empty()) {
        std::fprintf(stderr, "alzscan experiments: %s\n", err.c_str());
        return 1;
    }
    double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - ladder_start).count() / 60;
    std::printf("ladder done in %.1f min: %s/index.html\n", total, report_dir.c_str());
    return 0;
}

}  // namespace alzscan::cmd
