// The real `alzscan` binary as a subprocess: a run killed with SIGKILL (or stopped with SIGTERM)
// mid-run and resumed ends with the same metrics as an uninterrupted run; predict --json and
// eval agree with the run; CLI errors are one line with a non-zero exit.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "alzscan/preprocess.h"
#include "models/checkpoint.h"
#include "data/dataset.h"
#include "data/sampler.h"
#include "spawn_alzscan.h"
#include "test_trainer_fixtures.h"

using namespace trainer_test;
using nlohmann::json;

namespace {

pid_t spawn(const std::vector<std::string>& args, const fs::path& log) { return spawn_alzscan(args, log); }

int wait_status(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

int run(const std::vector<std::string>& args, const fs::path& log) { return wait_exit_code(spawn(args, log)); }

// metrics.jsonl without the wall-clock fields, which legitimately differ between runs.
std::vector<json> metrics_without_timing(const fs::path& run_dir) {
    std::vector<json> out;
    std::istringstream in(read_text(run_dir / "metrics.jsonl"));
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        json j = json::parse(line);
        j.erase("seconds");
        j.erase("images_per_second");
        out.push_back(j);
    }
    return out;
}

void wait_for_file(const fs::path& p, pid_t pid) {
    for (int i = 0; i < 6000 && !fs::exists(p); ++i) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) FAIL() << "alzscan exited before writing " << p;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

// Rewrites last.pt as an older build would have saved it: `order` as the epoch order, and without
// the training options in `options_added_later` (those builds did not know them); every other
// entry unchanged (the optimizer's sub-archive goes through an AdamW, the optimizer the fixture
// trains with).
void rewrite_as_older_build(const fs::path& ckpt, const std::vector<int64_t>& order,
                            const std::vector<std::string>& options_added_later) {
    alzscan::LoadedModel m = alzscan::load_model(ckpt.string());
    torch::serialize::InputArchive in = alzscan::open_checkpoint_archive(ckpt.string());
    torch::serialize::OutputArchive out;
    for (const char* key : {"alzscan_meta", "state_dict", "ema_state_dict", "train_state_dict", "torch_rng"}) {
        c10::IValue v;
        if (!in.try_read(key, v)) continue;
        if (std::string(key) == "alzscan_meta") {
            json meta = json::parse(v.toStringRef());
            for (const std::string& option : options_added_later) {
                EXPECT_TRUE(meta["training"]["options"].contains(option)) << option;
                meta["training"]["options"].erase(option);
            }
            v = c10::IValue(meta.dump());
        }
        out.write(key, v);
    }
    torch::serialize::InputArchive opt_in;
    in.read("optimizer", opt_in);
    torch::optim::AdamW opt(m.net->parameters(), torch::optim::AdamWOptions(1e-3));
    opt.load(opt_in);
    torch::serialize::OutputArchive opt_out;
    opt.save(opt_out);
    out.write("optimizer", opt_out);
    out.write("epoch_order", torch::tensor(order, torch::kInt64));
    alzscan::save_archive_atomically(out, ckpt.string());
}

std::vector<int64_t> saved_epoch_order(const fs::path& ckpt) {
    torch::serialize::InputArchive in = alzscan::open_checkpoint_archive(ckpt.string());
    torch::Tensor t;
    in.read("epoch_order", t);
    t = t.contiguous();
    return std::vector<int64_t>(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
}

class TrainerCli : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        root_ = new fs::path(make_temp_dir("cli"));
        write_synthetic_dataset(*root_ / "data", {{"train", 40}, {"test", 8}}, 32);
        // Every stochastic option on, so resume must restore sampler, augmentation, MixUp/CutMix
        // draws, dropout (mlp head), EMA and optimizer state exactly, and the validation history
        // that --select-window 2 selects on. On the CPU: CUDA kernels are not bit-exact
        // run to run (measured on an H100: two uninterrupted runs already differ at 1e-3 in loss).
        args_ = new std::vector<std::string>{
            "train", "--device", "cpu", "--data", (*root_ / "data").string(), "--image-size", "32", "--epochs", "3",
            "--batch-size", "16", "--val-fraction", "0.2", "--val-mode", "random", "--balanced-sampler", "--augment", "--ema",
            "--ema-decay", "0.9", "--label-smoothing", "0.1", "--class-weights", "inverse", "--head", "mlp",
            "--opt", "adamw", "--lr", "0.003", "--seed", "7", "--select-window", "2", "--mixup-alpha", "0.4",
            "--cutmix-alpha", "1.0", "--quiet"};
        reference_ = new fs::path(*root_ / "reference");
        reference_rc_ = run(with_out(*reference_), *root_ / "reference.log");
    }
    // The reference run as if killed after its last epoch, before the final line was written.
    static void copy_reference_without_final_line(const fs::path& out) {
        fs::copy(*reference_, out, fs::copy_options::recursive);
        std::string text = read_text(out / "metrics.jsonl");
        text.erase(text.rfind("{\"", text.size() - 2));
        std::ofstream(out / "metrics.jsonl", std::ios::trunc) << text;
    }
    // The reference run's data options (train + val only), for loading what it trained on.
    static alzscan::DatasetOptions reference_dataset_options() {
        alzscan::DatasetOptions opt;
        opt.dir = (*root_ / "data").string();
        opt.val_fraction = 0.2;
        opt.val_mode = "random";
        opt.seed = 7;
        opt.spec.height = opt.spec.width = 32;
        opt.load_test = false;
        return opt;
    }
    static void TearDownTestSuite() {
        fs::remove_all(*root_);
        delete root_;
        delete args_;
        delete reference_;
    }
    static std::vector<std::string> with_out(const fs::path& out, bool resume = false) {
        std::vector<std::string> a = *args_;
        a.push_back("--out");
        a.push_back(out.string());
        if (resume) a.push_back("--resume");
        return a;
    }
    void SetUp() override {
        ASSERT_EQ(reference_rc_, 0) << read_text(*root_ / "reference.log");
    }

