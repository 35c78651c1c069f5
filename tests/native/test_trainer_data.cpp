// Dataset loading: layout, split files, stratified validation, unreadable images, every data
// error as one line naming the path. Synthetic PNG trees written to a temp dir.
#include <algorithm>
#include <fstream>
#include <random>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "alzscan/preprocess.h"
#include "data/dataset.h"
#include "test_trainer_fixtures.h"

using namespace alzscan;
using namespace trainer_test;

namespace {

DatasetOptions options_for(const fs::path& root) {
    DatasetOptions opt;
    opt.dir = root.string();
    opt.spec.height = opt.spec.width = 16;
    return opt;
}

// Runs load_dataset expecting a DatasetError whose one-line message contains every needle.
void expect_error(const DatasetOptions& opt, const std::vector<std::string>& needles) {
    try {
        load_dataset(opt);
        FAIL() << "load_dataset accepted a bad dataset";
    } catch (const DatasetError& e) {
        std::string msg = e.what();
        EXPECT_EQ(msg.find('\n'), std::string::npos) << "not one line: " << msg;
        for (const std::string& n : needles) EXPECT_NE(msg.find(n), std::string::npos) << "'" << n << "' not in: " << msg;
    }
}

void write_text(const fs::path& p, const std::string& text) {
    std::ofstream f(p, std::ios::binary);
    f << text;
}

}  // namespace

TEST(TrainerData, LoadsFoldersAndDecodesExactlyLikeShared) {
    fs::path root = make_temp_dir("data_load");
    write_synthetic_dataset(root, {{"train", 5}, {"test", 2}}, 32);
    write_text(root / "train" / "alpha" / "notes.txt", "not an image, ignored like torchvision's ImageFolder");
    DatasetOptions opt = options_for(root);
    Dataset ds = load_dataset(opt);
    EXPECT_EQ(ds.class_names, (std::vector<std::string>{"alpha", "beta", "delta", "gamma"}));   // sorted
    EXPECT_EQ(ds.split_kind, "hf");
    EXPECT_EQ(ds.train.size(), 20);
    EXPECT_EQ(ds.test.size(), 8);
    EXPECT_EQ(ds.val.size(), 0);
    EXPECT_EQ(ds.train.class_counts, (std::vector<int64_t>{5, 5, 5, 5}));
    EXPECT_EQ(ds.train.images.sizes(), (std::vector<int64_t>{20, 1, 16, 16}));
    EXPECT_EQ(ds.train.images.dtype(), torch::kUInt8);
    EXPECT_TRUE(ds.skipped.empty());

    // The cached pixels are exactly shared/ prepare_image() of the file's bytes.
    const std::string rel = ds.train.paths[7];
    std::ifstream f(root / rel, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto img = prepare_image(bytes.data(), bytes.size(), opt.spec);
    ASSERT_TRUE(img) << img.error();
    torch::Tensor row = ds.train.images[7].flatten().contiguous();
    EXPECT_TRUE(std::equal(img->pixels.begin(), img->pixels.end(), row.data_ptr<uint8_t>()));
    const std::string folder = fs::path(rel).parent_path().filename().string();
    EXPECT_EQ(ds.class_names[ds.train.labels[7].item<int64_t>()], folder);

    // The digest changes when a file changes size, and only then.
    EXPECT_EQ(ds.digest.size(), 16u);
    EXPECT_EQ(load_dataset(opt).digest, ds.digest);
    write_png(root / "test" / "beta" / "img_000.png", 20, 20, std::vector<uint8_t>(400, 9));
    EXPECT_NE(load_dataset(opt).digest, ds.digest);
    fs::remove_all(root);
}

TEST(TrainerData, Fnv1a64MatchesPublishedVectors) {
    // Test vectors of the FNV reference (isthe.com/chongo/tech/comp/fnv).
    EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
    EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
    EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ULL);
}

TEST(TrainerData, StratifiedSeededValidationComesFromTrainOnly) {
    fs::path root = make_temp_dir("data_val");
    write_synthetic_dataset(root, {{"train", 10}, {"test", 3}}, 16);
    DatasetOptions opt = options_for(root);
    opt.val_fraction = 0.2;
    opt.seed = 3;
    Dataset a = load_dataset(opt);
    EXPECT_EQ(a.val.class_counts, (std::vector<int64_t>{2, 2, 2, 2}));     // round(0.2 * 10) per class
    EXPECT_EQ(a.train.class_counts, (std::vector<int64_t>{8, 8, 8, 8}));
    EXPECT_EQ(a.test.size(), 12);                                           // test untouched
    for (const std::string& p : a.val.paths) EXPECT_EQ(p.rfind("train/", 0), 0u) << p;
    Dataset b = load_dataset(opt);
    EXPECT_EQ(a.val.paths, b.val.paths);                                    // same seed, same split
    opt.seed = 4;
    EXPECT_NE(load_dataset(opt).val.paths, a.val.paths);                    // another seed, another one
    fs::remove_all(root);
}

