// The experiment ladder: the nine real configs resolve to what the seed's experiments changed,
// and run directories are classified new / interrupted / finished from their files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "experiments/ladder.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace alzscan::experiments;

namespace {

const json& opt(const LadderStep& s, const char* key) { return s.train_config.at(key); }

}  // namespace

TEST(Ladder, RealConfigsFollowTheSeed) {
    for (const char* profile : {"quick", "full"}) {
        auto steps = load_ladder(ALZSCAN_EXPERIMENT_CONFIGS, profile, "kaggle", "/data");
        ASSERT_TRUE(steps) << steps.error();
        ASSERT_EQ(steps->size(), 9u);
        for (int i = 0; i < 9; ++i) {
            const LadderStep& s = (*steps)[i];
            EXPECT_EQ(s.id, i);
            EXPECT_EQ(s.run_name.substr(0, 2), std::to_string(i) + "_");
            EXPECT_EQ(opt(s, "profile"), profile);
            EXPECT_EQ(opt(s, "experiment")["id"], i);
            EXPECT_TRUE(opt(s, "experiment")["seed_conclusion"].is_string());
            EXPECT_EQ(opt(s, "data"), "/data");
            EXPECT_EQ(opt(s, "split-file"), "/data/KAGGLE_SPLIT.tsv");
            EXPECT_EQ(opt(s, "split-column"), "kaggle_split");
            EXPECT_TRUE(opt(s, "epochs").is_number_integer()) << s.config_path;
            EXPECT_TRUE(opt(s, "image-size").is_number_integer()) << s.config_path;
            EXPECT_FALSE(s.train_config.contains("profiles"));
            EXPECT_FALSE(s.train_config.contains("_comment"));
        }
        const auto& L = *steps;
        // 0: ResNet50 + MLP head, Adam, no augmentation, plain sampling.
        EXPECT_EQ(opt(L[0], "model"), "resnet50");
        EXPECT_EQ(opt(L[0], "head"), "mlp");
        EXPECT_EQ(opt(L[0], "opt"), "adam");
        EXPECT_EQ(opt(L[0], "augment"), false);
        EXPECT_EQ(opt(L[0], "balanced-sampler"), false);
        // 1: + augmentation; 2: + balanced sampling, augmentation kept.
        EXPECT_EQ(opt(L[1], "augment"), true);
        EXPECT_EQ(opt(L[2], "augment"), true);
        EXPECT_EQ(opt(L[2], "balanced-sampler"), true);
        // 3: EfficientNet-B2, first 30 frozen.
        EXPECT_EQ(opt(L[3], "model"), "efficientnet_b2");
        EXPECT_EQ(opt(L[3], "freeze"), 30);
        // 4: advanced head, more epochs.
        EXPECT_EQ(opt(L[4], "head"), "advanced");
        EXPECT_GT(opt(L[4], "epochs").get<int>(), opt(L[3], "epochs").get<int>());
        // 5: no augmentation; 6: + class weights (the seed's frequency formula).
        EXPECT_EQ(opt(L[5], "augment"), false);
        EXPECT_EQ(opt(L[6], "class-weights"), "frequency");
        // 7: SGD on top of 5, without class weights.
        EXPECT_EQ(opt(L[7], "opt"), "sgd");
        EXPECT_EQ(opt(L[7], "class-weights"), "none");
        EXPECT_EQ(opt(L[7], "head"), "advanced");
        // 8: enhanced head, dropout 0.4, SGD, more trainable layers than 3.
        EXPECT_EQ(opt(L[8], "head"), "enhanced");
        EXPECT_DOUBLE_EQ(opt(L[8], "dropout").get<double>(), 0.4);
        EXPECT_EQ(opt(L[8], "opt"), "sgd");
        EXPECT_LT(opt(L[8], "freeze").get<int>(), opt(L[3], "freeze").get<int>());
    }
}

TEST(Ladder, HfSplitAndOverrides) {
    auto steps = load_ladder(ALZSCAN_EXPERIMENT_CONFIGS, "quick", "hf", "d",
                             json{{"epochs", 1}, {"batch_size", 4}});
    ASSERT_TRUE(steps) << steps.error();
    for (const LadderStep& s : *steps) {
        EXPECT_EQ(opt(s, "split-file"), "");
        EXPECT_EQ(opt(s, "epochs"), 1);
        EXPECT_EQ(opt(s, "batch-size"), 4);          // one spelling kept
        EXPECT_FALSE(s.train_config.contains("batch_size"));
    }
}