    static fs::path* root_;
    static std::vector<std::string>* args_;
    static fs::path* reference_;
    static int reference_rc_;
};
fs::path* TrainerCli::root_ = nullptr;
std::vector<std::string>* TrainerCli::args_ = nullptr;
fs::path* TrainerCli::reference_ = nullptr;
int TrainerCli::reference_rc_ = -1;

}  // namespace

TEST_F(TrainerCli, RunDirectoryFollowsTheContract) {
    const fs::path& ref = *reference_;
    for (const char* f : {"config.json", "metrics.jsonl", "summary.csv", "best.pt", "last.pt"})
        EXPECT_TRUE(fs::exists(ref / f)) << f;
    json config = json::parse(read_text(ref / "config.json"));
    EXPECT_EQ(config["name"], "reference");
    EXPECT_EQ(config["model"]["head"], "mlp");
    EXPECT_EQ(config["input"]["height"], 32);
    EXPECT_EQ(config["classes"], json(std::vector<std::string>{"alpha", "beta", "delta", "gamma"}));
    EXPECT_EQ(config["train"]["batch_size"], 16);
    EXPECT_EQ(config["train"]["balanced_sampler"], true);
    EXPECT_EQ(config["data"]["split"], "hf");
    EXPECT_EQ(config["data"]["counts"]["val"]["alpha"], 8);
    EXPECT_EQ(config["data"]["counts"]["train"]["beta"], 32);
    EXPECT_EQ(config["data"]["counts"]["test"]["gamma"], 8);
    EXPECT_EQ(config["data"]["digest"].get<std::string>().size(), 16u);
    EXPECT_TRUE(config["profile"].is_null());

    std::vector<json> lines = metrics_without_timing(ref);
    ASSERT_EQ(lines.size(), 4u);
    for (int e = 0; e < 3; ++e) {
        EXPECT_EQ(lines[e]["epoch"], e + 1);
        EXPECT_EQ(lines[e]["epochs"], 3);
        for (const char* k : {"loss", "accuracy", "macro_f1"}) EXPECT_TRUE(lines[e]["train"][k].is_number()) << k;
        for (const char* part : {"val", "test"})
            for (const char* k : {"loss", "accuracy", "balanced_accuracy", "macro_f1", "ece", "confusion", "per_class"})
                EXPECT_TRUE(lines[e][part].contains(k)) << part << "." << k;
    }
    const json& final_line = lines[3];
    EXPECT_EQ(final_line["final"], true);
    EXPECT_EQ(final_line["checkpoint"], "best");
    // --select-window 2: the selected epoch ends the two-epoch window with the highest mean
    // validation macro-F1 (earliest on ties); epoch 1 ends no full window.
    auto window_mean = [&](int last) {
        return (lines[last - 2]["val"]["macro_f1"].get<double>() + lines[last - 1]["val"]["macro_f1"].get<double>()) / 2;
    };
    const int best = window_mean(3) > window_mean(2) ? 3 : 2;
    EXPECT_EQ(final_line["epoch"], best);
    EXPECT_EQ(final_line["select_window"], 2);
    EXPECT_NEAR(final_line["selection_score"].get<double>(), window_mean(best), 1e-12);
    EXPECT_EQ(config["train"]["select_window"], 2);
    EXPECT_EQ(config["train"]["mixup_alpha"], 0.4);
    EXPECT_EQ(config["train"]["cutmix_alpha"], 1.0);
    EXPECT_EQ(final_line["test"], lines[best - 1]["test"]);
    // The synthetic classes are separable: the model must have learnt something.
    EXPECT_GT(final_line["val"]["accuracy"].get<double>(), 0.5);

    std::string csv = read_text(ref / "summary.csv");
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4);   // header + 3 epochs
}

