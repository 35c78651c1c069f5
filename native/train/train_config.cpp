#include "train/train_config.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <set>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace alzscan {
namespace {

enum class Kind { kString, kInt, kDouble, kFlag };

// One train option: its name, help, and the TrainConfig member it sets. The member's initial
// value (train_config.h) is the option's default.
struct OptionDef {
    const char* name;
    const char* help;
    Kind kind;
    std::function<nlohmann::json(const TrainConfig&)> get;
    std::function<void(TrainConfig&, const nlohmann::json&)> set;
};

template <typename T> constexpr Kind kind_of() {
    if constexpr (std::is_same_v<T, std::string>) return Kind::kString;
    else if constexpr (std::is_same_v<T, bool>) return Kind::kFlag;
    else if constexpr (std::is_integral_v<T>) return Kind::kInt;
    else return Kind::kDouble;
}

// `member` maps a TrainConfig to the field, e.g. [](TrainConfig& c) -> auto& { return c.epochs; }.
template <typename Member> OptionDef def(const char* name, const char* help, Member member) {
    using T = std::decay_t<decltype(member(std::declval<TrainConfig&>()))>;
    OptionDef d{name, help, kind_of<T>(), nullptr, nullptr};
    d.get = [member](const TrainConfig& c) {
        const T& v = member(const_cast<TrainConfig&>(c));
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) return nlohmann::json(static_cast<int64_t>(v));
        else return nlohmann::json(v);
    };
    d.set = [member](TrainConfig& c, const nlohmann::json& v) {
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) member(c) = static_cast<T>(v.get<int64_t>());
        else member(c) = v.get<T>();
    };
    return d;
}

#define ALZSCAN_FIELD(path) [](TrainConfig& c) -> auto& { return c.path; }

