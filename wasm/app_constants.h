// wasm/app_constants.h: the numbers the page (web/app.js) and the app exchange, each named once.
//
// Every list below defines a C++ enum and, from the same entries, the page's names for its values:
// alzscan_app_constants() returns them as JSON, which app.js reads when the module loads.
//
//   C++:  app->status = StatusKind::Ready;    if (!glfwInit()) return static_cast<int>(StartResult::NoGlfw);
//   JS:   const { StatusKind, StartResult } = JSON.parse(M.UTF8ToString(M._alzscan_app_constants()));
//         M._alzscan_app_set_status(app, StatusKind.Ready, textPtr, runtimePtr);
//         if (M._alzscan_app_start(app) !== StartResult.Ok) ...
//
// Values are the entries' positions (0, 1, ...); JS never writes one of its own.
#pragma once

#include <string>

// The header's status pill (alzscan_app_set_status's kind).
#define ALZSCAN_STATUS_KINDS(X) X(Loading) X(Ready) X(Error)
// alzscan_app_start's result: Ok, or why there is no canvas UI (the page then shows plain HTML).
#define ALZSCAN_START_RESULTS(X) X(Ok) X(NoGlfw) X(NoWindow)
// alzscan_app_debug_trap's kind: where the app traps on purpose (tests of the page's crash recovery).
#define ALZSCAN_DEBUG_TRAPS(X) X(Off) X(NextDecode) X(NextFrame)

namespace alzscan::web {

#define ALZSCAN_ENUMERATOR(name) name,
#define ALZSCAN_PLUS_ONE(name) +1
enum class StatusKind { ALZSCAN_STATUS_KINDS(ALZSCAN_ENUMERATOR) };
enum class StartResult { ALZSCAN_START_RESULTS(ALZSCAN_ENUMERATOR) };
enum class DebugTrap { ALZSCAN_DEBUG_TRAPS(ALZSCAN_ENUMERATOR) };
inline constexpr int kStatusKindCount = 0 ALZSCAN_STATUS_KINDS(ALZSCAN_PLUS_ONE);
inline constexpr int kDebugTrapCount = 0 ALZSCAN_DEBUG_TRAPS(ALZSCAN_PLUS_ONE);
#undef ALZSCAN_PLUS_ONE
#undef ALZSCAN_ENUMERATOR

// {"StatusKind": {"Loading": 0, "Ready": 1, "Error": 2}, "StartResult": {"Ok": 0, ...}, "DebugTrap": {...}}
std::string app_constants_json();

}  // namespace alzscan::web