// The held-out images are listed in config.json (what a second program needs to score the same
// validation set), and --val-seed fixes that set while --seed changes everything else: runs of
// different seeds can then be compared, or ensembled, on one validation set.
TEST_F(TrainerCli, ValidationFilesAreListedAndValSeedFixesThem) {
    auto val_files = [](const fs::path& run_dir) {
        return json::parse(read_text(run_dir / "config.json"))["data"]["val_files"].get<std::vector<std::string>>();
    };
    // Independent expectation: the dataset loader itself with the reference's options (seed 7).
    std::vector<std::string> expected = alzscan::load_dataset(reference_dataset_options()).val.paths;
    std::sort(expected.begin(), expected.end());
    ASSERT_EQ(expected.size(), 32u);   // 8 of 40 per class
    EXPECT_EQ(val_files(*reference_), expected);

    auto one_epoch = [&](const std::string& name, bool fix_val) {
        std::vector<std::string> a = with_out(*root_ / name);
        for (size_t i = 0; i + 1 < a.size(); ++i) {
            if (a[i] == "--epochs") a[i + 1] = "1";
            if (a[i] == "--seed") a[i + 1] = "8";
        }
        if (fix_val) a.insert(a.end(), {"--val-seed", "7"});
        EXPECT_EQ(run(a, *root_ / (name + ".log")), 0) << read_text(*root_ / (name + ".log"));
        return val_files(*root_ / name);
    };
    const std::vector<std::string> other_seed = one_epoch("seed8", false);
    const std::vector<std::string> fixed_val = one_epoch("seed8_val7", true);
    EXPECT_NE(other_seed, expected) << "--seed 8 should carve another validation set";
    EXPECT_EQ(fixed_val, expected);
    EXPECT_EQ(json::parse(read_text(*root_ / "seed8_val7" / "config.json"))["train"]["val_seed"], 7);
}

