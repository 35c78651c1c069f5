#include "report/report_format.h"

#include <cmath>
#include <cstdio>

namespace alzscan::report {

std::string format_metric(double value) {
    if (!std::isfinite(value)) return kMissing;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.4f", value);
    return buf;
}

std::string format_interval(double low, double high) {
    if (!std::isfinite(low) || !std::isfinite(high)) return kMissing;
    return format_metric(low) + " – " + format_metric(high);
}

std::string format_count(double value) {
    if (!std::isfinite(value)) return kMissing;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.0f", value);
    return buf;
}

double number_or_nan(const nlohmann::json& j, const char* key) {
    if (!j.is_object()) return NAN;
    auto it = j.find(key);
    if (it == j.end() || !it->is_number()) return NAN;
    return it->get<double>();
}

std::string html_escape(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string markdown_escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '|') out += "\\|";
        else if (c == '\n' || c == '\r') out += ' ';
        else out += c;
    }
    return out;
}

}  // namespace alzscan::report
