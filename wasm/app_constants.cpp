#include "app_constants.h"

#include <cstddef>

namespace alzscan::web {
namespace {

#define ALZSCAN_NAME(name) #name,
const char* const kStatusKindNames[] = {ALZSCAN_STATUS_KINDS(ALZSCAN_NAME)};
const char* const kStartResultNames[] = {ALZSCAN_START_RESULTS(ALZSCAN_NAME)};
const char* const kDebugTrapNames[] = {ALZSCAN_DEBUG_TRAPS(ALZSCAN_NAME)};
#undef ALZSCAN_NAME

// "Name": {"A": 0, "B": 1}; the entries are C++ identifiers, so nothing needs escaping.
template <std::size_t N>
void append_group(std::string& out, const char* name, const char* const (&entries)[N]) {
    out += '"';
    out += name;
    out += "\": {";
    for (std::size_t i = 0; i < N; ++i) {
        if (i) out += ", ";
        out += '"';
        out += entries[i];
        out += "\": ";
        out += std::to_string(i);
    }
    out += '}';
}

}  // namespace

std::string app_constants_json() {
    std::string out = "{";
    append_group(out, "StatusKind", kStatusKindNames);
    out += ", ";
    append_group(out, "StartResult", kStartResultNames);
    out += ", ";
    append_group(out, "DebugTrap", kDebugTrapNames);
    out += '}';
    return out;
}

}  // namespace alzscan::web
