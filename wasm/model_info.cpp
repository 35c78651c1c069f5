#include "model_info.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace alzscan::web {
namespace {

using nlohmann::json;

std::string scalar_text(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
    if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
    if (v.is_number_float()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.4g", v.get<double>());
        return buf;
    }
    return {};
}

// The first object found under any of the given paths ("a.b"), or nullptr.
const json* find_object(const json& root, std::initializer_list<const char*> paths) {
    for (const char* path : paths) {
        const json* node = &root;
        std::string p = path;
        size_t start = 0;
        while (node && start <= p.size()) {
            size_t dot = p.find('.', start);
            std::string key = p.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
            node = (node->is_object() && node->contains(key)) ? &(*node)[key] : nullptr;
            if (dot == std::string::npos) break;
            start = dot + 1;
        }
        if (node && node->is_object()) return node;
    }
    return nullptr;
}

std::string find_string(const json& root, std::initializer_list<const char*> paths) {
    for (const char* path : paths) {
        std::string p = path;
        size_t dot = p.rfind('.');
        const json* parent = dot == std::string::npos ? &root : find_object(root, {p.substr(0, dot).c_str()});
        std::string key = dot == std::string::npos ? p : p.substr(dot + 1);
        if (parent && parent->contains(key) && (*parent)[key].is_string()) return (*parent)[key].get<std::string>();
    }
    return {};
}

}  // namespace

Expected<ModelInfo> parse_model_info(const std::string& json_text) {
    json root = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
    if (root.is_discarded()) return make_error("model.json: not valid JSON (re-export the model with `alzscan export`)");
    if (!root.is_object()) return make_error("model.json: top level must be an object");
    if (!root.contains("format") || !root["format"].is_string())
        return make_error(std::string("model.json: missing \"format\" (expected \"") + kModelFormat + "\")");
    const std::string format = root["format"].get<std::string>();
    if (format != kModelFormat)
        return make_error("model.json: format is \"" + format + "\", expected \"" + kModelFormat +
                          "\" (re-export with this version of alzscan)");

    auto spec = parse_preprocess_spec(json_text);
    if (!spec) return make_error(spec.error());

    ModelInfo info;
    info.spec = std::move(spec).value();
    if (info.spec.class_names.empty()) return make_error("model.json: \"classes\" is empty");

    if (!root.contains("outputs") || !root["outputs"].is_object())
        return make_error("model.json: missing \"outputs\" object ({\"logits\": ..., \"probabilities\": ...})");
    const json& outputs = root["outputs"];
    for (const char* key : {"logits", "probabilities"}) {
        if (!outputs.contains(key) || !outputs[key].is_string() || outputs[key].get<std::string>().empty())
            return make_error(std::string("model.json: outputs.") + key + " must name an ONNX output");
    }
    info.logits_output = outputs["logits"].get<std::string>();
    info.probabilities_output = outputs["probabilities"].get<std::string>();
    for (auto [key, field] : {std::pair<const char*, std::string*>{"features", &info.features_output}, {"cam", &info.cam_output}}) {
        if (!outputs.contains(key)) continue;
        if (!outputs[key].is_string() || outputs[key].get<std::string>().empty())
            return make_error(std::string("model.json: outputs.") + key + " must name an ONNX output");
        *field = outputs[key].get<std::string>();
    }
    auto ood = parse_ood_spec(json_text);
    if (!ood) return make_error(ood.error());
    info.ood = std::move(ood).value();
    auto atrophy = parse_atrophy_reference(json_text);
    if (!atrophy) return make_error(atrophy.error());
    info.atrophy = std::move(atrophy).value();
    if (const json* c = find_object(root, {"calibration"}); c && c->contains("temperature") && (*c)["temperature"].is_number())
        info.temperature = (*c)["temperature"].get<double>();
    if (root.contains("onnx_sha256") && root["onnx_sha256"].is_string())
        info.onnx_sha256 = root["onnx_sha256"].get<std::string>();

    if (const json* model = find_object(root, {"model"})) {
        for (const auto& [key, value] : model->items()) {
            std::string text = scalar_text(value);
            if (!text.empty()) info.model_rows.emplace_back(key, text);
        }
        std::string arch = find_string(*model, {"arch", "name"});
        std::string head = find_string(*model, {"head"});
        info.name = arch.empty() ? "model" : arch;
        if (!head.empty()) info.name += " / " + head + " head";
    } else {
        info.name = "model";
    }

    if (const json* training = find_object(root, {"training"})) {
        info.split = find_string(*training, {"split", "data.split", "options.split"});
        for (const auto& [key, value] : training->items()) {
            if (key == "split") continue;
            std::string text = scalar_text(value);
            if (!text.empty()) info.training_rows.emplace_back(key, text);
        }
        if (const json* final = find_object(*training, {"final"}))
            if (final->contains("epoch") && (*final)["epoch"].is_number())
                info.training_rows.emplace_back("selected epoch", scalar_text((*final)["epoch"]));
        if (const json* test = find_object(*training, {"final.test", "test", "metrics.test", "test_metrics"})) {
            // Headline metrics first, in the order a reader expects; then anything else numeric.
            static const char* const kOrder[] = {"accuracy", "balanced_accuracy", "macro_f1", "weighted_f1",
                                                 "macro_precision", "macro_recall", "ece", "log_loss", "loss", "count"};
            for (const char* key : kOrder)
                if (test->contains(key) && (*test)[key].is_number() && std::isfinite((*test)[key].get<double>()))
                    info.test_metrics.emplace_back(key, (*test)[key].get<double>());
            for (const auto& [key, value] : test->items()) {
                bool listed = std::find(std::begin(kOrder), std::end(kOrder), key) != std::end(kOrder);
                if (!listed && value.is_number() && std::isfinite(value.get<double>()))
                    info.test_metrics.emplace_back(key, value.get<double>());
            }
            if (test->contains("per_class") && (*test)["per_class"].is_object()) {
                const json& per = (*test)["per_class"];
                for (const std::string& name : info.spec.class_names) {
                    if (!per.contains(name) || !per[name].is_object()) continue;
                    const json& c = per[name];
                    ModelInfo::ClassRecall r;
                    r.name = name;
                    if (c.contains("recall") && c["recall"].is_number()) r.recall = c["recall"].get<double>();
                    if (c.contains("support") && c["support"].is_number()) r.support = c["support"].get<long long>();
                    if (c.contains("recall_ci") && c["recall_ci"].is_array() && c["recall_ci"].size() == 2 &&
                        c["recall_ci"][0].is_number() && c["recall_ci"][1].is_number()) {
                        r.ci_low = c["recall_ci"][0].get<double>();
                        r.ci_high = c["recall_ci"][1].get<double>();
                    }
                    info.test_recall.push_back(r);
                }
            }
        }
    }
    return info;
}

}  // namespace alzscan::web
