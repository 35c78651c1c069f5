# GDCM compiled from Debian's source package (third_party/gdcm, unpacked by scripts/setup.sh with
# Debian's patches) for dicom/ on every side: native, WebAssembly and the sanitizer/fuzz build
# (decision 0014). Only its libraries (no applications, wrappers or tests), static, with its own
# bundled codecs (IJG JPEG 8/12/16-bit, CharLS, OpenJPEG, expat), the program's zlib, and C++
# exceptions, which GDCM uses to report parse errors; dicom/ catches them.
set(ALZSCAN_GDCM_SOURCE_DIR ${CMAKE_CURRENT_LIST_DIR}/../third_party/gdcm CACHE PATH
    "GDCM sources (scripts/setup.sh fetches Debian's source package gdcm)")
if(NOT EXISTS ${ALZSCAN_GDCM_SOURCE_DIR}/Source/MediaStorageAndFileFormat/gdcmImageReader.cxx)
  message(FATAL_ERROR "${ALZSCAN_GDCM_SOURCE_DIR}: no GDCM sources; hint: make setup "
                      "(scripts/setup.sh fetches Debian's source package gdcm)")
endif()
# A build tree of this project whose GDCM libraries are linked instead of compiling GDCM again:
# make test-sanitize links the native build's (uninstrumented; ASan still sees its heap through
# malloc, LSan its leaks), since compiling GDCM under the sanitizers takes about 12 CPU-minutes.
set(ALZSCAN_GDCM_PREBUILT_DIR "" CACHE PATH "A build tree whose gdcm/ libraries are linked instead of building GDCM")
if(ALZSCAN_GDCM_PREBUILT_DIR AND NOT TARGET alzscan_gdcm)
  set(_gdcm_bin ${ALZSCAN_GDCM_PREBUILT_DIR}/gdcm/bin)
  if(NOT EXISTS ${_gdcm_bin}/libgdcmMSFF.a OR NOT EXISTS ${ALZSCAN_GDCM_PREBUILT_DIR}/gdcm/Source/Common/gdcmConfigure.h)
    message(FATAL_ERROR "${ALZSCAN_GDCM_PREBUILT_DIR}: no GDCM build there (gdcm/bin/libgdcmMSFF.a); "
                        "hint: make native builds it")
  endif()
  add_library(alzscan_gdcm INTERFACE)
  set(_gdcm_archives)
  foreach(lib MSFF IOD DSED DICT Common expat jpeg8 jpeg12 jpeg16 openjp2 charls uuid)
    list(APPEND _gdcm_archives ${_gdcm_bin}/libgdcm${lib}.a)
  endforeach()
  # The archives refer to each other in both directions: one group.
  target_link_libraries(alzscan_gdcm INTERFACE -Wl,--start-group ${_gdcm_archives} -Wl,--end-group ${CMAKE_DL_LIBS})
  if(TARGET alzscan_zlib)
    target_link_libraries(alzscan_gdcm INTERFACE alzscan_zlib)
  else()
    find_package(ZLIB REQUIRED)
    target_link_libraries(alzscan_gdcm INTERFACE ZLIB::ZLIB)
  endif()
  target_link_options(alzscan_gdcm INTERFACE -fexceptions)
  set(_gdcm_build_include ${ALZSCAN_GDCM_PREBUILT_DIR}/gdcm/Source/Common)