TEST(TrainerData, GroupedValidationHoldsOutWholePseudoSubjects) {
    // Per class: 10 "subjects" of 3 near-identical slices (gray level 10 + 25 g, noise 0..2);
    // subjects differ by >= 25 gray levels RMSE, slices of one subject by < 3.
    fs::path root = make_temp_dir("data_grouped");
    for (const std::string& c : class_names()) {
        fs::create_directories(root / "train" / c);
        fs::create_directories(root / "test" / c);
        write_png(root / "test" / c / "t.png", 16, 16, std::vector<uint8_t>(256, 128));
        std::mt19937 rng(7);
        for (int g = 0; g < 10; ++g)
            for (int k = 0; k < 3; ++k) {
                std::vector<uint8_t> px(256);
                for (auto& v : px) v = static_cast<uint8_t>(10 + 25 * g + rng() % 3);
                write_png(root / "train" / c / ("s" + std::to_string(g) + "_" + std::to_string(k) + ".png"), 16, 16, px);
            }
    }
    DatasetOptions opt = options_for(root);
    opt.val_fraction = 0.2;   // quota 6 per class = 2 whole subjects
    opt.val_mode = "grouped";
    opt.seed = 5;
    Dataset ds = load_dataset(opt);
    EXPECT_EQ(ds.train_groups, 40);
    EXPECT_EQ(ds.val_random_classes, 0);
    EXPECT_TRUE(ds.val_notes.empty());
    EXPECT_EQ(ds.val.class_counts, (std::vector<int64_t>{6, 6, 6, 6}));
    auto subject = [](const std::string& path) { return path.substr(0, path.rfind('_')); };
    std::set<std::string> val_subjects, train_subjects;
    for (const std::string& p : ds.val.paths) val_subjects.insert(subject(p));
    for (const std::string& p : ds.train.paths) train_subjects.insert(subject(p));
    EXPECT_EQ(val_subjects.size(), 8u);
    for (const std::string& s : val_subjects) EXPECT_EQ(train_subjects.count(s), 0u) << s << " on both sides";
    // Random mode, same data: per-image draws split subjects across train and val.
    opt.val_mode = "random";
    Dataset r = load_dataset(opt);
    std::set<std::string> random_val;
    for (const std::string& p : r.val.paths) random_val.insert(subject(p));
    EXPECT_GT(random_val.size(), 8u);
    fs::remove_all(root);
}

TEST(TrainerData, GroupedValidationOnTinyDataFallsBackToRandomAndSaysSo) {
    // 3 train images per class are at most 3 pseudo-subjects, fewer than the 5 grouped
    // validation needs: the default --val-mode grouped must still load, carve round(0.34 * 3)
    // = 1 image per class at random, and name each class, its counts and the hint.
    // "alpha" keeps 1 image: nothing to hold out, which is said too.
    fs::path root = make_temp_dir("data_grouped_tiny");
    write_synthetic_dataset(root, {{"train", 3}, {"test", 2}}, 16);
    fs::remove(root / "train" / "alpha" / "img_001.png");
    fs::remove(root / "train" / "alpha" / "img_002.png");
    DatasetOptions opt = options_for(root);
    opt.val_fraction = 0.34;
    opt.val_mode = "grouped";
    opt.seed = 2;
    Dataset ds = load_dataset(opt);
    // classes sort as alpha, beta, delta, gamma
    EXPECT_EQ(ds.val.class_counts, (std::vector<int64_t>{0, 1, 1, 1}));
    EXPECT_EQ(ds.train.class_counts, (std::vector<int64_t>{1, 2, 2, 2}));
    EXPECT_EQ(ds.val_random_classes, 3);
    ASSERT_EQ(ds.val_notes.size(), 4u);
    EXPECT_NE(ds.val_notes[0].find("class 'alpha': 1 train image(s), none held out"), std::string::npos) << ds.val_notes[0];
    for (size_t c = 1; c < 4; ++c) {
        const std::string& note = ds.val_notes[c];
        EXPECT_EQ(note.find('\n'), std::string::npos) << note;
        EXPECT_NE(note.find("class '" + ds.class_names[c] + "': 3 train images in "), std::string::npos) << note;
        EXPECT_NE(note.find("1 image(s) held out at random"), std::string::npos) << note;
        EXPECT_NE(note.find("--val-mode random"), std::string::npos) << note;
    }
    // Random mode on the same data: the same draw, and only the 1-image class is worth a note.
    opt.val_mode = "random";
    Dataset r = load_dataset(opt);
    EXPECT_EQ(r.val.paths, ds.val.paths);
    EXPECT_EQ(r.val_random_classes, 0);
    ASSERT_EQ(r.val_notes.size(), 1u);
    EXPECT_EQ(r.val_notes[0], ds.val_notes[0]);
    fs::remove_all(root);
}

