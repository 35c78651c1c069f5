// native/distributed/launcher.h: `alzscan train --nproc N` starts N local ranks of itself, as torchrun
// would: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR=127.0.0.1 and a free MASTER_PORT in each one's
// environment, then waits for them.
//
//   int rc = alzscan::dist::run_local_ranks("/proc/self/exe", {"train", "--data", ...}, 2);
//
// Failure behaviour: when a rank exits non-zero or is killed, the launcher names it ("rank 1 was
// killed by signal 9"), sends the others SIGTERM (they save last.pt and stop) and SIGKILL after
// `grace`; it returns 1. SIGINT or SIGTERM to the launcher goes to every rank (each stops after its
// current step, rank 0 saves a resumable last.pt); it returns 130. All ranks exiting 0: returns 0.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace alzscan::dist {

int run_local_ranks(const std::string& self, const std::vector<std::string>& args, int nproc,
                    std::chrono::seconds grace = std::chrono::seconds(30));

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0); throws when none.
int free_local_port();

}  // namespace alzscan::dist