TEST(Ladder, SubjectsSplitHoldsOutAFoldOfPeople) {
    auto steps = load_ladder(ALZSCAN_EXPERIMENT_CONFIGS, "quick", "subjects", "/data", json::object(), 3);
    ASSERT_TRUE(steps) << steps.error();
    ASSERT_EQ(steps->size(), 9u);
    for (const LadderStep& s : *steps) {
        EXPECT_EQ(opt(s, "split-file"), "/data/SUBJECTS.tsv");
        EXPECT_EQ(opt(s, "split-column"), "subject_fold");
        EXPECT_EQ(opt(s, "test-fold"), 3);
        EXPECT_EQ(opt(s, "groups"), "/data/SUBJECTS.tsv");
        EXPECT_EQ(opt(s, "group-column"), "subject");
    }
    auto bad = load_ladder(ALZSCAN_EXPERIMENT_CONFIGS, "quick", "people", "/data");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().find("expected hf | kaggle | subjects"), std::string::npos) << bad.error();
}

TEST(Ladder, ConfigErrors) {
    TempDir dir;
    dir.write("a.json", R"({"experiment": {"id": 1, "title": "A"}, "epochs": 3, "profiles": {"full": {}}})");
    auto no_profile = load_ladder(dir.path.string(), "quick", "kaggle", "d");
    ASSERT_FALSE(no_profile);
    EXPECT_EQ(no_profile.error(), (dir.path / "a.json").string() + ": no profile \"quick\" (has: full)");

    dir.write("b.json", R"({"experiment": {"id": 1, "title": "B"}, "profiles": {"full": {}}})");
    auto duplicate = load_ladder(dir.path.string(), "full", "kaggle", "d");
    ASSERT_FALSE(duplicate);
    EXPECT_NE(duplicate.error().find("experiment id 1 also used by"), std::string::npos) << duplicate.error();

    dir.write("b.json", R"({"experiment": {"title": "B"}, "profiles": {"full": {}}})");
    auto no_id = load_ladder(dir.path.string(), "full", "kaggle", "d");
    ASSERT_FALSE(no_id);
    EXPECT_NE(no_id.error().find("b.json: needs \"experiment\""), std::string::npos) << no_id.error();

    dir.write("b.json", "{not json");
    auto bad = load_ladder(dir.path.string(), "full", "kaggle", "d");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error(), (dir.path / "b.json").string() + ": not a JSON object");

    auto bad_split = load_ladder(dir.path.string(), "full", "oasis", "d");
    ASSERT_FALSE(bad_split);
    EXPECT_EQ(bad_split.error(), "--split oasis: expected hf | kaggle | subjects");
    auto no_dir = load_ladder("/nonexistent/configs", "full", "hf", "d");
    ASSERT_FALSE(no_dir);
    EXPECT_NE(no_dir.error().find("/nonexistent/configs: no such directory"), std::string::npos);
}

TEST(Ladder, RunStateFromFiles) {
    TempDir dir;
    EXPECT_EQ(run_state((dir.path / "absent").string()), RunState::kNew);
    dir.write("r/metrics.jsonl", "{\"epoch\": 1, \"test\": {}}\n");
    EXPECT_EQ(run_state((dir.path / "r").string()), RunState::kNew);   // nothing to resume from
    dir.write("r/last.pt", "x");
    EXPECT_EQ(run_state((dir.path / "r").string()), RunState::kInterrupted);
    dir.write("r/metrics.jsonl", "{\"epoch\": 1, \"test\": {}}\n{\"final\": true, \"epoch\": 1, \"test\": {}}\n");
    EXPECT_EQ(run_state((dir.path / "r").string()), RunState::kFinished);
}

TEST(Ladder, RunMustMatchSplitAndProfile) {
    TempDir dir;
    EXPECT_EQ(check_run_matches((dir.path / "none").string(), "kaggle", "quick"), "");
    dir.write("r/config.json", R"({"data": {"split": "hf"}, "profile": "quick"})");
    const std::string r = (dir.path / "r").string();
    EXPECT_EQ(check_run_matches(r, "hf", "quick"), "");
    EXPECT_EQ(check_run_matches(r, "kaggle", "quick"),
              r + ": was trained on the hf split, not kaggle (use another --out for each split)");
    EXPECT_EQ(check_run_matches(r, "hf", "full"),
              r + ": was trained with profile quick, not full (use another --out for each profile)");
}
