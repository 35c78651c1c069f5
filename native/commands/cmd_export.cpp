// Placeholder until `alzscan export` lands: says so plainly instead of pretending.
#include <cstdio>

#include "commands/commands.h"

namespace alzscan::cmd {

int export_model(int, char**) {
    std::fprintf(stderr, "alzscan export: not implemented yet in this build\n");
    return 1;
}

}  // namespace alzscan::cmd
