// The training loop as named steps: the setup (trainer_setup.h: check the run directory, load the
// data, build the model, write config.json), restore the position, then train_one_epoch +
// end_of_epoch until done, and the final report. One compute thread pool + one batch-building thread.
#include "train/trainer.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <future>
#include <numeric>
#include <random>

#include "alzscan/metrics.h"
#include "data/augment.h"
#include "distributed/distributed.h"
#include "models/batch_norm.h"
#include "data/batch_mixing.h"
#include "data/dataset.h"
#include "data/sampler.h"
#include "models/checkpoint.h"
#include "rundir/run_dir.h"
#include "train/autocast_scope.h"
#include "train/evaluate.h"
#include "train/progress.h"
#include "train/trainer_setup.h"
#include "train/training_state.h"

namespace fs = std::filesystem;

namespace alzscan {
namespace {

// Set by SIGINT/SIGTERM; the loop finishes its step, saves last.pt and exits. A second signal
// falls back to the default action (immediate exit) because the handler resets itself.
std::atomic<int> g_stop_signal{0};

extern "C" void on_stop_signal(int sig) {
    g_stop_signal.store(sig);
    std::signal(sig, SIG_DFL);
}

// Installs the stop handlers for the lifetime of a run.
struct StopSignals {
    StopSignals() {
        g_stop_signal.store(0);
        std::signal(SIGINT, on_stop_signal);
        std::signal(SIGTERM, on_stop_signal);
    }
    ~StopSignals() {
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);
    }
    static bool requested() { return g_stop_signal.load() != 0; }
    static const char* name() { return g_stop_signal.load() == SIGINT ? "SIGINT" : "SIGTERM"; }
};

// The per-step random streams (Stream, trainer_setup.h) are indexed by (epoch, step) as one number.
constexpr uint64_t kStepsPerEpochKey = 1u << 24;   // (epoch, step) -> one 64-bit index

// A last batch of a single image is dropped: BatchNorm in training mode cannot normalise one
// value per channel (torch raises), and one image would carry a whole step's weight.
int64_t steps_per_epoch(int64_t n_train, int64_t batch_size) {
    return n_train / batch_size + (n_train % batch_size > 1 ? 1 : 0);
}

std::string fmt(const char* format, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

struct Batch {
    torch::Tensor x, y;      // this rank's share
    int64_t global = 0;      // the whole batch's size, over every rank
};

// Samples [begin, end) of `order`, each augmented with its own random stream (the batch's seed and
// its place in the global batch starting at batch_begin), so a rank's share of a batch is exactly
// those samples of the single-process batch.
Batch build_batch(const DatasetSplit& train, const std::vector<int64_t>& order, int64_t begin, int64_t end,
                  const AugmentOptions& aug, const PreprocessSpec& spec, uint64_t rng_seed, int64_t batch_begin) {
    const int64_t n = end - begin, h = train.images.size(2), w = train.images.size(3);
    Batch b;
    b.x = torch::empty({n, 1, h, w}, torch::kFloat32);
    b.y = torch::empty({n}, torch::kInt64);
    const uint8_t* src = train.images.data_ptr<uint8_t>();
    const int64_t* labels = train.labels.data_ptr<int64_t>();
    float* dst = b.x.data_ptr<float>();
    int64_t* y = b.y.data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i) {
        const int64_t k = order[begin + i];
        std::mt19937_64 rng(mix_seed(rng_seed, kAugmentStream, static_cast<uint64_t>(begin + i - batch_begin)));
        augment_and_normalise(src + k * h * w, static_cast<int>(h), static_cast<int>(w), aug, spec, rng,
                              dst + i * h * w);
        y[i] = labels[k];
    }
    return b;
}

// ---- the loop's state, shared by the steps below.

struct TrainLoop {
    const TrainConfig& cfg;
    const RunDir& run;
    const TrainData& data;
    TrainModel& model;
    const Checkpointer& ckpt;
    torch::Device device;
    bool interactive;
    int64_t steps_per_epoch;
    int64_t window;   // the selection window, at most the run's length
    TrainPosition pos;

    dist::Group* group = nullptr;   // one rank of several, or inactive

