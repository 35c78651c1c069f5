// `alzscan train` option resolution: defaults < --config file < command-line flags.
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_trainer_fixtures.h"
#include "train/train_config.h"

using namespace alzscan;

namespace {

TrainConfig resolve(std::vector<std::string> argv_strings) {
    argv_strings.insert(argv_strings.begin(), "train");
    std::vector<char*> argv;
    for (std::string& s : argv_strings) argv.push_back(s.data());
    CliArgs args("alzscan train", "test");
    add_train_options(args);
    EXPECT_EQ(args.parse(static_cast<int>(argv.size()), argv.data()), -1);
    return resolve_train_config(args);
}

std::string write_config(const trainer_test::fs::path& dir, const std::string& text) {
    const auto path = dir / "config.json";
    std::ofstream(path) << text;
    return path.string();
}

}  // namespace

TEST(TrainerConfig, DefaultsFileThenFlags) {
    auto dir = trainer_test::make_temp_dir("config");
    TrainConfig d = resolve({});
    EXPECT_EQ(d.model.arch, "small");
    EXPECT_EQ(d.opt, "adamw");
    EXPECT_FALSE(d.augment.enabled);
    EXPECT_EQ(d.val_mode, "grouped");
    EXPECT_TRUE(d.experiment.is_null());

    const std::string file = write_config(dir, R"({"epochs": 7, "batch_size": 16, "augment": true, "aug-rotation": 4,
        "class-weights": "inverse", "profile": "quick", "experiment": {"id": 3, "title": "t"}, "_comment": "x"})");
    TrainConfig c = resolve({"--config", file, "--epochs", "9", "--ema"});
    EXPECT_EQ(c.epochs, 9);              // flag beats file
    EXPECT_EQ(c.batch_size, 16);         // underscore key
    EXPECT_TRUE(c.augment.enabled);      // dashed flag key
    EXPECT_DOUBLE_EQ(c.augment.rotation, 4.0);
    EXPECT_EQ(c.class_weights, "inverse");
    EXPECT_TRUE(c.ema);
    EXPECT_EQ(c.profile, "quick");
    EXPECT_EQ(c.experiment["id"], 3);
    // Every option is recorded, under its underscore name.
    EXPECT_EQ(c.resolved["epochs"], 9);
    EXPECT_EQ(c.resolved["batch_size"], 16);
    EXPECT_EQ(c.resolved["augment"], true);
    EXPECT_EQ(c.resolved["balanced_sampler"], false);
    EXPECT_TRUE(c.resolved.contains("weight_decay"));
    EXPECT_FALSE(c.resolved.contains("batch-size"));
    trainer_test::fs::remove_all(dir);
}

TEST(TrainerConfig, BadValuesAreOneLineErrorsNamingTheKey) {
    auto dir = trainer_test::make_temp_dir("config_bad");
    auto expect_error = [&](const std::vector<std::string>& argv, const std::string& needle) {
        try {
            resolve(argv);
            ADD_FAILURE() << "accepted: " << needle;
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    expect_error({"--config", write_config(dir, R"({"epoch": 3})")}, "unknown option \"epoch\"");
    expect_error({"--config", write_config(dir, R"({"epochs": "ten"})")}, "\"epochs\" = \"ten\": expected an integer");
    expect_error({"--config", write_config(dir, R"({"augment": 1})")}, "expected true or false");
    expect_error({"--config", write_config(dir, R"({"test_fold": 1, "test-fold": 2})")}, "is given twice (with - and with _)");
    expect_error({"--config", write_config(dir, "[1, 2]")}, "must hold a JSON object");
    expect_error({"--config", write_config(dir, "{nope")}, "not valid JSON");
    expect_error({"--config", (dir / "missing.json").string()}, "cannot open --config file");
    expect_error({"--opt", "lbfgs"}, "--opt lbfgs: expected sgd | adam | adamw");
    expect_error({"--epochs", "0"}, "--epochs 0");
    expect_error({"--val-fraction", "0.95"}, "--val-fraction");
    expect_error({"--split-file", "x.tsv"}, "needs --split-column");
    expect_error({"--lr", "abc"}, "--lr abc: expected a number");
    expect_error({"--val-seed", "-1"}, "--val-seed -1: must be >= 0");
    expect_error({"--select-window", "0"}, "--select-window 0: must be >= 1");
    expect_error({"--mixup-alpha", "-0.5"}, "--mixup-alpha -0.5: must be >= 0");
    expect_error({"--cutmix-alpha", "-1"}, "--cutmix-alpha -1.0: must be >= 0");
    trainer_test::fs::remove_all(dir);
}

// The shipped recipes parse, and each says what the docs claim it is: configs/default.json is chosen
// for new people (conformed inputs, augmentation), configs/hf.json for the seed's
// leaky split (a random validation slice like HF-test itself, every training slice fitted).
TEST(TrainerConfig, ShippedRecipesResolveAsDocumented) {
    const std::string configs = std::string(ALZSCAN_SOURCE_DIR) + "/configs/";
    TrainConfig kaggle = resolve({"--config", configs + "default.json"});
    EXPECT_EQ(kaggle.val_mode, "grouped");
    EXPECT_TRUE(kaggle.augment.enabled);
    EXPECT_EQ(kaggle.image_size, 64);
    EXPECT_TRUE(kaggle.balanced_sampler);
    EXPECT_TRUE(kaggle.conform);              // the app's inputs are conformed as its training slices were
    EXPECT_GT(kaggle.augment.gamma, 0.0);     // conform's level map is linear: gamma changes are learnt

    TrainConfig hf = resolve({"--config", configs + "hf.json"});
    EXPECT_EQ(hf.val_mode, "random");
    EXPECT_FALSE(hf.augment.enabled);
    EXPECT_DOUBLE_EQ(hf.label_smoothing, 0.0);
    EXPECT_EQ(hf.split_file, "");   // the data's own folder layout is the HF split
    EXPECT_EQ(hf.model.arch, kaggle.model.arch);
    EXPECT_EQ(hf.image_size, kaggle.image_size);   // one input size for the browser's model contract
}