TEST(TrainerData, SplitFileReassignsByRelativePath) {
    fs::path root = make_temp_dir("data_splitfile");
    write_synthetic_dataset(root, {{"train", 3}, {"test", 1}}, 16);
    // Move every train/*/img_000 to test and every test image to train; one train image to val.
    std::string tsv = "relative_path\tclass\tmy_split\n";
    for (const std::string& c : class_names()) {
        for (int k = 0; k < 3; ++k)
            tsv += "train/" + c + "/img_00" + std::to_string(k) + ".png\t" + c + "\t" + (k == 0 ? "test" : (k == 1 && c == "alpha" ? "val" : "train")) + "\n";
        tsv += "test/" + c + "/img_000.png\t" + c + "\ttrain\n";
    }
    write_text(root / "split.tsv", tsv);
    DatasetOptions opt = options_for(root);
    opt.split_file = (root / "split.tsv").string();
    opt.split_column = "my_split";
    Dataset ds = load_dataset(opt);
    EXPECT_EQ(ds.split_kind, "custom");
    EXPECT_EQ(ds.test.size(), 4);
    EXPECT_EQ(ds.val.size(), 1);
    EXPECT_EQ(ds.train.size(), 11);
    for (const std::string& p : ds.test.paths) EXPECT_NE(p.find("/img_000.png"), std::string::npos);
    for (const std::string& p : ds.test.paths) EXPECT_EQ(p.rfind("train/", 0), 0u);
    EXPECT_EQ(ds.val.paths, (std::vector<std::string>{"train/alpha/img_001.png"}));
    fs::remove_all(root);
}

TEST(TrainerData, LayoutErrorsNameThePathAndHint) {
    fs::path root = make_temp_dir("data_errors");
    DatasetOptions opt = options_for(root / "nowhere");
    expect_error(opt, {(root / "nowhere").string(), "no such folder", "hint"});

    write_synthetic_dataset(root, {{"train", 2}}, 16);
    opt = options_for(root);
    expect_error(opt, {(root / "test").string(), "no such folder"});

    write_synthetic_dataset(root, {{"test", 1}}, 16);
    fs::create_directories(root / "train" / "empty_class");
    expect_error(opt, {(root / "train" / "empty_class").string(), "empty class folder", "hint"});
    fs::remove_all(root / "train" / "empty_class");

    fs::create_directories(root / "test" / "zeta");
    write_png(root / "test" / "zeta" / "x.png", 8, 8, std::vector<uint8_t>(64, 1));
    expect_error(opt, {(root / "test" / "zeta").string(), "unknown class 'zeta'"});
    fs::remove_all(root / "test" / "zeta");

    EXPECT_NO_THROW(load_dataset(opt));
    fs::remove_all(root);
}

TEST(TrainerData, SplitFileErrors) {
    fs::path root = make_temp_dir("data_split_errors");
    write_synthetic_dataset(root, {{"train", 1}, {"test", 1}}, 16);
    DatasetOptions opt = options_for(root);
    opt.split_file = (root / "s.tsv").string();
    opt.split_column = "split";
    auto all_rows = [&](const std::string& cls_override) {
        std::string t = "relative_path\tclass\tsplit\n";
        for (const std::string& c : class_names())
            for (const char* part : {"train", "test"})
                t += std::string(part) + "/" + c + "/img_000.png\t" + (c == "beta" && !cls_override.empty() ? cls_override : c) + "\t" + part + "\n";
        return t;
    };
    write_text(root / "s.tsv", all_rows(""));
    EXPECT_NO_THROW(load_dataset(opt));

    write_text(root / "s.tsv", all_rows("Omega_Demented"));
    expect_error(opt, {opt.split_file, "unknown class 'Omega_Demented'"});

    write_text(root / "s.tsv", all_rows("") + "train/alpha/missing.png\talpha\ttrain\n");
    expect_error(opt, {opt.split_file, "train/alpha/missing.png", "not an image under"});

    write_text(root / "s.tsv", "relative_path\tclass\tsplit\ntrain/alpha/img_000.png\talpha\ttrain\n");
    expect_error(opt, {opt.split_file, "does not list"});

    write_text(root / "s.tsv", all_rows(""));
    opt.split_column = "nope";
    expect_error(opt, {opt.split_file, "no column 'nope'"});

    opt.split_column = "split";
    std::string bad = all_rows("");
    bad.replace(bad.find("\ttrain\n"), 7, "\tholdout\n");
    write_text(root / "s.tsv", bad);
    expect_error(opt, {"holdout", "not train, val or test"});
    fs::remove_all(root);
}

