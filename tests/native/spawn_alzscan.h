// tests/native/spawn_alzscan.h: the CLI tests' child processes: `alzscan ARGS` (ALZSCAN_BIN) with its
// stdout and stderr in a log file, optionally with more environment (KEY=VALUE).
//
//   pid_t pid = spawn_alzscan({"train", "--out", dir}, dir / "log");   // returns at once
//   int rc = wait_exit_code(pid);                                      // exit code, or 128 + signal
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

inline pid_t spawn_alzscan(const std::vector<std::string>& args, const std::filesystem::path& log,
                           const std::vector<std::string>& env = {}) {
    const pid_t pid = fork();
    if (pid == 0) {
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        for (const std::string& e : env) putenv(strdup(e.c_str()));
        std::vector<char*> argv;
        std::string bin = ALZSCAN_BIN;
        argv.push_back(bin.data());
        std::vector<std::string> copy = args;
        for (std::string& a : copy) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(bin.c_str(), argv.data());
        _exit(127);
    }
    return pid;
}

inline int wait_exit_code(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

inline std::string read_text(const std::filesystem::path& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}
