// The training loop: data once into memory, one compute thread + one batch-building thread,
// per-epoch validation/test metrics from shared/, atomic checkpoints, exact resume.
#include "trainer.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <numeric>
#include <random>
#include <sstream>

#include "alzscan/metrics.h"
#include "augment.h"
#include "autocast_scope.h"
#include "batch_mixing.h"
#include "checkpoint.h"
#include "dataset.h"
#include "evaluate.h"
#include "models/init_weights.h"
#include "progress.h"
#include "sampler.h"

namespace fs = std::filesystem;

namespace alzscan {
namespace {

std::vector<std::string> sorted_copy(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
}

// Set by SIGINT/SIGTERM; the loop finishes its step, saves last.pt and exits. A second signal
// falls back to the default action (immediate exit) because the handler resets itself.
std::atomic<int> g_stop_signal{0};

extern "C" void on_stop_signal(int sig) {
    g_stop_signal.store(sig);
    std::signal(sig, SIG_DFL);
}

// Random streams (see trainer.h): one purpose id each.
enum Stream : uint64_t { kInitStream = 2, kTorchStepStream = 3, kAugmentStream = 4 };
constexpr uint64_t kStepsPerEpochKey = 1u << 24;   // (epoch, step) -> one 64-bit index

struct Batch {
    torch::Tensor x, y;
};

Batch build_batch(const DatasetSplit& train, const std::vector<int64_t>& order, int64_t begin, int64_t end,
                  const AugmentOptions& aug, const PreprocessSpec& spec, uint64_t rng_seed) {
    const int64_t n = end - begin, h = train.images.size(2), w = train.images.size(3);
    Batch b;
    b.x = torch::empty({n, 1, h, w}, torch::kFloat32);
    b.y = torch::empty({n}, torch::kInt64);
    std::mt19937_64 rng(rng_seed);
    const uint8_t* src = train.images.data_ptr<uint8_t>();
    const int64_t* labels = train.labels.data_ptr<int64_t>();
    float* dst = b.x.data_ptr<float>();
    int64_t* y = b.y.data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i) {
        const int64_t k = order[begin + i];
        augment_and_normalise(src + k * h * w, static_cast<int>(h), static_cast<int>(w), aug, spec, rng,
                              dst + i * h * w);
        y[i] = labels[k];
    }
    return b;
}

// Train-split running statistics of the current epoch (survive an interrupted epoch).
struct EpochTally {
    double loss_sum = 0;
    int64_t seen = 0;
    std::vector<std::vector<int64_t>> confusion;

