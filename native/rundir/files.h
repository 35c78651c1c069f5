// native/rundir/files.h: the one way alzscan reads a whole file and replaces a file on disk.
//
//   alzscan::write_file_atomically("runs/a/config.json", text);            // throws runtime_error
//   alzscan::write_file_atomically("runs/a/best.pt", [&](const alzscan::ByteSink& sink) {
//       archive.save_to([&](const void* p, size_t n) { sink(p, n); return n; });
//   });
//   std::string text;
//   if (!alzscan::read_text_file("runs/a/metrics.jsonl", text)) { /* cannot be read */ }
//
// An atomic write goes to PATH.tmp, is fsync'ed, then renamed over PATH: a crash or a full disk
// leaves either the old file or the new one, never half of either. On failure PATH.tmp is
// removed and the message names the path, the reason and a hint.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>

namespace alzscan {

// Appends `size` bytes to the file being written; throws runtime_error when the write fails.
using ByteSink = std::function<void(const void* data, size_t size)>;

void write_file_atomically(const std::filesystem::path& path, const std::string& bytes);
void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(const ByteSink&)>& produce);

// Whole file into `out` (bytes as stored). False when it cannot be opened or a read fails.
bool read_text_file(const std::filesystem::path& path, std::string& out);

}  // namespace alzscan
