// native/report/report_format.h: how the report prints numbers and text, in one place so the
// HTML page, summary.md and the tests that read them back agree.
//
//   format_metric(0.912345)      -> "0.9123"     (printf "%.4f"; NaN/missing -> "—")
//   format_interval({0.6, 0.9})  -> "0.6000 – 0.9000"
//   html_escape("a<b")           -> "a&lt;b"
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace alzscan::report {

constexpr const char* kMissing = "—";   // shown where metrics.jsonl has no value

std::string format_metric(double value);             // "%.4f"
std::string format_interval(double low, double high);  // "%.4f – %.4f"
std::string format_count(double value);               // "%.0f"
// j[key] as a double, NaN when absent or not a number.
double number_or_nan(const nlohmann::json& j, const char* key);

std::string html_escape(const std::string& text);
// Markdown table cell: escapes '|' and drops newlines.
std::string markdown_escape(const std::string& text);

}  // namespace alzscan::report
