// alzscan: train, evaluate, export and run Alzheimer-stage MRI slice classifiers.
#include <malloc.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <string>

#include <torch/version.h>

#include "commands/commands.h"

namespace {

struct Command {
    const char* name;
    int (*run)(int, char**);
    const char* summary;
};

constexpr Command kCommands[] = {
    {"train", alzscan::cmd::train, "train a classifier on an ImageFolder dataset"},
    {"eval", alzscan::cmd::eval, "evaluate a checkpoint: per-class metrics, confusion matrix"},
    {"predict", alzscan::cmd::predict, "classify image files with a checkpoint"},
    {"export", alzscan::cmd::export_model, "write model.onnx + model.json for the browser"},
    {"report", alzscan::cmd::report, "render runs as an offline HTML report"},
    {"experiments", alzscan::cmd::experiments, "run the seed's experiment ladder"},
    {"cv", alzscan::cmd::cv, "cross-validation by person, with baselines (oof.tsv, cv.json, summary.md)"},
    {"calibrate", alzscan::cmd::calibrate, "fit the temperature and out-of-distribution thresholds on validation people"},
    {"ood", alzscan::cmd::ood, "measure the out-of-distribution checks on real files and transformed slices"},
};

void print_usage(std::FILE* to) {
    std::fprintf(to,
                 "usage: alzscan <command> [options]\n"
                 "       alzscan <command> --help\n"
                 "       alzscan --version\n\ncommands:\n");
    for (const Command& c : kCommands) std::fprintf(to, "  %-12s %s\n", c.name, c.summary);
}

// glibc's default thresholds return freed tensor buffers to the kernel and page-fault them
// back in on the next batch; on this VM that made training 5-6x slower. Keep them mapped.
void tune_malloc() {
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 0x7fffffff);
}

// Commands report their own errors; anything that still escapes one (a bug, or memory running
// out) becomes one line and exit 1, never an abort.
int run_command(const Command& c, int argc, char** argv) {
    try {
        return c.run(argc, argv);
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "alzscan %s: out of memory; hint: smaller --batch-size or fewer/lower-resolution inputs\n", c.name);
    } catch (const std::exception& e) {
        std::string what = e.what();
        std::fprintf(stderr, "alzscan %s: %s\n", c.name, what.substr(0, what.find('\n')).c_str());
    } catch (...) {
        std::fprintf(stderr, "alzscan %s: unexpected error; hint: please report it with the command line\n", c.name);
    }
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    tune_malloc();
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
        print_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!std::strcmp(argv[1], "--version")) {
        std::printf("alzscan %s (LibTorch %s)\n", ALZSCAN_VERSION, TORCH_VERSION);
        return 0;
    }
    for (const Command& c : kCommands)
        if (!std::strcmp(argv[1], c.name)) return run_command(c, argc - 1, argv + 1);
    std::fprintf(stderr, "alzscan: unknown command '%s' (try: alzscan --help)\n", argv[1]);
    return 2;
}
