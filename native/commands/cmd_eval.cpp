// alzscan eval: a checkpoint on a dataset split -> per-class table, confusion matrix, JSON.
#include <unistd.h>

#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "cli/common_options.h"
#include "commands/commands.h"
#include "data/dataset.h"
#include "models/checkpoint.h"
#include "rundir/files.h"
#include "train/calibrate.h"
#include "train/evaluate.h"
#include "train/progress.h"
#include "train/train_config.h"

namespace alzscan::cmd {

int eval(int argc, char** argv) {
    CliArgs args("alzscan eval", "evaluate a checkpoint on a dataset split: per-class metrics, confusion matrix");
    args.option("checkpoint", "", "checkpoint (best.pt, last.pt, models/default/checkpoint.pt)", true);
    add_data_options(args);
    args.option("split", "test", "which split to evaluate: test | train");
    args.option("out", "", "also write the metrics as JSON to this file");
    args.option("batch-size", "128", "images per forward pass");
    add_device_option(args);
    add_threads_option(args);
    args.flag("strict", "abort on the first unreadable image instead of skipping it");
    if (int rc = args.parse(argc, argv); rc >= 0) return rc;
    const std::string which = args.get("split");
    if (which != "test" && which != "train") {
        std::fprintf(stderr, "alzscan eval: --split %s: expected test or train\n", which.c_str());
        return 2;
    }
    if (args.get_int("batch-size") < 1 || args.get_int("threads") < 1) {
        std::fprintf(stderr, "alzscan eval: --batch-size and --threads must be >= 1\n");
        return 2;
    }
    torch::set_num_threads(static_cast<int>(args.get_int("threads")));

    try {
        LoadedModel model = load_model(args.get("checkpoint"));
        torch::Device device = resolve_device(args.get("device"));
        // eval's data options are train's (cli/common_options.h); it has no groups and carves no validation.
        DatasetOptions opt = dataset_options({{"data", args.get("data")}, {"split_file", args.get("split-file")},
                                              {"split_column", args.get("split-column")},
                                              {"test_fold", args.get_int("test-fold")}});
        opt.strict = args.is_set("strict");
        opt.spec = model.spec;
        opt.load_train = which == "train";
        opt.load_test = which == "test";
        Dataset ds = load_dataset(opt);
        if (ds.class_names != model.spec.class_names)
            throw std::runtime_error(opt.dir + ": class folders (" + nlohmann::json(ds.class_names).dump() +
                                     ") differ from the checkpoint's classes (" +
                                     nlohmann::json(model.spec.class_names).dump() + ")");
        for (const std::string& s : ds.skipped) std::fprintf(stderr, "skipped %s\n", s.c_str());
        const DatasetSplit& split = which == "test" ? ds.test : ds.train;
        model.net->to(device);
        ProgressBar bar("eval " + which, split.size(), isatty(2));
        EvalResult r = evaluate(model.net, split, model.spec, device, args.get_int("batch-size"),
                                [&](int64_t done) { bar.update(done); }, temperature_of(model.meta));
        bar.finish();
        const std::string title = which + " (" + ds.split_kind + " split" +
                                  (ds.split_kind == "hf" ? ": neighbouring slices of one subject in train and test" : "") + ")";
        print_class_report(stdout, r.metrics, ds.class_names, title);
        if (!ds.skipped.empty()) std::printf("  skipped %zu unreadable images\n", ds.skipped.size());

        if (!args.get("out").empty()) {
            nlohmann::json out = {
                {"checkpoint", args.get("checkpoint")},
                {"model", model.meta.value("model", nlohmann::json::object())},
                {"classes", ds.class_names},
                {"data", {{"dir", ds.dir}, {"split", ds.split_kind}, {"split_file", opt.split_file},
                          {"split_column", opt.split_column}, {"test_fold", opt.test_fold}, {"digest", ds.digest},
                          {"skipped", ds.skipped}}},
                {"split", which},
                {which, eval_json(r, ds.class_names)}};
            write_file_atomically(args.get("out"), out.dump(2) + "\n");
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "alzscan eval: %s\n", e.what());
        return 1;
    }
    return 0;
}

}  // namespace alzscan::cmd
