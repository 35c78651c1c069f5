// Placeholder until `alzscan report` lands: says so plainly instead of pretending.
#include <cstdio>

#include "commands/commands.h"

namespace alzscan::cmd {

int report(int, char**) {
    std::fprintf(stderr, "alzscan report: not implemented yet in this build\n");
    return 1;
}

}  // namespace alzscan::cmd