    Classifier& eval_net() { return cfg.ema ? model.ema : model.net; }
    bool writer() const { return group->leader(); }
    std::vector<int64_t> order_of(int64_t epoch) const {
        return epoch_order(data.train_labels, data.num_classes, cfg.balanced_sampler, cfg.seed, epoch);
    }
};

// ---- step 5: the position, fresh or restored from last.pt.

void restore_position(TrainLoop& t, const nlohmann::json& saved_meta) {
    t.pos = TrainPosition::from_json(saved_meta.at("training").at("position"));
    const bool finished = t.pos.epoch >= t.cfg.epochs || patience_exhausted(t.cfg, t.pos);
    // The order only matters when an epoch is left to train; a finished (or early-stopped) run
    // only needs its final line, and older builds saved the last epoch's order there rather than
    // the next one's, so the check would refuse such runs.
    std::vector<int64_t> saved_order;
    t.ckpt.restore_last(t.device, finished ? nullptr : &saved_order);
    if (!finished && saved_order != t.order_of(t.pos.epoch))
        throw std::runtime_error(t.run.last.string() + ": the saved epoch order differs from this build's sampler; "
                                 "hint: resume with the alzscan that started the run");
    // Epoch lines written after last.pt (killed between the two) are recomputed.
    if (t.writer()) keep_epoch_lines_through(t.run, t.pos.epoch);
    if (finished)
        std::printf("resuming %s: training ended after epoch %lld; writing the final line and report\n",
                    t.run.dir.c_str(), static_cast<long long>(t.pos.epoch));
    else
        std::printf("resuming %s at epoch %lld step %lld/%lld\n", t.run.dir.c_str(), static_cast<long long>(t.pos.epoch + 1),
                    static_cast<long long>(t.pos.step), static_cast<long long>(t.steps_per_epoch));
}

// ---- step 6: one epoch of optimisation steps.

struct EpochClock {
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    double seconds_before = 0, train_seconds_before = 0;   // spent before an interruption
    double elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); }
};

// One optimisation step on `batch`, counted into the epoch's tally.
void train_step(TrainLoop& t, const Batch& batch) {
    dist::Group& g = *t.group;
    const TrainConfig& cfg = t.cfg;
    const int64_t epoch = t.pos.epoch, step = t.pos.step;
    const double lr = learning_rate_at(cfg, epoch * t.steps_per_epoch + step, t.steps_per_epoch);
    for (auto& group : t.model.optimizer->param_groups()) group.options().set_lr(lr);
    torch::manual_seed(mix_seed(cfg.seed, kTorchStepStream, epoch * kStepsPerEpochKey + step));
    torch::Tensor x = batch.x.to(t.device), y = batch.y.to(t.device);
    // Gradients to "none", not zero (LibTorch 1.13's zero_grad() zeroes): backward then hands
    // each parameter its fresh gradient instead of adding it to zeros (same values, one pass less).
    for (auto& group : t.model.optimizer->param_groups())
        for (auto& p : group.params()) p.mutable_grad().reset();
    const MixedBatch mixed = mix_batch(x, y, cfg.mixup_alpha, cfg.cutmix_alpha);
    torch::Tensor logits;
    {
        AutocastScope bf16(cfg.precision == "bf16", t.device);
        logits = t.model.net->forward(mixed.x);
    }
    logits = logits.to(torch::kFloat);
    torch::Tensor loss = mixed_loss(mixed, [&](const torch::Tensor& labels) {
        return training_loss(logits, labels, t.model.class_weights, cfg.label_smoothing);
    });
    const double loss_value = loss.item<double>();
    if (!std::isfinite(loss_value))
        throw std::runtime_error("training diverged: loss is " + fmt("%g", loss_value) + " at epoch " +
                                 std::to_string(epoch + 1) + " step " + std::to_string(step) + "; hint: lower --lr");
    // Each rank's loss weighs its share of the global batch, so the summed gradients are the
    // gradient of the whole batch's mean loss (and sync-bn's backward sees consistent d/dy).
    if (batch.global != y.size(0)) loss = loss * (static_cast<double>(y.size(0)) / static_cast<double>(batch.global));
    loss.backward();
    dist::allreduce_gradients(g, *t.model.net);
    if (cfg.clip_grad > 0) torch::nn::utils::clip_grad_norm_(t.model.net->parameters(), cfg.clip_grad);
    t.model.optimizer->step();
    if (cfg.ema) update_ema(t.model.ema, t.model.net, cfg.ema_decay);

    // The step's tally over every rank: loss sum, count and confusion counts in one all-reduce.
    const int64_t n = y.size(0), C = t.data.num_classes;
    torch::Tensor counts = torch::zeros({2 + C * C}, torch::kDouble);
    double* sp = counts.data_ptr<double>();
    sp[0] = loss_value * static_cast<double>(n);
    sp[1] = static_cast<double>(n);
    torch::Tensor pred = logits.detach().argmax(1).to(torch::kCPU).contiguous();
    const int64_t* pp = pred.data_ptr<int64_t>();
    const int64_t* yp = batch.y.data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i) sp[2 + yp[i] * C + pp[i]] += 1;
    dist::allreduce_sum(g, counts);
    sp = counts.data_ptr<double>();
    t.pos.tally.loss_sum += sp[0];
    t.pos.tally.seen += static_cast<int64_t>(std::llround(sp[1]));
    for (int64_t a = 0; a < C; ++a)
        for (int64_t b = 0; b < C; ++b) t.pos.tally.confusion[a][b] += static_cast<int64_t>(std::llround(sp[2 + a * C + b]));
}

