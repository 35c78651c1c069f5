// native/report/text_file.h: small file and clock helpers shared by the report and the ladder.
//
//   std::string text;
//   if (!alzscan::report::read_text_file("runs/a/config.json", text)) { /* "cannot be read" */ }
//   options.generated_at = alzscan::report::utc_now_text();   // "2026-11-26 03:58 UTC"
#pragma once

#include <filesystem>
#include <string>

namespace alzscan::report {

// Whole file into `out` (bytes as stored). False when it cannot be opened or a read fails.
bool read_text_file(const std::filesystem::path& path, std::string& out);

// The current time as "%Y-%m-%d %H:%M UTC", for the report's "generated at" line.
std::string utc_now_text();

}  // namespace alzscan::report
