# libjpeg-turbo, libpng and zlib compiled from Debian's source packages: for the WebAssembly build,
# and for the sanitizer build (tests/sanitize), where ASan and UBSan must see inside the decoders.
# scripts/setup.sh unpacks the versions Debian 12 ships (the same the native build links from
# libjpeg62-turbo-dev, libpng-dev and zlib1g-dev) under third_party/, with Debian's patches.
# The configuration matches Debian's native builds (libjpeg API 6.2, 8-bit samples), with SIMD
# off; the native side runs Debian's build with its C kernels too (shared/src/codec_jpeg.cpp), and
# scripts/compare_native_wasm.sh compares the two sides on the dataset and on crafted files.
# Arithmetic decoding is left out: alzscan refuses arithmetic-coded JPEG from the header.
set(ALZSCAN_CODECS_SOURCE_DIR ${CMAKE_CURRENT_LIST_DIR}/../third_party CACHE PATH
    "Folder holding libjpeg-turbo/, libpng/ and zlib/ source trees (scripts/setup.sh fetches them)")
foreach(dir libjpeg-turbo/jdapimin.c libpng/png.c zlib/inflate.c)
  if(NOT EXISTS ${ALZSCAN_CODECS_SOURCE_DIR}/${dir})
    message(FATAL_ERROR "${ALZSCAN_CODECS_SOURCE_DIR}/${dir} not found; hint: make setup-demo "
                        "(scripts/setup.sh fetches Debian's source packages of libjpeg-turbo, libpng and zlib)")
  endif()
endforeach()

set(_zlib ${ALZSCAN_CODECS_SOURCE_DIR}/zlib)
add_library(alzscan_zlib STATIC
  ${_zlib}/adler32.c ${_zlib}/crc32.c ${_zlib}/deflate.c ${_zlib}/inffast.c ${_zlib}/inflate.c
  ${_zlib}/inftrees.c ${_zlib}/trees.c ${_zlib}/zutil.c)
target_include_directories(alzscan_zlib SYSTEM PUBLIC ${_zlib})
target_compile_definitions(alzscan_zlib PRIVATE HAVE_UNISTD_H HAVE_STDARG_H)
target_compile_options(alzscan_zlib PRIVATE -w)

set(_png ${ALZSCAN_CODECS_SOURCE_DIR}/libpng)
set(_png_conf ${CMAKE_BINARY_DIR}/codecs/libpng)
file(READ ${_png}/scripts/pnglibconf.h.prebuilt _png_conf_text)
string(REPLACE "#define PNG_ZLIB_VERNUM 0 /* unknown */" "#define PNG_ZLIB_VERNUM 0x12d0"
       _png_conf_text "${_png_conf_text}")
file(WRITE ${_png_conf}/pnglibconf.h "${_png_conf_text}")
add_library(alzscan_libpng STATIC
  ${_png}/png.c ${_png}/pngerror.c ${_png}/pngget.c ${_png}/pngmem.c ${_png}/pngread.c
  ${_png}/pngrio.c ${_png}/pngrtran.c ${_png}/pngrutil.c ${_png}/pngset.c ${_png}/pngtrans.c
  ${_png}/pngpread.c ${_png}/pngwrite.c ${_png}/pngwio.c ${_png}/pngwtran.c ${_png}/pngwutil.c)
target_include_directories(alzscan_libpng SYSTEM PUBLIC ${_png} ${_png_conf})
target_compile_definitions(alzscan_libpng PRIVATE PNG_ARM_NEON_OPT=0 PNG_POWERPC_VSX_OPT=0
                           PNG_INTEL_SSE_OPT=0 PNG_MIPS_MSA_OPT=0)
target_compile_options(alzscan_libpng PRIVATE -w)
target_link_libraries(alzscan_libpng PUBLIC alzscan_zlib)

set(_jpeg ${ALZSCAN_CODECS_SOURCE_DIR}/libjpeg-turbo)
set(_jpeg_conf ${CMAKE_BINARY_DIR}/codecs/libjpeg-turbo)
# jconfig.h and friends as Debian's build writes them (function scope keeps these names local).
function(alzscan_jpeg_config_headers src out)
  set(JPEG_LIB_VERSION 62)
  file(STRINGS ${src}/CMakeLists.txt version_line REGEX "^set\\(VERSION [0-9.]+\\)")
  string(REGEX MATCH "([0-9]+)\\.([0-9]+)\\.([0-9]+)" VERSION "${version_line}")
  math(EXPR LIBJPEG_TURBO_VERSION_NUMBER
       "${CMAKE_MATCH_1} * 1000000 + ${CMAKE_MATCH_2} * 1000 + ${CMAKE_MATCH_3}")
  set(BITS_IN_JSAMPLE 8)
  set(MEM_SRCDST_SUPPORTED 1)
  set(BUILD "alzscan-wasm")
  set(INLINE "__inline__ __attribute__((always_inline))")
  set(THREAD_LOCAL "")
  set(CMAKE_PROJECT_NAME libjpeg-turbo)
  math(EXPR SIZE_T "${CMAKE_SIZEOF_VOID_P}")
  set(HAVE_BUILTIN_CTZL 1)
  set(COPYRIGHT_YEAR "1991-2023")
  foreach(h jconfig.h jconfigint.h jversion.h)
    configure_file(${src}/${h}.in ${out}/${h})
  endforeach()
endfunction()
alzscan_jpeg_config_headers(${_jpeg} ${_jpeg_conf})
set(_jpeg_sources jcomapi.c jdapimin.c jdapistd.c jdatasrc.c jdcoefct.c jdcolor.c jddctmgr.c
  jdhuff.c jdicc.c jdinput.c jdmainct.c jdmarker.c jdmaster.c jdmerge.c jdphuff.c jdpostct.c
  jdsample.c jdtrans.c jerror.c jidctflt.c jidctfst.c jidctint.c jidctred.c jquant1.c jquant2.c
  jutils.c jmemmgr.c jmemnobs.c jsimd_none.c)
list(TRANSFORM _jpeg_sources PREPEND ${_jpeg}/)
add_library(alzscan_libjpeg STATIC ${_jpeg_sources})
target_include_directories(alzscan_libjpeg SYSTEM PUBLIC ${_jpeg_conf} ${_jpeg})
target_compile_options(alzscan_libjpeg PRIVATE -w)
