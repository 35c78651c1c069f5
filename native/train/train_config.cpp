#include "train_config.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace alzscan {
namespace {

enum class Kind { kString, kInt, kDouble, kFlag };

struct OptionDef {
    const char* name;
    Kind kind;
    const char* default_value;
    const char* help;
};

// The one table of train options: flag names after torchvision's reference train.py.
const std::vector<OptionDef>& option_table() {
    static const std::vector<OptionDef> table = {
        {"data", Kind::kString, "../shared/data/alzheimer_mri", "ImageFolder root DIR/{train,test}/<class>/*"},
        {"split-file", Kind::kString, "", "TSV reassigning train/test by relative_path (e.g. KAGGLE_SPLIT.tsv)"},
        {"split-column", Kind::kString, "", "column of --split-file holding train|test|val (e.g. kaggle_split)"},
        {"val-fraction", Kind::kDouble, "0.1", "stratified share of train held out for model selection"},
        {"val-mode", Kind::kString, "grouped", "grouped (whole pseudo-subjects) | random (per image)"},
        {"strict", Kind::kFlag, "", "abort on the first unreadable image instead of skipping it"},
        {"image-size", Kind::kInt, "128", "input height and width in pixels"},
        {"model", Kind::kString, "small", "small | resnet50 | efficientnet_b2"},
        {"head", Kind::kString, "linear", "linear | mlp | advanced | enhanced"},
        {"dropout", Kind::kDouble, "-1", "head dropout; < 0: the head's default"},
        {"stochastic-depth", Kind::kDouble, "0.2", "efficientnet stochastic depth probability"},
        {"freeze", Kind::kInt, "0", "freeze the first N backbone parameter tensors"},
        {"init", Kind::kString, "", "torchvision-named state dict (torch.save zip) to start from"},
        {"epochs", Kind::kInt, "10", "training epochs"},
        {"batch-size", Kind::kInt, "32", "images per optimisation step"},
        {"eval-batch-size", Kind::kInt, "128", "images per forward pass when evaluating"},
        {"lr", Kind::kDouble, "0.001", "peak learning rate"},
        {"opt", Kind::kString, "adamw", "sgd | adam | adamw"},
        {"momentum", Kind::kDouble, "0.9", "SGD momentum"},
        {"weight-decay", Kind::kDouble, "0.0001", "weight decay (decoupled for adamw)"},
        {"sched", Kind::kString, "cosine", "none | step | cosine (per step, after warmup)"},
        {"warmup-epochs", Kind::kDouble, "1", "linear warmup from 0 over this many epochs"},
        {"lr-step-size", Kind::kInt, "5", "step schedule: epochs between decays"},
        {"lr-gamma", Kind::kDouble, "0.1", "step schedule: decay factor"},
        {"label-smoothing", Kind::kDouble, "0", "cross-entropy label smoothing"},
        {"balanced-sampler", Kind::kFlag, "", "draw with replacement, weight 1/class count"},
        {"class-weights", Kind::kString, "none", "none | inverse (N/(C n_c)) | frequency (n_c/N, the seed's)"},
        {"augment", Kind::kFlag, "", "random crop, hflip, rotation, brightness/contrast jitter"},
        {"aug-crop-scale", Kind::kDouble, "0.9", "augment: smallest crop side fraction"},
        {"aug-rotation", Kind::kDouble, "10", "augment: max rotation in degrees"},
        {"aug-hflip", Kind::kDouble, "0.5", "augment: horizontal flip probability"},
        {"aug-brightness", Kind::kDouble, "0.2", "augment: brightness jitter"},
        {"aug-contrast", Kind::kDouble, "0.2", "augment: contrast jitter"},
        {"mixup-alpha", Kind::kDouble, "0", "MixUp with lambda ~ Beta(a, a) on each batch; 0: off"},
        {"cutmix-alpha", Kind::kDouble, "0", "CutMix with lambda ~ Beta(a, a); with --mixup-alpha too, one of the two per batch; 0: off"},
        {"ema", Kind::kFlag, "", "evaluate and save an exponential moving average of the weights"},
        {"ema-decay", Kind::kDouble, "0.999", "EMA decay per step"},
        {"clip-grad", Kind::kDouble, "0", "clip the gradient norm to this value; 0: off"},
        {"precision", Kind::kString, "fp32",
         "fp32 | bf16: bf16 autocasts the training forward pass (1.7x for `small` on an AVX512-BF16 CPU, "
         "slower for efficientnet_b2); weights, optimizer, loss and evaluation stay float32"},
        {"patience", Kind::kInt, "0", "stop after N epochs without validation improvement; 0: off"},
        {"select-window", Kind::kInt, "1",
         "best.pt = last epoch of the N-epoch window with the highest mean validation macro-F1; 1: each epoch alone"},
        {"seed", Kind::kInt, "1", "seed for sampler, augmentation, init and the validation split"},
        {"val-seed", Kind::kInt, "0",
         "seed of the validation split alone; 0: --seed (fix it to compare or ensemble seeds on one validation set)"},
        {"threads", Kind::kInt, "1", "compute threads (a second thread always prepares batches)"},
        {"device", Kind::kString, "auto", "auto | cpu | cuda"},
        {"out", Kind::kString, "runs/default", "run directory"},
        {"resume", Kind::kFlag, "", "continue the run in --out from its last.pt"},
        {"quiet", Kind::kFlag, "", "no progress bar"},
        {"profile", Kind::kString, "", "label stored in config.json (quick | full)"},
    };
    return table;
}

std::string underscore(std::string s) {
    std::replace(s.begin(), s.end(), '-', '_');
    return s;
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

}  // namespace

void add_train_options(CliArgs& args) {
    args.option("config", "", "JSON file of option values (flags override it), e.g. configs/default.json");
    for (const OptionDef& d : option_table()) {
        if (d.kind == Kind::kFlag)
            args.flag(d.name, d.help);
        else
            args.option(d.name, d.default_value, d.help);
    }
}

TrainConfig resolve_train_config(const CliArgs& args) {
    nlohmann::json file = nlohmann::json::object();
    const std::string config_path = args.get("config");
    TrainConfig c;
    if (!config_path.empty()) {
        std::ifstream in(config_path);
        if (!in) throw std::invalid_argument(config_path + ": cannot open --config file");
        try {
            file = nlohmann::json::parse(in);
        } catch (const std::exception& e) {
            throw std::invalid_argument(config_path + ": not valid JSON (" + std::string(e.what()) + ")");
        }
        if (!file.is_object()) throw std::invalid_argument(config_path + ": must hold a JSON object");
        for (auto it = file.begin(); it != file.end(); ++it) {
            const std::string key = underscore(it.key());
            if (key == "experiment" || key == "comment" || key == "_comment") continue;
            bool known = false;
            for (const OptionDef& d : option_table()) known = known || underscore(d.name) == key;
            if (!known) throw std::invalid_argument(config_path + ": unknown option \"" + it.key() + "\" (see alzscan train --help)");
        }
        if (file.contains("experiment")) c.experiment = file["experiment"];
    }

    nlohmann::json r = nlohmann::json::object();
    for (const OptionDef& d : option_table()) {
        const std::string key = underscore(d.name);
        nlohmann::json value;
        if (args.is_set(d.name)) {
            value = parse_cli_value(d, args.get(d.name));
        } else if (file.contains(key) || file.contains(d.name)) {
            value = check_file_value(d, file.contains(key) ? file[key] : file[d.name], config_path);
        } else if (d.kind == Kind::kFlag) {
            value = false;
        } else {
            value = parse_cli_value(d, d.default_value);
        }
        r[key] = value;
    }

    c.data_dir = r["data"];
    c.split_file = r["split_file"];
    c.split_column = r["split_column"];
    c.val_fraction = r["val_fraction"];
    c.val_mode = r["val_mode"];
    c.strict = r["strict"];
    c.image_size = r["image_size"];
    c.model.arch = r["model"];
    c.model.head = r["head"];
    c.model.dropout = r["dropout"];
    c.model.stochastic_depth = r["stochastic_depth"];
    c.freeze = r["freeze"];
    c.init = r["init"];
    c.epochs = r["epochs"];
    c.batch_size = r["batch_size"];
    c.eval_batch_size = r["eval_batch_size"];
    c.lr = r["lr"];
    c.opt = r["opt"];
    c.momentum = r["momentum"];
    c.weight_decay = r["weight_decay"];
    c.sched = r["sched"];
    c.warmup_epochs = r["warmup_epochs"];
    c.lr_step_size = r["lr_step_size"];
    c.lr_gamma = r["lr_gamma"];
    c.label_smoothing = r["label_smoothing"];
    c.balanced_sampler = r["balanced_sampler"];
    c.class_weights = r["class_weights"];
    c.augment.enabled = r["augment"];
    c.augment.crop_scale = r["aug_crop_scale"];
    c.augment.rotation = r["aug_rotation"];
    c.augment.hflip = r["aug_hflip"];
    c.augment.brightness = r["aug_brightness"];
    c.augment.contrast = r["aug_contrast"];
    c.mixup_alpha = r["mixup_alpha"];
    c.cutmix_alpha = r["cutmix_alpha"];
    c.ema = r["ema"];
    c.ema_decay = r["ema_decay"];
    c.clip_grad = r["clip_grad"];
    c.precision = r["precision"];
    c.patience = r["patience"];
    c.select_window = r["select_window"];
    require(c.select_window >= 1, "--select-window " + std::to_string(c.select_window) +
                                      ": must be >= 1 (1: select on each epoch's own validation score)");
    c.seed = static_cast<uint64_t>(r["seed"].get<int64_t>());
    const int64_t val_seed = r["val_seed"];
    require(val_seed >= 0, "--val-seed " + std::to_string(val_seed) + ": must be >= 0 (0: the validation split follows --seed)");
    c.val_seed = static_cast<uint64_t>(val_seed);
    c.threads = r["threads"];
    c.device = r["device"];
    c.out = r["out"];
    c.resume = r["resume"];
    c.quiet = r["quiet"];
    c.profile = r["profile"];

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
    require(c.image_size >= 8 && c.image_size <= 1024, "--image-size " + std::to_string(c.image_size) + ": must be in 8..1024");
    require(c.threads >= 1, "--threads " + std::to_string(c.threads) + ": must be >= 1");
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
    c.resolved = r;
    return c;
}

}  // namespace alzscan