// Runs the steps left in t.pos.epoch, building the next batch on a second thread meanwhile.
// Returns false when a stop signal came: last.pt then holds the position after the finished step.
bool train_one_epoch(TrainLoop& t, const std::vector<int64_t>& order, EpochClock& clock) {
    const TrainConfig& cfg = t.cfg;
    const int64_t epoch = t.pos.epoch, n_train = t.data.ds.train.size();
    auto launch = [&](int64_t step) {
        const int64_t begin = step * cfg.batch_size, end = std::min(n_train, begin + cfg.batch_size);
        const uint64_t seed = mix_seed(cfg.seed, kAugmentStream, epoch * kStepsPerEpochKey + step);
        const auto [b, e] = dist::shard(begin, end, t.group->rank, t.group->world);   // this rank's share
        return std::async(std::launch::async, [&, b = b, e = e, begin, end, seed] {
            Batch batch = build_batch(t.data.ds.train, order, b, e, cfg.augment, t.data.spec, seed, begin);
            batch.global = end - begin;
            return batch;
        });
    };
    ProgressBar bar("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(cfg.epochs),
                    t.steps_per_epoch * cfg.batch_size, t.interactive);
    t.model.net->train();
    std::future<Batch> next = t.pos.step < t.steps_per_epoch ? launch(t.pos.step) : std::future<Batch>();
    for (; t.pos.step < t.steps_per_epoch; ++t.pos.step) {
        const Batch batch = next.get();
        if (t.pos.step + 1 < t.steps_per_epoch) next = launch(t.pos.step + 1);
        train_step(t, batch);
        bar.update(t.pos.tally.seen, t.pos.tally.loss_sum / t.pos.tally.seen);
        if (dist::any(*t.group, StopSignals::requested())) {   // every rank stops after the same step
            if (t.pos.step + 1 < t.steps_per_epoch) next.wait();
            bar.finish();
            t.pos.step += 1;
            const double elapsed = clock.elapsed();
            t.pos.epoch_seconds = clock.seconds_before + elapsed;
            t.pos.train_seconds = clock.train_seconds_before + elapsed;
            if (!t.writer()) return false;
            t.ckpt.save_last(t.pos, order);
            std::printf("interrupted (%s): saved %s at epoch %lld step %lld; continue with the same command plus --resume\n",
                        StopSignals::name(), t.run.last.string().c_str(), static_cast<long long>(epoch + 1),
                        static_cast<long long>(t.pos.step));
            std::fflush(stdout);
            return false;
        }
    }
    bar.finish();
    return true;
}

// ---- step 7: end of epoch: evaluate, log, select, save.

