// native/commands/commands.h: one entry point per `alzscan <command>`.
//
//   int rc = alzscan::cmd::train(argc, argv);   // argv[0] is the command name ("train")
//
// Each returns the process exit code: 0 ok, 1 runtime failure, 2 bad usage. Errors are one
// line on stderr naming the path or value and a hint.
#pragma once

namespace alzscan::cmd {

int train(int argc, char** argv);
int eval(int argc, char** argv);
int predict(int argc, char** argv);
int export_model(int argc, char** argv);
int report(int argc, char** argv);
int experiments(int argc, char** argv);
int cv(int argc, char** argv);
int calibrate(int argc, char** argv);
int ood(int argc, char** argv);

}  // namespace alzscan::cmd