// The one table of train options: flag names after torchvision's reference train.py.
const std::vector<OptionDef>& option_table() {
    static const std::vector<OptionDef> table = {
        def(kDataOption.name, kDataOption.help, ALZSCAN_FIELD(data_dir)),
        def(kSplitFileOption.name, kSplitFileOption.help, ALZSCAN_FIELD(split_file)),
        def(kSplitColumnOption.name, kSplitColumnOption.help, ALZSCAN_FIELD(split_column)),
        def(kTestFoldOption.name, kTestFoldOption.help, ALZSCAN_FIELD(test_fold)),
        def("groups", "TSV giving each image's group by relative_path (e.g. SUBJECTS.tsv): validation takes whole "
                      "groups, and no group spans train, val and test", ALZSCAN_FIELD(groups_file)),
        def("group-column", "column of --groups naming the group", ALZSCAN_FIELD(group_column)),
        def("val-fraction", "stratified share of train held out for model selection", ALZSCAN_FIELD(val_fraction)),
        def("val-mode", "without --groups: grouped (whole pseudo-subjects) | random (per image)", ALZSCAN_FIELD(val_mode)),
        def("strict", "abort on the first unreadable image instead of skipping it", ALZSCAN_FIELD(strict)),
        def("image-size", "input height and width in pixels", ALZSCAN_FIELD(image_size)),
        def("conform", "crop each slice to its brain, scale it into the training slices' median brain box and map "
                       "its gray levels onto theirs (measured on train + validation; stored in model.json)",
            ALZSCAN_FIELD(conform)),
        def("model", "small | resnet50 | efficientnet_b2", ALZSCAN_FIELD(model.arch)),
        def("head", "linear | mlp | advanced | enhanced", ALZSCAN_FIELD(model.head)),
        def("dropout", "head dropout; < 0: the head's default", ALZSCAN_FIELD(model.dropout)),
        def("stochastic-depth", "efficientnet stochastic depth probability", ALZSCAN_FIELD(model.stochastic_depth)),
        def("freeze", "freeze the first N backbone parameter tensors", ALZSCAN_FIELD(freeze)),
        def("init", "torchvision-named state dict (torch.save zip) to start from", ALZSCAN_FIELD(init)),
        def("epochs", "training epochs", ALZSCAN_FIELD(epochs)),
        def("batch-size", "images per optimisation step", ALZSCAN_FIELD(batch_size)),
        def("eval-batch-size", "images per forward pass when evaluating", ALZSCAN_FIELD(eval_batch_size)),
        def("lr", "peak learning rate", ALZSCAN_FIELD(lr)),
        def("opt", "sgd | adam | adamw", ALZSCAN_FIELD(opt)),
        def("momentum", "SGD momentum", ALZSCAN_FIELD(momentum)),
        def("weight-decay", "weight decay (decoupled for adamw)", ALZSCAN_FIELD(weight_decay)),
        def("sched", "none | step | cosine (per step, after warmup)", ALZSCAN_FIELD(sched)),
        def("warmup-epochs", "linear warmup from 0 over this many epochs", ALZSCAN_FIELD(warmup_epochs)),
        def("lr-step-size", "step schedule: epochs between decays", ALZSCAN_FIELD(lr_step_size)),
        def("lr-gamma", "step schedule: decay factor", ALZSCAN_FIELD(lr_gamma)),
        def("label-smoothing", "cross-entropy label smoothing", ALZSCAN_FIELD(label_smoothing)),
        def("balanced-sampler", "draw with replacement, weight 1/class count", ALZSCAN_FIELD(balanced_sampler)),
        def("class-weights", "none | inverse (N/(C n_c)) | frequency (n_c/N, the seed's)", ALZSCAN_FIELD(class_weights)),
        def("augment", "random crop, hflip, rotation, brightness/contrast jitter", ALZSCAN_FIELD(augment.enabled)),
        def("aug-crop-scale", "augment: smallest crop side fraction", ALZSCAN_FIELD(augment.crop_scale)),
        def("aug-rotation", "augment: max rotation in degrees", ALZSCAN_FIELD(augment.rotation)),
        def("aug-hflip", "augment: horizontal flip probability", ALZSCAN_FIELD(augment.hflip)),
        def("aug-brightness", "augment: brightness jitter", ALZSCAN_FIELD(augment.brightness)),
        def("aug-contrast", "augment: contrast jitter", ALZSCAN_FIELD(augment.contrast)),
        def("aug-gamma", "augment: gamma jitter, exponent in [1/(1+g), 1+g] (log-uniform); 0: off", ALZSCAN_FIELD(augment.gamma)),
        def("mixup-alpha", "MixUp with lambda ~ Beta(a, a) on each batch; 0: off", ALZSCAN_FIELD(mixup_alpha)),
        def("cutmix-alpha", "CutMix with lambda ~ Beta(a, a); with --mixup-alpha too, one of the two per batch; 0: off",
            ALZSCAN_FIELD(cutmix_alpha)),
        def("ema", "evaluate and save an exponential moving average of the weights", ALZSCAN_FIELD(ema)),
        def("ema-decay", "EMA decay per step", ALZSCAN_FIELD(ema_decay)),
        def("clip-grad", "clip the gradient norm to this value; 0: off", ALZSCAN_FIELD(clip_grad)),
        def("precision",
            "fp32 | bf16: bf16 autocasts the training forward pass (faster for `small` on an AVX512-BF16 CPU, "
            "slower for efficientnet_b2); weights, optimizer, loss and evaluation stay float32",
            ALZSCAN_FIELD(precision)),
        def("patience", "stop after N epochs without validation improvement; 0: off", ALZSCAN_FIELD(patience)),
        def("select-window",
            "best.pt = last epoch of the N-epoch window with the highest mean validation macro-F1; 1: each epoch alone",
            ALZSCAN_FIELD(select_window)),
        def("seed", "seed for sampler, augmentation, init and the validation split", ALZSCAN_FIELD(seed)),
        def("val-seed",
            "seed of the validation split alone; 0: --seed (fix it to compare or ensemble seeds on one validation set)",
            ALZSCAN_FIELD(val_seed)),
        def(kThreadsOption.name, "compute threads (a second thread always prepares batches)", ALZSCAN_FIELD(threads)),
        def(kDeviceOption.name, kDeviceOption.help, ALZSCAN_FIELD(device)),
        def("nproc", "start N local ranks of this command (data-parallel on c10d: each takes its share of every batch; "
                     "gradients are all-reduced); torchrun's RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT work instead",
            ALZSCAN_FIELD(nproc)),
        def("dist-backend", "auto | gloo | nccl: the c10d backend of several ranks (auto: nccl on CUDA when built with "
                            "it, else gloo)", ALZSCAN_FIELD(dist_backend)),
        def("sync-bn", "BatchNorm statistics over the whole batch of every rank (else each rank's own share)",
            ALZSCAN_FIELD(sync_bn)),
        def("dist-timeout", "seconds a rank waits for the others (rendezvous, each collective) before it stops with "
                            "a message", ALZSCAN_FIELD(dist_timeout)),
        def("out", "run directory", ALZSCAN_FIELD(out)),
        def("resume", "continue the run in --out from its last.pt", ALZSCAN_FIELD(resume)),
        def("quiet", "no progress bar", ALZSCAN_FIELD(quiet)),
        def("profile", "label stored in config.json (quick | full)", ALZSCAN_FIELD(profile)),
    };
    return table;
}

#undef ALZSCAN_FIELD

// The default of an option, as --help prints it ("0.001", "-1", "small").
std::string default_text(const OptionDef& d) {
    const nlohmann::json v = d.get(TrainConfig{});
    if (v.is_string()) return v.get<std::string>();
    if (!v.is_number_float()) return v.dump();
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v.get<double>());
    return buf;
}

