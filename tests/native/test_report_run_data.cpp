// Loading run directories for `alzscan report`: the fixture runs, and every error a bad run
// directory gives (one line, naming the path and what is missing).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "report/run_data.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using alzscan::report::load_run;
using alzscan::report::parse_metrics_lines;

namespace {

const std::string kFixtures = ALZSCAN_FIXTURES_DIR "/runs";

const char* kConfig = R"({"name": "t", "classes": ["A", "B"], "experiment": null})";
const char* kEpoch1 = R"({"epoch": 1, "train": {"loss": 0.9}, "test": {"accuracy": 0.5, "loss": 1.0}})";
const char* kEpoch2 = R"({"epoch": 2, "train": {"loss": 0.7}, "test": {"accuracy": 0.75, "loss": 0.8}})";

}  // namespace

TEST(ReportRunData, LoadsFinishedFixtureRun) {
    auto run = load_run(kFixtures + "/exp2-balanced");
    ASSERT_TRUE(run) << run.error();
    EXPECT_EQ(run->epochs.size(), 6u);
    EXPECT_TRUE(run->has_final_line);
    EXPECT_EQ(run->final_metrics["epoch"], 4);
    EXPECT_EQ(run->final_metrics["checkpoint"], "best");
    EXPECT_EQ(run->classes.size(), 4u);
    EXPECT_EQ(run->classes[1], "Moderate_Demented");
    EXPECT_EQ(run->experiment_id(), 2);
    EXPECT_EQ(run->label(), "2 · + balanced sampling");
    ASSERT_NE(run->selected_epoch_line(), nullptr);
    EXPECT_EQ((*run->selected_epoch_line())["epoch"], 4);
    // The final line repeats the selected epoch's test metrics (the fixture was written so).
    EXPECT_EQ(run->final_metrics["test"], (*run->selected_epoch_line())["test"]);
}

TEST(ReportRunData, RunWithoutFinalLineUsesLastEpoch) {
    auto run = load_run(kFixtures + "/interrupted-small");
    ASSERT_TRUE(run) << run.error();
    EXPECT_FALSE(run->has_final_line);
    EXPECT_EQ(run->epochs.size(), 5u);
    EXPECT_EQ(run->final_metrics["epoch"], 5);
    EXPECT_EQ(run->final_metrics, run->epochs.back());
    EXPECT_EQ(run->experiment_id(), -1);
    EXPECT_EQ(run->label(), "interrupted-small");   // config "name"
}

TEST(ReportRunData, MissingDirectory) {
    auto run = load_run("/nonexistent/run-xyz");
    ASSERT_FALSE(run);
    EXPECT_EQ(run.error(), "/nonexistent/run-xyz: no such directory");
}

TEST(ReportRunData, MissingMetricsFile) {
    TempDir dir;
    dir.write("config.json", kConfig);
    auto run = load_run(dir.path.string());
    ASSERT_FALSE(run);
    EXPECT_NE(run.error().find((dir.path / "metrics.jsonl").string() + ": missing"), std::string::npos)
        << run.error();
    EXPECT_EQ(run.error().find('\n'), std::string::npos);
}

TEST(ReportRunData, MissingConfigFile) {
    TempDir dir;
    dir.write("metrics.jsonl", std::string(kEpoch1) + "\n");
    auto run = load_run(dir.path.string());
    ASSERT_FALSE(run);
    EXPECT_NE(run.error().find((dir.path / "config.json").string() + ": missing"), std::string::npos)
        << run.error();
}

TEST(ReportRunData, MalformedLineNamesItsLineNumber) {
    TempDir dir;
    dir.write("config.json", kConfig);
    // Line 3 is a truncated write; line 2 is blank (skipped but counted).
    dir.write("metrics.jsonl", std::string(kEpoch1) + "\n\n{\"epoch\": 2, \"train\": {\"lo\n");
    auto run = load_run(dir.path.string());
    ASSERT_FALSE(run);
    const std::string prefix = (dir.path / "metrics.jsonl").string() + ":3: not valid JSON";
    EXPECT_EQ(run.error().rfind(prefix, 0), 0u) << run.error();
    EXPECT_EQ(run.error().find('\n'), std::string::npos);
}

TEST(ReportRunData, LineErrors) {
    auto not_object = parse_metrics_lines(std::string(kEpoch1) + "\n[1, 2]\n", "m.jsonl");
    ASSERT_FALSE(not_object);
    EXPECT_EQ(not_object.error(), "m.jsonl:2: a line must be a JSON object");
    auto no_epoch = parse_metrics_lines(R"({"test": {}})", "m.jsonl");
    ASSERT_FALSE(no_epoch);
    EXPECT_EQ(no_epoch.error(), "m.jsonl:1: epoch line has no integer \"epoch\"");
    auto no_test = parse_metrics_lines(R"({"epoch": 1, "train": {}})", "m.jsonl");
    ASSERT_FALSE(no_test);
    EXPECT_EQ(no_test.error(), "m.jsonl:1: no \"test\" metrics object");
}

TEST(ReportRunData, EmptyMetricsFile) {
    TempDir dir;
    dir.write("config.json", kConfig);
    dir.write("metrics.jsonl", "");
    auto run = load_run(dir.path.string());
    ASSERT_FALSE(run);
    EXPECT_NE(run.error().find("metrics.jsonl: no epoch finished yet"), std::string::npos) << run.error();
}

TEST(ReportRunData, NotADirectory) {
    TempDir dir;
    dir.write("file.txt", "x");
    auto run = load_run((dir.path / "file.txt").string());
    ASSERT_FALSE(run);
    EXPECT_NE(run.error().find("file.txt: not a directory"), std::string::npos) << run.error();
}

TEST(ReportRunData, RepeatedEpochAfterResumeKeepsTheLaterLine) {
    TempDir dir;
    dir.write("config.json", kConfig);
    const char* epoch2_again = R"({"epoch": 2, "train": {"loss": 0.6}, "test": {"accuracy": 0.8, "loss": 0.7}})";
    dir.write("metrics.jsonl", std::string(kEpoch1) + "\n" + kEpoch2 + "\n" + epoch2_again + "\n");
    auto run = load_run(dir.path.string());
    ASSERT_TRUE(run) << run.error();
    ASSERT_EQ(run->epochs.size(), 2u);
    EXPECT_DOUBLE_EQ(run->epochs[1]["test"]["accuracy"].get<double>(), 0.8);
    EXPECT_EQ(run->final_metrics["epoch"], 2);
    EXPECT_EQ(run->classes, (std::vector<std::string>{"A", "B"}));
}
