// `alzscan cv` end to end on a synthetic tree of 24 people (4 classes x 6, 3 slices each) in 3
// folds by person: every image is scored exactly once, by the fold model that never saw its
// person (its run's test fold, and `alzscan predict` with that fold's best.pt gives the same
// probabilities), no person is in two parts of any fold's run, and cv.json / summary.md hold the
// person-level numbers with the baselines beside them. A rerun skips the finished folds.
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_trainer_fixtures.h"

using namespace trainer_test;
using nlohmann::json;

namespace {

std::string read_text(const fs::path& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

int run(const std::string& args, std::string& output) {
    const std::string cmd = std::string(ALZSCAN_BIN) + " " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    char buf[4096];
    output.clear();
    while (size_t n = fread(buf, 1, sizeof buf, p)) output.append(buf, n);
    const int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::vector<std::vector<std::string>> tsv_rows(const std::string& text) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        std::vector<std::string> cells;
        std::istringstream l(line);
        for (std::string c; std::getline(l, c, '\t');) cells.push_back(c);
        rows.push_back(cells);
    }
    return rows;
}

}  // namespace

TEST(CvCli, EveryImageOnceFromTheModelThatNeverSawItsPerson) {
    const fs::path root = make_temp_dir("cv_cli");
    write_synthetic_dataset(root / "data", {{"train", 18}, {"test", 1}}, 16);
    std::map<std::string, std::pair<std::string, int>> person;   // path -> (subject, fold)
    std::string tsv = "relative_path\tclass\tsubject\tsubject_fold\n";
    for (const std::string& c : class_names()) {
        for (int k = 0; k < 18; ++k) {
            char rel[64];
            std::snprintf(rel, sizeof rel, "train/%s/img_%03d.png", c.c_str(), k);
            person[rel] = {c + "_P" + std::to_string(k / 3), (k / 3) % 3};
        }
        person["test/" + c + "/img_000.png"] = {c + "_P5", 2};
    }
    for (const auto& [rel, pf] : person)
        tsv += rel + "\t" + rel.substr(rel.find('/') + 1, rel.rfind('/') - rel.find('/') - 1) + "\t" + pf.first +
               "\t" + std::to_string(pf.second) + "\n";
    std::ofstream(root / "data" / "SUBJECTS.tsv") << tsv;
    // "test_fold" (the underscore spelling of cv's own test-fold): each fold must still hold out its own.
    std::ofstream(root / "cfg.json") << R"({"image-size": 16, "epochs": 1, "batch-size": 8, "val-fraction": 0.2,
                                           "quiet": true, "device": "cpu", "test_fold": 1})";
    const std::string args = "cv --config " + (root / "cfg.json").string() + " --data " + (root / "data").string() +
                             " --folds 0,1,2 --knn 3 --none-class gamma --rare-class delta --out " + (root / "cv").string();
    std::string out;
    ASSERT_EQ(run(args, out), 0) << out;

    // oof.tsv: every image exactly once, with its own fold and person.
    const auto rows = tsv_rows(read_text(root / "cv" / "oof.tsv"));
    ASSERT_EQ(rows[0], (std::vector<std::string>{"relative_path", "fold", "subject", "class", "p_alpha", "p_beta",
                                                 "p_delta", "p_gamma"}));
    std::set<std::string> seen;
    for (size_t i = 1; i < rows.size(); ++i) {
        const auto& r = rows[i];
        ASSERT_EQ(r.size(), 8u);
        EXPECT_TRUE(seen.insert(r[0]).second) << r[0] << " twice";
        ASSERT_TRUE(person.count(r[0])) << r[0];
        EXPECT_EQ(r[2], person[r[0]].first);
        EXPECT_EQ(std::stoi(r[1]), person[r[0]].second);
    }
    EXPECT_EQ(seen.size(), person.size());

    size_t val_people = 0;   // person-folds: what cv.json's inner validation must hold
    for (int fold = 0; fold < 3; ++fold) {
        const fs::path run_dir = root / "cv" / ("fold_" + std::to_string(fold));
        const json cfg = json::parse(read_text(run_dir / "config.json"));
        EXPECT_EQ(cfg["data"]["test_fold"], fold);
        std::set<std::string> val_persons;
        for (const auto& v : cfg["data"]["val_files"]) val_persons.insert(person[v.get<std::string>()].first);
        val_people += val_persons.size();
        // No person of this fold's test part in its validation (or, by the loader's check, train).
        for (const auto& v : cfg["data"]["val_files"]) EXPECT_NE(person[v.get<std::string>()].second, fold) << v;
        // The fold's rows are its best.pt's predictions: `alzscan predict` on one of them agrees.
        for (size_t i = 1; i < rows.size(); ++i) {
            if (std::stoi(rows[i][1]) != fold) continue;
            std::string printed;
            ASSERT_EQ(run("predict --json --checkpoint " + (run_dir / "best.pt").string() + " " +
                              (root / "data" / rows[i][0]).string(), printed), 0) << printed;
            const json p = json::parse(printed.substr(printed.find('{')));
            for (int c = 0; c < 4; ++c)
                EXPECT_NEAR(p["probabilities"][c].get<double>(), std::stod(rows[i][4 + c]), 2e-6) << rows[i][0];
            break;
        }
    }

    const json cv = json::parse(read_text(root / "cv" / "cv.json"));
    EXPECT_EQ(cv["model"]["people"]["count"], 24);
    EXPECT_EQ(cv["model"]["slices"]["count"], 76);
    // Recipes are chosen on each fold's own validation people, scored by that fold's model.
    ASSERT_GT(val_people, 0u);
    EXPECT_EQ(cv["model"]["inner_validation"]["people"]["count"], val_people);
    // oof_validation.tsv holds those person-folds' slices ("fold/person"), what a combined verdict is fitted on.
    std::set<std::string> val_subjects;
    const auto val_rows = tsv_rows(read_text(root / "cv" / "oof_validation.tsv"));
    for (size_t i = 1; i < val_rows.size(); ++i) {
        EXPECT_EQ(val_rows[i][2].rfind(val_rows[i][1] + "/", 0), 0u) << val_rows[i][2];
        val_subjects.insert(val_rows[i][2]);
    }
    EXPECT_EQ(val_subjects.size(), val_people);
    // 24 people are too few to fit it: it says so.
    EXPECT_NE(cv["combined_skipped"].get<std::string>().find("people a fit needs"), std::string::npos);
    // Calibrated out of fold: one temperature per fold (from its validation people), the same images.
    const json& cal = cv["model"]["calibration"];
    EXPECT_EQ(cal["temperatures"].size(), cv["folds"].size());
    for (const auto& t : cal["temperatures"]) EXPECT_GT(t.get<double>(), 0.0);
    EXPECT_EQ(cal["slices"]["before"]["count"], 76);
    EXPECT_EQ(cal["slices"]["after"]["count"], 76);
    EXPECT_EQ(cal["people"]["after"]["count"], 24);
    for (const char* level : {"slices", "people"}) {   // the reliability diagrams summary.md shows
        const std::string svg = read_text(root / "cv" / ("reliability_" + std::string(level) + ".svg"));
        EXPECT_EQ(svg.rfind("<svg", 0), 0u) << level;
        EXPECT_NE(svg.find("<circle"), std::string::npos) << level;
    }
    EXPECT_TRUE(cv["baselines"].contains("majority"));
    EXPECT_TRUE(cv["baselines"].contains("knn3_pixels"));
    EXPECT_TRUE(cv["baselines"].contains("linear_pixels"));
    EXPECT_TRUE(cv["paired"]["knn3_pixels"]["dementia_auc"].contains("interval"));
    // The tissue baselines: the CSF fraction of every person; 24 people in 4 classes are too few for
    // the logistic regression, which says so.
    EXPECT_TRUE(cv["paired"]["csf_fraction"]["dementia_auc"].contains("interval"));
    EXPECT_FALSE(cv["baselines"].contains("tissue_logistic"));
    EXPECT_NE(cv["baselines_skipped"]["tissue_logistic"].get<std::string>().find("people a fit needs"), std::string::npos);
    const std::string md = read_text(root / "cv" / "summary.md");
    EXPECT_NE(md.find("## People"), std::string::npos) << md;
    EXPECT_NE(md.find("| balanced_accuracy | "), std::string::npos) << md;
    EXPECT_NE(md.find("| csf_fraction | – | "), std::string::npos) << md;   // only its AUC is paired

    // --from-oof measures the baselines again from oof.tsv without training or scoring.
    std::string again;
    ASSERT_EQ(run(args + " --from-oof " + (root / "cv" / "fold_0" / "best.pt").string(), again), 0) << again;
    EXPECT_EQ(again.find("fold "), std::string::npos) << again;
    EXPECT_NE(again.find("csf_fraction: person-level dementia AUC"), std::string::npos) << again;
    const json rescored = json::parse(read_text(root / "cv" / "cv.json"));
    EXPECT_EQ(rescored["model"], cv["model"]);
    EXPECT_TRUE(rescored["baselines"].contains("csf_fraction"));

    // A rerun trains nothing: every fold is finished.
    ASSERT_EQ(run(args, out), 0) << out;
    EXPECT_EQ(out.find("training"), std::string::npos) << out;
    EXPECT_NE(out.find("fold 2: finished, skipped"), std::string::npos) << out;
    fs::remove_all(root);
}
