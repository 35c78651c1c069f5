// The run directory's one reader/writer and the atomic file writer (native/rundir/): hand-written
// files in, exact bytes and values out. Torch-free.
#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "rundir/files.h"
#include "rundir/run_dir.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kLine1 = R"({"epoch":1,"lr":0.001,"test":{"accuracy":0.5,"loss":1.0},"train":{"loss":0.9}})";
const char* kLine2 = R"({"epoch":2,"lr":0.0005,"test":{"accuracy":0.75,"loss":0.8},"train":{"loss":0.7}})";
const char* kLine3 = R"({"epoch":3,"lr":0.0001,"test":{"accuracy":0.7,"loss":0.9},"train":{"loss":0.6}})";
const char* kFinal = R"({"checkpoint":"best","epoch":2,"final":true,"test":{"accuracy":0.75}})";

}  // namespace

TEST(AtomicFile, WritesAndReplacesWithoutLeavingATemporary) {
    TempDir dir;
    const fs::path file = dir.path / "a.json";
    alzscan::write_file_atomically(file, "first\n");
    EXPECT_EQ(dir.read("a.json"), "first\n");
    alzscan::write_file_atomically(file, std::string("second\0bytes", 12));
    EXPECT_EQ(dir.read("a.json"), std::string("second\0bytes", 12));
    EXPECT_FALSE(fs::exists(dir.path / "a.json.tmp"));
}

TEST(AtomicFile, AFailedWriteKeepsTheOldFileAndRemovesTheTemporary) {
    TempDir dir;
    const fs::path file = dir.path / "model.onnx";
    dir.write("model.onnx", "old");
    try {
        alzscan::write_file_atomically(file, [](const alzscan::ByteSink& sink) {
            sink("half of a new file", 18);
            throw std::runtime_error("the producer failed");
        });
        FAIL() << "no error";
    } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find((dir.path / "model.onnx.tmp").string()), std::string::npos) << what;
        EXPECT_NE(what.find("the producer failed"), std::string::npos) << what;
    }
    EXPECT_EQ(dir.read("model.onnx"), "old");
    EXPECT_FALSE(fs::exists(dir.path / "model.onnx.tmp"));
}

TEST(AtomicFile, AMissingFolderIsOneLineNamingThePathAndAHint) {
    TempDir dir;
    const fs::path file = dir.path / "no_such_folder" / "best.pt";
    try {
        alzscan::write_file_atomically(file, "x");
        FAIL() << "no error";
    } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        EXPECT_EQ(what.rfind(file.string() + ".tmp: cannot create", 0), 0u) << what;
        EXPECT_NE(what.find("hint:"), std::string::npos) << what;
        EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
}

TEST(RunDir, SummaryRowIsTheLinesNumbersInHeaderOrder) {
    const json line = json::parse(R"({"epoch": 3, "lr": 0.001, "seconds": 12.5, "train": {"loss": 0.5,
        "accuracy": 0.75, "macro_f1": 0.7}, "val": null, "test": {"loss": 1, "accuracy": 0.5,
        "balanced_accuracy": 0.4, "macro_f1": 0.3}})");
    // epoch, lr, seconds, images_per_second (absent), train x3, val x4 (null), test x4
    EXPECT_EQ(alzscan::summary_row(line), "3,0.001,12.5,,0.5,0.75,0.7,,,,,1,0.5,0.4,0.3");
    EXPECT_EQ(std::string(alzscan::kSummaryHeader).substr(0, 6), "epoch,");
}

TEST(RunDir, LogWrittenByTheTrainerReadsBack) {
    TempDir dir;
    const alzscan::RunDir run(dir.path.string());
    alzscan::start_run_log(run);
    EXPECT_EQ(dir.read("metrics.jsonl"), "");
    EXPECT_EQ(dir.read("summary.csv"), std::string(alzscan::kSummaryHeader) + "\n");
    alzscan::append_epoch_line(run, json::parse(kLine1));
    alzscan::append_epoch_line(run, json::parse(kLine2));
    alzscan::append_final_line(run, json::parse(kFinal));
    EXPECT_EQ(dir.read("metrics.jsonl"), std::string(kLine1) + "\n" + kLine2 + "\n" + kFinal + "\n");
    EXPECT_EQ(dir.read("summary.csv"), std::string(alzscan::kSummaryHeader) + "\n" +
                                           "1,0.001,,,0.9,,,,,,,1,0.5,,\n" + "2,0.0005,,,0.7,,,,,,,0.8,0.75,,\n");
    auto log = alzscan::read_metrics_log(run);
    ASSERT_TRUE(log) << log.error();
    ASSERT_EQ(log->epochs.size(), 2u);
    EXPECT_EQ(log->epochs[1]["lr"], 0.0005);
    EXPECT_EQ(log->final_line["epoch"], 2);
}

TEST(RunDir, ResumeKeepsTheEpochLinesThroughItsEpochByteForByte) {
    TempDir dir;
    // A run killed after logging epoch 3 but before saving last.pt at epoch 2, with a final line
    // and a half-written line at the end.
    dir.write("metrics.jsonl", std::string(kLine1) + "\n" + kLine2 + "\n" + kLine3 + "\n" + kFinal + "\n{\"epoch\": 4, \"tr");
    const alzscan::RunDir run(dir.path.string());
    alzscan::keep_epoch_lines_through(run, 2);
    EXPECT_EQ(dir.read("metrics.jsonl"), std::string(kLine1) + "\n" + kLine2 + "\n");
    EXPECT_EQ(dir.read("summary.csv"), std::string(alzscan::kSummaryHeader) + "\n" +
                                           "1,0.001,,,0.9,,,,,,,1,0.5,,\n" + "2,0.0005,,,0.7,,,,,,,0.8,0.75,,\n");
}

TEST(RunDir, FinalLineIsTheLastOneAndSkipsAHalfWrittenLine) {
    TempDir dir;
    const alzscan::RunDir run(dir.path.string());
    EXPECT_TRUE(alzscan::find_final_line(run).is_null());   // no metrics.jsonl
    dir.write("metrics.jsonl", std::string(kLine1) + "\n" + kFinal + "\n" +
                                   R"({"final": true, "checkpoint": "best", "epoch": 5})" + "\n{\"final\": tr");
    EXPECT_EQ(alzscan::find_final_line(run)["epoch"], 5);
    dir.write("metrics.jsonl", std::string(kLine1) + "\n");
    EXPECT_TRUE(alzscan::find_final_line(run).is_null());
}

TEST(RunDir, ConfigErrorsNameTheFile) {
    TempDir dir;
    const alzscan::RunDir run(dir.path.string());
    auto missing = alzscan::read_run_config(run);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error(), (dir.path / "config.json").string() + ": missing (is " + dir.path.string() +
                                   " a run directory written by `alzscan train`?)");
    dir.write("config.json", "[1, 2]");
    auto not_object = alzscan::read_run_config(run);
    ASSERT_FALSE(not_object);
    EXPECT_EQ(not_object.error(), (dir.path / "config.json").string() + ": not a JSON object");
    alzscan::write_run_config(run, json{{"name", "r"}});
    EXPECT_EQ(dir.read("config.json"), "{\n  \"name\": \"r\"\n}\n");
    EXPECT_EQ(alzscan::read_run_config(run).value()["name"], "r");
}
