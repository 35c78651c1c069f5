// Placeholder until `alzscan predict` lands: says so plainly instead of pretending.
#include <cstdio>

#include "commands/commands.h"

namespace alzscan::cmd {

int predict(int, char**) {
    std::fprintf(stderr, "alzscan predict: not implemented yet in this build\n");
    return 1;
}

}  // namespace alzscan::cmd
