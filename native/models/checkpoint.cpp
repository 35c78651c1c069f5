// Checkpoint files: one LibTorch archive holding the JSON meta and a flat state dict.
// The state dict is stored as one Dict[str, Tensor] (not as nested module archives) so that a
// load can compare every name and shape against make_model(config) and report all mismatches
// at once instead of failing on the first.
#include "models/checkpoint.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

#include <torch/torch.h>

#include "rundir/files.h"

namespace alzscan {
namespace {

std::string shape_string(at::IntArrayRef sizes) {
    std::string s = "[";
    for (size_t i = 0; i < sizes.size(); ++i) s += (i ? "," : "") + std::to_string(sizes[i]);
    return s + "]";
}

// Parameters and buffers by their full module path, in registration order.
std::vector<std::pair<std::string, torch::Tensor>> named_state(torch::nn::Module& module) {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto& p : module.named_parameters(/*recurse=*/true)) out.emplace_back(p.key(), p.value());
    for (const auto& b : module.named_buffers(/*recurse=*/true)) out.emplace_back(b.key(), b.value());
    return out;
}

bool file_exists(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return f.good();
}

}  // namespace

nlohmann::json model_config_to_json(const ModelConfig& c) {
    return {{"arch", c.arch},
            {"head", c.head},
            {"in_channels", c.in_channels},
            {"num_classes", c.num_classes},
            {"dropout", c.dropout},
            {"stochastic_depth", c.stochastic_depth}};
}

ModelConfig model_config_from_json(const nlohmann::json& j) {
    if (!j.is_object())
        throw std::invalid_argument("model config must be a JSON object (got " +
                                    std::string(j.type_name()) + ")");
    ModelConfig c;
    auto get_string = [&](const char* key, std::string& out) {
        if (!j.contains(key)) return;
        if (!j[key].is_string())
            throw std::invalid_argument(std::string("model.") + key + " must be a string (got " +
                                        j[key].dump() + ")");
        out = j[key].get<std::string>();
    };
    auto get_int = [&](const char* key, int& out) {
        if (!j.contains(key)) return;
        if (!j[key].is_number_integer() || j[key].get<int64_t>() < 1)
            throw std::invalid_argument(std::string("model.") + key +
                                        " must be a positive integer (got " + j[key].dump() + ")");
        out = j[key].get<int>();
    };
    auto get_double = [&](const char* key, double& out) {
        if (!j.contains(key)) return;
        if (!j[key].is_number())
            throw std::invalid_argument(std::string("model.") + key + " must be a number (got " +
                                        j[key].dump() + ")");
        out = j[key].get<double>();
    };
    get_string("arch", c.arch);
    get_string("head", c.head);
    get_int("in_channels", c.in_channels);
    get_int("num_classes", c.num_classes);
    get_double("dropout", c.dropout);
    get_double("stochastic_depth", c.stochastic_depth);
    return c;
}

void save_archive_atomically(torch::serialize::OutputArchive& archive, const std::string& path) {
    write_file_atomically(path, [&](const ByteSink& sink) {
        // LibTorch's zip writer is C underneath: a failed write is reported to it as a short
        // write (it then throws), never as an exception through its frames.
        std::string sink_error;
        try {
            archive.save_to([&](const void* data, size_t size) -> size_t {
                try {
                    sink(data, size);
                } catch (const std::exception& e) {
                    sink_error = e.what();
                    return 0;
                }
                return size;
            });
        } catch (...) {
            if (!sink_error.empty()) throw std::runtime_error(sink_error);
            throw;
        }
        if (!sink_error.empty()) throw std::runtime_error(sink_error);   // never a short file renamed into place
    });
}

void save_model_checkpoint(const std::string& path, Classifier& net, const PreprocessSpec& spec,
                           const nlohmann::json& extra_meta, const ArchiveWriter& write_extra) {
    nlohmann::json meta = nlohmann::json::parse(preprocess_spec_to_json(spec));
    meta["format"] = kCheckpointFormat;
    meta["model"] = model_config_to_json(net->config());
    if (extra_meta.is_object())
        for (auto it = extra_meta.begin(); it != extra_meta.end(); ++it) meta[it.key()] = it.value();

    c10::Dict<std::string, at::Tensor> state;
    // Contiguous on disk whatever the in-memory layout (channels-last weights, model_zoo.h), so
    // other readers (torch.load, the exporter) see plain NCHW tensors.
    for (auto& [name, tensor] : named_state(*net)) state.insert(name, tensor.detach().to(torch::kCPU).contiguous());

    torch::serialize::OutputArchive archive;
    archive.write("alzscan_meta", c10::IValue(meta.dump()));
    archive.write("state_dict", c10::IValue(state));
    if (write_extra) write_extra(archive);
    save_archive_atomically(archive, path);
}

torch::serialize::InputArchive open_checkpoint_archive(const std::string& path, torch::Device device) {
    if (!file_exists(path))
        throw std::runtime_error(path + ": no such checkpoint file; hint: `alzscan train --out DIR` "
                                        "writes DIR/best.pt and DIR/last.pt");
    torch::serialize::InputArchive archive;
    try {
        archive.load_from(path, device);
    } catch (const std::exception& e) {
        std::string what = e.what();
        what = what.substr(0, what.find('\n'));
        throw std::runtime_error(path + ": not a LibTorch archive (" + what +
                                 "); hint: pass a .pt written by `alzscan train`");
    }
    return archive;
}

