// Placeholder until `alzscan eval` lands: says so plainly instead of pretending.
#include <cstdio>

#include "commands/commands.h"

namespace alzscan::cmd {

int eval(int, char**) {
    std::fprintf(stderr, "alzscan eval: not implemented yet in this build\n");
    return 1;
}

}  // namespace alzscan::cmd
