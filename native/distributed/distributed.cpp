// c10d process groups for data-parallel training (see distributed.h).
#include "distributed/distributed.h"

#include <cstdlib>
#include <stdexcept>

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace alzscan::dist {
namespace {

constexpr int64_t kBucketBytes = 25 << 20;

int env_int(const char* name, int fallback, int lo, int hi) {
    const char* v = std::getenv(name);
    if (!v || !*v) return fallback;
    char* end = nullptr;
    const long x = std::strtol(v, &end, 10);
    if (*end || x < lo || x > hi)
        throw std::runtime_error(std::string(name) + "=" + v + ": expected an integer in " + std::to_string(lo) + ".." +
                                 std::to_string(hi) + " (torchrun's environment: RANK, WORLD_SIZE, LOCAL_RANK, "
                                 "MASTER_ADDR, MASTER_PORT)");
    return static_cast<int>(x);
}

// One c10d call, its failure named: which rank, what it was doing, what to check.
template <class F>
void collective(Group& g, const char* what, F&& f) {
    try {
        f()->wait(g.timeout);
    } catch (const std::exception& e) {
        std::string msg = e.what();
        msg = msg.substr(0, msg.find('\n'));
        const std::string who = g.world == 2 ? "rank " + std::to_string(1 - g.rank) : "another rank";
        throw std::runtime_error("rank " + std::to_string(g.rank) + " of " + std::to_string(g.world) + ": " + what +
                                 " failed (" + msg + "): " + who + " stopped or hung; hint: its own message says why");
    }
}

}  // namespace

std::pair<int64_t, int64_t> shard(int64_t begin, int64_t end, int rank, int world) {
    const int64_t n = std::max<int64_t>(0, end - begin), base = n / world, extra = n % world;
    const int64_t b = begin + rank * base + std::min<int64_t>(rank, extra);
    return {b, b + base + (rank < extra ? 1 : 0)};
}

Group init_from_env(const std::string& backend, std::chrono::seconds timeout, bool cuda) {
    Group g;
    g.timeout = timeout;
    g.world = env_int("WORLD_SIZE", 1, 1, 4096);
    g.rank = env_int("RANK", 0, 0, g.world - 1);
    g.local_rank = env_int("LOCAL_RANK", g.rank, 0, 4095);
    if (g.world == 1) return g;
    const char* addr = std::getenv("MASTER_ADDR");
    const int port = env_int("MASTER_PORT", -1, 1, 65535);
    if (!addr || !*addr || port < 0)
        throw std::runtime_error("WORLD_SIZE=" + std::to_string(g.world) + " needs MASTER_ADDR and MASTER_PORT (rank 0's "
                                 "address and a free port); hint: alzscan train --nproc N sets them for local ranks");
    if (backend != "auto" && backend != "gloo" && backend != "nccl")
        throw std::runtime_error("--dist-backend " + backend + ": expected auto, gloo or nccl");
    g.backend = backend == "auto" ? (cuda ? "nccl" : "gloo") : backend;
#ifndef USE_C10D_NCCL
    if (g.backend == "nccl") {
        if (backend == "nccl")
            throw std::runtime_error("--dist-backend nccl: this alzscan was built without NCCL (a CUDA LibTorch with "
                                     "USE_C10D_NCCL); hint: --dist-backend gloo");
        g.backend = "gloo";
    }
#endif
    c10d::TCPStoreOptions o;
    o.port = static_cast<uint16_t>(port);
    o.isServer = g.rank == 0;
    o.numWorkers = g.world;
    o.waitWorkers = true;
    o.timeout = timeout;
    c10::intrusive_ptr<c10d::Store> store;
    try {
        store = c10::make_intrusive<c10d::TCPStore>(addr, o);
    } catch (const std::exception& e) {
        std::string msg = e.what();
        throw std::runtime_error("rank " + std::to_string(g.rank) + ": rendezvous at " + addr + ":" + std::to_string(port) +
                                 " failed (" + msg.substr(0, msg.find('\n')) + "); hint: every rank must start within " +
                                 std::to_string(timeout.count()) + " s and reach rank 0's MASTER_ADDR/MASTER_PORT");
    }
#ifdef USE_C10D_NCCL
    if (g.backend == "nccl") {
        auto opts = c10d::ProcessGroupNCCL::Options::create();
        opts->timeout = timeout;
        g.pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, g.rank, g.world, opts);
        return g;
    }
#endif
    auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
    // Loopback ranks talk over 127.0.0.1; across machines each rank uses its own host's interface.
    const std::string a = addr;
    opts->devices.push_back(a == "127.0.0.1" || a == "localhost" ? c10d::ProcessGroupGloo::createDeviceForHostname(a)
                                                                 : c10d::ProcessGroupGloo::createDefaultDevice());
    g.pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, g.rank, g.world, opts);
    return g;
}

void broadcast_state(Group& g, torch::nn::Module& net) {
    if (!g.active()) return;
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> all;
    for (auto& p : net.parameters()) all.push_back(p);
    for (auto& b : net.buffers()) all.push_back(b);
    for (torch::Tensor& t : all) {
        std::vector<torch::Tensor> one = {t.is_contiguous() ? t : t.contiguous()};
        collective(g, "broadcasting rank 0's weights", [&] { return g.pg->broadcast(one); });
        if (!t.is_contiguous()) t.copy_(one[0]);
    }
}

void broadcast_buffers(Group& g, torch::nn::Module& net) {
    if (!g.active()) return;
    torch::NoGradGuard no_grad;
    for (torch::Tensor& t : net.buffers()) {
        std::vector<torch::Tensor> one = {t.is_contiguous() ? t : t.contiguous()};
        collective(g, "broadcasting rank 0's BatchNorm statistics", [&] { return g.pg->broadcast(one); });
        if (!t.is_contiguous()) t.copy_(one[0]);
    }
}

void allreduce_gradients(Group& g, torch::nn::Module& net) {
    if (!g.active()) return;
    std::vector<torch::Tensor> params;
    for (auto& p : net.parameters())
        if (p.requires_grad()) params.push_back(p);
    size_t i = 0;
    while (i < params.size()) {
        std::vector<torch::Tensor> bucket;
        int64_t bytes = 0;
        for (; i < params.size() && (bucket.empty() || bytes < kBucketBytes); ++i) {
            torch::Tensor& p = params[i];
            if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
            bucket.push_back(p.grad());
            bytes += p.numel() * p.element_size();
        }
        std::vector<torch::Tensor> flat = {torch::cat([&] {
            std::vector<torch::Tensor> v;
            for (auto& t : bucket) v.push_back(t.contiguous().view(-1));
            return v;
        }())};
        collective(g, "all-reducing gradients", [&] { return g.pg->allreduce(flat); });
        int64_t off = 0;
        for (auto& t : bucket) {
            t.copy_(flat[0].slice(0, off, off + t.numel()).view_as(t));
            off += t.numel();
        }
    }
}

void allreduce_sum(Group& g, torch::Tensor& t) {
    if (!g.active()) return;
    std::vector<torch::Tensor> one = {t};
    collective(g, "all-reducing statistics", [&] { return g.pg->allreduce(one); });
    t = one[0];
}

bool any(Group& g, bool flag) {
    if (!g.active()) return flag;
    torch::Tensor t = torch::full({1}, flag ? 1.0 : 0.0, torch::kDouble);
    allreduce_sum(g, t);
    return t.item<double>() > 0;
}

}  // namespace alzscan::dist
