// Placeholder until `alzscan experiments` lands: says so plainly instead of pretending.
#include <cstdio>

#include "commands/commands.h"

namespace alzscan::cmd {

int experiments(int, char**) {
    std::fprintf(stderr, "alzscan experiments: not implemented yet in this build\n");
    return 1;
}

}  // namespace alzscan::cmd
