#include "cli/cli_args.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace alzscan {

CliArgs::CliArgs(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

void CliArgs::option(const std::string& name, const std::string& default_value,
                     const std::string& help, bool required) {
    specs_.push_back({name, default_value, help, false, required, false, default_value});
}

void CliArgs::flag(const std::string& name, const std::string& help) {
    specs_.push_back({name, "", help, true, false, false, ""});
}

void CliArgs::positional(const std::string& name, const std::string& help, int min_count) {
    positional_name_ = name;
    positional_help_ = help;
    positional_min_ = min_count;
    positional_allowed_ = true;
}

const CliArgs::Spec* CliArgs::find(const std::string& name) const {
    for (const Spec& s : specs_)
        if (s.name == name) return &s;
    return nullptr;
}

CliArgs::Spec* CliArgs::find(const std::string& name) {
    for (Spec& s : specs_)
        if (s.name == name) return &s;
    return nullptr;
}

int CliArgs::parse(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            print_help();
            return 0;
        }
        if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
            std::string name = a.substr(2), value;
            bool has_value = false;
            if (auto eq = name.find('='); eq != std::string::npos) {
                value = name.substr(eq + 1);
                name = name.substr(0, eq);
                has_value = true;
            }
            Spec* s = find(name);
            if (!s) {
                std::fprintf(stderr, "%s: unknown option --%s (see --help)\n", program_.c_str(), name.c_str());
                return 2;
            }
            if (s->is_flag) {
                if (has_value) {
                    std::fprintf(stderr, "%s: --%s takes no value\n", program_.c_str(), name.c_str());
                    return 2;
                }
                s->given = true;
                continue;
            }
            if (!has_value) {
                if (i + 1 >= argc) {
                    std::fprintf(stderr, "%s: --%s needs a value (see --help)\n", program_.c_str(), name.c_str());
                    return 2;
                }
                value = argv[++i];
            }
            s->value = value;
            s->given = true;
            continue;
        }
        if (!positional_allowed_) {
            std::fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", program_.c_str(), a.c_str());
            return 2;
        }
        positionals_.push_back(a);
    }
    for (const Spec& s : specs_) {
        if (s.required && !s.given) {
            std::fprintf(stderr, "%s: --%s is required (see --help)\n", program_.c_str(), s.name.c_str());
            return 2;
        }
    }
    if (static_cast<int>(positionals_.size()) < positional_min_) {
        std::fprintf(stderr, "%s: expected at least %d %s argument(s) (see --help)\n", program_.c_str(),
                     positional_min_, positional_name_.c_str());
        return 2;
    }
    return -1;
}

std::string CliArgs::get(const std::string& name) const {
    const Spec* s = find(name);
    return s ? s->value : std::string();
}

bool CliArgs::is_set(const std::string& name) const {
    const Spec* s = find(name);
    return s && s->given;
}

int64_t CliArgs::get_int(const std::string& name) const {
    std::string v = get(name);
    char* end = nullptr;
    errno = 0;
    long long x = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || errno) {
        std::fprintf(stderr, "%s: --%s expects an integer, got '%s'\n", program_.c_str(), name.c_str(), v.c_str());
        std::exit(2);
    }
    return x;
}

double CliArgs::get_double(const std::string& name) const {
    std::string v = get(name);
    char* end = nullptr;
    errno = 0;
    double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || errno) {
        std::fprintf(stderr, "%s: --%s expects a number, got '%s'\n", program_.c_str(), name.c_str(), v.c_str());
        std::exit(2);
    }
    return x;
}

void CliArgs::print_help() const {
    std::printf("usage: %s [options]%s%s\n%s\n\noptions:\n", program_.c_str(),
                positional_allowed_ ? " " : "", positional_allowed_ ? (positional_name_ + "...").c_str() : "",
                summary_.c_str());
    for (const Spec& s : specs_) {
        std::string left = "--" + s.name + (s.is_flag ? "" : " V");
        std::printf("  %-24s %s%s%s\n", left.c_str(), s.help.c_str(),
                    (!s.is_flag && !s.default_value.empty()) ? (" [default: " + s.default_value + "]").c_str() : "",
                    s.required ? " (required)" : "");
    }
    if (positional_allowed_) std::printf("  %-24s %s\n", positional_name_.c_str(), positional_help_.c_str());
}

}  // namespace alzscan
