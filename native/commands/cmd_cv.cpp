// `alzscan cv --config CFG --out DIR`: cross-validation by person. Trains one run per fold
// (DIR/fold_K, a child `alzscan train` each: finished folds are skipped, an interrupted one
// resumed), scores every image with the model that did not train on its fold, and writes
// DIR/oof.tsv, DIR/cv.json and DIR/summary.md: slice- and person-level out-of-fold numbers with
// 95 % bootstrap intervals over people, baselines computed on the same folds (majority class,
// k nearest neighbours on pixels, a linear model on pixels) and the model-minus-baseline paired
// differences (cv_summary.h).
//
// Folds and people come from one TSV (default DATA/SUBJECTS.tsv: subject_fold, subject); each
// fold's training carves its validation set as whole people of the other folds.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "cli/common_options.h"
#include "alzscan/calibration.h"
#include "alzscan/tissue.h"
#include "commands/child_process.h"
#include "report/report.h"
#include "commands/commands.h"
#include "commands/run_dataset.h"
#include "cv/cv_summary.h"
#include "cv/combined_verdict.h"
#include "cv/tissue_baselines.h"
#include "data/dataset.h"
#include "experiments/ladder.h"
#include "models/checkpoint.h"
#include "rundir/files.h"
#include "train/evaluate.h"
#include "train/train_config.h"

