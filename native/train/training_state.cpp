#include "train/training_state.h"

#include "alzscan/metrics.h"
#include "models/checkpoint.h"

namespace alzscan {

nlohmann::json EpochTally::to_json() const {
    return {{"loss_sum", loss_sum}, {"seen", seen}, {"confusion", confusion}};
}

EpochTally EpochTally::from_json(const nlohmann::json& j) {
    EpochTally t;
    t.loss_sum = j.at("loss_sum");
    t.seen = j.at("seen");
    t.confusion = j.at("confusion").get<std::vector<std::vector<int64_t>>>();
    return t;
}

nlohmann::json EpochTally::metrics_json(int num_classes) const {
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

nlohmann::json TrainPosition::to_json() const {
    return {{"epoch", epoch}, {"step", step}, {"tally", tally.to_json()},
            {"epoch_seconds", epoch_seconds}, {"train_seconds", train_seconds},
            {"best_epoch", best_epoch}, {"best_score", best_score}, {"best_val", best_val},
            {"best_test", best_test}, {"epochs_without_improvement", epochs_without_improvement},
            {"val_scores", val_scores}};
}

TrainPosition TrainPosition::from_json(const nlohmann::json& j) {
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

TrainPosition fresh_position(int num_classes) {
    TrainPosition pos;
    pos.tally.confusion.assign(num_classes, std::vector<int64_t>(num_classes, 0));
    return pos;
}

void advance_to_next_epoch(TrainPosition& pos, int num_classes) {
    pos.epoch += 1;
    pos.step = 0;
    pos.tally = EpochTally{};
    pos.tally.confusion.assign(num_classes, std::vector<int64_t>(num_classes, 0));
    pos.epoch_seconds = pos.train_seconds = 0;
}

bool patience_exhausted(const TrainConfig& cfg, const TrainPosition& pos) {
    return cfg.patience > 0 && pos.epochs_without_improvement >= cfg.patience;
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

void Checkpointer::save(const std::string& path, Classifier& weights, const TrainPosition& pos,
                        const std::vector<int64_t>& order, const nlohmann::json& extra) const {
    nlohmann::json training = {{"options", cfg.resolved}, {"split", split_name}, {"data_digest", data_digest}};
    for (auto it = extra.begin(); it != extra.end(); ++it) training[it.key()] = it.value();
    training["position"] = pos.to_json();
    save_model_checkpoint(path, weights, spec, nlohmann::json{{"training", training}},
                          [&](torch::serialize::OutputArchive& a) {
                              torch::serialize::OutputArchive opt_archive;
                              optimizer.save(opt_archive);
                              a.write("optimizer", opt_archive);
                              if (cfg.ema) a.write("ema_state_dict", c10::IValue(state_dict(*ema)));
                              if (&weights != &net) a.write("train_state_dict", c10::IValue(state_dict(*net)));
                              a.write("epoch_order", torch::tensor(order, torch::kInt64));
                              a.write("torch_rng", at::detail::getDefaultCPUGenerator().get_state());
                          });
}

void Checkpointer::save_last(const TrainPosition& pos, const std::vector<int64_t>& order) const {
    save(run.last.string(), net, pos, order, nlohmann::json::object());
}

void Checkpointer::save_best(const TrainPosition& pos, const std::vector<int64_t>& order,
                             const nlohmann::json& extra) const {
    save(run.best.string(), cfg.ema ? ema : net, pos, order, extra);
}

void Checkpointer::restore_last(torch::Device device, std::vector<int64_t>* order) const {
    torch::serialize::InputArchive archive = open_checkpoint_archive(run.last.string(), device);
    c10::IValue value;
    archive.read("state_dict", value);
    load_state_dict(*net, value.toGenericDict());
    if (cfg.ema) {
        archive.read("ema_state_dict", value);
        load_state_dict(*ema, value.toGenericDict());
    }
    torch::serialize::InputArchive opt_archive;
    archive.read("optimizer", opt_archive);
    optimizer.load(opt_archive);
    if (order) {
        torch::Tensor saved;
        archive.read("epoch_order", saved);
        saved = saved.to(torch::kCPU).contiguous();
        order->assign(saved.data_ptr<int64_t>(), saved.data_ptr<int64_t>() + saved.numel());
    }
}

}  // namespace alzscan
