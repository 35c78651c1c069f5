# alzscan_add_gtest(NAME SOURCES... LIBS ... LABELS ...): one GoogleTest executable, two kinds of
# ctest entries:
#   NAME (wasm_NAME under Emscripten)      the whole executable, labels native|wasm + LABELS: what
#                                          make test runs (ctest -LE case), one process per suite;
#   case.Suite.Test (wasm_case.Suite.Test) each test case alone (gtest_discover_tests, listed when
#                                          the executable is built), label "case": ctest -R picks one.
# Under Emscripten the executable is a .js run by node (ALZSCAN_TEST_LAUNCHER).
include(GoogleTest)

function(alzscan_add_gtest name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE GTest::gtest_main ${ARG_LIBS} alzscan_warnings)
  target_compile_definitions(${name} PRIVATE ALZSCAN_DATA_DIR="${ALZSCAN_DATA_DIR}")
  if(EMSCRIPTEN)
    # NODERAWFS: the data test reads ../shared/data from the real file system under node.
    target_link_options(${name} PRIVATE -sNODERAWFS=1 -sALLOW_MEMORY_GROWTH=1 -sEXIT_RUNTIME=1)
    set_target_properties(${name} PROPERTIES CROSSCOMPILING_EMULATOR "${ALZSCAN_TEST_LAUNCHER}")
    add_test(NAME wasm_${name} COMMAND ${ALZSCAN_TEST_LAUNCHER} $<TARGET_FILE:${name}>)
    set_tests_properties(wasm_${name} PROPERTIES LABELS "wasm;${ARG_LABELS}")
    set(prefix wasm_case.)
  else()
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS "native;${ARG_LABELS}")
    set(prefix case.)
  endif()
  gtest_discover_tests(${name} TEST_PREFIX ${prefix} DISCOVERY_MODE POST_BUILD DISCOVERY_TIMEOUT 120
                       PROPERTIES LABELS case)
endfunction()