TEST_F(TrainerCli, SigkillMidRunThenResumeMatchesUninterruptedRun) {
    const fs::path out = *root_ / "killed";
    pid_t pid = spawn(with_out(out), *root_ / "killed.log");
    wait_for_file(out / "last.pt", pid);   // epoch 1 done and saved
    // Into epoch 2 (epochs take ~0.5 s here); short enough that a much faster machine still
    // has epochs 2 and 3 ahead of it.
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    kill(pid, SIGKILL);
    int status = wait_status(pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it could be killed; " << read_text(*root_ / "killed.log");
    EXPECT_LT(metrics_without_timing(out).size(), 4u);

    ASSERT_EQ(run(with_out(out, true), *root_ / "resumed.log"), 0) << read_text(*root_ / "resumed.log");
    EXPECT_NE(read_text(*root_ / "resumed.log").find("resuming"), std::string::npos);
    EXPECT_EQ(metrics_without_timing(out), metrics_without_timing(*reference_));
}

TEST_F(TrainerCli, SigtermFinishesTheStepSavesAndResumesExactly) {
    const fs::path out = *root_ / "stopped";
    pid_t pid = spawn(with_out(out), *root_ / "stopped.log");
    wait_for_file(out / "last.pt", pid);
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    kill(pid, SIGTERM);
    int status = wait_status(pid);
    ASSERT_TRUE(WIFEXITED(status)) << read_text(*root_ / "stopped.log");
    ASSERT_EQ(WEXITSTATUS(status), 130) << read_text(*root_ / "stopped.log");
    EXPECT_NE(read_text(*root_ / "stopped.log").find("interrupted"), std::string::npos);
    EXPECT_FALSE(fs::exists(out / "last.pt.tmp"));
    // last.pt is an ordinary checkpoint too.
    EXPECT_NO_THROW(alzscan::load_model((out / "last.pt").string()));

    ASSERT_EQ(run(with_out(out, true), *root_ / "stopped_resumed.log"), 0) << read_text(*root_ / "stopped_resumed.log");
    EXPECT_EQ(metrics_without_timing(out), metrics_without_timing(*reference_));
}

TEST_F(TrainerCli, ResumingAFinishedRunTrainsNothingAndRewritesTheFinalLine) {
    // Killed after the last epoch's last.pt but before the final line: resume only finishes.
    const fs::path out = *root_ / "finished";
    copy_reference_without_final_line(out);
    const fs::path log = *root_ / "finished.log";
    ASSERT_EQ(run(with_out(out, true), log), 0) << read_text(log);
    EXPECT_EQ(read_text(log).find("epoch 1/"), std::string::npos) << "retrained: " << read_text(log);
    EXPECT_EQ(metrics_without_timing(out), metrics_without_timing(*reference_));
    EXPECT_EQ(read_text(out / "summary.csv"), read_text(*reference_ / "summary.csv"));
}

TEST_F(TrainerCli, ResumingAFinishedRunSavedByAnOlderBuildOnlyWritesTheFinalLine) {
    // Older builds saved, after the last epoch, that epoch's sample order in last.pt instead of
    // the next one's. Such a run killed during the final evaluation (all
    // epochs logged, no final line) must still resume: nothing is left to train, so the order
    // does not matter; the final line and summary.csv come out as in the uninterrupted run.
    // Those builds also lacked --mixup-alpha / --cutmix-alpha: their absence reads as "off", so the
    // resume below passes them off (the reference run mixed; nothing is left to train either way).
    const fs::path out = *root_ / "finished_old_build";
    copy_reference_without_final_line(out);

    // The fixture's training labels, as the trainer loads them (--val-fraction 0.2, random, seed 7).
    alzscan::Dataset ds = alzscan::load_dataset(reference_dataset_options());
    std::vector<int64_t> labels(ds.train.labels.data_ptr<int64_t>(), ds.train.labels.data_ptr<int64_t>() + ds.train.size());
    // This build saves epoch index 3's order (the next one); the older build saved epoch index 2's.
    ASSERT_EQ(saved_epoch_order(out / "last.pt"), alzscan::epoch_order(labels, 4, true, 7, 3));
    const std::vector<int64_t> last_epochs_order = alzscan::epoch_order(labels, 4, true, 7, 2);
    ASSERT_NE(last_epochs_order, alzscan::epoch_order(labels, 4, true, 7, 3));
    rewrite_as_older_build(out / "last.pt", last_epochs_order, {"mixup_alpha", "cutmix_alpha"});
    ASSERT_EQ(saved_epoch_order(out / "last.pt"), last_epochs_order);

    // Asking that run to mix is a different run: refused, naming the option.
    const fs::path refused = *root_ / "finished_old_build_refused.log";
    ASSERT_EQ(run(with_out(out, true), refused), 1) << read_text(refused);
    EXPECT_NE(read_text(refused).find("mixup_alpha=0.4 (run has none)"), std::string::npos) << read_text(refused);
    std::vector<std::string> resume = with_out(out, true);
    for (const std::string flag : {"--mixup-alpha", "--cutmix-alpha"}) {
        auto it = std::find(resume.begin(), resume.end(), flag);
        ASSERT_NE(it, resume.end()) << flag;
        resume.erase(it, it + 2);
    }
    const fs::path log = *root_ / "finished_old_build.log";
    ASSERT_EQ(run(resume, log), 0) << read_text(log);
    const std::string printed = read_text(log);
    EXPECT_NE(printed.find("training ended after epoch 3"), std::string::npos) << printed;
    EXPECT_EQ(printed.find("epoch 1/"), std::string::npos) << "retrained: " << printed;
    EXPECT_NE(printed.find("selected checkpoint"), std::string::npos) << printed;
    EXPECT_EQ(metrics_without_timing(out), metrics_without_timing(*reference_));
    EXPECT_EQ(read_text(out / "summary.csv"), read_text(*reference_ / "summary.csv"));
}

// --patience N: the run ends after the first epoch that closes N epochs in a row without a new best
// validation macro-F1. The expected stop is replayed from metrics.jsonl's own val scores; a learning
// rate of 1e-7 makes the scores stall, so the rule has to fire (checked), and a resume trains nothing.
TEST_F(TrainerCli, PatienceStopsWhenValidationStopsImprovingAndResumeKeepsItStopped) {
    const int epochs = 8, patience = 2;
    const fs::path out = *root_ / "patience";
    const std::vector<std::string> args = {"train", "--device", "cpu", "--data", (*root_ / "data").string(),
                                           "--image-size", "32", "--epochs", std::to_string(epochs), "--batch-size",
                                           "16", "--val-fraction", "0.2", "--val-mode", "random", "--opt", "sgd",
                                           "--momentum", "0", "--weight-decay", "0", "--lr", "1e-7", "--patience",
                                           std::to_string(patience), "--seed", "3", "--quiet", "--out", out.string()};
    ASSERT_EQ(run(args, *root_ / "patience.log"), 0) << read_text(*root_ / "patience.log");
    std::vector<json> lines = metrics_without_timing(out);
    ASSERT_FALSE(lines.empty());
    ASSERT_TRUE(lines.back().value("final", false));
    lines.pop_back();

    double best = -1;
    int since = 0, expected = epochs;
    for (size_t i = 0; i < lines.size(); ++i) {
        const double f1 = lines[i]["val"]["macro_f1"].get<double>();
        if (f1 > best) {
            best = f1;
            since = 0;
        } else if (++since >= patience) {
            expected = static_cast<int>(i) + 1;
            break;
        }
    }
    EXPECT_EQ(static_cast<int>(lines.size()), expected);
    EXPECT_LT(expected, epochs) << "the scores kept improving: the trigger was not exercised";
    EXPECT_NE(read_text(*root_ / "patience.log").find("early stop"), std::string::npos);

    std::vector<std::string> resume = args;
    resume.push_back("--resume");
    ASSERT_EQ(run(resume, *root_ / "patience_resume.log"), 0) << read_text(*root_ / "patience_resume.log");
    std::vector<json> after = metrics_without_timing(out);
    after.pop_back();
    EXPECT_EQ(after.size(), lines.size()) << read_text(*root_ / "patience_resume.log");
}

TEST(TrainerCliTinyData, DefaultGroupedValidationFallsBackToRandomAndLogsIt) {
    // 3 train images per class cannot form the 5 pseudo-subjects grouped validation needs. The
    // default --val-mode grouped still trains; the console, the final report and config.json
    // say per class that validation was carved at random, with the counts and the hint.
    const fs::path root = make_temp_dir("cli_tiny");
    write_synthetic_dataset(root / "data", {{"train", 3}, {"test", 2}}, 16);
    const fs::path log = root / "tiny.log";
    ASSERT_EQ(run({"train", "--data", (root / "data").string(), "--image-size", "16", "--epochs", "1", "--batch-size",
                   "4", "--val-fraction", "0.34", "--quiet", "--out", (root / "run").string()},
                  log),
              0)
        << read_text(log);
    const std::string printed = read_text(log);
    EXPECT_NE(printed.find("val 4 ("), std::string::npos) << printed;
    EXPECT_NE(printed.find("held out: random images (too few pseudo-subjects in every class)"), std::string::npos) << printed;
    for (const std::string& c : class_names())
        EXPECT_NE(printed.find("note: validation: class '" + c + "': 3 train images in "), std::string::npos) << printed;
    EXPECT_NE(printed.find("hint: --val-mode random"), std::string::npos) << printed;
    EXPECT_NE(printed.find("validation (carved from train: random images (too few pseudo-subjects in every class)): 4 images"),
              std::string::npos)
        << printed;
    json config = json::parse(read_text(root / "run" / "config.json"));
    EXPECT_EQ(config["data"]["val_mode"], "grouped");
    EXPECT_EQ(config["data"]["val_random_classes"], 4);
    ASSERT_EQ(config["data"]["val_notes"].size(), 4u);
    EXPECT_NE(config["data"]["val_notes"][0].get<std::string>().find("class 'alpha'"), std::string::npos);
    fs::remove_all(root);
}

TEST_F(TrainerCli, PredictJsonFollowsTheContract) {
    const fs::path ckpt = *reference_ / "best.pt";
    const fs::path img = *root_ / "data" / "test" / "beta" / "img_003.png";
    const fs::path missing = *root_ / "nope.png";
    const fs::path log = *root_ / "predict.log";
    int rc = run({"predict", "--checkpoint", ckpt.string(), "--json", img.string(), missing.string(), img.string()}, log);
    EXPECT_EQ(rc, 1);   // one file failed
    std::istringstream in(read_text(log));
    std::vector<json> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(json::parse(l));
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0]["file"], img.string());
    EXPECT_EQ(lines[1]["file"], missing.string());
    EXPECT_TRUE(lines[1]["error"].is_string());
    EXPECT_EQ(lines[2], lines[0]);

    // Second path: load the checkpoint in-process and run shared/ preprocess_bytes + forward.
    alzscan::LoadedModel m = alzscan::load_model(ckpt.string());
    std::ifstream f(img, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto x = alzscan::preprocess_bytes(bytes.data(), bytes.size(), m.spec);
    ASSERT_TRUE(x);
    torch::NoGradGuard g;
    torch::Tensor p = torch::softmax(m.net->forward(torch::from_blob(const_cast<float*>(x->data()), {1, 1, 32, 32})), 1);
    std::vector<double> probs = lines[0]["probabilities"];
    ASSERT_EQ(probs.size(), 4u);
    double sum = 0;
    for (int c = 0; c < 4; ++c) {
        EXPECT_NEAR(probs[c], p[0][c].item<double>(), 1e-5);
        sum += probs[c];
    }
    EXPECT_NEAR(sum, 1.0, 1e-6);
    const int index = lines[0]["index"];
    EXPECT_EQ(index, p.argmax(1).item<int64_t>());
    EXPECT_EQ(lines[0]["classes"][index], lines[0]["label"]);
}