    nlohmann::json to_json() const { return {{"loss_sum", loss_sum}, {"seen", seen}, {"confusion", confusion}}; }
    static EpochTally from_json(const nlohmann::json& j) {
        EpochTally t;
        t.loss_sum = j.at("loss_sum");
        t.seen = j.at("seen");
        t.confusion = j.at("confusion").get<std::vector<std::vector<int64_t>>>();
        return t;
    }
    nlohmann::json metrics_json(int num_classes) const {
        std::vector<int> labels, preds;
        for (int t = 0; t < num_classes; ++t)
            for (int p = 0; p < num_classes; ++p)
                for (int64_t k = 0; k < confusion[t][p]; ++k) {
                    labels.push_back(t);
                    preds.push_back(p);
                }
        Metrics m = compute_metrics_from_predictions(labels, preds, num_classes);
        return {{"loss", seen ? loss_sum / seen : 0.0}, {"accuracy", m.accuracy}, {"macro_f1", m.macro_f1}};
    }
};

// Everything besides tensors that last.pt needs to continue exactly.
struct TrainPosition {
    int64_t epoch = 0;   // 0-based epoch to run next
    int64_t step = 0;    // step within it to run next
    EpochTally tally;
    double epoch_seconds = 0, train_seconds = 0;
    int64_t best_epoch = 0;   // 1-based; 0: none yet
    double best_score = -1;
    nlohmann::json best_val, best_test;
    int64_t epochs_without_improvement = 0;
    std::vector<double> val_scores;   // every finished epoch's selection score, for --select-window
};

nlohmann::json position_to_json(const TrainPosition& p) {
    return {{"epoch", p.epoch}, {"step", p.step}, {"tally", p.tally.to_json()},
            {"epoch_seconds", p.epoch_seconds}, {"train_seconds", p.train_seconds},
            {"best_epoch", p.best_epoch}, {"best_score", p.best_score}, {"best_val", p.best_val},
            {"best_test", p.best_test}, {"epochs_without_improvement", p.epochs_without_improvement},
            {"val_scores", p.val_scores}};
}

TrainPosition position_from_json(const nlohmann::json& j) {
    TrainPosition p;
    p.epoch = j.at("epoch");
    p.step = j.at("step");
    p.tally = EpochTally::from_json(j.at("tally"));
    p.epoch_seconds = j.at("epoch_seconds");
    p.train_seconds = j.at("train_seconds");
    p.best_epoch = j.at("best_epoch");
    p.best_score = j.at("best_score");
    p.best_val = j.at("best_val");
    p.best_test = j.at("best_test");
    p.epochs_without_improvement = j.at("epochs_without_improvement");
    // Runs saved before --select-window existed selected on single epochs and kept no history.
    p.val_scores = j.value("val_scores", std::vector<double>{});
    return p;
}

c10::Dict<std::string, at::Tensor> state_dict(torch::nn::Module& m) {
    c10::Dict<std::string, at::Tensor> d;
    for (const auto& p : m.named_parameters()) d.insert(p.key(), p.value().detach().to(torch::kCPU));
    for (const auto& b : m.named_buffers()) d.insert(b.key(), b.value().detach().to(torch::kCPU));
    return d;
}

void load_state_dict(torch::nn::Module& m, const c10::impl::GenericDict& d) {
    torch::NoGradGuard no_grad;
    for (auto& p : m.named_parameters()) p.value().copy_(d.at(p.key()).toTensor());
    for (auto& b : m.named_buffers()) b.value().copy_(d.at(b.key()).toTensor());
}

void update_ema(Classifier& ema, Classifier& net, double decay) {
    torch::NoGradGuard no_grad;
    auto ema_params = ema->named_parameters();
    for (const auto& p : net->named_parameters()) ema_params[p.key()].mul_(decay).add_(p.value().detach(), 1.0 - decay);
    auto ema_buffers = ema->named_buffers();
    for (const auto& b : net->named_buffers()) ema_buffers[b.key()].copy_(b.value());
}

void write_text_atomically(const fs::path& path, const std::string& text) {
    const fs::path tmp = path.string() + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary);
        f << text;
        f.flush();
        if (!f) throw std::runtime_error(tmp.string() + ": cannot write; hint: is the disk full?");
    }
    fs::rename(tmp, path);
}

std::vector<std::string> read_lines(const fs::path& path) {
    std::vector<std::string> lines;
    std::ifstream in(path);
    for (std::string l; std::getline(in, l);)
        if (!l.empty()) lines.push_back(l);
    return lines;
}

void append_line(const fs::path& path, const std::string& line) {
    std::ofstream f(path, std::ios::app);
    f << line << "\n";
    f.flush();
    if (!f) throw std::runtime_error(path.string() + ": cannot append; hint: is the disk full?");
}

std::string fmt(const char* format, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

const char* kSummaryHeader =
    "epoch,lr,seconds,images_per_second,train_loss,train_accuracy,train_macro_f1,"
    "val_loss,val_accuracy,val_balanced_accuracy,val_macro_f1,"
    "test_loss,test_accuracy,test_balanced_accuracy,test_macro_f1";

std::string summary_row(const nlohmann::json& line) {
    auto num = [&](const nlohmann::json& j, const char* key) {
        return j.contains(key) && j[key].is_number() ? fmt("%.6g", j[key].get<double>()) : std::string();
    };
    std::string row = std::to_string(line["epoch"].get<int64_t>());
    for (const char* k : {"lr", "seconds", "images_per_second"}) row += "," + num(line, k);
    for (const char* k : {"loss", "accuracy", "macro_f1"}) row += "," + num(line["train"], k);
    for (const char* part : {"val", "test"})
        for (const char* k : {"loss", "accuracy", "balanced_accuracy", "macro_f1"}) row += "," + num(line[part], k);
    return row;
}

}  // namespace

