#include "cli/common_options.h"

namespace alzscan {

void add_data_options(CliArgs& args) {
    for (const SharedOption& o : {kDataOption, kSplitFileOption, kSplitColumnOption, kTestFoldOption})
        args.option(o.name, o.default_value, o.help);
}

void add_device_option(CliArgs& args, const char* default_device) {
    args.option(kDeviceOption.name, default_device, kDeviceOption.help);
}

void add_threads_option(CliArgs& args) {
    args.option(kThreadsOption.name, kThreadsOption.default_value, kThreadsOption.help);
}

}  // namespace alzscan