TEST_F(TrainerCli, PredictReportsEveryHostileFileAndGoesOn) {
    const fs::path ckpt = *reference_ / "best.pt";
    const fs::path img = *root_ / "data" / "test" / "beta" / "img_003.png";
    // A name that is not UTF-8 (Latin-1 "é" + a newline), a directory, a character device, and a
    // sparse 300 MiB file: each one error line; the real image after them still classifies.
    const fs::path odd = *root_ / std::string("caf\xe9\nslice.png");
    fs::copy_file(img, odd, fs::copy_options::overwrite_existing);
    const fs::path huge = *root_ / "huge.png";
    { std::ofstream(huge, std::ios::binary) << "\x89PNG"; }
    fs::resize_file(huge, uint64_t{300} << 20);
    const fs::path log = *root_ / "predict_hostile.log";
    const std::vector<std::string> files = {odd.string(), root_->string(), "/dev/zero", huge.string(), img.string()};
    std::vector<std::string> argv = {"predict", "--checkpoint", ckpt.string(), "--json"};
    argv.insert(argv.end(), files.begin(), files.end());
    EXPECT_EQ(run(argv, log), 1);   // some files failed; no abort (134)
    std::istringstream in(read_text(log));
    std::vector<json> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(json::parse(l));
    ASSERT_EQ(lines.size(), files.size()) << read_text(log);
    EXPECT_TRUE(lines[0].contains("label")) << lines[0];   // the odd name is still a valid image
    EXPECT_NE(lines[0]["file"].get<std::string>().find("\xef\xbf\xbd"), std::string::npos);   // U+FFFD for the 0xE9 byte
    EXPECT_NE(lines[1]["error"].get<std::string>().find("is a directory"), std::string::npos) << lines[1];
    EXPECT_NE(lines[2]["error"].get<std::string>().find("not a regular file"), std::string::npos) << lines[2];
    EXPECT_NE(lines[3]["error"].get<std::string>().find("MiB limit"), std::string::npos) << lines[3];
    EXPECT_EQ(lines[4]["file"], img.string());
    EXPECT_TRUE(lines[4].contains("probabilities")) << lines[4];

    // Text mode: the newline in the name is shown escaped, so one file is one line.
    EXPECT_EQ(run({"predict", "--checkpoint", ckpt.string(), odd.string()}, log), 0);
    const std::string text = read_text(log);
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
    EXPECT_NE(text.find("\\x0a"), std::string::npos) << text;
    fs::remove(odd);
    fs::remove(huge);
}

