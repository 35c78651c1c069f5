# alzscan_add_gtest(NAME SOURCES... LIBS ...): one GoogleTest executable, one ctest entry.
# Under Emscripten the executable is a .js run by node (ALZSCAN_TEST_LAUNCHER).
function(alzscan_add_gtest name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE GTest::gtest_main ${ARG_LIBS} alzscan_warnings)
  target_compile_definitions(${name} PRIVATE ALZSCAN_DATA_DIR="${ALZSCAN_DATA_DIR}")
  if(EMSCRIPTEN)
    # NODERAWFS: the data test reads ../shared/data from the real file system under node.
    target_link_options(${name} PRIVATE -sNODERAWFS=1 -sALLOW_MEMORY_GROWTH=1 -sEXIT_RUNTIME=1)
    add_test(NAME wasm_${name} COMMAND ${ALZSCAN_TEST_LAUNCHER} $<TARGET_FILE:${name}>)
    set_tests_properties(wasm_${name} PROPERTIES LABELS "wasm;${ARG_LABELS}")
  else()
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS "native;${ARG_LABELS}")
  endif()
endfunction()
