// alzscan calibrate: a checkpoint's temperature and out-of-distribution thresholds, fitted on the
// validation people of the run that trained it (train/calibrate.h), written into its meta; for a
// conforming model also its training people's brain gray levels (conform.h levels, training_space.h)
// and, with a table of slice ranks and people (groups_file), their slices' pose templates and ranges
// (slice_pose.h) and the people's CSF fractions by class (atrophy.h AtrophyReference).
#include <cstdio>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "cli/cli_args.h"
#include "commands/commands.h"
#include "commands/run_dataset.h"
#include "data/atrophy_reference.h"
#include "data/pose_reference.h"
#include "models/checkpoint.h"
#include "train/calibrate.h"

namespace alzscan::cmd {

int calibrate(int argc, char** argv) {
    CliArgs args("alzscan calibrate",
                 "fit the temperature (honest probabilities) and the out-of-distribution thresholds of a checkpoint on "
                 "its run's validation people; writes a weights-only checkpoint whose meta holds them");
    args.option("checkpoint", "", "checkpoint to calibrate (best.pt, or the copy `alzscan export --write-checkpoint` wrote)",
                /*required=*/true);
    args.option("run", "", "the run directory that trained it (its config.json names the data and the validation "
                           "carve); default: the checkpoint's directory");
    args.option("out", "", "where to write the calibrated checkpoint; default: over --checkpoint (atomically)");
    if (int rc = args.parse(argc, argv); rc >= 0) return rc;
    try {
        const std::string checkpoint = args.get("checkpoint");
        LoadedModel m = load_model(checkpoint);
        const std::string run = args.is_set("run") ? args.get("run")
                                                   : std::filesystem::path(checkpoint).parent_path().string();
        DatasetOptions opt = run_dataset_options(run);
        opt.spec = m.spec;
        opt.spec.pose = PoseSpec{};   // the poses are measured on slices conformed as they come
        opt.load_test = false;   // never looked at: calibration sees validation and training people only
        const Dataset ds = load_dataset(opt);
        if (ds.class_names != m.spec.class_names)
            throw std::runtime_error(checkpoint + ": its classes differ from the run's dataset " + opt.dir);
        if (m.spec.conform.enabled)   // the training people's brain levels, which scans are mapped onto
            m.spec.conform.levels = measure_conform(opt.dir, {&ds.train, &ds.val}).levels;
        if (m.spec.conform.enabled && !opt.groups_file.empty()) {   // single slices' pose step (slice_pose.h)
            m.spec.pose = measure_pose(opt.groups_file, {&ds.train, &ds.val});
            m.spec.pose.fitted_on = std::to_string(ds.train.size() + ds.val.size()) +
                                    " slices of the training and validation people";
            const int64_t turned = count_corrected(m.spec.pose, {&ds.val});
            std::printf("slice pose: %d templates; %lld of %lld validation slices would be turned\n", kPoseLevels,
                        static_cast<long long>(turned), static_cast<long long>(ds.val.size()));
        }
        torch::set_num_threads(2);
        const nlohmann::json fitted = fit_calibration(m.net, ds, m.spec, torch::kCPU);
        nlohmann::json extra = fitted;
        if (!opt.groups_file.empty()) {   // the people's CSF fractions, which a scan's is placed among
            const AtrophyReference atrophy = measure_atrophy(opt.groups_file, {&ds.train, &ds.val}, ds.class_names);
            extra["atrophy"] = nlohmann::json::parse(atrophy_reference_json(atrophy));
            std::printf("atrophy reference: CSF fractions of %s\n", atrophy.fitted_on.c_str());
        }
        if (m.meta.is_object() && m.meta.contains("training")) extra["training"] = m.meta["training"];
        const std::string out = args.is_set("out") ? args.get("out") : checkpoint;
        save_model_checkpoint(out, m.net, m.spec, extra);
        const nlohmann::json& c = fitted["calibration"];
        const nlohmann::json& o = fitted["ood"];
        std::printf("temperature %.4f on %s: NLL %.4f -> %.4f, ECE %.4f -> %.4f\n", c["temperature"].get<double>(),
                    c["fitted_on"].get<std::string>().c_str(), c["validation"]["before"]["nll"].get<double>(),
                    c["validation"]["after"]["nll"].get<double>(), c["validation"]["before"]["ece"].get<double>(),
                    c["validation"]["after"]["ece"].get<double>());
        std::printf("out-of-distribution checks: %zu, %.2f%% of the validation slices flagged (target %.0f%%)\n",
                    o["checks"].size(), 100 * o["validation_rate"].get<double>(), 100 * o["target_rate"].get<double>());
        std::printf("calibrated checkpoint -> %s\n", out.c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "alzscan calibrate: %s\n", e.what());
        return 1;
    }
}

}  // namespace alzscan::cmd
