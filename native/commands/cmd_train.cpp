// Placeholder until `alzscan train` lands: says so plainly instead of pretending.
#include <cstdio>

#include "commands/commands.h"

namespace alzscan::cmd {

int train(int, char**) {
    std::fprintf(stderr, "alzscan train: not implemented yet in this build\n");
    return 1;
}

}  // namespace alzscan::cmd
