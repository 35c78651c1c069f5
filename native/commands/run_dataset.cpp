// The dataset options a run recorded (see run_dataset.h).
#include "commands/run_dataset.h"

#include <filesystem>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "rundir/files.h"

namespace alzscan::cmd {

DatasetOptions run_dataset_options(const std::string& run_dir) {
    const std::string path = (std::filesystem::path(run_dir) / "config.json").string();
    std::string text;
    if (!read_text_file(path, text)) throw std::runtime_error(path + ": cannot read the run's config; hint: --run DIR of `alzscan train`");
    const nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object() || !doc.contains("train") || !doc["train"].is_object())
        throw std::runtime_error(path + ": not an alzscan run config (no \"train\" object)");
    const nlohmann::json& train = doc["train"];
    try {
        DatasetOptions opt;
        opt.dir = train.at("data").get<std::string>();
        opt.split_file = train.value("split_file", "");
        opt.split_column = train.value("split_column", "");
        opt.test_fold = train.value("test_fold", -1);
        opt.groups_file = train.value("groups", "");
        opt.group_column = train.value("group_column", "subject");
        opt.val_fraction = train.at("val_fraction").get<double>();
        opt.val_mode = train.at("val_mode").get<std::string>();
        const uint64_t val_seed = train.at("val_seed").get<uint64_t>();
        opt.seed = val_seed != 0 ? val_seed : train.at("seed").get<uint64_t>();
        return opt;
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
}

}  // namespace alzscan::cmd
