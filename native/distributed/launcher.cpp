// Local ranks of `alzscan train` (see launcher.h).
#include "distributed/launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace alzscan::dist {
namespace {

std::atomic<int> g_signal{0};
extern "C" void on_launcher_signal(int sig) { g_signal = sig; }

pid_t start_rank(const std::string& self, const std::vector<std::string>& args, int rank, int nproc, int port) {
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("cannot start a rank (fork: ") + std::strerror(errno) + ")");
    if (pid > 0) return pid;
    // A process group of its own: the terminal's Ctrl-C reaches the launcher only, which forwards one
    // SIGINT to each rank (a second one would kill a rank before it saves).
    setpgid(0, 0);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    setenv("RANK", std::to_string(rank).c_str(), 1);
    setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
    setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
    setenv("MASTER_ADDR", "127.0.0.1", 1);
    setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
    std::vector<char*> argv;
    std::string bin = self;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    std::fprintf(stderr, "alzscan train --nproc: cannot run %s (%s)\n", bin.c_str(), std::strerror(errno));
    _exit(127);
}

std::string describe(int status) {
    if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
    return "exited with status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

int free_local_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("cannot open a socket to find a free port");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    close(fd);
    if (!ok) throw std::runtime_error("cannot find a free port on 127.0.0.1; hint: set MASTER_PORT and start the ranks yourself");
    return ntohs(a.sin_port);
}

int run_local_ranks(const std::string& self, const std::vector<std::string>& args, int nproc, std::chrono::seconds grace) {
    g_signal = 0;
    struct sigaction sa {}, old_int {}, old_term {};
    sa.sa_handler = on_launcher_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    std::vector<pid_t> pids;
    try {
        const int port = free_local_port();
        for (int r = 0; r < nproc; ++r) pids.push_back(start_rank(self, args, r, nproc, port));
    } catch (...) {   // the ranks already started would wait for the missing ones until the timeout
        for (pid_t p : pids) kill(p, SIGKILL);
        for (pid_t p : pids) waitpid(p, nullptr, 0);
        sigaction(SIGINT, &old_int, nullptr);
        sigaction(SIGTERM, &old_term, nullptr);
        throw;
    }
    std::vector<bool> alive(nproc, true);
    int left = nproc, rc = 0, forwarded = 0;
    std::chrono::steady_clock::time_point kill_at = std::chrono::steady_clock::time_point::max();
    while (left > 0) {
        int status = 0;
        const pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            for (int r = 0; r < nproc; ++r) {
                if (pids[r] != pid || !alive[r]) continue;
                alive[r] = false;
                --left;
                const bool failed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
                if (failed && rc == 0 && !g_signal) {
                    rc = 1;
                    std::fprintf(stderr, "alzscan train --nproc %d: rank %d %s; stopping the other ranks\n", nproc, r,
                                 describe(status).c_str());
                    for (int o = 0; o < nproc; ++o)
                        if (alive[o]) kill(pids[o], SIGTERM);
                    kill_at = std::chrono::steady_clock::now() + grace;
                }
            }
            continue;
        }
        if (g_signal && forwarded != g_signal) {   // Ctrl-C on the launcher: every rank stops and saves
            forwarded = g_signal;
            for (int o = 0; o < nproc; ++o)
                if (alive[o]) kill(pids[o], SIGINT);
            kill_at = std::chrono::steady_clock::now() + grace;
        }
        if (std::chrono::steady_clock::now() > kill_at) {
            for (int o = 0; o < nproc; ++o)
                if (alive[o]) {
                    std::fprintf(stderr, "alzscan train --nproc %d: rank %d did not stop within %lld s: killed\n", nproc, o,
                                 static_cast<long long>(grace.count()));
                    kill(pids[o], SIGKILL);
                }
            kill_at = std::chrono::steady_clock::time_point::max();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    if (g_signal) return 130;
    return rc;
}

}  // namespace alzscan::dist
