// libFuzzer target: untrusted model.json text through the spec parser the browser and the CLI
// share; whatever parses must write back and parse to the same spec.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "alzscan/preprocess_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto spec = alzscan::parse_preprocess_spec(text);
    if (!spec) return 0;
    auto again = alzscan::parse_preprocess_spec(alzscan::preprocess_spec_to_json(*spec));
    if (!again || again->height != spec->height || again->width != spec->width ||
        again->class_names != spec->class_names)
        std::abort();
    return 0;
}