namespace alzscan::cmd {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct CvArgs {
    std::string config, out, data, split_file, split_column, groups, group_column, none_class, rare_class;
    json train_config = json::object();
    std::vector<int> folds;
    int knn = 15;
    int threads = 1;
};

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::vector<int> parse_folds(const std::string& text) {
    std::vector<int> folds;
    std::stringstream ss(text);
    for (std::string item; std::getline(ss, item, ',');) {
        char* end = nullptr;
        const long v = std::strtol(item.c_str(), &end, 10);
        if (item.empty() || *end || v < 0) throw UsageError("--folds " + text + ": expected fold numbers like 0,1,2,3,4");
        folds.push_back(static_cast<int>(v));
    }
    return folds;
}

CvArgs cv_args(const CliArgs& args) {
    CvArgs a;
    a.config = args.get("config");
    a.out = args.get("out");
    a.data = args.get("data");
    a.split_file = args.get("subjects").empty() ? (fs::path(a.data) / "SUBJECTS.tsv").string() : args.get("subjects");
    a.split_column = args.get("fold-column");
    a.groups = a.split_file;
    a.group_column = args.get("group-column");
    a.folds = parse_folds(args.get("folds"));
    a.none_class = args.get("none-class");
    a.rare_class = args.get("rare-class");
    a.knn = static_cast<int>(args.get_int("knn"));
    a.threads = static_cast<int>(args.get_int("threads"));
    if (a.knn < 1 || a.threads < 1) throw UsageError("--knn and --threads must be >= 1");
    std::string text;
    if (!read_text_file(a.config, text)) throw UsageError(a.config + ": cannot read the train config");
    a.train_config = json::parse(text, nullptr, false);
    if (a.train_config.is_discarded() || !a.train_config.is_object())
        throw UsageError(a.config + ": not a JSON object of train options");
    if (!args.get("set").empty()) {
        json overrides = json::parse(args.get("set"), nullptr, false);
        if (overrides.is_discarded() || !overrides.is_object())
            throw UsageError("--set " + args.get("set") + ": expected a JSON object");
        a.train_config.update(overrides);
    }
    return a;
}

std::string fold_dir(const CvArgs& a, int fold) { return (fs::path(a.out) / ("fold_" + std::to_string(fold))).string(); }

// Trains fold `fold` unless it is finished (resumes it when interrupted); throws when it fails.
void train_fold(const CvArgs& a, int fold, const std::string& self) {
    const std::string run_dir = fold_dir(a, fold);
    const experiments::RunState state = experiments::run_state(run_dir);
    std::printf("fold %d: %s\n", fold,
                state == experiments::RunState::kFinished      ? "finished, skipped"
                : state == experiments::RunState::kInterrupted ? "interrupted, resuming"
                                                               : "training");
    if (state == experiments::RunState::kFinished) return;
    json cfg = a.train_config;
    // cv owns these options: the --config file's own spelling of one (test_fold beside cv's test-fold)
    // would otherwise be a second value for it.
    for (const std::string key : {"data", "split-file", "split-column", "test-fold", "groups", "group-column", "out"}) {
        cfg.erase(key);
        cfg.erase(underscore(key));
    }
    cfg.update({{"data", a.data}, {"split-file", a.split_file}, {"split-column", a.split_column}, {"test-fold", fold},
                {"groups", a.groups}, {"group-column", a.group_column}, {"out", run_dir}});
    const std::string config_file = (fs::path(a.out) / "configs" / ("fold_" + std::to_string(fold) + ".json")).string();
    write_file_atomically(config_file, cfg.dump(2) + "\n");
    std::vector<std::string> child = {self, "train", "--config", config_file};
    if (state == experiments::RunState::kInterrupted) child.push_back("--resume");
    std::string line;
    for (const std::string& arg : child) line += (line.empty() ? "" : " ") + shell_quote(arg);
    std::printf("  $ %s\n", line.c_str());
    const int rc = run_child(child);
    if (rc != 0 || experiments::run_state(run_dir) != experiments::RunState::kFinished)
        throw std::runtime_error("fold " + std::to_string(fold) + " (" + run_dir + ") stopped (exit code " +
                                 std::to_string(rc) + "); rerun the same command to resume it");
}

// Pixels averaged to at most 32x32 and scaled to 0..1, one row per image: the baselines' input.
torch::Tensor pixel_features(const torch::Tensor& images) {
    const int64_t side = std::min(images.size(2), images.size(3));
    const int64_t pool = std::max<int64_t>(1, side / 32);
    torch::Tensor x = images.to(torch::kFloat32) / 255.0;
    if (pool > 1) x = torch::avg_pool2d(x, {pool, pool});
    return x.flatten(1);
}

std::vector<OofRow> rows_from(const DatasetSplit& test, int fold, const torch::Tensor& probs) {
    torch::Tensor p = probs.to(torch::kFloat32).contiguous();
    const int64_t C = p.size(1);
    const float* pp = p.data_ptr<float>();
    const int64_t* labels = test.labels.data_ptr<int64_t>();
    std::vector<OofRow> rows;
    for (int64_t i = 0; i < test.size(); ++i)
        rows.push_back({test.paths[i], fold, test.groups[i], static_cast<int>(labels[i]),
                        std::vector<float>(pp + i * C, pp + (i + 1) * C)});
    return rows;
}

// The majority class of train, with probability 1, for every test image.
torch::Tensor majority_probs(const Dataset& ds) {
    const int64_t C = static_cast<int64_t>(ds.class_names.size());
    const auto& counts = ds.train.class_counts;
    const int64_t top = std::max_element(counts.begin(), counts.end()) - counts.begin();
    torch::Tensor p = torch::zeros({ds.test.size(), C});
    p.index_put_({torch::indexing::Slice(), top}, 1.0);
    return p;
}

// The share of each class among the k nearest train images (Euclidean, pixel_features).
torch::Tensor knn_probs(const Dataset& ds, int k) {
    const int64_t C = static_cast<int64_t>(ds.class_names.size());
    torch::Tensor train = pixel_features(ds.train.images), test = pixel_features(ds.test.images);
    torch::Tensor d = (test * test).sum(1, true) - 2 * test.matmul(train.t()) + (train * train).sum(1).unsqueeze(0);
    const int64_t kk = std::min<int64_t>(k, train.size(0));
    torch::Tensor nearest = std::get<1>(d.topk(kk, 1, /*largest=*/false));
    torch::Tensor votes = ds.train.labels.index_select(0, nearest.flatten()).view({-1, kk});
    return torch::one_hot(votes, C).to(torch::kFloat32).mean(1);
}

// Multinomial logistic regression on standardised pixel_features, L2 1e-3, from zero weights
// (deterministic): 300 full-batch Adam steps, learning rate 0.05. Nothing is tuned on test.
torch::Tensor linear_probs(const Dataset& ds) {
    const int64_t C = static_cast<int64_t>(ds.class_names.size());
    torch::Tensor train = pixel_features(ds.train.images), test = pixel_features(ds.test.images);
    const torch::Tensor mean = train.mean(0, true), sd = train.std(0, true, true).clamp_min(1e-3);
    train = (train - mean) / sd;
    test = (test - mean) / sd;
    torch::Tensor w = torch::zeros({train.size(1), C}, torch::requires_grad());
    torch::Tensor b = torch::zeros({C}, torch::requires_grad());
    torch::optim::Adam opt({w, b}, torch::optim::AdamOptions(0.05));
    for (int step = 0; step < 300; ++step) {
        opt.zero_grad();
        torch::Tensor loss = torch::nn::functional::cross_entropy(train.matmul(w) + b, ds.train.labels) +
                             1e-3 * w.pow(2).sum();
        loss.backward();
        opt.step();
    }
    torch::NoGradGuard no_grad;
    return torch::softmax(test.matmul(w) + b, 1);
}

struct FoldScores {
    std::vector<OofRow> model, majority, knn, linear;
    std::vector<OofRow> validation;  // each fold's inner validation people, subject = "fold/subject"
    // The model's rows at the temperature fitted on the fold's validation people (shared/calibration.h,
    // as alzscan calibrate does for a shipped model), and those temperatures in fold order.
    std::vector<OofRow> calibrated;
    std::vector<double> temperatures;
    std::vector<std::string> class_names;
    PersonTissue tissue;   // each test person's tissue means, on the slices their fold's model got
};

// Every slice of split measured (shared/ tissue.h) into its person's means.
void measure_people(const DatasetSplit& split, PersonTissue& people) {
    for (int64_t i = 0; i < split.size(); ++i) people[split.groups[i]].add(measure_tissue(split_image(split, i)));
}

// Fold `fold`'s test images scored by its best.pt and by the baselines fitted on its train part.
void score_fold(const CvArgs& a, int fold, FoldScores& out) {
    const std::string checkpoint = (fs::path(fold_dir(a, fold)) / "best.pt").string();
    LoadedModel model = load_model(checkpoint);
    // The fold's own split and validation carve, as its training recorded them (run_dataset.h); the
    // data from this cv's --data, in case the folder moved.
    DatasetOptions opt = run_dataset_options(fold_dir(a, fold));
    opt.dir = a.data;
    opt.spec = model.spec;
    Dataset ds = load_dataset(opt);
    if (!ds.skipped.empty()) throw std::runtime_error(ds.skipped.front() + " (cv needs every image)");
    if (ds.class_names != model.spec.class_names)
        throw std::runtime_error(checkpoint + ": its classes differ from the dataset's folders");
    out.class_names = ds.class_names;
    EvalResult r = evaluate(model.net, ds.test, model.spec, torch::kCPU, 128);
    const int64_t C = static_cast<int64_t>(ds.class_names.size());
    torch::Tensor probs = torch::from_blob(r.probabilities.data(), {ds.test.size(), C}, torch::kFloat32).clone();
    measure_people(ds.test, out.tissue);
    EvalResult v = evaluate(model.net, ds.val, model.spec, torch::kCPU, 128);
    torch::Tensor vprobs = torch::from_blob(v.probabilities.data(), {ds.val.size(), C}, torch::kFloat32).clone();
    const std::vector<int> val_labels(ds.val.labels.data_ptr<int64_t>(), ds.val.labels.data_ptr<int64_t>() + ds.val.size());
    const double t = fit_temperature(val_labels, log_probabilities(v.probabilities), static_cast<int>(C));
    out.temperatures.push_back(t);
    const std::vector<float> calibrated = softmax_rows(log_probabilities(r.probabilities), static_cast<int>(C), t);
    const torch::Tensor cprobs =
        torch::from_blob(const_cast<float*>(calibrated.data()), {ds.test.size(), C}, torch::kFloat32).clone();
    for (OofRow& row : rows_from(ds.test, fold, cprobs)) out.calibrated.push_back(std::move(row));
    for (OofRow& row : rows_from(ds.val, fold, vprobs)) {
        row.subject = std::to_string(fold) + "/" + row.subject;  // a person may validate several folds
        out.validation.push_back(std::move(row));
    }
    for (auto [rows, p] : {std::pair<std::vector<OofRow>*, torch::Tensor>{&out.model, probs},
                           {&out.majority, majority_probs(ds)}, {&out.knn, knn_probs(ds, a.knn)},
                           {&out.linear, linear_probs(ds)}}) {
        std::vector<OofRow> fold_rows = rows_from(ds.test, fold, p);
        rows->insert(rows->end(), fold_rows.begin(), fold_rows.end());
    }
    std::printf("fold %d: %lld test images scored (%s)\n", fold, static_cast<long long>(ds.test.size()),
                checkpoint.c_str());
}

CvInputs cv_inputs(const CvArgs& a, const std::vector<std::string>& class_names) {
    CvInputs in;
    in.class_names = class_names;
    in.none_class = a.none_class;
    in.rare_class = a.rare_class;
    if (std::find(in.class_names.begin(), in.class_names.end(), in.none_class) == in.class_names.end())
        throw UsageError("--none-class " + in.none_class + " is not a class of " + a.data + " (" +
                         json(in.class_names).dump() + ")");
    return in;
}

// cv.json gains the tissue baselines (tissue_baselines.h) beside the others, and the verdict that
// combines the network with them (combined_verdict.h) when the validation rows are there.
void add_tissue_baselines(json& cv, const std::vector<OofRow>& model, const std::vector<OofRow>& validation,
                          const PersonTissue& people, const CvInputs& in) {
    cv.erase("combined");
    cv.erase("combined_skipped");
    try {
        if (validation.empty()) throw TissueBaselineUnavailable("no inner validation rows (oof_validation.tsv)");
        cv["combined"] = combined_verdict(model, validation, people, in);
    } catch (const TissueBaselineUnavailable& e) {
        cv["combined_skipped"] = e.what();
        std::fprintf(stderr, "alzscan cv: combined verdict skipped: %s\n", e.what());
    }
    const json t = tissue_baselines(model, people, in);
    cv.erase("baselines_skipped");
    cv["baselines"].update(t["baselines"]);
    cv["paired"].update(t["paired"]);
    if (t["skipped"].empty()) return;
    cv["baselines_skipped"] = t["skipped"];
    for (const auto& [name, why] : t["skipped"].items())
        std::fprintf(stderr, "alzscan cv: baseline %s skipped: %s\n", name.c_str(), why.get<std::string>().c_str());
}

json cv_json(const CvArgs& a, const FoldScores& s) {
    const CvInputs in = cv_inputs(a, s.class_names);
    const std::string knn_name = "knn" + std::to_string(a.knn) + "_pixels";
    auto level = [&](const std::vector<OofRow>& rows) {
        return json{{"people", summarise_level(rows, in, Level::people)},
                    {"slices", summarise_level(rows, in, Level::slices)}};
    };
    json model = level(s.model);
    model["per_fold"] = per_fold(s.model, in);
    // Recipes are chosen on this, never on the out-of-fold numbers above.
    model["inner_validation"] = {{"people", summarise_level(s.validation, in, Level::people)}};
    model["calibration"] = calibration_summary(s.model, s.calibrated, in);
    model["calibration"]["temperatures"] = s.temperatures;
    json cv = {{"config", a.config},
            {"train_config", a.train_config},
            {"data", a.data},
            {"split_file", a.split_file},
            {"split_column", a.split_column},
            {"group_column", a.group_column},
            {"folds", a.folds},
            {"classes", s.class_names},
            {"none_class", in.none_class},
            {"rare_class", in.rare_class},
            {"bootstrap", {{"resamples", in.resamples}, {"seed", in.seed}, {"unit", "person"}, {"level", 0.95}}},
            {"model", model},
            {"baselines", {{"majority", level(s.majority)}, {knn_name, level(s.knn)},
                           {"linear_pixels", level(s.linear)}}},
            {"paired", {{"majority", paired_difference(s.model, s.majority, in)},
                        {knn_name, paired_difference(s.model, s.knn, in)},
                        {"linear_pixels", paired_difference(s.model, s.linear, in)}}}};
    add_tissue_baselines(cv, s.model, s.validation, s.tissue, in);
    return cv;
}

// OUT/reliability_{slices,people}.svg: before (gray) and after (blue) calibration, for summary.md
// and the model card.
void write_reliability_diagrams(const json& cv, const std::string& out) {
    const json& c = cv["model"]["calibration"];
    for (const char* level : {"slices", "people"}) {
        const std::string svg = report::render_reliability_diagram(
            {report::reliability_series(c[level]["before"], "before", "#98a2b3"),
             report::reliability_series(c[level]["after"], "after", report::series_color(0))});
        write_file_atomically((fs::path(out) / ("reliability_" + std::string(level) + ".svg")).string(),
                              report::standalone_svg(svg, std::string("Reliability, ") + level +
                                                              " out of fold: gray before, blue after calibration") + "\n");
    }
}

int run_cv(const CvArgs& a) {
    const std::string self = self_path();
    if (self.empty()) throw std::runtime_error("cannot find this binary via /proc/self/exe");
    std::error_code ec;
    fs::create_directories(fs::path(a.out) / "configs", ec);
    if (ec) throw std::runtime_error(a.out + ": cannot create (" + ec.message() + ")");
    const auto start = std::chrono::steady_clock::now();
    for (int fold : a.folds) train_fold(a, fold, self);
    FoldScores scores;
    for (int fold : a.folds) score_fold(a, fold, scores);
    write_file_atomically((fs::path(a.out) / "oof.tsv").string(), oof_tsv(scores.model, scores.class_names));
    // Each fold's inner validation people scored by that fold's model (subject "fold/person"): what a
    // verdict built on the model's outputs is fitted and chosen on.
    write_file_atomically((fs::path(a.out) / "oof_validation.tsv").string(), oof_tsv(scores.validation, scores.class_names));
    const json cv = cv_json(a, scores);
    write_file_atomically((fs::path(a.out) / "cv.json").string(), cv.dump(2) + "\n");
    write_file_atomically((fs::path(a.out) / "summary.md").string(), cv_markdown(cv));
    write_reliability_diagrams(cv, a.out);
    const json& people = cv["model"]["people"];
    std::printf("cv done in %.1f min: %lld people, person-level balanced accuracy %.3f, dementia AUC %.3f -> %s/summary.md\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60,
                static_cast<long long>(people["count"].get<int64_t>()), people["balanced_accuracy"].get<double>(),
                people["dementia_auc"].get<double>(), a.out.c_str());
    return 0;
}

// --from-oof CHECKPOINT: OUT's cv.json and oof.tsv as they are, the tissue baselines measured again
// on every person's slices prepared with CHECKPOINT's input spec; no training, no scoring.
int run_tissue_baselines(const CvArgs& a, const std::string& checkpoint) {
    const fs::path oof = fs::path(a.out) / "oof.tsv", cv_file = fs::path(a.out) / "cv.json";
    std::string oof_text, cv_text;
    if (!read_text_file(oof.string(), oof_text) || !read_text_file(cv_file.string(), cv_text))
        throw UsageError(a.out + ": --from-oof needs its oof.tsv and cv.json (hint: a finished alzscan cv --out)");
    std::vector<std::string> classes, validation_classes;
    const std::vector<OofRow> rows = parse_oof_tsv(oof_text, classes);
    std::string validation_text;   // older cv directories have none: the combined verdict is skipped
    std::vector<OofRow> validation;
    if (read_text_file((fs::path(a.out) / "oof_validation.tsv").string(), validation_text))
        validation = parse_oof_tsv(validation_text, validation_classes);
    json cv = json::parse(cv_text, nullptr, false);
    if (cv.is_discarded() || !cv.contains("baselines")) throw UsageError(cv_file.string() + ": not alzscan cv's cv.json");
    // The data as train_fold names it for the first fold, less the validation carve (no val_fraction):
    // every person is measured, whichever part holds them.
    DatasetOptions opt = dataset_options({{"data", a.data}, {"split_file", a.split_file}, {"split_column", a.split_column},
                                          {"test_fold", a.folds.front()}, {"groups", a.groups},
                                          {"group_column", a.group_column}});
    opt.spec = load_model(checkpoint).spec;
    const Dataset ds = load_dataset(opt);
    if (!ds.skipped.empty()) throw std::runtime_error(ds.skipped.front() + " (cv needs every image)");
    PersonTissue people;
    for (const DatasetSplit* split : {&ds.train, &ds.val, &ds.test}) measure_people(*split, people);
    add_tissue_baselines(cv, rows, validation, people, cv_inputs(a, classes));
    cv["tissue_measured_with"] = checkpoint + ": its input spec prepared the slices the tissue baselines measure";
    write_file_atomically(cv_file.string(), cv.dump(2) + "\n");
    write_file_atomically((fs::path(a.out) / "summary.md").string(), cv_markdown(cv));
    for (const char* name : {"csf_fraction", "tissue_logistic"})
        if (cv["paired"].contains(name))
            std::printf("%s: person-level dementia AUC %.3f, model minus it %+.3f\n", name,
                        cv["baselines"][name]["people"]["dementia_auc"].get<double>(),
                        cv["paired"][name]["dementia_auc"]["difference"].get<double>());
    if (cv.contains("combined"))
        std::printf("combined verdict: %s on inner validation people; out of fold, minus the network: dementia AUC %+.3f, "
                    "balanced accuracy %+.3f\n", cv["combined"]["adopted"].get<bool>() ? "helps" : "does not help",
                    cv["combined"]["paired"]["dementia_auc"]["difference"].get<double>(),
                    cv["combined"]["paired"]["balanced_accuracy"]["difference"].get<double>());
    std::printf("tissue baselines -> %s\n", cv_file.c_str());
    return 0;
}

}  // namespace