// A training checkpoint records the --image-size it was trained at; an input size in the meta
// that differs would run (the models pool globally) but on inputs the weights never saw.
void check_trained_input_size(const std::string& path, const nlohmann::json& meta, const PreprocessSpec& spec) {
    const nlohmann::json* options = nullptr;
    if (meta.contains("training") && meta["training"].is_object() && meta["training"].contains("options"))
        options = &meta["training"]["options"];
    if (!options || !options->is_object() || !options->contains("image_size") ||
        !(*options)["image_size"].is_number_integer())
        return;
    const int64_t trained = (*options)["image_size"].get<int64_t>();
    if (trained != spec.height || trained != spec.width)
        throw std::runtime_error(path + ": checkpoint meta says input " + std::to_string(spec.height) + "x" +
                                 std::to_string(spec.width) + " but the model was trained at " + std::to_string(trained) +
                                 "x" + std::to_string(trained) + " (training.options.image_size); hint: the file was "
                                 "edited or mixed from two checkpoints: re-export it from the run's best.pt");
}

LoadedModel load_model(const std::string& path) {
    torch::serialize::InputArchive archive = open_checkpoint_archive(path);
    c10::IValue meta_value, state_value;
    if (!archive.try_read("alzscan_meta", meta_value) || !meta_value.isString() ||
        !archive.try_read("state_dict", state_value) || !state_value.isGenericDict())
        throw std::runtime_error(path + ": not an alzscan checkpoint (no alzscan_meta/state_dict "
                                        "entries); hint: pass a .pt written by `alzscan train`");

    LoadedModel out;
    try {
        out.meta = nlohmann::json::parse(meta_value.toStringRef());
    } catch (const std::exception& e) {
        throw std::runtime_error(path + ": checkpoint meta is not valid JSON (" + e.what() + ")");
    }
    if (out.meta.value("format", "") != kCheckpointFormat)
        throw std::runtime_error(path + ": unsupported checkpoint format " +
                                 out.meta.value("format", nlohmann::json("none")).dump() +
                                 " (this build reads " + kCheckpointFormat + ")");
    try {
        out.model_config = model_config_from_json(out.meta.value("model", nlohmann::json::object()));
    } catch (const std::exception& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
    nlohmann::json spec_json = {{"input", out.meta.value("input", nlohmann::json())},
                                {"classes", out.meta.value("classes", nlohmann::json())}};
    auto spec = parse_preprocess_spec(spec_json.dump(), "checkpoint meta");
    if (!spec) throw std::runtime_error(path + ": " + spec.error());
    out.spec = spec.value();
    check_trained_input_size(path, out.meta, out.spec);
    if (static_cast<int>(out.spec.class_names.size()) != out.model_config.num_classes)
        throw std::runtime_error(path + ": meta lists " + std::to_string(out.spec.class_names.size()) +
                                 " classes but the model has " +
                                 std::to_string(out.model_config.num_classes) + " outputs");
    try {
        out.net = make_model(out.model_config);
    } catch (const std::exception& e) {
        throw std::runtime_error(path + ": " + e.what());
    }

    std::map<std::string, at::Tensor> stored;
    for (const auto& entry : state_value.toGenericDict()) {
        if (!entry.key().isString() || !entry.value().isTensor())
            throw std::runtime_error(path + ": state_dict holds a non-tensor entry");
        stored.emplace(entry.key().toStringRef(), entry.value().toTensor());
    }

    std::vector<std::string> missing, mismatched;
    auto expected = named_state(*out.net);
    for (const auto& [name, tensor] : expected) {
        auto it = stored.find(name);
        if (it == stored.end()) {
            missing.push_back(name);
        } else if (it->second.sizes() != tensor.sizes()) {
            mismatched.push_back(name + " " + shape_string(it->second.sizes()) + " vs model " +
                                 shape_string(tensor.sizes()));
        }
    }
    std::set<std::string> expected_names;
    for (const auto& e : expected) expected_names.insert(e.first);
    std::vector<std::string> unexpected;
    for (const auto& entry : stored)
        if (!expected_names.count(entry.first)) unexpected.push_back(entry.first);
    if (!missing.empty() || !unexpected.empty() || !mismatched.empty()) {
        auto join = [](const std::vector<std::string>& v) {
            std::string s;
            for (size_t i = 0; i < v.size() && i < 20; ++i) s += (i ? ", " : "") + v[i];
            if (v.size() > 20) s += ", ... (" + std::to_string(v.size()) + " in all)";
            return s;
        };
        std::string msg = path + ": weights do not match model arch=" + out.model_config.arch +
                          " head=" + out.model_config.head + ":";
        if (!missing.empty()) msg += " missing [" + join(missing) + "];";
        if (!unexpected.empty()) msg += " unexpected [" + join(unexpected) + "];";
        if (!mismatched.empty()) msg += " shape mismatch [" + join(mismatched) + "];";
        msg += " hint: was it written by a different alzscan version?";
        throw std::runtime_error(msg);
    }
    torch::NoGradGuard no_grad;
    for (auto& [name, tensor] : expected) tensor.copy_(stored.at(name));
    out.net->eval();
    return out;
}

}  // namespace alzscan
