// Child processes of this binary (child_process.h).
#include "commands/child_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

namespace alzscan::cmd {

namespace fs = std::filesystem;

std::string self_path() {
    std::error_code ec;
    fs::path p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : p.string();
}

std::string shell_quote(const std::string& s) {
    if (s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:") ==
        std::string::npos)
        return s;
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// Runs argv[0] with argv; returns its exit code, or 128 + signal. The parent ignores SIGINT /
// SIGTERM meanwhile so that Ctrl-C reaches the trainer, which saves last.pt and exits; the
// ladder then stops and can be resumed.
int run_child(const std::vector<std::string>& argv) {
    std::vector<char*> cargv;
    for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    struct sigaction ignore {}, old_int {}, old_term {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGINT, &ignore, &old_int);
    sigaction(SIGTERM, &ignore, &old_term);
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        execv(cargv[0], cargv.data());
        std::fprintf(stderr, "alzscan: cannot run %s\n", cargv[0]);
        _exit(127);
    }
    int status = 0;
    int rc = 1;
    if (pid > 0 && waitpid(pid, &status, 0) == pid)
        rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    return rc;
}

}  // namespace alzscan::cmd