TEST(TrainerData, CorruptImageSkippedOrFatalWithStrict) {
    fs::path root = make_temp_dir("data_corrupt");
    write_synthetic_dataset(root, {{"train", 3}, {"test", 1}}, 16);
    const fs::path bad = root / "train" / "gamma" / "broken.png";
    write_text(bad, "\x89PNG\r\n\x1a\n truncated");
    DatasetOptions opt = options_for(root);
    Dataset ds = load_dataset(opt);
    ASSERT_EQ(ds.skipped.size(), 1u);
    EXPECT_EQ(ds.skipped[0].rfind(bad.string() + ": ", 0), 0u) << ds.skipped[0];
    EXPECT_EQ(ds.train.size(), 12);   // the 12 good ones
    opt.strict = true;
    expect_error(opt, {bad.string(), "--strict"});
    fs::remove_all(root);
}

namespace {

// A tree with 6 people per class, 3 slices each (train/<class>/img_00k.png: person k / 3),
// and one test image per class; groups.tsv in SUBJECTS.tsv's layout: subject, subject_fold
// (person p of a class is in fold p % 3; the test images are person P<class>5's).
fs::path grouped_tree(const std::string& name) {
    fs::path root = make_temp_dir(name);
    write_synthetic_dataset(root, {{"train", 18}, {"test", 1}}, 16);
    std::string tsv = "relative_path\tclass\tsubject\tsubject_fold\n";
    for (const std::string& c : class_names()) {
        for (int k = 0; k < 18; ++k) {
            char rel[64];
            std::snprintf(rel, sizeof rel, "train/%s/img_%03d.png", c.c_str(), k);
            tsv += std::string(rel) + "\t" + c + "\t" + c + "_P" + std::to_string(k / 3) + "\t" +
                   std::to_string((k / 3) % 3) + "\n";
        }
        tsv += "test/" + c + "/img_000.png\t" + c + "\t" + c + "_P5\t2\n";
    }
    write_text(root / "groups.tsv", tsv);
    return root;
}

std::string person_of(const std::string& rel, const std::string& tsv_text) {
    const size_t at = tsv_text.find(rel + "\t");
    const size_t start = tsv_text.find('\t', at + rel.size() + 1) + 1;
    return tsv_text.substr(start, tsv_text.find('\t', start) - start);
}

}  // namespace

TEST(TrainerData, TestFoldAndGroupsKeepEveryPersonInOnePart) {
    fs::path root = grouped_tree("data_groups");
    std::ifstream in(root / "groups.tsv");
    const std::string tsv((std::istreambuf_iterator<char>(in)), {});
    DatasetOptions opt = options_for(root);
    opt.split_file = opt.groups_file = (root / "groups.tsv").string();
    opt.split_column = "subject_fold";
    opt.group_column = "subject";
    opt.test_fold = 1;
    opt.val_fraction = 0.25;   // of 12 train images per class: quota 3 = one whole person
    opt.seed = 3;
    Dataset ds = load_dataset(opt);
    EXPECT_EQ(ds.split_kind, "fold");
    // Fold 1: persons 1 and 4 of each class (6 images) are test; persons 0, 2, 3 and 5 (12 train
    // images + P5's test-folder image) are train+val. Quota round(0.25 * 13) = 3: one whole
    // person per class goes to val (3 images, or 4 when it is P5).
    EXPECT_EQ(ds.test.class_counts, (std::vector<int64_t>{6, 6, 6, 6}));
    for (size_t c = 0; c < 4; ++c) {
        EXPECT_EQ(ds.val.class_counts[c] + ds.train.class_counts[c], 13) << c;
        EXPECT_TRUE(ds.val.class_counts[c] == 3 || ds.val.class_counts[c] == 4) << c;
    }
    EXPECT_EQ(ds.train_groups, 16);   // 4 train+val persons per class
    std::map<std::string, std::set<std::string>> parts;   // person -> parts it appears in
    for (auto [name, split] : {std::pair<const char*, const DatasetSplit*>{"train", &ds.train},
                               {"val", &ds.val}, {"test", &ds.test}})
        for (const std::string& p : split->paths) parts[person_of(p, tsv)].insert(name);
    EXPECT_EQ(parts.size(), 24u);
    std::map<std::string, int> val_people;   // class -> persons in val
    for (const auto& [person, in_parts] : parts) {
        EXPECT_EQ(in_parts.size(), 1u) << person << " in several parts";
        if (in_parts.count("val")) ++val_people[person.substr(0, person.find('_'))];
    }
    for (const std::string& c : class_names()) EXPECT_EQ(val_people[c], 1) << c;
    fs::remove_all(root);
}