double learning_rate_at(const TrainConfig& cfg, int64_t step, int64_t steps_per_epoch) {
    const int64_t total = std::max<int64_t>(1, cfg.epochs * steps_per_epoch);
    const int64_t warmup = std::min<int64_t>(total, std::llround(cfg.warmup_epochs * steps_per_epoch));
    if (step < warmup) return cfg.lr * static_cast<double>(step + 1) / static_cast<double>(warmup);
    if (cfg.sched == "step") return cfg.lr * std::pow(cfg.lr_gamma, static_cast<double>((step / steps_per_epoch) / cfg.lr_step_size));
    if (cfg.sched == "cosine") {
        const double t = total > warmup ? static_cast<double>(step - warmup) / static_cast<double>(total - warmup) : 1.0;
        return cfg.lr * 0.5 * (1.0 + std::cos(M_PI * t));
    }
    return cfg.lr;
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

torch::Tensor training_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                            const std::vector<double>& class_weights, double label_smoothing) {
    torch::Tensor weight;   // per class, or undefined
    if (!class_weights.empty())
        weight = torch::tensor(class_weights, torch::kFloat64).to(logits.device(), logits.scalar_type());
    if (!weight.defined() || label_smoothing == 0) {
        // torch's own function: the same numbers as earlier runs and as Python's nn.CrossEntropyLoss.
        auto options = torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(label_smoothing);
        if (weight.defined()) options.weight(weight);
        return torch::nn::functional::cross_entropy(logits, labels, options);
    }
    // Weights and smoothing together: torch weights the smoothing term's classes by their own
    // weights (pytorch#104776), so with inverse weights (Moderate ~23x Non here) every slice is
    // pulled towards Moderate and training collapses. Here a class weight weights the sample, as
    // it does without smoothing: w_y * [(1 - eps) * -log p_y + eps * mean_c -log p_c] / sum w_y.
    const torch::Tensor log_p = torch::log_softmax(logits, 1);
    const torch::Tensor w = weight.index_select(0, labels);
    const torch::Tensor per_sample = -(1 - label_smoothing) * log_p.gather(1, labels.unsqueeze(1)).squeeze(1) -
                                     label_smoothing * log_p.mean(1);
    return (w * per_sample).sum() / w.sum();
}

