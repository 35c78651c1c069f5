#include "scan_batch.h"

#include <algorithm>
#include <cstdio>

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
    if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string ScanBatch::to_csv(const std::vector<std::string>& class_names) const {
    std::string out = "file,true_label,status,predicted,confidence";
    for (const std::string& c : class_names) out += ",p_" + csv_field(c);
    out += ",preprocess_ms,inference_ms,error\n";
    char buf[64];
    for (const ScanItem& item : items_) {
        out += csv_field(item.name) + "," + csv_field(item.true_label) + "," + status_name(item.status) + ",";
        bool done = item.status == ScanStatus::Done && item.predicted >= 0;
        if (done && item.predicted < static_cast<int>(class_names.size())) out += csv_field(class_names[item.predicted]);
        out += ",";
        if (done) {
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
        out += "," + csv_field(item.error) + "\n";
    }
    return out;
}

}  // namespace alzscan::web