TEST(TrainerData, GroupAndFoldErrorsNameTheProblem) {
    fs::path root = grouped_tree("data_group_errors");
    DatasetOptions opt = options_for(root);
    opt.split_file = opt.groups_file = (root / "groups.tsv").string();
    opt.split_column = "subject_fold";
    opt.test_fold = 0;
    opt.group_column = "person";
    expect_error(opt, {"groups.tsv", "no column 'person'", "has: relative_path, class, subject, subject_fold",
                       "--group-column"});
    opt.group_column = "subject";
    opt.test_fold = 7;
    expect_error(opt, {"no row of column 'subject_fold' is fold 7", "--test-fold"});
    opt.test_fold = -1;
    expect_error(opt, {"split value '0'", "is not train, val or test", "--test-fold"});
    DatasetOptions no_split = options_for(root);
    no_split.test_fold = 0;
    expect_error(no_split, {"--test-fold 0 needs --split-file"});

    std::ifstream in(root / "groups.tsv");
    std::string tsv((std::istreambuf_iterator<char>(in)), {});
    // One slice of person alpha_P0 (fold 0) moved to fold 1: that person spans two folds.
    const std::string row = "train/alpha/img_001.png\talpha\talpha_P0\t0\n";
    std::string spans = tsv;
    spans.replace(spans.find(row), row.size(), "train/alpha/img_001.png\talpha\talpha_P0\t1\n");
    write_text(root / "spans.tsv", spans);
    opt.split_file = opt.groups_file = (root / "spans.tsv").string();
    opt.test_fold = 1;
    expect_error(opt, {"group 'alpha_P0' has images in", "train/alpha/img_001.png", "in one fold"});
    // An image the groups file does not list, and a listed path that is not an image.
    std::string missing = tsv;
    missing.erase(missing.find(row), row.size());
    write_text(root / "missing.tsv", missing);
    opt.split_file = (root / "groups.tsv").string();
    opt.groups_file = (root / "missing.tsv").string();
    expect_error(opt, {"missing.tsv", "no group for train/alpha/img_001.png"});
    write_text(root / "extra.tsv", tsv + "train/alpha/nope.png\talpha\tX\t0\n");
    opt.groups_file = (root / "extra.tsv").string();
    expect_error(opt, {"extra.tsv:", "train/alpha/nope.png is not an image under"});
    fs::remove_all(root);
}

TEST(TrainerData, AClassWithOneGroupLeftHoldsNoneOutAndSaysSo) {
    fs::path root = grouped_tree("data_group_single");
    // Every alpha image is person alpha_P0 (fold 0): with fold 1 as test, alpha has one group.
    std::ifstream in(root / "groups.tsv");
    std::string tsv((std::istreambuf_iterator<char>(in)), {}), one;
    std::istringstream lines(tsv);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("train/alpha/", 0) == 0 || line.rfind("test/alpha/", 0) == 0)
            line = line.substr(0, line.find('\t')) + "\talpha\talpha_P0\t0";
        one += line + "\n";
    }
    write_text(root / "one.tsv", one);
    DatasetOptions opt = options_for(root);
    opt.split_file = opt.groups_file = (root / "one.tsv").string();
    opt.split_column = "subject_fold";
    opt.test_fold = 1;
    opt.val_fraction = 0.25;
    Dataset ds = load_dataset(opt);
    EXPECT_EQ(ds.val.class_counts[0], 0);
    EXPECT_EQ(ds.train.class_counts[0], 19);   // all of alpha: 18 train + the test image, fold 0
    ASSERT_EQ(ds.val_notes.size(), 1u);
    EXPECT_NE(ds.val_notes[0].find("class 'alpha': its 19 train images are one group, none held out"),
              std::string::npos) << ds.val_notes[0];
    fs::remove_all(root);
}
