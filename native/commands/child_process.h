// native/commands/child_process.h: the commands that train several runs (experiments, cv) run
// each as a child `alzscan train`, so a crash or Ctrl-C in one loses nothing saved and the
// command can be rerun to resume.
//
//   int rc = alzscan::cmd::run_child({self_path(), "train", "--config", file});
#pragma once

#include <string>
#include <vector>

namespace alzscan::cmd {

// This binary's path (/proc/self/exe); "" when it cannot be read.
std::string self_path();

// s quoted for a POSIX shell where it needs to be (for printing the command line).
std::string shell_quote(const std::string& s);

// Runs argv[0] with argv; returns its exit code, or 128 + signal. The parent ignores SIGINT /
// SIGTERM meanwhile so that Ctrl-C reaches the trainer, which saves last.pt and exits.
int run_child(const std::vector<std::string>& argv);

}  // namespace alzscan::cmd