struct EpochEval {
    EvalResult val, test;
    nlohmann::json val_j = nullptr, test_j = nullptr;
};

// A split scored by every rank together: each its contiguous share, the probabilities and the loss
// summed across ranks, the metrics computed from them on every rank (the same numbers everywhere).
EvalResult evaluate_split(TrainLoop& t, const DatasetSplit& split) {
    dist::Group& g = *t.group;
    if (!g.active()) return evaluate(t.eval_net(), split, t.data.spec, t.device, t.cfg.eval_batch_size);
    const auto [b, e] = dist::shard(0, split.size(), g.rank, g.world);
    DatasetSplit part;
    part.images = split.images.slice(0, b, e);
    part.labels = split.labels.slice(0, b, e);
    part.paths.assign(split.paths.begin() + b, split.paths.begin() + e);
    const int64_t C = t.data.num_classes;
    EvalResult mine = e > b ? evaluate(t.eval_net(), part, t.data.spec, t.device, t.cfg.eval_batch_size) : EvalResult{};
    torch::Tensor all = torch::zeros({split.size() * C + 1}, torch::kDouble);
    for (int64_t i = 0; i < (e - b) * C; ++i) all[b * C + i] = mine.probabilities[static_cast<size_t>(i)];
    all[split.size() * C] = mine.loss * static_cast<double>(e - b);
    dist::allreduce_sum(g, all);
    EvalResult r;
    const torch::Tensor probs = all.slice(0, 0, split.size() * C).to(torch::kFloat).contiguous();
    r.probabilities.assign(probs.data_ptr<float>(), probs.data_ptr<float>() + probs.numel());
    const int64_t* y = split.labels.data_ptr<int64_t>();
    r.metrics = compute_metrics(std::vector<int>(y, y + split.size()), r.probabilities, static_cast<int>(C));
    r.loss = all[split.size() * C].item<double>() / static_cast<double>(std::max<int64_t>(1, split.size()));
    return r;
}

EpochEval evaluate_epoch(TrainLoop& t) {
    dist::broadcast_buffers(*t.group, *t.eval_net());   // without --sync-bn each rank's statistics drift
    EpochEval e;
    const Dataset& ds = t.data.ds;
    if (ds.val.size() > 0) {
        e.val = evaluate_split(t, ds.val);
        e.val_j = eval_json(e.val, ds.class_names);
    }
    if (ds.test.size() > 0) {
        e.test = evaluate_split(t, ds.test);
        e.test_j = eval_json(e.test, ds.class_names);
    }
    return e;
}

// --select-window: the epoch's score joins the history; the window ending here is the
// selection score once the window is full. Returns whether it beats the best so far.
bool select_checkpoint(TrainLoop& t, double epoch_score, const EpochEval& e) {
    TrainPosition& pos = t.pos;
    pos.val_scores.push_back(epoch_score);
    const bool window_full = static_cast<int64_t>(pos.val_scores.size()) >= t.window;
    const double score =
        window_full ? std::accumulate(pos.val_scores.end() - t.window, pos.val_scores.end(), 0.0) / t.window : -1;
    if (!window_full || score <= pos.best_score) {
        ++pos.epochs_without_improvement;
        return false;
    }
    pos.best_score = score;
    pos.best_epoch = pos.epoch + 1;
    pos.best_val = e.val_j;
    pos.best_test = e.test_j;
    pos.epochs_without_improvement = 0;
    return true;
}

void print_epoch_line(const TrainLoop& t, const nlohmann::json& line, const EpochEval& e, bool improved) {
    const nlohmann::json& train_j = line["train"];
    std::string s = "epoch " + std::to_string(t.pos.epoch + 1) + "/" + std::to_string(t.cfg.epochs) + "  lr " +
                    fmt("%.2e", line["lr"].get<double>()) + "  train loss " + fmt("%.4f", train_j["loss"].get<double>()) +
                    " acc " + fmt("%.4f", train_j["accuracy"].get<double>());
    if (t.data.ds.val.size() > 0)
        s += "  | val loss " + fmt("%.4f", e.val.loss) + " acc " + fmt("%.4f", e.val.metrics.accuracy) + " F1 " +
             fmt("%.4f", e.val.metrics.macro_f1);
    if (t.data.ds.test.size() > 0)
        s += "  | test (" + t.data.ds.split_kind + ") acc " + fmt("%.4f", e.test.metrics.accuracy) + " bal " +
             fmt("%.4f", e.test.metrics.balanced_accuracy) + " F1 " + fmt("%.4f", e.test.metrics.macro_f1);
    s += "  | " + fmt("%.1f s", line["seconds"].get<double>()) + " " +
         fmt("%.0f img/s", line["images_per_second"].get<double>()) + (improved ? "  *best*" : "");
    std::printf("%s\n", s.c_str());
    std::fflush(stdout);
}