endif()
if(NOT TARGET alzscan_gdcm)
  foreach(opt GDCM_BUILD_SHARED_LIBS GDCM_BUILD_APPLICATIONS GDCM_BUILD_TESTING GDCM_BUILD_EXAMPLES
              GDCM_BUILD_DOCBOOK_MANPAGES GDCM_USE_VTK GDCM_WRAP_PYTHON GDCM_WRAP_CSHARP GDCM_WRAP_JAVA
              GDCM_USE_SYSTEM_OPENJPEG GDCM_USE_SYSTEM_CHARLS GDCM_USE_SYSTEM_EXPAT
              GDCM_USE_SYSTEM_UUID GDCM_DOCUMENTATION)
    set(${opt} OFF CACHE BOOL "alzscan: GDCM's libraries only" FORCE)
  endforeach()
  # One zlib in the program: GDCM's bundled copy is not renamed, and its inflate would stand in
  # for the one libpng and the NIfTI reader use. Debian's where the codecs are Debian's packages;
  # alzscan_zlib where they are built from Debian's sources (cmake/codecs_from_source.cmake: WASM
  # and the sanitizer build).
  set(GDCM_USE_SYSTEM_ZLIB ON CACHE BOOL "alzscan: the program's one zlib" FORCE)
  if(TARGET alzscan_zlib)
    set(ZLIB_INCLUDE_DIR ${ALZSCAN_CODECS_SOURCE_DIR}/zlib CACHE PATH "zlib from Debian's source" FORCE)
    # Its archive by path (GDCM's install export cannot name a target of ours); ninja knows the
    # path as alzscan_zlib's output.
    set(ZLIB_LIBRARY ${CMAKE_BINARY_DIR}/${CMAKE_STATIC_LIBRARY_PREFIX}alzscan_zlib${CMAKE_STATIC_LIBRARY_SUFFIX}
        CACHE FILEPATH "zlib from Debian's source (alzscan_zlib's archive)" FORCE)
  endif()
  set(_alzscan_cxx_flags "${CMAKE_CXX_FLAGS}")
  # Hidden symbols: natively, Debian's own libgdcm is loaded too (a dependency of libtorch's
  # libraries), and two copies of GDCM's globals under one name would be destroyed twice at exit.
  # Frame pointers: make test-sanitize links this build's GDCM, and LeakSanitizer's fast unwinder
  # needs them to name the GDCM frames its suppressions match (the slow one took 8x as long).
  set(CMAKE_CXX_FLAGS "${CMAKE_CXX_FLAGS} -fexceptions -w -fvisibility=hidden -fvisibility-inlines-hidden -fno-omit-frame-pointer")
  set(_alzscan_c_flags "${CMAKE_C_FLAGS}")
  set(CMAKE_C_FLAGS "${CMAKE_C_FLAGS} -w -fvisibility=hidden -fno-omit-frame-pointer")
  # GDCM caches one output folder for all executables and libraries (EXECUTABLE_OUTPUT_PATH,
  # LIBRARY_OUTPUT_PATH), which would move every target of the build; its folder is kept to itself.
  set(EXECUTABLE_OUTPUT_PATH ${CMAKE_BINARY_DIR}/gdcm/bin)
  set(LIBRARY_OUTPUT_PATH ${CMAKE_BINARY_DIR}/gdcm/bin)
  add_subdirectory(${ALZSCAN_GDCM_SOURCE_DIR} ${CMAKE_BINARY_DIR}/gdcm EXCLUDE_FROM_ALL)
  unset(EXECUTABLE_OUTPUT_PATH)
  unset(LIBRARY_OUTPUT_PATH)
  unset(EXECUTABLE_OUTPUT_PATH CACHE)
  unset(LIBRARY_OUTPUT_PATH CACHE)
  set(CMAKE_CXX_FLAGS "${_alzscan_cxx_flags}")
  set(CMAKE_C_FLAGS "${_alzscan_c_flags}")
  add_library(alzscan_gdcm INTERFACE)
  target_link_libraries(alzscan_gdcm INTERFACE gdcmMSFF)
  target_link_options(alzscan_gdcm INTERFACE -fexceptions)
  set(_gdcm_build_include ${CMAKE_BINARY_DIR}/gdcm/Source/Common)
endif()
# GDCM's headers as its own build uses them (gdcmConfigure.h is written in its build tree).
get_target_property(_gdcm_includes alzscan_gdcm INTERFACE_INCLUDE_DIRECTORIES)
if(NOT _gdcm_includes)
  foreach(dir Common DataStructureAndEncodingDefinition DataDictionary InformationObjectDefinition
              MediaStorageAndFileFormat)
    target_include_directories(alzscan_gdcm SYSTEM INTERFACE ${ALZSCAN_GDCM_SOURCE_DIR}/Source/${dir})
  endforeach()
  target_include_directories(alzscan_gdcm SYSTEM INTERFACE ${_gdcm_build_include})
endif()
