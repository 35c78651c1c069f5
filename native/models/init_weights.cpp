// --init: torchvision-named state dicts (see init_weights.h).
#include "models/init_weights.h"

#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <stdexcept>

namespace alzscan {

namespace {

std::string shape_str(const torch::Tensor& t) {
    std::ostringstream s;
    s << t.sizes();
    return s.str();
}

std::string model_name_for(std::string key) {
    if (key.rfind("module.", 0) == 0) key = key.substr(7);
    if (key.rfind("backbone.", 0) == 0 || key.rfind("head.", 0) == 0) return key;
    return "backbone." + key;
}

void append_list(std::ostringstream& out, const char* title, const std::vector<std::string>& items) {
    if (items.empty()) return;
    out << "\n  " << title << " (" << items.size() << "):";
    for (const auto& s : items) out << "\n    " << s;
}

}  // namespace

std::string InitWeightsReport::summary() const {
    std::ostringstream out;
    out << "--init: loaded " << loaded.size() << " tensors, " << unexpected.size() << " unused, "
        << shape_mismatches.size() << " shape mismatches, " << missing.size() << " backbone tensors missing";
    append_list(out, "summed first-conv input channels", summed_channels);
    append_list(out, "shape mismatches (not loaded)", shape_mismatches);
    append_list(out, "unused file entries (e.g. torchvision's 1000-class fc/classifier)", unexpected);
    append_list(out, "backbone tensors not in the file (kept at their initial values)", missing);
    return out.str();
}

InitWeightsReport load_init_weights(Classifier& net, const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw std::runtime_error(path + ": cannot open the --init file (check the path)");
    std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    const char* hint = " (expected torch.save(dict(model.state_dict()), path) in zip format)";
    c10::IValue root;
    try {
        root = torch::pickle_load(bytes);
    } catch (const c10::Error& e) {
        std::string what = e.what_without_backtrace();
        if (what.find("GenericDict") != std::string::npos)
            throw std::runtime_error(path + ": not a plain dict of tensors, probably an OrderedDict" + hint);
        throw std::runtime_error(path + ": cannot read as a torch.save file: " + what.substr(0, what.find('\n')) + hint);
    }
    if (!root.isGenericDict()) throw std::runtime_error(path + ": the file holds a " + root.tagKind() + ", not a dict" + hint);

    std::map<std::string, torch::Tensor> model_tensors;
    for (const auto& p : net->named_parameters()) model_tensors[p.key()] = p.value();
    for (const auto& b : net->named_buffers()) model_tensors[b.key()] = b.value();

    InitWeightsReport report;
    std::map<std::string, bool> seen;
    torch::NoGradGuard no_grad;
    const int64_t in_channels = net->config().in_channels;
    for (const auto& kv : root.toGenericDict()) {
        if (!kv.key().isString() || !kv.value().isTensor())
            throw std::runtime_error(path + ": dict entries must be name -> tensor" + hint);
        const std::string key = kv.key().toStringRef();
        const std::string name = model_name_for(key);
        torch::Tensor src = kv.value().toTensor();
        auto it = model_tensors.find(name);
        if (it == model_tensors.end()) {
            report.unexpected.push_back(key + " " + shape_str(src));
            continue;
        }
        torch::Tensor dst = it->second;
        // A 4-D conv weight whose only difference is 3 vs in_channels input channels: sum.
        if (src.dim() == 4 && dst.dim() == 4 && src.size(1) == 3 && dst.size(1) == in_channels &&
            in_channels == 1 && src.size(0) == dst.size(0) && src.size(2) == dst.size(2) &&
            src.size(3) == dst.size(3)) {
            src = src.sum(1, /*keepdim=*/true);
            report.summed_channels.push_back(name + ": 3 -> 1 input channels (summed)");
        }
        if (src.sizes() != dst.sizes()) {
            report.shape_mismatches.push_back(name + ": file " + shape_str(src) + " vs model " + shape_str(dst));
            seen[name] = true;   // provided (wrongly): listed as a mismatch, not as missing
            continue;
        }
        dst.copy_(src.to(dst.dtype()));
        report.loaded.push_back(name);
        seen[name] = true;
    }
    for (const auto& kv : model_tensors)
        if (kv.first.rfind("backbone.", 0) == 0 && !seen.count(kv.first)) report.missing.push_back(kv.first);
    if (report.loaded.empty())
        throw std::runtime_error(path + ": no tensor matched a " + net->config().arch +
                                 " parameter name (is it a state dict for that architecture?)");
    return report;
}

}  // namespace alzscan