TEST_F(TrainerCli, EvalReproducesTheRunsTestMetrics) {
    const fs::path out_json = *root_ / "eval.json";
    const fs::path log = *root_ / "eval.log";
    ASSERT_EQ(run({"eval", "--device", "cpu", "--checkpoint", (*reference_ / "best.pt").string(), "--data",
                   (*root_ / "data").string(), "--out", out_json.string()},
                  log),
              0)
        << read_text(log);
    json e = json::parse(read_text(out_json));
    json final_line = metrics_without_timing(*reference_).back();
    EXPECT_EQ(e["test"]["confusion"], final_line["test"]["confusion"]);
    EXPECT_DOUBLE_EQ(e["test"]["macro_f1"].get<double>(), final_line["test"]["macro_f1"].get<double>());
    EXPECT_NEAR(e["test"]["loss"].get<double>(), final_line["test"]["loss"].get<double>(), 1e-9);
    std::string text = read_text(log);
    EXPECT_NE(text.find("confusion"), std::string::npos);
    EXPECT_NE(text.find("alpha"), std::string::npos);
}

TEST_F(TrainerCli, ErrorsAreOneLineWithNonZeroExit) {
    const fs::path log = *root_ / "err.log";
    EXPECT_EQ(run({"train", "--data", (*root_ / "missing").string(), "--out", (*root_ / "e1").string()}, log), 1);
    std::string text = read_text(log);
    EXPECT_NE(text.find((*root_ / "missing").string()), std::string::npos) << text;
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;

    // An existing run is never overwritten without --resume.
    EXPECT_EQ(run(with_out(*reference_), log), 1);
    EXPECT_NE(read_text(log).find("already holds a run"), std::string::npos) << read_text(log);

    // --resume with different options is refused, naming the option.
    std::vector<std::string> changed = with_out(*reference_, true);
    changed.push_back("--lr");
    changed.push_back("0.5");
    EXPECT_EQ(run(changed, log), 1);
    EXPECT_NE(read_text(log).find("lr=0.5"), std::string::npos) << read_text(log);

    EXPECT_EQ(run({"train", "--opt", "lbfgs"}, log), 2);
    EXPECT_NE(read_text(log).find("--opt lbfgs"), std::string::npos) << read_text(log);
}

