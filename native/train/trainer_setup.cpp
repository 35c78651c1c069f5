// run_training's setup, steps 1-4 of trainer.h: the run directory checked, the data decoded, the
// model, EMA and optimizer built, config.json's contents.
#include "train/trainer_setup.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "data/sampler.h"
#include "models/checkpoint.h"
#include "models/init_weights.h"
#include "train/progress.h"
#include "train/trainer.h"
#include "train/training_state.h"

namespace fs = std::filesystem;

namespace alzscan {

// ---- step 1: the run directory. Never overwrite a run by accident, never resume a different one.

namespace {

// Options added after a run was saved: the run used what their neutral value does.
const nlohmann::json& neutral_values_of_later_options() {
    static const nlohmann::json table = {{"select_window", 1}, {"val_seed", 0}, {"mixup_alpha", 0.0}, {"cutmix_alpha", 0.0},
                                         {"sync_bn", false}};
    return table;
}

}  // namespace

nlohmann::json check_run_directory(const TrainConfig& cfg, const RunDir& run) {
    if (!cfg.resume) {
        if (fs::exists(run.last) || fs::exists(run.metrics))
            throw std::runtime_error(run.dir + ": already holds a run; hint: --resume to continue it, or choose another --out");
        return nullptr;
    }
    if (!fs::exists(run.last))
        throw std::runtime_error(run.last.string() + ": nothing to resume; hint: drop --resume to start a new run");
    nlohmann::json saved_meta = load_model(run.last.string()).meta;
    const nlohmann::json& saved = saved_meta.at("training").at("options");
    const nlohmann::json& neutral = neutral_values_of_later_options();
    std::string diffs;
    for (auto it = cfg.resolved.begin(); it != cfg.resolved.end(); ++it) {
        const std::string& k = it.key();
        // A run may be moved and its data may live elsewhere (the digest is checked after loading).
        // Another number of ranks resumes the same run (the position counts global batches).
        if (k == "resume" || k == "quiet" || k == "threads" || k == "device" || k == "out" || k == "data" || k == "nproc" ||
            k == "dist_backend" || k == "dist_timeout")
            continue;
        if (!saved.contains(k) && neutral.contains(k) && neutral[k] == it.value()) continue;
        if (!saved.contains(k) || saved[k] != it.value())
            diffs += " " + k + "=" + it.value().dump() + " (run has " + (saved.contains(k) ? saved[k].dump() : "none") + ")";
    }
    if (!diffs.empty())
        throw std::runtime_error(run.dir + ": --resume with different options:" + diffs +
                                 "; hint: pass the run's original options (or its --config)");
    return saved_meta;
}

// ---- step 2: the data, decoded once.

namespace {

Dataset load_decoded(const TrainConfig& cfg, const PreprocessSpec& spec, bool interactive) {
    // From the options config.json records, as later commands read them back (commands/run_dataset.h),
    // so that they rebuild this very split and validation carve.
    DatasetOptions dopt = dataset_options(cfg.resolved);
    dopt.strict = cfg.strict;
    dopt.spec = spec;
    std::unique_ptr<ProgressBar> bar;
    dopt.on_progress = [&](int64_t done, int64_t total) {
        if (!bar) bar = std::make_unique<ProgressBar>("decoding images", total, interactive);
        bar->update(done);
    };
    Dataset ds;
    try {
        ds = load_dataset(dopt);
    } catch (...) {
        if (bar) bar->finish();   // the error goes on a line of its own, not after the bar
        throw;
    }
    if (bar) bar->finish();
    return ds;
}

std::string describe_val_carve(const TrainConfig& cfg, const Dataset& ds, int num_classes) {
    if (ds.val.size() == 0) return "none";
    if (!cfg.groups_file.empty()) return "whole groups (" + cfg.group_column + ")";
    if (cfg.val_mode != "grouped") return "random images";
    if (ds.val_random_classes == 0) return "whole pseudo-subjects";
    if (num_classes - ds.val_random_classes > 0)
        return "whole pseudo-subjects; random images in " + std::to_string(ds.val_random_classes) + " of " +
               std::to_string(num_classes) + " classes (too few pseudo-subjects)";
    return "random images (too few pseudo-subjects in every class)";
}

}  // namespace

TrainData load_train_data(const TrainConfig& cfg, const nlohmann::json& saved_meta, bool interactive) {
    TrainData d;
    d.spec.height = d.spec.width = cfg.image_size;
    d.ds = load_decoded(cfg, d.spec, interactive);
    if (cfg.conform) {   // the box and levels of the slices it trains on, then decode again, conformed
        d.spec.conform = measure_conform(cfg.data_dir, {&d.ds.train, &d.ds.val});
        d.ds = load_decoded(cfg, d.spec, interactive);
    }
    d.spec.class_names = d.ds.class_names;
    const std::string saved_digest = cfg.resume ? saved_meta["training"].value("data_digest", "") : "";
    if (cfg.resume && saved_digest != d.ds.digest)
        throw std::runtime_error(cfg.data_dir + ": dataset digest " + d.ds.digest + " differs from the run's " +
                                 saved_digest + "; hint: resume on the same data (files added, removed or changed size)");
    d.num_classes = static_cast<int>(d.ds.class_names.size());
    for (const std::string& s : d.ds.skipped) std::fprintf(stderr, "skipped %s\n", s.c_str());
    if (d.ds.train.size() < 2) throw std::runtime_error(cfg.data_dir + ": fewer than 2 training images after the split");
    const int64_t* labels = d.ds.train.labels.data_ptr<int64_t>();
    d.train_labels.assign(labels, labels + d.ds.train.size());
    d.val_carve = describe_val_carve(cfg, d.ds, d.num_classes);
    return d;
}

void print_data_summary(const TrainConfig& cfg, const TrainData& d) {
    const Dataset& ds = d.ds;
    const std::string val_text =
        !cfg.groups_file.empty()  ? std::to_string(ds.train_groups) + " groups; held out: " + d.val_carve
        : cfg.val_mode == "grouped" ? std::to_string(ds.train_groups) + " pseudo-subjects; held out: " + d.val_carve
                                    : d.val_carve;
    std::printf("data %s: %s split, train %lld, val %lld (%s), test %lld images, %zu skipped (digest %s)\n",
                cfg.data_dir.c_str(), ds.split_kind.c_str(), static_cast<long long>(ds.train.size()),
                static_cast<long long>(ds.val.size()), val_text.c_str(), static_cast<long long>(ds.test.size()),
                ds.skipped.size(), ds.digest.c_str());
    for (const std::string& note : ds.val_notes) std::printf("note: validation: %s\n", note.c_str());
    if (d.spec.conform.enabled) {
        const ConformSpec& c = d.spec.conform;
        std::printf("conform: every slice's brain box onto %.3f x %.3f of the frame, centred at (%.3f, %.3f); gray "
                    "levels 1st/99th percentile onto %d/%d (medians of train + validation)\n",
                    c.box_width, c.box_height, c.centre_x, c.centre_y, c.low, c.high);
    }
    if (ds.split_kind == "hf")
        std::printf("note: the HF split puts neighbouring slices of one subject in train and test; for people "
                    "never seen in training use --split-file .../SUBJECTS.tsv --split-column subject_fold "
                    "--test-fold K --groups .../SUBJECTS.tsv (or alzscan cv)\n");
    if (ds.split_kind == "kaggle")
        std::printf("note: the Kaggle split's test slices are the top slices of people also in train; for people "
                    "never seen in training use --split-file .../SUBJECTS.tsv --split-column subject_fold "
                    "--test-fold K --groups .../SUBJECTS.tsv (or alzscan cv)\n");
    if (ds.val.size() == 0)
        std::printf("note: no validation set (%s): best.pt is chosen on training macro-F1\n",
                    cfg.val_fraction > 0 ? "no class has 2 train images to spare one" : "--val-fraction 0");
}

void check_shares(const TrainConfig& cfg, const TrainData& data, const dist::Group& g) {
    if (!g.active()) return;
    // The last batch as steps_per_epoch takes it (one image left over is dropped); the heads with
    // BatchNorm1d need two images per rank in training mode.
    const int64_t n = data.ds.train.size(), rest = n % cfg.batch_size;
    const int64_t last = rest > 1 ? rest : cfg.batch_size;
    const int64_t need = (cfg.model.head == "advanced" || cfg.model.head == "enhanced") ? 2 : 1;
    if (std::min<int64_t>(cfg.batch_size, last) < g.world * need)
        throw std::runtime_error("rank " + std::to_string(g.rank) + ": a batch of " + std::to_string(std::min<int64_t>(cfg.batch_size, last)) +
                                 " images (" + std::to_string(n) + " training images, --batch-size " +
                                 std::to_string(cfg.batch_size) + ") cannot give each of " + std::to_string(g.world) +
                                 " ranks a share" + (need > 1 ? " of two (the head's BatchNorm1d)" : std::string()) +
                                 "; hint: fewer ranks or another --batch-size");
}

// ---- step 3: the model, its EMA copy and the optimizer.

TrainModel build_model(const TrainConfig& cfg, const TrainData& data, torch::Device device) {
    TrainModel m;
    torch::manual_seed(mix_seed(cfg.seed, kInitStream, 0));
    m.net = make_model(cfg.model);
    if (!cfg.init.empty()) std::fprintf(stderr, "%s\n", load_init_weights(m.net, cfg.init).summary().c_str());
    if (cfg.freeze > 0) std::printf("froze %lld backbone tensors\n", static_cast<long long>(m.net->freeze_backbone(cfg.freeze)));
    m.net->to(device);
    if (cfg.ema) {
        m.ema = make_model(cfg.model);
        m.ema->to(device);
        load_state_dict(*m.ema, c10::IValue(state_dict(*m.net)).toGenericDict());
    }
    m.optimizer = make_optimizer(cfg, m.net);
    m.class_weights = class_weights(data.ds.train.class_counts, cfg.class_weights);
    std::printf("model %s/%s: %lld parameters (%lld trainable), device %s, %d compute thread(s)\n",
                cfg.model.arch.c_str(), cfg.model.head.c_str(), static_cast<long long>(count_parameters(*m.net)),
                static_cast<long long>(count_parameters(*m.net, true)), device.str().c_str(), cfg.threads);
    std::fflush(stdout);
    return m;
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainConfig& cfg, Classifier& net) {
    std::vector<torch::Tensor> params;
    for (auto& p : net->parameters())
        if (p.requires_grad()) params.push_back(p);
    if (cfg.opt == "sgd")
        return std::make_unique<torch::optim::SGD>(
            params, torch::optim::SGDOptions(cfg.lr).momentum(cfg.momentum).weight_decay(cfg.weight_decay));
    if (cfg.opt == "adam")
        return std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(cfg.lr).weight_decay(cfg.weight_decay));
    return std::make_unique<torch::optim::AdamW>(params, torch::optim::AdamWOptions(cfg.lr).weight_decay(cfg.weight_decay));
}

