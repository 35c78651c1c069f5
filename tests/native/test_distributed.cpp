// Training on several processes (native/distributed/), on CPU over loopback Gloo:
//   - shard(): each rank's part of a batch is disjoint from the others' and together they cover it;
//   - two ranks with --sync-bn end with the weights of one process that trains on the combined batch
//     (within 1e-5), and --nproc 2 equals two ranks started with torchrun's environment;
//   - a rank killed mid-run: the others stop within the timeout, the launcher names it; --resume from
//     rank 0's last.pt ends with the numbers of an uninterrupted run;
//   - Ctrl-C (SIGINT) on the launcher stops every rank and leaves a last.pt that one process resumes.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "distributed/distributed.h"
#include "distributed/launcher.h"
#include "models/batch_norm.h"
#include "models/checkpoint.h"
#include "models/model_zoo.h"
#include "spawn_alzscan.h"
#include "test_trainer_fixtures.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace trainer_test;

namespace {

fs::path g_root;

pid_t spawn(const std::vector<std::string>& args, const fs::path& log, const std::vector<std::string>& env = {}) {
    return spawn_alzscan(args, log, env);
}

int wait_rc(pid_t pid) { return wait_exit_code(pid); }

// The train arguments of every run here: no augmentation, dropout or MixUp (each rank draws those
// for its own share), BatchNorm synchronised.
std::vector<std::string> train_args(const fs::path& out, int epochs = 2) {
    return {"train", "--data", (g_root / "data").string(), "--image-size", "32", "--epochs", std::to_string(epochs),
            "--batch-size", "40", "--val-fraction", "0.2", "--val-mode", "random", "--sync-bn", "--opt", "sgd", "--lr", "0.01",
            "--seed", "5", "--threads", "1", "--quiet", "--dist-timeout", "20", "--out", out.string()};
}

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& more) {
    a.insert(a.end(), more.begin(), more.end());
    return a;
}

double max_weight_difference(const fs::path& a, const fs::path& b) {
    alzscan::LoadedModel x = alzscan::load_model(a.string()), y = alzscan::load_model(b.string());
    double worst = 0;
    auto py = y.net->named_parameters();
    for (const auto& p : x.net->named_parameters()) {
        const double d = (p.value() - py[p.key()]).abs().max().item<double>();
        worst = std::max(worst, d);
    }
    auto by = y.net->named_buffers();
    for (const auto& p : x.net->named_buffers())
        if (p.value().is_floating_point()) worst = std::max(worst, (p.value() - by[p.key()]).abs().max().item<double>());
    return worst;
}

// metrics.jsonl's numbers without wall-clock fields, flattened to "path=value" pairs.
std::map<std::string, double> metric_numbers(const fs::path& run) {
    std::map<std::string, double> out;
    std::istringstream in(read_text(run / "metrics.jsonl"));
    int line_no = 0;
    std::function<void(const json&, const std::string&)> walk = [&](const json& j, const std::string& at) {
        if (j.is_object())
            for (auto it = j.begin(); it != j.end(); ++it) {
                if (it.key() == "seconds" || it.key() == "images_per_second") continue;
                walk(it.value(), at + "/" + it.key());
            }
        else if (j.is_array())
            for (size_t i = 0; i < j.size(); ++i) walk(j[i], at + "/" + std::to_string(i));
        else if (j.is_number())
            out[at] = j.get<double>();
    };
    for (std::string l; std::getline(in, l);) walk(json::parse(l), std::to_string(line_no++));
    return out;
}

void expect_same_numbers(const fs::path& a, const fs::path& b, double tol) {
    const auto x = metric_numbers(a), y = metric_numbers(b);
    ASSERT_EQ(x.size(), y.size());
    for (const auto& [k, v] : x) EXPECT_NEAR(v, y.at(k), tol) << k;
}

class Distributed : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        g_root = make_temp_dir("dist");
        write_synthetic_dataset(g_root / "data", {{"train", 20}, {"test", 4}}, 32);
        ASSERT_EQ(wait_rc(spawn(train_args(g_root / "single"), g_root / "single.log")), 0) << read_text(g_root / "single.log");
        ASSERT_EQ(wait_rc(spawn(with(train_args(g_root / "nproc2"), {"--nproc", "2"}), g_root / "nproc2.log")), 0)
            << read_text(g_root / "nproc2.log");
    }
    static void TearDownTestSuite() { fs::remove_all(g_root); }
};

}  // namespace

TEST(DistributedShard, RanksTakeDisjointPartsThatCoverTheBatch) {
    for (int world : {1, 2, 3, 5})
        for (int64_t n : {0, 1, 7, 16, 17}) {
            int64_t next = 100, smallest = n, largest = 0;
            for (int r = 0; r < world; ++r) {
                const auto [b, e] = alzscan::dist::shard(100, 100 + n, r, world);
                EXPECT_EQ(b, next) << "world " << world << " n " << n << " rank " << r;   // in order, no gap, no overlap
                next = e;
                smallest = std::min(smallest, e - b);
                largest = std::max(largest, e - b);
            }
            EXPECT_EQ(next, 100 + n);
            EXPECT_LE(largest - smallest, 1);
        }
}

