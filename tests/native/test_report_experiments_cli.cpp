// `alzscan experiments` end to end with the real binary and trainer: a two-experiment ladder
// on a tiny synthetic dataset (16x16 PNGs written here), then a rerun that must skip both runs,
// the resume decision for a run without its final line, and the split-mismatch error.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "image_writers.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kClasses[] = {"Mild_Demented", "Moderate_Demented", "Non_Demented", "Very_Mild_Demented"};

// 8-bit gray PNG, a pattern that depends on the class so there is something to learn.
void write_png(const fs::path& path, int cls, int variant) {
    const int w = 16, h = 16;
    alzscan::test::PngImage image{w, h, 8, alzscan::test::PngColor::gray};
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            image.samples.push_back(static_cast<uint16_t>(((x * (cls + 1) + y * 3 + variant * 7) * 13) % 256));
    const std::vector<uint8_t> bytes = alzscan::test::encode_png(image);
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

struct Result {
    int code;
    std::string output;   // stdout + stderr
};

Result run(const std::string& args) {
    std::string cmd = std::string(ALZSCAN_BIN) + " " + args + " 2>&1";
    Result r{-1, ""};
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
    int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

size_t count(const std::string& s, const std::string& what) {
    size_t n = 0;
    for (size_t pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + 1)) ++n;
    return n;
}

}  // namespace

TEST(ExperimentsCli, TinyLadderRunsSkipsAndResumes) {
    fs::path root = fs::temp_directory_path() / ("alzscan_ladder_cli_" + std::to_string(::getpid()));
    fs::remove_all(root);
    for (int c = 0; c < 4; ++c) {
        for (int i = 0; i < 6; ++i) {
            fs::create_directories(root / "data/train" / kClasses[c]);
            write_png(root / "data/train" / kClasses[c] / ("img" + std::to_string(i) + ".png"), c, i);
        }
        for (int i = 0; i < 2; ++i) {
            fs::create_directories(root / "data/test" / kClasses[c]);
            write_png(root / "data/test" / kClasses[c] / ("img" + std::to_string(i) + ".png"), c, 10 + i);
        }
    }
    fs::create_directories(root / "configs");
    std::ofstream(root / "configs/0_plain.json") << R"({"experiment": {"id": 0, "title": "tiny plain"},
        "model": "small", "head": "linear", "image-size": 16, "epochs": 2, "batch-size": 8, "val-mode": "random",
        "profiles": {"quick": {"epochs": 1}, "full": {}}})";
    std::ofstream(root / "configs/1_balanced.json") << R"({"experiment": {"id": 1, "title": "tiny balanced"},
        "model": "small", "head": "linear", "image-size": 16, "epochs": 2, "batch-size": 8, "val-mode": "random",
        "balanced-sampler": true, "profiles": {"quick": {"epochs": 1}, "full": {}}})";
    const std::string base = "experiments " + (root / "configs").string() + " --split hf --profile quick --data " +
                             (root / "data").string() + " --out " + (root / "ladder").string();

    Result first = run(base);
    ASSERT_EQ(first.code, 0) << first.output;
    for (const char* name : {"0_plain", "1_balanced"}) {
        json cfg = json::parse(slurp(root / "ladder" / name / "config.json"));
        EXPECT_EQ(cfg["profile"], "quick") << name;
        EXPECT_EQ(cfg["data"]["split"], "hf") << name;
        EXPECT_EQ(cfg["experiment"]["id"], name[0] == '0' ? 0 : 1) << name;
        EXPECT_NE(slurp(root / "ladder" / name / "metrics.jsonl").find("\"final\":true"), std::string::npos) << name;
    }
    const std::string html = slurp(root / "ladder/report/index.html");
    EXPECT_NE(html.find("0 · tiny plain"), std::string::npos);
    EXPECT_NE(html.find("1 · tiny balanced"), std::string::npos);
    EXPECT_TRUE(fs::exists(root / "ladder/report/summary.md"));

    // Rerun: both finished, nothing retrained.
    const std::string metrics_before = slurp(root / "ladder/0_plain/metrics.jsonl");
    Result again = run(base);
    ASSERT_EQ(again.code, 0) << again.output;
    EXPECT_EQ(count(again.output, "finished, skipped"), 2u) << again.output;
    EXPECT_EQ(slurp(root / "ladder/0_plain/metrics.jsonl"), metrics_before);

    // A run with last.pt but no final line counts as interrupted: the ladder resumes it with
    // --resume. (--dry-run: whether the trainer can resume a run whose epochs all finished is
    // the trainer's business; this checks the ladder's decision and command.)
    std::string lines = slurp(root / "ladder/1_balanced/metrics.jsonl");
    lines.erase(lines.rfind("{\"", lines.size() - 2));
    std::ofstream(root / "ladder/1_balanced/metrics.jsonl", std::ios::trunc) << lines;
    Result resumed = run(base + " --dry-run");
    ASSERT_EQ(resumed.code, 0) << resumed.output;
    EXPECT_NE(resumed.output.find("[1/2] experiment 0 · tiny plain: finished, skipped"), std::string::npos) << resumed.output;
    EXPECT_NE(resumed.output.find("[2/2] experiment 1 · tiny balanced: interrupted, resuming"), std::string::npos)
        << resumed.output;
    EXPECT_NE(resumed.output.find(" train --config " + (root / "ladder/configs/1_balanced.json").string() + " --resume"),
              std::string::npos) << resumed.output;
    EXPECT_EQ(slurp(root / "ladder/1_balanced/metrics.jsonl"), lines);   // dry run: untouched

    // Same ladder directory, other split: refused, nothing touched.
    Result mismatch = run("experiments " + (root / "configs").string() + " --split kaggle --data " +
                          (root / "data").string() + " --out " + (root / "ladder").string());
    EXPECT_EQ(mismatch.code, 1) << mismatch.output;
    EXPECT_NE(mismatch.output.find("was trained on the hf split, not kaggle"), std::string::npos) << mismatch.output;
    fs::remove_all(root);
}