nlohmann::json parse_cli_value(const OptionDef& d, const std::string& text) {
    const std::string where = std::string("--") + d.name + " " + text;
    switch (d.kind) {
        case Kind::kString: return text;
        case Kind::kFlag: return true;
        case Kind::kInt: {
            char* end = nullptr;
            long long v = std::strtoll(text.c_str(), &end, 10);
            if (text.empty() || *end) throw std::invalid_argument(where + ": expected an integer");
            return v;
        }
        case Kind::kDouble: {
            char* end = nullptr;
            double v = std::strtod(text.c_str(), &end);
            if (text.empty() || *end || !std::isfinite(v)) throw std::invalid_argument(where + ": expected a number");
            return v;
        }
    }
    return nullptr;
}

nlohmann::json check_file_value(const OptionDef& d, const nlohmann::json& v, const std::string& file) {
    const std::string where = file + ": \"" + d.name + "\" = " + v.dump();
    switch (d.kind) {
        case Kind::kString:
            if (!v.is_string()) throw std::invalid_argument(where + ": expected a string");
            return v;
        case Kind::kFlag:
            if (!v.is_boolean()) throw std::invalid_argument(where + ": expected true or false");
            return v;
        case Kind::kInt:
            if (!v.is_number_integer()) throw std::invalid_argument(where + ": expected an integer");
            return v;
        case Kind::kDouble:
            if (!v.is_number()) throw std::invalid_argument(where + ": expected a number");
            return v.get<double>();
    }
    return v;
}

void require_one_of(const std::string& name, const std::string& value, std::vector<std::string> allowed) {
    if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return;
    std::string list;
    for (size_t i = 0; i < allowed.size(); ++i) list += (i ? " | " : "") + allowed[i];
    throw std::invalid_argument("--" + name + " " + value + ": expected " + list);
}

void require(bool ok, const std::string& message) {
    if (!ok) throw std::invalid_argument(message);
}

// --config FILE: a JSON object of known option names (either spelling) plus pass-through keys.
nlohmann::json read_config_file(const std::string& config_path) {
    if (config_path.empty()) return nlohmann::json::object();
    std::ifstream in(config_path);
    if (!in) throw std::invalid_argument(config_path + ": cannot open --config file");
    nlohmann::json file;
    try {
        file = nlohmann::json::parse(in);
    } catch (const std::exception& e) {
        throw std::invalid_argument(config_path + ": not valid JSON (" + std::string(e.what()) + ")");
    }
    if (!file.is_object()) throw std::invalid_argument(config_path + ": must hold a JSON object");
    std::set<std::string> seen;
    for (auto it = file.begin(); it != file.end(); ++it) {
        const std::string key = underscore(it.key());
        // "test_fold" and "test-fold" name one option: with both, which one counts would be a guess.
        if (!seen.insert(key).second)
            throw std::invalid_argument(config_path + ": option \"" + it.key() + "\" is given twice (with - and with _); keep one");
        if (key == "experiment" || key == "comment" || key == "_comment") continue;
        bool known = false;
        for (const OptionDef& d : option_table()) known = known || underscore(d.name) == key;
        if (!known) throw std::invalid_argument(config_path + ": unknown option \"" + it.key() + "\" (see alzscan train --help)");
    }
    return file;
}

// Every option's value, underscore names: the flag, else the file, else the default.
nlohmann::json resolve_values(const CliArgs& args, const nlohmann::json& file, const std::string& config_path) {
    const TrainConfig defaults;
    nlohmann::json r = nlohmann::json::object();
    for (const OptionDef& d : option_table()) {
        const std::string key = underscore(d.name);
        if (args.is_set(d.name))
            r[key] = parse_cli_value(d, args.get(d.name));
        else if (file.contains(key) || file.contains(d.name))
            r[key] = check_file_value(d, file.contains(key) ? file[key] : file[d.name], config_path);
        else
            r[key] = d.get(defaults);
    }
    return r;
}