void end_of_epoch(TrainLoop& t, const EpochClock& clock) {
    const TrainConfig& cfg = t.cfg;
    const int64_t epoch = t.pos.epoch;
    const double train_seconds = clock.train_seconds_before + clock.elapsed();
    const double lr = learning_rate_at(cfg, epoch * t.steps_per_epoch + t.steps_per_epoch - 1, t.steps_per_epoch);
    const EpochEval e = evaluate_epoch(t);
    const nlohmann::json train_j = t.pos.tally.metrics_json(t.data.num_classes);
    const nlohmann::json line = {{"epoch", epoch + 1}, {"epochs", cfg.epochs}, {"lr", lr},
                                 {"seconds", clock.seconds_before + clock.elapsed()},
                                 {"images_per_second", train_seconds > 0 ? t.pos.tally.seen / train_seconds : 0.0},
                                 {"train", train_j}, {"val", e.val_j}, {"test", e.test_j}};
    if (t.writer()) append_epoch_line(t.run, line);

    const double epoch_score = t.data.ds.val.size() > 0 ? e.val.metrics.macro_f1 : train_j["macro_f1"].get<double>();
    const bool improved = select_checkpoint(t, epoch_score, e);
    if (t.writer()) print_epoch_line(t, line, e, improved);

    // The next position, then the checkpoints (after the metrics line: a crash in between
    // recomputes the epoch on resume).
    advance_to_next_epoch(t.pos, t.data.num_classes);
    const std::vector<int64_t> next_order = t.order_of(t.pos.epoch);
    if (!t.writer()) return;
    if (improved)
        t.ckpt.save_best(t.pos, next_order,
                         {{"epoch", epoch + 1}, {"selection", "val macro_f1"}, {"val_macro_f1", epoch_score},
                          {"select_window", t.window}, {"selection_score", t.pos.best_score}, {"ema", cfg.ema}});
    t.ckpt.save_last(t.pos, next_order);
}

// ---- step 8: the selected checkpoint, reported.