TEST_F(Distributed, TwoRanksEqualOneProcessOnTheCombinedBatch) {
    EXPECT_LE(max_weight_difference(g_root / "single" / "last.pt", g_root / "nproc2" / "last.pt"), 1e-5);
    expect_same_numbers(g_root / "single", g_root / "nproc2", 1e-5);
    // Only rank 0 wrote the run directory.
    EXPECT_TRUE(fs::exists(g_root / "nproc2" / "best.pt"));
    EXPECT_EQ(json::parse(read_text(g_root / "nproc2" / "config.json"))["train"]["nproc"], 2);
}

TEST_F(Distributed, TorchrunEnvironmentEqualsNproc) {
    const int port = alzscan::dist::free_local_port();
    std::vector<pid_t> pids;
    for (int r = 0; r < 2; ++r)
        pids.push_back(spawn(train_args(g_root / "torchrun"), g_root / ("torchrun" + std::to_string(r) + ".log"),
                             {"RANK=" + std::to_string(r), "WORLD_SIZE=2", "LOCAL_RANK=" + std::to_string(r),
                              "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + std::to_string(port)}));
    for (int r = 0; r < 2; ++r) ASSERT_EQ(wait_rc(pids[r]), 0) << read_text(g_root / ("torchrun" + std::to_string(r) + ".log"));
    EXPECT_LE(max_weight_difference(g_root / "torchrun" / "last.pt", g_root / "nproc2" / "last.pt"), 1e-7);
}

// RANK=1's pid among the launcher's children (/proc/PID/environ).
pid_t rank_pid(pid_t launcher, int rank) {
    for (const auto& e : fs::directory_iterator("/proc")) {
        const std::string name = e.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::istringstream stat(read_text(e.path() / "stat"));
        std::string pid, comm, state, ppid;
        stat >> pid >> comm >> state >> ppid;
        if (std::stoi(ppid) != launcher) continue;
        const std::string env = read_text(e.path() / "environ");   // KEY=VALUE entries, NUL-separated
        std::istringstream entries(env);
        for (std::string entry; std::getline(entries, entry, '\0');)
            if (entry == "RANK=" + std::to_string(rank)) return std::stoi(name);
    }
    return -1;
}

// Waits until `file` has at least `lines` lines (or the timeout passes).
bool wait_lines(const fs::path& file, int lines, std::chrono::seconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
        const std::string t = read_text(file);
        if (std::count(t.begin(), t.end(), '\n') >= lines) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

TEST_F(Distributed, AKilledRankStopsTheOthersAndTheRunResumes) {
    const fs::path out = g_root / "killed";
    const pid_t launcher = spawn(with(train_args(out, 40), {"--nproc", "2"}), g_root / "killed.log");
    ASSERT_TRUE(wait_lines(out / "metrics.jsonl", 2, std::chrono::seconds(60))) << read_text(g_root / "killed.log");
    const pid_t victim = rank_pid(launcher, 1);
    ASSERT_GT(victim, 0) << "rank 1 not found among the launcher's children";
    const auto t0 = std::chrono::steady_clock::now();
    kill(victim, SIGKILL);
    const int rc = wait_rc(launcher);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::string log = read_text(g_root / "killed.log");
    EXPECT_NE(rc, 0) << log;
    EXPECT_LT(seconds, 20 + 10) << "the other rank did not stop within --dist-timeout 20 s (+10)";
    EXPECT_NE(log.find("rank 1 was killed by signal 9"), std::string::npos) << log;
    ASSERT_TRUE(fs::exists(out / "last.pt"));

    // Resume from the epoch last.pt holds and compare with a run that was never interrupted (the same
    // two ranks: the same arithmetic; another world size resumes too, equal up to the rounding that
    // another --threads also changes).
    ASSERT_EQ(wait_rc(spawn(with(train_args(out, 40), {"--resume", "--nproc", "2"}), g_root / "resumed.log")), 0)
        << read_text(g_root / "resumed.log");
    ASSERT_EQ(wait_rc(spawn(with(train_args(g_root / "whole", 40), {"--nproc", "2"}), g_root / "whole.log")), 0)
        << read_text(g_root / "whole.log");
    expect_same_numbers(out, g_root / "whole", 1e-9);
}

// Without the launcher (torchrun's environment), the surviving rank names the one it lost.
TEST_F(Distributed, WithoutTheLauncherTheSurvivorNamesTheLostRank) {
    const int port = alzscan::dist::free_local_port();
    const fs::path out = g_root / "lost";
    std::vector<pid_t> pids;
    for (int r = 0; r < 2; ++r)
        pids.push_back(spawn(train_args(out, 40), g_root / ("lost" + std::to_string(r) + ".log"),
                             {"RANK=" + std::to_string(r), "WORLD_SIZE=2", "LOCAL_RANK=" + std::to_string(r),
                              "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + std::to_string(port)}));
    ASSERT_TRUE(wait_lines(out / "metrics.jsonl", 1, std::chrono::seconds(60))) << read_text(g_root / "lost0.log");
    const auto t0 = std::chrono::steady_clock::now();
    kill(pids[1], SIGKILL);
    EXPECT_NE(wait_rc(pids[0]), 0);
    wait_rc(pids[1]);
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 20 + 10);
    const std::string log = read_text(g_root / "lost0.log");
    EXPECT_NE(log.find("rank 0 of 2:"), std::string::npos) << log;
    EXPECT_NE(log.find("rank 1 stopped or hung"), std::string::npos) << log;
}

TEST_F(Distributed, CtrlCOnTheLauncherStopsEveryRankResumably) {
    const fs::path out = g_root / "interrupted";
    const pid_t launcher = spawn(with(train_args(out, 40), {"--nproc", "2"}), g_root / "interrupted.log");
    ASSERT_TRUE(wait_lines(out / "metrics.jsonl", 1, std::chrono::seconds(60))) << read_text(g_root / "interrupted.log");
    kill(launcher, SIGINT);
    EXPECT_EQ(wait_rc(launcher), 130) << read_text(g_root / "interrupted.log");
    ASSERT_TRUE(fs::exists(out / "last.pt"));
    // Resumed by one process: another number of ranks continues the same run.
    ASSERT_EQ(wait_rc(spawn(with(train_args(out, 40), {"--resume"}), g_root / "interrupted2.log")), 0)
        << read_text(g_root / "interrupted2.log");
    EXPECT_NE(read_text(g_root / "interrupted2.log").find("resuming"), std::string::npos);
    EXPECT_TRUE(fs::exists(out / "best.pt"));
    const std::string metrics = read_text(out / "metrics.jsonl");
    EXPECT_EQ(std::count(metrics.begin(), metrics.end(), '\n'), 41);   // 40 epoch lines and the final one
}

// In one process (the sync function the identity) batch_norm() computes what BatchNorm2d does:
// output, input and parameter gradients, running statistics.
TEST(DistributedBatchNorm, OneProcessEqualsBatchNorm2d) {
    torch::manual_seed(3);
    auto a = torch::nn::BatchNorm2d(5), b = torch::nn::BatchNorm2d(5);
    {
        torch::NoGradGuard g;
        a->weight.uniform_(0.5, 1.5);
        a->bias.uniform_(-0.5, 0.5);
        b->weight.copy_(a->weight);
        b->bias.copy_(a->bias);
    }
    // Channels-last and an in-place ReLU after it, as the model zoo's blocks have them.
    const torch::Tensor x0 = (torch::randn({6, 5, 4, 3}) * 2 + 1).contiguous(torch::MemoryFormat::ChannelsLast);
    const torch::Tensor w = torch::randn({6, 5, 4, 3});
    torch::Tensor xa = x0.clone().requires_grad_(true), xb = x0.clone().requires_grad_(true);
    (a->forward(xa).relu_() * w).sum().backward();
    alzscan::set_batch_norm_sync([](torch::Tensor&) {});
    (alzscan::batch_norm(*b, xb).relu_() * w).sum().backward();
    alzscan::set_batch_norm_sync({});
    EXPECT_LE((xa.grad() - xb.grad()).abs().max().item<double>(), 1e-5);
    EXPECT_LE((a->weight.grad() - b->weight.grad()).abs().max().item<double>(), 1e-5);
    EXPECT_LE((a->bias.grad() - b->bias.grad()).abs().max().item<double>(), 1e-5);
    EXPECT_LE((a->running_mean - b->running_mean).abs().max().item<double>(), 1e-6);
    EXPECT_LE((a->running_var - b->running_var).abs().max().item<double>(), 1e-6);
}

TEST(DistributedBatchNorm, OneProcessSmallNetGradientsEqual) {
    alzscan::ModelConfig cfg;
    torch::manual_seed(1);
    alzscan::Classifier a = alzscan::make_model(cfg);
    torch::manual_seed(1);
    alzscan::Classifier b = alzscan::make_model(cfg);
    a->train();
    b->train();
    const torch::Tensor x = torch::randn({16, 1, 32, 32});
    const torch::Tensor y = torch::randint(0, 4, {16});
    torch::nn::functional::cross_entropy(a->forward(x), y).backward();
    alzscan::set_batch_norm_sync([](torch::Tensor&) {});
    torch::nn::functional::cross_entropy(b->forward(x), y).backward();
    alzscan::set_batch_norm_sync({});
    auto pb = b->named_parameters();
    for (const auto& p : a->named_parameters())
        EXPECT_LE((p.value().grad() - pb[p.key()].grad()).abs().max().item<double>(), 1e-5) << p.key();
}
