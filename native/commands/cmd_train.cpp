// alzscan train: the loop is train/trainer.h; the run directory it writes, rundir/run_dir.h.
#include <cstdio>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "cli/cli_args.h"
#include "commands/child_process.h"
#include "commands/commands.h"
#include "distributed/launcher.h"
#include "train/train_config.h"
#include "train/trainer.h"

namespace alzscan::cmd {

int train(int argc, char** argv) {
    CliArgs args("alzscan train",
                 "train a classifier on an ImageFolder dataset; writes config.json, metrics.jsonl, summary.csv,\n"
                 "best.pt (chosen on validation, --select-window) and last.pt to --out. Ctrl-C saves last.pt; --resume continues.\n"
                 "People never seen in training: --split-file ../shared/data/alzheimer_mri/SUBJECTS.tsv --split-column subject_fold --test-fold K --groups ../shared/data/alzheimer_mri/SUBJECTS.tsv (or alzscan cv)");
    add_train_options(args);
    if (int rc = args.parse(argc, argv); rc >= 0) return rc;
    TrainConfig cfg;
    try {
        cfg = resolve_train_config(args);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "alzscan train: %s\n", e.what());
        return 2;
    }
    // --nproc N without torchrun's environment: this process starts the N ranks and waits for them.
    if (cfg.nproc > 1 && !std::getenv("WORLD_SIZE")) {
        const std::string self = self_path();
        if (self.empty()) {
            std::fprintf(stderr, "alzscan train: cannot find this binary via /proc/self/exe to start the ranks\n");
            return 1;
        }
        try {
            return dist::run_local_ranks(self, std::vector<std::string>(argv, argv + argc), cfg.nproc,
                                         std::chrono::seconds(cfg.dist_timeout));
        } catch (const std::exception& e) {
            std::fprintf(stderr, "alzscan train --nproc: %s\n", e.what());
            return 1;
        }
    }
    try {
        return run_training(cfg);
    } catch (const std::exception& e) {
        std::string what = e.what();
        std::fprintf(stderr, "alzscan train: %s\n", what.substr(0, what.find('\n')).c_str());
        return 1;
    }
}

}  // namespace alzscan::cmd
