// native/distributed/distributed.h: data-parallel training on torch's own engine, c10d: a TCPStore
// rendezvous and a Gloo process group (NCCL where LibTorch has CUDA and USE_C10D_NCCL).
//
//   alzscan::dist::Group g = alzscan::dist::init_from_env("auto", std::chrono::seconds(60));
//   if (g.active()) alzscan::dist::broadcast_state(g, net);             // rank 0's weights everywhere
//   auto [b, e] = alzscan::dist::shard(begin, end, g.rank, g.world);   // this rank's part of a batch
//   ... loss_r * (n_r / n_global) ... backward ...
//   alzscan::dist::allreduce_gradients(g, net);                        // summed: the global mean's gradient
//
// Environment (torchrun's): RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT. Without
// WORLD_SIZE (or WORLD_SIZE=1) the group is inactive and every call is a no-op.
// Errors: a missing or malformed variable, an unreachable master or a peer that does not arrive
// within the timeout, a peer that dies mid-run: std::runtime_error naming the rank and the hint.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/torch.h>

#include "models/model_zoo.h"

namespace alzscan::dist {

struct Group {
    int rank = 0, world = 1, local_rank = 0;
    std::string backend = "none";   // gloo | nccl | none
    std::chrono::seconds timeout{60};
    c10::intrusive_ptr<c10d::ProcessGroup> pg;
    bool active() const { return world > 1; }
    bool leader() const { return rank == 0; }   // the rank that writes files and prints
};

// backend: auto (nccl on a CUDA device when built with it, else gloo) | gloo | nccl.
Group init_from_env(const std::string& backend, std::chrono::seconds timeout, bool cuda = false);

// [begin, end) of a global batch -> this rank's contiguous part; the parts of ranks 0..world-1 are
// disjoint, in order and cover [begin, end); sizes differ by at most one.
std::pair<int64_t, int64_t> shard(int64_t begin, int64_t end, int rank, int world);

// Every parameter and buffer from rank 0.
void broadcast_state(Group& g, torch::nn::Module& net);
// The buffers alone (BatchNorm running statistics, which each rank updates from its own share
// without --sync-bn): before every evaluation, so all ranks score rank 0's model.
void broadcast_buffers(Group& g, torch::nn::Module& net);

// Gradients summed across ranks in buckets of about 25 MB (a parameter without a gradient counts as
// zeros). The caller scales each rank's loss by its share of the global batch beforehand.
void allreduce_gradients(Group& g, torch::nn::Module& net);

// In place, across ranks (double precision for counts and sums).
void allreduce_sum(Group& g, torch::Tensor& t);

// True when any rank passes true (e.g. a stop signal seen by one of them).
bool any(Group& g, bool flag);

}  // namespace alzscan::dist