int cv(int argc, char** argv) {
    CliArgs args("alzscan cv",
                 "cross-validation by person: train every fold, score each image with the model that did not "
                 "see its person, write OUT/{oof.tsv, cv.json, summary.md} with baselines beside the model");
    args.option("config", "configs/default.json", "train options (JSON) for every fold");
    args.option("out", "", "cv directory: fold_K run directories + oof.tsv, cv.json, summary.md", /*required=*/true);
    args.option(kDataOption.name, kDataOption.default_value, "dataset root (ImageFolder + SUBJECTS.tsv)");
    args.option("subjects", "", "TSV with relative_path, the fold column and the group column (default DATA/SUBJECTS.tsv)");
    args.option("fold-column", "subject_fold", "column of --subjects holding each image's fold number");
    args.option("group-column", "subject", "column of --subjects naming each image's person");
    args.option("folds", "0,1,2,3,4", "the folds to train and score");
    args.option("set", "", "JSON object of train options applied on top of --config, e.g. '{\"epochs\": 1}'");
    args.option("knn", "15", "k of the nearest-neighbour baseline");
    args.option("none-class", "Non_Demented", "the healthy class: dementia vs none, its precision");
    args.option("rare-class", "Moderate_Demented", "the class balanced_accuracy_3 leaves out (too few people)");
    args.option("from-oof", "", "CHECKPOINT: no training or scoring: add the tissue baselines and the combined verdict "
                                "to OUT's cv.json from its oof.tsv (and oof_validation.tsv), measuring the slices as CHECKPOINT's input spec prepares them");
    add_threads_option(args);
    if (int rc = args.parse(argc, argv); rc >= 0) return rc;
    try {
        const CvArgs a = cv_args(args);
        torch::set_num_threads(a.threads);
        if (!args.get("from-oof").empty()) return run_tissue_baselines(a, args.get("from-oof"));
        return run_cv(a);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "alzscan cv: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "alzscan cv: %s\n", e.what());
        return 1;
    }
}

}  // namespace alzscan::cmd