int run_training(const TrainConfig& cfg_in) {
    TrainConfig cfg = cfg_in;
    const fs::path out(cfg.out);
    const fs::path last_path = out / "last.pt", best_path = out / "best.pt";
    const fs::path metrics_path = out / "metrics.jsonl", summary_path = out / "summary.csv";
    const bool interactive = isatty(2) && !cfg.quiet;
    torch::set_num_threads(cfg.threads);

    // ---- run directory: never overwrite a run by accident, never resume a different one.
    nlohmann::json saved_meta;
    if (cfg.resume) {
        if (!fs::exists(last_path))
            throw std::runtime_error(last_path.string() + ": nothing to resume; hint: drop --resume to start a new run");
        saved_meta = load_model(last_path.string()).meta;
        const nlohmann::json& saved = saved_meta.at("training").at("options");
        const nlohmann::json kNeutralOfLaterOptions = {
            {"select_window", 1}, {"val_seed", 0}, {"mixup_alpha", 0.0}, {"cutmix_alpha", 0.0}};
        std::string diffs;
        for (auto it = cfg.resolved.begin(); it != cfg.resolved.end(); ++it) {
            const std::string& k = it.key();
            // A run may be moved and its data may live elsewhere (the digest is checked below).
            if (k == "resume" || k == "quiet" || k == "threads" || k == "device" || k == "out" || k == "data") continue;
            // Options added after a run was saved: the run used what their neutral value does.
            if (!saved.contains(k) && kNeutralOfLaterOptions.contains(k) && kNeutralOfLaterOptions[k] == it.value())
                continue;
            if (!saved.contains(k) || saved[k] != it.value())
                diffs += " " + k + "=" + it.value().dump() + " (run has " + (saved.contains(k) ? saved[k].dump() : "none") + ")";
        }
        if (!diffs.empty())
            throw std::runtime_error(out.string() + ": --resume with different options:" + diffs +
                                     "; hint: pass the run's original options (or its --config)");
    } else if (fs::exists(last_path) || fs::exists(metrics_path)) {
        throw std::runtime_error(out.string() + ": already holds a run; hint: --resume to continue it, or choose another --out");
    }
    fs::create_directories(out);
    const torch::Device device = resolve_device(cfg.device);

    // ---- data, decoded once.
    PreprocessSpec spec;
    spec.height = spec.width = cfg.image_size;
    DatasetOptions dopt;
    dopt.dir = cfg.data_dir;
    dopt.split_file = cfg.split_file;
    dopt.split_column = cfg.split_column;
    dopt.val_fraction = cfg.val_fraction;
    dopt.val_mode = cfg.val_mode;
    dopt.seed = cfg.val_seed != 0 ? cfg.val_seed : cfg.seed;
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
    spec.class_names = ds.class_names;
    if (cfg.resume && saved_meta["training"].value("data_digest", "") != ds.digest)
        throw std::runtime_error(cfg.data_dir + ": dataset digest " + ds.digest + " differs from the run's " +
                                 saved_meta["training"].value("data_digest", "") +
                                 "; hint: resume on the same data (files added, removed or changed size)");
    const int num_classes = static_cast<int>(ds.class_names.size());
    for (const std::string& s : ds.skipped) std::fprintf(stderr, "skipped %s\n", s.c_str());
    if (ds.train.size() < 2) throw std::runtime_error(cfg.data_dir + ": fewer than 2 training images after the split");
    // How val was carved, in words (the data line and the final report say the same).
    std::string val_carve = "random images";
    if (ds.val.size() == 0) {
        val_carve = "none";
    } else if (cfg.val_mode == "grouped") {
        const int64_t grouped_classes = num_classes - ds.val_random_classes;
        if (ds.val_random_classes == 0)
            val_carve = "whole pseudo-subjects";
        else if (grouped_classes > 0)
            val_carve = "whole pseudo-subjects; random images in " + std::to_string(ds.val_random_classes) + " of " +
                        std::to_string(num_classes) + " classes (too few pseudo-subjects)";
        else
            val_carve = "random images (too few pseudo-subjects in every class)";
    }
    std::printf("data %s: %s split, train %lld, val %lld (%s), test %lld images, %zu skipped (digest %s)\n",
                cfg.data_dir.c_str(), ds.split_kind.c_str(), static_cast<long long>(ds.train.size()),
                static_cast<long long>(ds.val.size()),
                cfg.val_mode == "grouped" ? (std::to_string(ds.train_groups) + " pseudo-subjects; held out: " + val_carve).c_str()
                                          : val_carve.c_str(),
                static_cast<long long>(ds.test.size()), ds.skipped.size(), ds.digest.c_str());
    for (const std::string& note : ds.val_notes) std::printf("note: validation: %s\n", note.c_str());
    if (ds.split_kind == "hf")
        std::printf("note: the HF split puts neighbouring slices of one subject in train and test; "
                    "use --split-file .../KAGGLE_SPLIT.tsv --split-column kaggle_split for honest numbers\n");
    if (ds.val.size() == 0)
        std::printf("note: no validation set (%s): best.pt is chosen on training macro-F1\n",
                    cfg.val_fraction > 0 ? "no class has 2 train images to spare one" : "--val-fraction 0");

    // ---- model.
    cfg.model.num_classes = num_classes;
    torch::manual_seed(mix_seed(cfg.seed, kInitStream, 0));
    Classifier net = make_model(cfg.model);
    if (!cfg.init.empty()) {
        InitWeightsReport r = load_init_weights(net, cfg.init);
        std::fprintf(stderr, "%s\n", r.summary().c_str());
    }
    if (cfg.freeze > 0) std::printf("froze %lld backbone tensors\n", static_cast<long long>(net->freeze_backbone(cfg.freeze)));
    net->to(device);
    Classifier ema{nullptr};
    if (cfg.ema) {
        ema = make_model(cfg.model);
        ema->to(device);
        load_state_dict(*ema, c10::IValue(state_dict(*net)).toGenericDict());
    }
    auto optimizer = make_optimizer(cfg, net);
    const std::vector<double> weights = class_weights(ds.train.class_counts, cfg.class_weights);
    std::printf("model %s/%s: %lld parameters (%lld trainable), device %s, %d compute thread(s)\n",
                cfg.model.arch.c_str(), cfg.model.head.c_str(), static_cast<long long>(count_parameters(*net)),
                static_cast<long long>(count_parameters(*net, true)), device.str().c_str(), cfg.threads);
    std::fflush(stdout);

    // ---- config.json (rewritten identically on resume).
    nlohmann::json spec_json = nlohmann::json::parse(preprocess_spec_to_json(spec));
    const std::string split_name = ds.split_kind;
    nlohmann::json config = {
        {"name", fs::absolute(out).filename().string()},
        {"model", model_config_to_json(cfg.model)},
        {"input", spec_json["input"]},
        {"classes", ds.class_names},
        {"train", cfg.resolved},
        {"data", {{"dir", cfg.data_dir}, {"split", split_name}, {"split_file", cfg.split_file},
                  {"split_column", cfg.split_column}, {"digest", ds.digest},
                  {"digest_method", "fnv1a64 over sorted 'relative_path\\tbytes\\n' lines"},
                  {"counts", dataset_counts_json(ds)}, {"skipped", ds.skipped},
                  {"val_mode", cfg.val_mode}, {"train_groups", ds.train_groups},
                  {"val_random_classes", ds.val_random_classes}, {"val_notes", ds.val_notes},
                  {"val_files", sorted_copy(ds.val.paths)}}},
        {"profile", cfg.profile.empty() ? nlohmann::json(nullptr) : nlohmann::json(cfg.profile)},
        {"experiment", cfg.experiment},
        {"selection", cfg.select_window > 1 ? "best mean validation macro-F1 over " + std::to_string(cfg.select_window) +
                                                  " consecutive epochs; the window's last epoch (earliest on ties)"
                                            : std::string("best validation macro-F1 (earliest epoch on ties)")}};
    write_text_atomically(out / "config.json", config.dump(2) + "\n");

    // ---- position: fresh, or restored from last.pt.
    const int64_t n_train = ds.train.size();
    const int64_t steps_per_epoch = (n_train / cfg.batch_size) + ((n_train % cfg.batch_size) > 1 ? 1 : 0);
    std::vector<int64_t> train_labels(ds.train.labels.data_ptr<int64_t>(), ds.train.labels.data_ptr<int64_t>() + n_train);
    TrainPosition pos;
    pos.tally.confusion.assign(num_classes, std::vector<int64_t>(num_classes, 0));
    bool finished_before_resume = false;
    if (cfg.resume) {
        pos = position_from_json(saved_meta.at("training").at("position"));
        torch::serialize::InputArchive archive = open_checkpoint_archive(last_path.string(), device);
        c10::IValue value;
        archive.read("state_dict", value);
        load_state_dict(*net, value.toGenericDict());
        if (cfg.ema) {
            archive.read("ema_state_dict", value);
            load_state_dict(*ema, value.toGenericDict());
        }
        torch::serialize::InputArchive opt_archive;
        archive.read("optimizer", opt_archive);
        optimizer->load(opt_archive);
        // The order only matters when an epoch is left to train. A finished (or early-stopped)
        // run only needs its final line, and builds before commit 735a659 saved the last epoch's
        // order there rather than the next one's, so the check would refuse such runs.
        finished_before_resume = pos.epoch >= cfg.epochs || (cfg.patience > 0 && pos.epochs_without_improvement >= cfg.patience);
        if (!finished_before_resume) {
            torch::Tensor saved_order;
            archive.read("epoch_order", saved_order);
            saved_order = saved_order.to(torch::kCPU).contiguous();
            std::vector<int64_t> rebuilt = epoch_order(train_labels, num_classes, cfg.balanced_sampler, cfg.seed, pos.epoch);
            if (saved_order.numel() != static_cast<int64_t>(rebuilt.size()) ||
                !std::equal(rebuilt.begin(), rebuilt.end(), saved_order.data_ptr<int64_t>()))
                throw std::runtime_error(last_path.string() + ": the saved epoch order differs from this build's sampler; "
                                         "hint: resume with the alzscan that started the run");
        }
        // Epoch lines written after last.pt (killed between the two) are recomputed.
        std::vector<std::string> kept;
        for (const std::string& l : read_lines(metrics_path)) {
            nlohmann::json j = nlohmann::json::parse(l, nullptr, false);
            if (!j.is_discarded() && j.contains("epoch") && !j.contains("final") && j["epoch"].get<int64_t>() <= pos.epoch)
                kept.push_back(l);
        }
        std::string text, csv = std::string(kSummaryHeader) + "\n";
        for (const std::string& l : kept) {
            text += l + "\n";
            csv += summary_row(nlohmann::json::parse(l)) + "\n";
        }
        write_text_atomically(metrics_path, text);
        write_text_atomically(summary_path, csv);
        if (finished_before_resume)
            std::printf("resuming %s: training ended after epoch %lld; writing the final line and report\n", out.string().c_str(),
                        static_cast<long long>(pos.epoch));
        else
            std::printf("resuming %s at epoch %lld step %lld/%lld\n", out.string().c_str(),
                        static_cast<long long>(pos.epoch + 1), static_cast<long long>(pos.step),
                        static_cast<long long>(steps_per_epoch));
    } else {
        write_text_atomically(metrics_path, "");
        write_text_atomically(summary_path, std::string(kSummaryHeader) + "\n");
    }

    auto checkpoint_meta = [&](const nlohmann::json& extra) {
        nlohmann::json training = {{"options", cfg.resolved}, {"split", split_name}, {"data_digest", ds.digest}};
        for (auto it = extra.begin(); it != extra.end(); ++it) training[it.key()] = it.value();
        return nlohmann::json{{"training", training}};
    };
    // last.pt: the live weights; best.pt: the evaluated ones (EMA with --ema). Both carry the
    // optimizer, EMA, position and the next epoch's order, so either can continue training.
    auto save_training_checkpoint = [&](const fs::path& path, Classifier& weights, const nlohmann::json& extra,
                                        const std::vector<int64_t>& order) {
        nlohmann::json meta = extra;
        meta["position"] = position_to_json(pos);
        save_model_checkpoint(path.string(), weights, spec, checkpoint_meta(meta),
                              [&](torch::serialize::OutputArchive& a) {
                                  torch::serialize::OutputArchive opt_archive;
                                  optimizer->save(opt_archive);
                                  a.write("optimizer", opt_archive);
                                  if (cfg.ema) a.write("ema_state_dict", c10::IValue(state_dict(*ema)));
                                  if (&weights != &net) a.write("train_state_dict", c10::IValue(state_dict(*net)));
                                  a.write("epoch_order", torch::tensor(order, torch::kInt64));
                                  a.write("torch_rng", at::detail::getDefaultCPUGenerator().get_state());
                              });
    };
    auto save_last = [&](const std::vector<int64_t>& order) {
        save_training_checkpoint(last_path, net, nlohmann::json::object(), order);
    };

    g_stop_signal.store(0);
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    struct RestoreSignals {
        ~RestoreSignals() {
            std::signal(SIGINT, SIG_DFL);
            std::signal(SIGTERM, SIG_DFL);
        }
    } restore_signals;

    Classifier& eval_net = cfg.ema ? ema : net;
    // An early-stopped run stays stopped when resumed.
    const bool already_stopped = cfg.patience > 0 && pos.epochs_without_improvement >= cfg.patience;
    // A selection window counts once it is full (or covers every epoch of a run shorter than it).
    const int64_t window = std::min<int64_t>(cfg.select_window, cfg.epochs);
    for (; pos.epoch < cfg.epochs && !already_stopped; ++pos.epoch) {
        const int64_t epoch = pos.epoch;
        const std::vector<int64_t> order = epoch_order(train_labels, num_classes, cfg.balanced_sampler, cfg.seed, epoch);
        auto batch_seed = [&](int64_t step) { return mix_seed(cfg.seed, kAugmentStream, epoch * kStepsPerEpochKey + step); };
        auto launch = [&](int64_t step) {
            const int64_t begin = step * cfg.batch_size, end = std::min(n_train, begin + cfg.batch_size);
            return std::async(std::launch::async, build_batch, std::cref(ds.train), std::cref(order), begin, end,
                              std::cref(cfg.augment), std::cref(spec), batch_seed(step));
        };
        ProgressBar bar("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(cfg.epochs),
                        steps_per_epoch * cfg.batch_size, interactive);
        const auto epoch_start = std::chrono::steady_clock::now();
        const double seconds_before = pos.epoch_seconds, train_seconds_before = pos.train_seconds;
        net->train();
        std::future<Batch> next = pos.step < steps_per_epoch ? launch(pos.step) : std::future<Batch>();
        double lr = 0;
        for (; pos.step < steps_per_epoch; ++pos.step) {
            Batch batch = next.get();
            if (pos.step + 1 < steps_per_epoch) next = launch(pos.step + 1);
            lr = learning_rate_at(cfg, epoch * steps_per_epoch + pos.step, steps_per_epoch);
            for (auto& group : optimizer->param_groups()) group.options().set_lr(lr);
            torch::manual_seed(mix_seed(cfg.seed, kTorchStepStream, epoch * kStepsPerEpochKey + pos.step));
            torch::Tensor x = batch.x.to(device), y = batch.y.to(device);
            // Gradients to "none", not zero (LibTorch 1.13's zero_grad() zeroes): backward then hands
            // each parameter its fresh gradient instead of adding it to zeros (same values, one pass less).
            for (auto& group : optimizer->param_groups())
                for (auto& p : group.params()) p.mutable_grad().reset();
            const MixedBatch mixed = mix_batch(x, y, cfg.mixup_alpha, cfg.cutmix_alpha);
            torch::Tensor logits;
            {
                AutocastScope bf16(cfg.precision == "bf16", device);
                logits = net->forward(mixed.x);
            }
            logits = logits.to(torch::kFloat);
            torch::Tensor loss = mixed_loss(mixed, [&](const torch::Tensor& labels) {
                return training_loss(logits, labels, weights, cfg.label_smoothing);
            });
            const double loss_value = loss.item<double>();
            if (!std::isfinite(loss_value))
                throw std::runtime_error("training diverged: loss is " + fmt("%g", loss_value) +
                                         " at epoch " + std::to_string(epoch + 1) + " step " + std::to_string(pos.step) +
                                         "; hint: lower --lr");
            loss.backward();
            if (cfg.clip_grad > 0) torch::nn::utils::clip_grad_norm_(net->parameters(), cfg.clip_grad);
            optimizer->step();
            if (cfg.ema) update_ema(ema, net, cfg.ema_decay);

            const int64_t n = y.size(0);
            pos.tally.loss_sum += loss_value * static_cast<double>(n);
            pos.tally.seen += n;
            torch::Tensor pred = logits.detach().argmax(1).to(torch::kCPU).contiguous();
            const int64_t* pp = pred.data_ptr<int64_t>();
            const int64_t* yp = batch.y.data_ptr<int64_t>();
            for (int64_t i = 0; i < n; ++i) ++pos.tally.confusion[yp[i]][pp[i]];
            bar.update(pos.tally.seen, pos.tally.loss_sum / pos.tally.seen);

            if (g_stop_signal.load() != 0) {
                if (pos.step + 1 < steps_per_epoch) next.wait();
                bar.finish();
                pos.step += 1;
                const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
                pos.epoch_seconds = seconds_before + elapsed;
                pos.train_seconds = train_seconds_before + elapsed;
                save_last(order);
                std::printf("interrupted (%s): saved %s at epoch %lld step %lld; continue with the same command plus --resume\n",
                            g_stop_signal.load() == SIGINT ? "SIGINT" : "SIGTERM", last_path.string().c_str(),
                            static_cast<long long>(epoch + 1), static_cast<long long>(pos.step));
                std::fflush(stdout);
                return 130;
            }
        }
        bar.finish();
        const double train_seconds =
            train_seconds_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
        lr = learning_rate_at(cfg, epoch * steps_per_epoch + steps_per_epoch - 1, steps_per_epoch);

        // ---- evaluate (EMA weights when --ema), log, checkpoint.
        EvalResult val_r, test_r;
        nlohmann::json val_j = nullptr, test_j = nullptr;
        if (ds.val.size() > 0) {
            val_r = evaluate(eval_net, ds.val, spec, device, cfg.eval_batch_size);
            val_j = eval_json(val_r, ds.class_names);
        }
        if (ds.test.size() > 0) {
            test_r = evaluate(eval_net, ds.test, spec, device, cfg.eval_batch_size);
            test_j = eval_json(test_r, ds.class_names);
        }
        const double seconds =
            seconds_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
        nlohmann::json train_j = pos.tally.metrics_json(num_classes);
        nlohmann::json line = {{"epoch", epoch + 1}, {"epochs", cfg.epochs}, {"lr", lr}, {"seconds", seconds},
                               {"images_per_second", train_seconds > 0 ? pos.tally.seen / train_seconds : 0.0},
                               {"train", train_j}, {"val", val_j}, {"test", test_j}};
        append_line(metrics_path, line.dump());
        append_line(summary_path, summary_row(line));

        const double epoch_score = ds.val.size() > 0 ? val_r.metrics.macro_f1 : train_j["macro_f1"].get<double>();
        pos.val_scores.push_back(epoch_score);
        const bool window_full = static_cast<int64_t>(pos.val_scores.size()) >= window;
        const double score =
            window_full ? std::accumulate(pos.val_scores.end() - window, pos.val_scores.end(), 0.0) / window : -1;
        const bool improved = window_full && score > pos.best_score;
        if (improved) {
            pos.best_score = score;
            pos.best_epoch = epoch + 1;
            pos.best_val = val_j;
            pos.best_test = test_j;
            pos.epochs_without_improvement = 0;
        } else {
            ++pos.epochs_without_improvement;
        }
        std::string summary = "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(cfg.epochs) +
                              "  lr " + fmt("%.2e", lr) + "  train loss " + fmt("%.4f", train_j["loss"].get<double>()) +
                              " acc " + fmt("%.4f", train_j["accuracy"].get<double>());
        if (ds.val.size() > 0)
            summary += "  | val loss " + fmt("%.4f", val_r.loss) + " acc " + fmt("%.4f", val_r.metrics.accuracy) +
                       " F1 " + fmt("%.4f", val_r.metrics.macro_f1);
        if (ds.test.size() > 0)
            summary += "  | test (" + split_name + ") acc " + fmt("%.4f", test_r.metrics.accuracy) + " bal " +
                       fmt("%.4f", test_r.metrics.balanced_accuracy) + " F1 " + fmt("%.4f", test_r.metrics.macro_f1);
        summary += "  | " + fmt("%.1f s", seconds) + " " + fmt("%.0f img/s", line["images_per_second"].get<double>()) +
                   (improved ? "  *best*" : "");
        std::printf("%s\n", summary.c_str());
        std::fflush(stdout);

        // Next position, then last.pt (after the metrics line: a crash in between recomputes it).
        pos.step = 0;
        pos.tally = EpochTally{};
        pos.tally.confusion.assign(num_classes, std::vector<int64_t>(num_classes, 0));
        pos.epoch_seconds = pos.train_seconds = 0;
        const bool stop_early = cfg.patience > 0 && pos.epochs_without_improvement >= cfg.patience;
        ++pos.epoch;
        const std::vector<int64_t> next_order =
            epoch_order(train_labels, num_classes, cfg.balanced_sampler, cfg.seed, pos.epoch);
        if (improved)
            save_training_checkpoint(best_path, eval_net,
                                     {{"epoch", epoch + 1}, {"selection", "val macro_f1"}, {"val_macro_f1", epoch_score},
                                      {"select_window", window}, {"selection_score", score}, {"ema", cfg.ema}},
                                     next_order);
        save_last(next_order);
        --pos.epoch;   // the for loop increments it
        if (stop_early) {
            std::printf("early stop: validation macro-F1 did not improve for %lld epochs\n",
                        static_cast<long long>(cfg.patience));
            ++pos.epoch;
            break;
        }
        if (g_stop_signal.load() != 0) {
            std::printf("interrupted: saved %s after epoch %lld; continue with --resume\n", last_path.string().c_str(),
                        static_cast<long long>(epoch + 1));
            return 130;
        }
    }

    // ---- the selected checkpoint.
    nlohmann::json final_line = {{"final", true}, {"checkpoint", "best"}, {"epoch", pos.best_epoch},
                                 {"select_window", window}, {"selection_score", pos.best_score},
                                 {"val", pos.best_val}, {"test", pos.best_test}};
    append_line(metrics_path, final_line.dump());
    LoadedModel best = load_model(best_path.string());
    best.net->to(device);
    const std::string selected_by =
        window > 1 ? "best mean validation macro-F1 of epochs " + std::to_string(pos.best_epoch - window + 1) + "-" +
                         std::to_string(pos.best_epoch) + ":"
                   : "best validation macro-F1";
    std::printf("\nselected checkpoint: %s (epoch %lld, %s %.4f)\n", best_path.string().c_str(),
                static_cast<long long>(pos.best_epoch), selected_by.c_str(), pos.best_score);
    if (ds.val.size() > 0)
        print_class_report(stdout, evaluate(best.net, ds.val, spec, device, cfg.eval_batch_size).metrics, ds.class_names,
                           "validation (carved from train: " + val_carve + ")");
    if (ds.test.size() > 0)
        print_class_report(stdout, evaluate(best.net, ds.test, spec, device, cfg.eval_batch_size).metrics, ds.class_names,
                           "test (" + split_name + " split" +
                               (split_name == "hf" ? ": neighbouring slices of one subject sit in train and test" : "") + ")");
    if (!ds.skipped.empty()) std::printf("skipped %zu unreadable images (listed in config.json)\n", ds.skipped.size());
    return 0;
}

}  // namespace alzscan