// ---- step 4: config.json (rewritten identically on resume).

namespace {

std::vector<std::string> sorted_copy(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
}

std::string selection_rule(int64_t select_window) {
    return select_window > 1 ? "best mean validation macro-F1 over " + std::to_string(select_window) +
                                   " consecutive epochs; the window's last epoch (earliest on ties)"
                             : std::string("best validation macro-F1 (earliest epoch on ties)");
}

}  // namespace

nlohmann::json run_config_json(const TrainConfig& cfg, const RunDir& run, const TrainData& d) {
    const nlohmann::json spec_json = nlohmann::json::parse(preprocess_spec_to_json(d.spec));
    const Dataset& ds = d.ds;
    return {{"name", fs::absolute(run.dir).filename().string()},
            {"model", model_config_to_json(cfg.model)},
            {"input", spec_json["input"]},
            {"classes", ds.class_names},
            {"train", cfg.resolved},
            {"data", {{"dir", cfg.data_dir}, {"split", ds.split_kind}, {"split_file", cfg.split_file},
                      {"split_column", cfg.split_column}, {"test_fold", cfg.test_fold},
                      {"groups", cfg.groups_file}, {"group_column", cfg.group_column}, {"digest", ds.digest},
                      {"digest_method", "fnv1a64 over sorted 'relative_path\\tbytes\\n' lines"},
                      {"counts", dataset_counts_json(ds)}, {"skipped", ds.skipped},
                      {"val_mode", cfg.val_mode}, {"train_groups", ds.train_groups},
                      {"val_random_classes", ds.val_random_classes}, {"val_notes", ds.val_notes},
                      {"val_files", sorted_copy(ds.val.paths)}}},
            {"profile", cfg.profile.empty() ? nlohmann::json(nullptr) : nlohmann::json(cfg.profile)},
            {"experiment", cfg.experiment},
            {"selection", selection_rule(cfg.select_window)}};
}

}  // namespace alzscan