TEST(ExperimentsCli, DryRunListsTheNineSeedExperiments) {
    Result r = run("experiments " + std::string(ALZSCAN_EXPERIMENT_CONFIGS) +
                   " --dry-run --split kaggle --profile quick --out /nonexistent/ladder");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(count(r.output, " train --config /nonexistent/ladder/configs/"), 9u) << r.output;
    EXPECT_NE(r.output.find("[9/9] experiment 8"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists("/nonexistent/ladder"));
}

TEST(ExperimentsCli, BadArguments) {
    Result profile = run("experiments " + std::string(ALZSCAN_EXPERIMENT_CONFIGS) + " --profile medium --out x");
    EXPECT_EQ(profile.code, 2);
    EXPECT_EQ(profile.output, "alzscan experiments: --profile medium: expected quick | full\n");
    Result only = run("experiments " + std::string(ALZSCAN_EXPERIMENT_CONFIGS) + " --only 12 --dry-run --out x");
    EXPECT_EQ(only.code, 2);
    EXPECT_NE(only.output.find("--only: no experiment 12"), std::string::npos) << only.output;
}

// Every resolved config of the real ladder (both profiles) passes `alzscan train`'s option
// checks: with --epochs 0 appended, the only complaint must be about --epochs (unknown keys and
// bad values are reported before it), so nothing trains.
TEST(ExperimentsCli, RealConfigsAreAcceptedByTheTrainer) {
    fs::path dir = fs::temp_directory_path() / ("alzscan_ladder_configs_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    for (const char* profile : {"quick", "full"}) {
        Result r = run("experiments " + std::string(ALZSCAN_EXPERIMENT_CONFIGS) + " --dry-run --split kaggle --profile " +
                       profile + " --out " + (dir / "ladder").string());
        ASSERT_EQ(r.code, 0) << r.output;
        std::istringstream lines(r.output);
        int checked = 0;
        for (std::string line; std::getline(lines, line);) {
            const std::string tag = "  config: ";
            if (line.rfind(tag, 0) != 0) continue;
            fs::path file = dir / (std::string(profile) + std::to_string(checked) + ".json");
            std::ofstream(file) << line.substr(tag.size());
            Result t = run("train --config " + file.string() + " --epochs 0");
            EXPECT_EQ(t.code, 2) << file << ": " << t.output;
            EXPECT_EQ(t.output, "alzscan train: --epochs 0: must be >= 1\n") << profile << " config " << checked;
            ++checked;
        }
        EXPECT_EQ(checked, 9) << r.output;
    }
    fs::remove_all(dir);
}