// alzscan calibrate on the reference run: the temperature is fitted on its validation slices (a
// lower NLL there), the out-of-distribution checks get thresholds, and predict then gives
// softmax(log p / t) of the uncalibrated probabilities (computed here) with the same classes.
TEST_F(TrainerCli, CalibrateFitsOnValidationAndPredictAppliesIt) {
    const fs::path best = *reference_ / "best.pt";
    const fs::path calibrated = *root_ / "calibrated.pt";
    ASSERT_EQ(run({"calibrate", "--checkpoint", best.string(), "--out", calibrated.string()}, *root_ / "calibrate.log"), 0)
        << read_text(*root_ / "calibrate.log");
    const alzscan::LoadedModel m = alzscan::load_model(calibrated.string());
    const json& c = m.meta.at("calibration");
    const double t = c.at("temperature").get<double>();
    EXPECT_GT(t, 0.05);
    EXPECT_LT(t, 20.0);
    EXPECT_LE(c["validation"]["after"]["nll"].get<double>(), c["validation"]["before"]["nll"].get<double>() + 1e-12);
    // Fitted on exactly the run's validation carve.
    const json config = json::parse(read_text(*reference_ / "config.json"));
    EXPECT_EQ(c["validation"]["before"]["count"].get<size_t>(), config["data"]["val_files"].size());
    const json& ood = m.meta.at("ood");
    ASSERT_EQ(ood["checks"].size(), 6u);
    EXPECT_LE(ood["validation_rate"].get<double>(), 0.01 + 1e-12);
    EXPECT_EQ(ood["features"]["class_means"].size(), 4u);

    std::vector<std::string> images;
    for (const auto& cls : {"alpha", "beta", "delta", "gamma"})
        for (const auto& e : fs::directory_iterator(*root_ / "data" / "test" / cls)) images.push_back(e.path().string());
    std::sort(images.begin(), images.end());
    auto predict = [&](const fs::path& ckpt, const char* name) {
        std::vector<std::string> a = {"predict", "--checkpoint", ckpt.string(), "--json"};
        a.insert(a.end(), images.begin(), images.end());
        EXPECT_EQ(run(a, *root_ / name), 0) << read_text(*root_ / name);
        std::istringstream in(read_text(*root_ / name));
        std::vector<json> lines;
        for (std::string l; std::getline(in, l);) lines.push_back(json::parse(l));
        return lines;
    };
    const std::vector<json> before = predict(best, "uncalibrated.log"), after = predict(calibrated, "calibrated.log");
    ASSERT_EQ(before.size(), images.size());
    ASSERT_EQ(after.size(), images.size());
    for (size_t i = 0; i < images.size(); ++i) {
        EXPECT_FALSE(before[i].contains("ood")) << "an uncalibrated checkpoint has no checks";
        ASSERT_TRUE(after[i].contains("ood")) << images[i];
        const std::vector<double> p = before[i]["probabilities"], q = after[i]["probabilities"];
        double norm = 0, sum = 0;
        for (double v : p) norm += std::pow(v, 1 / t);
        size_t argmax_p = 0, argmax_q = 0;
        for (size_t k = 0; k < p.size(); ++k) {
            EXPECT_NEAR(q[k], std::pow(p[k], 1 / t) / norm, 2e-5) << images[i] << " class " << k;
            sum += q[k];
            if (p[k] > p[argmax_p]) argmax_p = k;
            if (q[k] > q[argmax_q]) argmax_q = k;
        }
        EXPECT_NEAR(sum, 1.0, 1e-6);
        EXPECT_EQ(argmax_p, argmax_q) << images[i];
    }
}