void check_values(const TrainConfig& c, const nlohmann::json& r) {
    require(c.select_window >= 1, "--select-window " + std::to_string(c.select_window) +
                                      ": must be >= 1 (1: select on each epoch's own validation score)");
    const int64_t val_seed = r["val_seed"];
    require(val_seed >= 0, "--val-seed " + std::to_string(val_seed) + ": must be >= 0 (0: the validation split follows --seed)");
    require_one_of("opt", c.opt, {"sgd", "adam", "adamw"});
    require_one_of("sched", c.sched, {"none", "step", "cosine"});
    require_one_of("val-mode", c.val_mode, {"grouped", "random"});
    require_one_of("device", c.device, {"auto", "cpu", "cuda"});
    require_one_of("precision", c.precision, {"fp32", "bf16"});
    require_one_of("class-weights", c.class_weights, {"none", "inverse", "frequency"});
    require(c.epochs >= 1, "--epochs " + std::to_string(c.epochs) + ": must be >= 1");
    require(c.batch_size >= 1, "--batch-size " + std::to_string(c.batch_size) + ": must be >= 1");
    require(c.eval_batch_size >= 1, "--eval-batch-size: must be >= 1");
    require(c.lr > 0, "--lr " + std::to_string(c.lr) + ": must be > 0");
    require(c.val_fraction >= 0 && c.val_fraction <= 0.9, "--val-fraction " + std::to_string(c.val_fraction) + ": must be in 0..0.9");
    require(c.augment.gamma >= 0 && c.augment.gamma <= 3, "--aug-gamma " + std::to_string(c.augment.gamma) + ": must be in 0..3");
    require(c.image_size >= 8 && c.image_size <= 1024, "--image-size " + std::to_string(c.image_size) + ": must be in 8..1024");
    require(c.threads >= 1, "--threads " + std::to_string(c.threads) + ": must be >= 1");
    require(c.nproc >= 1 && c.nproc <= 256, "--nproc " + std::to_string(c.nproc) + ": must be in 1..256");
    require(c.dist_backend == "auto" || c.dist_backend == "gloo" || c.dist_backend == "nccl",
            "--dist-backend " + c.dist_backend + ": expected auto, gloo or nccl");
    require(c.dist_timeout >= 1, "--dist-timeout: must be >= 1 (seconds)");
    require(c.label_smoothing >= 0 && c.label_smoothing < 1, "--label-smoothing: must be in [0, 1)");
    require(c.mixup_alpha >= 0, "--mixup-alpha " + r["mixup_alpha"].dump() + ": must be >= 0 (0: off)");
    require(c.cutmix_alpha >= 0, "--cutmix-alpha " + r["cutmix_alpha"].dump() + ": must be >= 0 (0: off)");
    require(c.ema_decay > 0 && c.ema_decay < 1, "--ema-decay: must be in (0, 1)");
    require(c.warmup_epochs >= 0, "--warmup-epochs: must be >= 0");
    require(c.lr_step_size >= 1, "--lr-step-size: must be >= 1");
    require(c.clip_grad >= 0, "--clip-grad: must be >= 0");
    require(c.out != "", "--out: must name a directory");
    require(c.split_file.empty() == c.split_column.empty() || !c.split_file.empty(),
            "--split-column " + c.split_column + " given without --split-file");
    require(c.split_file.empty() || !c.split_column.empty(),
            "--split-file " + c.split_file + " needs --split-column NAME (e.g. kaggle_split)");
    require(c.test_fold >= -1, "--test-fold " + std::to_string(c.test_fold) + ": a fold number >= 0 (-1: none)");
    require(c.test_fold < 0 || !c.split_file.empty(),
            "--test-fold " + std::to_string(c.test_fold) + " needs --split-file TSV --split-column COLUMN "
            "(e.g. SUBJECTS.tsv, subject_fold)");
    require(c.groups_file.empty() || !c.group_column.empty(), "--group-column is empty: name the column of --groups");
}

}  // namespace

std::string underscore(std::string s) {
    std::replace(s.begin(), s.end(), '-', '_');
    return s;
}

void add_train_options(CliArgs& args) {
    args.option("config", "", "JSON file of option values (flags override it), e.g. configs/default.json");
    for (const OptionDef& d : option_table()) {
        if (d.kind == Kind::kFlag)
            args.flag(d.name, d.help);
        else
            args.option(d.name, default_text(d), d.help);
    }
}

TrainConfig resolve_train_config(const CliArgs& args) {
    const std::string config_path = args.get("config");
    const nlohmann::json file = read_config_file(config_path);
    TrainConfig c;
    if (file.contains("experiment")) c.experiment = file["experiment"];
    const nlohmann::json r = resolve_values(args, file, config_path);
    for (const OptionDef& d : option_table()) d.set(c, r[underscore(d.name)]);
    check_values(c, r);
    c.resolved = r;
    return c;
}

DatasetOptions dataset_options(const nlohmann::json& options) {
    DatasetOptions opt;
    opt.dir = options.at("data").get<std::string>();
    opt.split_file = options.value("split_file", opt.split_file);
    opt.split_column = options.value("split_column", opt.split_column);
    opt.test_fold = options.value("test_fold", opt.test_fold);
    opt.groups_file = options.value("groups", opt.groups_file);
    opt.group_column = options.value("group_column", opt.group_column);
    if (!options.contains("val_fraction")) return opt;
    opt.val_fraction = options.at("val_fraction").get<double>();
    opt.val_mode = options.at("val_mode").get<std::string>();
    const uint64_t val_seed = options.at("val_seed").get<uint64_t>();
    opt.seed = val_seed != 0 ? val_seed : options.at("seed").get<uint64_t>();
    return opt;
}

}  // namespace alzscan
