#include "scan_batch.h"

#include <algorithm>
#include <cstdio>
#include <string_view>

#include <nlohmann/json.hpp>

namespace alzscan::web {

void ScanItem::fail(std::string message) {
    status = ScanStatus::Failed;
    error = std::move(message);
    tensor.clear();
    tensor.shrink_to_fit();
}

void ScanItem::finish(std::vector<float> probs, double inference_milliseconds) {
    probabilities = std::move(probs);
    inference_ms = inference_milliseconds;
    predicted = probabilities.empty()
                    ? -1
                    : static_cast<int>(std::max_element(probabilities.begin(), probabilities.end()) -
                                       probabilities.begin());
    status = ScanStatus::Done;
    tensor.clear();
    tensor.shrink_to_fit();
}

ScanItem& ScanBatch::add(std::string name, std::string true_label) {
    ScanItem item;
    item.id = next_id_++;
    item.name = std::move(name);
    item.true_label = std::move(true_label);
    items_.push_back(std::move(item));
    return items_.back();
}

ScanItem* ScanBatch::find(int id) {
    for (ScanItem& item : items_)
        if (item.id == id) return &item;
    return nullptr;
}

int ScanBatch::done_count() const {
    return static_cast<int>(std::count_if(items_.begin(), items_.end(),
                                          [](const ScanItem& i) { return i.status == ScanStatus::Done; }));
}

int ScanBatch::failed_count() const {
    return static_cast<int>(std::count_if(items_.begin(), items_.end(),
                                          [](const ScanItem& i) { return i.status == ScanStatus::Failed; }));
}

const char* status_name(ScanStatus status) {
    switch (status) {
        case ScanStatus::Preprocessed: return "running";
        case ScanStatus::Done: return "done";
        case ScanStatus::Failed: return "error";
    }
    return "?";
}

std::string csv_field(const std::string& text) {
    constexpr std::string_view kFormulaStart = "=+-@\t\r";
    std::string cell = text;
    if (!cell.empty() && kFormulaStart.find(cell.front()) != std::string_view::npos) cell.insert(cell.begin(), '\'');
    if (cell.find_first_of(",\"\n\r") == std::string::npos) return cell;
    std::string out = "\"";
    for (char c : cell) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string ScanBatch::to_csv(const std::vector<std::string>& class_names) const {
    std::string out = "file,true_label,status,predicted,confidence";
    for (const std::string& c : class_names) out += "," + csv_field("p_" + c);
    out += ",preprocess_ms,inference_ms,error\n";
    char buf[64];
    for (const ScanItem& item : items_) {
        out += csv_field(item.name) + "," + csv_field(item.true_label) + "," + status_name(item.status) + ",";
        bool done = item.status == ScanStatus::Done && item.predicted >= 0;
        // A flagged input has no class: predicted and confidence stay empty, the message says why.
        const bool classified = done && !item.ood.flag;
        if (classified && item.predicted < static_cast<int>(class_names.size())) out += csv_field(class_names[item.predicted]);
        out += ",";
        if (classified) {
            std::snprintf(buf, sizeof buf, "%.6f", item.probabilities[item.predicted]);
            out += buf;
        }
        for (size_t c = 0; c < class_names.size(); ++c) {
            out += ",";
            if (done && c < item.probabilities.size()) {
                std::snprintf(buf, sizeof buf, "%.9g", item.probabilities[c]);
                out += buf;
            }
        }
        out += ",";
        if (item.status != ScanStatus::Failed) {
            std::snprintf(buf, sizeof buf, "%.3f", item.preprocess_ms);
            out += buf;
        }
        out += ",";
        if (done) {
            std::snprintf(buf, sizeof buf, "%.3f", item.inference_ms);
            out += buf;
        }
        out += "," + csv_field(item.ood.flag && item.error.empty() ? "not classified: " + item.ood.reason : item.error) + "\n";
    }
    return out;
}

std::string item_json(const ScanItem& item) {
    const nlohmann::json j = {
        {"name", item.name},
        {"true_label", item.true_label},
        {"status", status_name(item.status)},
        {"error", item.error},
        {"probabilities", item.probabilities},
        {"ood_flag", item.ood.flag},
        {"ood_reason", item.ood.reason},
        {"preprocess_ms", item.preprocess_ms},
        {"inference_ms", item.inference_ms},
        {"format", item.format},
        {"width", item.width},
        {"height", item.height},
        {"channels", item.channels},
        {"bits", item.bits},
    };
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool restore_item(ScanItem& item, const std::string& row_json) {
    item.restored = true;
    const auto j = nlohmann::json::parse(row_json, nullptr, false);
    if (!j.is_object()) {
        item.fail("this row could not be restored after the app restarted");
        return false;
    }
    auto text = [&](const char* key) { return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string(); };
    auto number = [&](const char* key) { return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0; };
    auto integer = [&](const char* key) { return j.contains(key) && j[key].is_number_integer() ? j[key].get<int>() : 0; };
    item.name = text("name");
    item.true_label = text("true_label");
    item.format = text("format");
    item.width = integer("width");
    item.height = integer("height");
    item.channels = integer("channels");
    item.bits = integer("bits");
    item.preprocess_ms = number("preprocess_ms");
    item.ood.flag = j.contains("ood_flag") && j["ood_flag"].is_boolean() && j["ood_flag"].get<bool>();
    item.ood.reason = text("ood_reason");
    const std::string status = text("status");
    std::vector<float> probabilities;
    if (j.contains("probabilities") && j["probabilities"].is_array())
        for (const auto& p : j["probabilities"])
            if (p.is_number()) probabilities.push_back(p.get<float>());
    if (status == status_name(ScanStatus::Done) && !probabilities.empty()) {
        item.finish(std::move(probabilities), number("inference_ms"));
    } else if (status == status_name(ScanStatus::Failed)) {
        std::string error = text("error");
        item.fail(error.empty() ? "this file could not be classified" : std::move(error));
    } else {
        item.fail("not classified: the app restarted before this file's result came; open the file again");
    }
    return true;
}

}  // namespace alzscan::web
