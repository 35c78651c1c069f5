// native/cli/cli_args.h: a small declarative option parser shared by every command.
//
//   alzscan::CliArgs args("alzscan predict", "classify image files with a checkpoint");
//   args.option("checkpoint", "", "checkpoint file written by `alzscan train`", /*required=*/true);
//   args.flag("json", "print one JSON object per file");
//   args.positional("FILE", "image files", /*min_count=*/1);
//   if (int rc = args.parse(argc, argv); rc >= 0) return rc;   // --help -> 0, bad usage -> 2
//   std::string ckpt = args.get("checkpoint");
//   bool json = args.is_set("json");
//   const std::vector<std::string>& files = args.positionals();
//
// Accepts `--name value`, `--name=value` and flags `--name`. Unknown options, missing values,
// missing required options and bad numbers are one-line errors naming the option.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace alzscan {

class CliArgs {
public:
    CliArgs(std::string program, std::string summary);

    void option(const std::string& name, const std::string& default_value, const std::string& help,
                bool required = false);
    void flag(const std::string& name, const std::string& help);
    void positional(const std::string& name, const std::string& help, int min_count = 0);

    // Returns -1 when the command should go on, otherwise the exit code to return now.
    int parse(int argc, char** argv);

    std::string get(const std::string& name) const;
    bool is_set(const std::string& name) const;        // flag given, or option given explicitly
    // Numeric getters print a one-line error and exit(2) on a value that is not a number.
    int64_t get_int(const std::string& name) const;
    double get_double(const std::string& name) const;
    const std::vector<std::string>& positionals() const { return positionals_; }

    void print_help() const;

private:
    struct Spec {
        std::string name, default_value, help;
        bool is_flag = false, required = false, given = false;
        std::string value;
    };
    const Spec* find(const std::string& name) const;
    Spec* find(const std::string& name);

    std::string program_, summary_;
    std::vector<Spec> specs_;
    std::string positional_name_, positional_help_;
    int positional_min_ = 0;
    bool positional_allowed_ = false;
    std::vector<std::string> positionals_;
};

}  // namespace alzscan