void final_report(TrainLoop& t) {
    if (!t.writer()) return;
    const TrainPosition& pos = t.pos;
    append_final_line(t.run, {{"final", true}, {"checkpoint", "best"}, {"epoch", pos.best_epoch},
                              {"select_window", t.window}, {"selection_score", pos.best_score},
                              {"val", pos.best_val}, {"test", pos.best_test}});
    LoadedModel best = load_model(t.run.best.string());
    best.net->to(t.device);
    const std::string selected_by =
        t.window > 1 ? "best mean validation macro-F1 of epochs " + std::to_string(pos.best_epoch - t.window + 1) + "-" +
                           std::to_string(pos.best_epoch) + ":"
                     : "best validation macro-F1";
    std::printf("\nselected checkpoint: %s (epoch %lld, %s %.4f)\n", t.run.best.string().c_str(),
                static_cast<long long>(pos.best_epoch), selected_by.c_str(), pos.best_score);
    const Dataset& ds = t.data.ds;
    if (ds.val.size() > 0)
        print_class_report(stdout, evaluate(best.net, ds.val, t.data.spec, t.device, t.cfg.eval_batch_size).metrics,
                           ds.class_names, "validation (carved from train: " + t.data.val_carve + ")");
    if (ds.test.size() > 0)
        print_class_report(stdout, evaluate(best.net, ds.test, t.data.spec, t.device, t.cfg.eval_batch_size).metrics,
                           ds.class_names,
                           "test (" + ds.split_kind + " split" +
                               (ds.split_kind == "hf" ? ": neighbouring slices of one subject sit in train and test" : "") + ")");
    if (!ds.skipped.empty()) std::printf("skipped %zu unreadable images (listed in config.json)\n", ds.skipped.size());
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

torch::Tensor training_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                            const std::vector<double>& class_weights, double label_smoothing) {
    torch::Tensor weight;   // per class, or undefined
    if (!class_weights.empty())
        weight = torch::tensor(class_weights, torch::kFloat64).to(logits.device(), logits.scalar_type());
    if (!weight.defined() || label_smoothing == 0) {
        // torch's own function: the same numbers as Python's nn.CrossEntropyLoss.
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
    const RunDir run(cfg.out);
    torch::set_num_threads(cfg.threads);
    torch::Device device = resolve_device(cfg.device);
    dist::Group group = dist::init_from_env(cfg.dist_backend, std::chrono::seconds(cfg.dist_timeout), device.is_cuda());
    if (device.is_cuda() && group.active()) device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(group.local_rank));
    // Rank 0 writes the run directory and the console; the others print only their errors.
    if (!group.leader() && !std::freopen("/dev/null", "w", stdout))
        throw std::runtime_error("rank " + std::to_string(group.rank) + ": cannot silence its output");
    const bool interactive = isatty(2) && !cfg.quiet && group.leader();
    // --sync-bn goes through the synchronised BatchNorm also in one process, so one rank and several
    // compute the same arithmetic.
    if (cfg.sync_bn) set_batch_norm_sync([&group](torch::Tensor& t) { dist::allreduce_sum(group, t); });
    struct SyncOff {
        ~SyncOff() { set_batch_norm_sync({}); }
    } sync_off;

    const nlohmann::json saved_meta = check_run_directory(cfg, run);
    dist::any(group, false);   // every rank has checked the directory before rank 0 writes to it
    if (group.leader()) fs::create_directories(run.dir);
    const TrainData data = load_train_data(cfg, saved_meta, interactive);
    check_shares(cfg, data, group);
    print_data_summary(cfg, data);
    cfg.model.num_classes = data.num_classes;
    TrainModel model = build_model(cfg, data, device);
    if (group.leader()) write_run_config(run, run_config_json(cfg, run, data));

    const Checkpointer ckpt{cfg, run, data.spec, data.ds.split_kind, data.ds.digest,
                            model.net, model.ema, *model.optimizer};
    TrainLoop t{cfg, run, data, model, ckpt, device, interactive,
                steps_per_epoch(data.ds.train.size(), cfg.batch_size),
                // A selection window counts once it is full (or covers every epoch of a shorter run).
                std::min<int64_t>(cfg.select_window, cfg.epochs), fresh_position(data.num_classes)};
    t.group = &group;
    if (cfg.resume)
        restore_position(t, saved_meta);
    else if (group.leader())
        start_run_log(run);
    // The same starting weights everywhere (they are already: one seed), and after a resume.
    dist::broadcast_state(group, *model.net);
    if (cfg.ema) dist::broadcast_state(group, *model.ema);

    StopSignals stop_signals;
    while (t.pos.epoch < cfg.epochs && !patience_exhausted(cfg, t.pos)) {
        const std::vector<int64_t> order = t.order_of(t.pos.epoch);
        EpochClock clock;
        clock.seconds_before = t.pos.epoch_seconds;
        clock.train_seconds_before = t.pos.train_seconds;
        if (!train_one_epoch(t, order, clock)) return 130;
        const int64_t finished_epoch = t.pos.epoch + 1;
        end_of_epoch(t, clock);
        if (patience_exhausted(cfg, t.pos)) {
            std::printf("early stop: validation macro-F1 did not improve for %lld epochs\n",
                        static_cast<long long>(cfg.patience));
            break;
        }
        if (dist::any(group, StopSignals::requested())) {
            std::printf("interrupted: saved %s after epoch %lld; continue with --resume\n", run.last.string().c_str(),
                        static_cast<long long>(finished_epoch));
            return 130;
        }
    }
    final_report(t);
    return 0;
}

}  // namespace alzscan
