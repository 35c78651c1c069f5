// The dataset options a run recorded (see run_dataset.h).
#include "commands/run_dataset.h"

#include <filesystem>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "rundir/files.h"
#include "train/train_config.h"

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
        DatasetOptions opt = dataset_options(train);
        // A run always records its validation carve, so val_fraction is required here (the builder
        // reads its absence as "no carve").
        train.at("val_fraction");
        return opt;
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
}

}  // namespace alzscan::cmd
