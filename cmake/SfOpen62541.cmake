# open62541 (OPC UA) for SF_WITH_OPCUA. Defines the target sf::open62541. See docs/OPCUA.md.
#
# Provider, chosen by SF_OPEN62541_PROVIDER:
#   auto     (default) an installed open62541 (find_package CONFIG) when there is a compatible one,
#            else the bundled build below;
#   system   an installed open62541 or fail;
#   bundled  always build the cached source.
# The bundled build compiles the source that scripts/fetch-open62541.sh extracted into
# ${SF_CACHE_DIR}/open62541-<version>/ as an ExternalProject: its own CMake run with its own
# flags (none of our warnings reach it), configured and built once per build directory and not
# again on re-configure unless the options below change.

include_guard(GLOBAL)

# The pinned version lives in the fetch script only, so the two never drift.
file(STRINGS ${CMAKE_CURRENT_LIST_DIR}/../scripts/fetch-open62541.sh _sf_o6_ver_line
     REGEX "^readonly OPEN62541_VERSION=")
string(REGEX REPLACE "^readonly OPEN62541_VERSION=\"([0-9.]+)\".*" "\\1" SF_OPEN62541_VERSION
                     "${_sf_o6_ver_line}")
if(NOT SF_OPEN62541_VERSION MATCHES "^[0-9]+\\.[0-9]+\\.[0-9]+$")
  message(FATAL_ERROR "SfOpen62541: cannot read OPEN62541_VERSION from scripts/fetch-open62541.sh")
endif()

set(SF_OPEN62541_PROVIDER "auto" CACHE STRING "Where open62541 comes from: auto, system or bundled")
set_property(CACHE SF_OPEN62541_PROVIDER PROPERTY STRINGS auto system bundled)
# OPC UA security policies (Basic256Sha256, Aes128/256…) need a crypto backend. OpenSSL is
# Debian's libssl-dev; MBEDTLS (libmbedtls-dev) works too; OFF leaves only policy None.
set(SF_OPCUA_ENCRYPTION "OPENSSL" CACHE STRING "open62541 crypto backend: OPENSSL, MBEDTLS or OFF")
set_property(CACHE SF_OPCUA_ENCRYPTION PROPERTY STRINGS OPENSSL MBEDTLS OFF)
# The oldest release with the API we code against (1.4 reworked the client and event loop).
set(SF_OPEN62541_MIN_VERSION 1.4)

# ---------------------------------------------------------------------------------------------
# 1. An installed open62541 (a distribution package, or CMAKE_PREFIX_PATH / open62541_DIR).
if(NOT SF_OPEN62541_PROVIDER STREQUAL "bundled")
  find_package(open62541 ${SF_OPEN62541_MIN_VERSION} CONFIG QUIET)
  if(open62541_FOUND AND TARGET open62541::open62541)
    add_library(sf::open62541 ALIAS open62541::open62541)
    set(SF_OPEN62541_SOURCE "system")
    # Warn when the installed build cannot do what we configured (security policies).
    get_target_property(_sf_o6_inc open62541::open62541 INTERFACE_INCLUDE_DIRECTORIES)
    foreach(_dir IN LISTS _sf_o6_inc)
      if(EXISTS ${_dir}/open62541/config.h)
        file(STRINGS ${_dir}/open62541/config.h _sf_o6_enc REGEX "^#define UA_ENABLE_ENCRYPTION$")
        if(NOT _sf_o6_enc AND NOT SF_OPCUA_ENCRYPTION STREQUAL "OFF")
          message(WARNING "SfOpen62541: the installed open62541 (${open62541_DIR}) was built "
                          "without encryption: only SecurityPolicy#None will work. Use "
                          "-DSF_OPEN62541_PROVIDER=bundled for the bundled build with encryption.")
        endif()
      endif()
    endforeach()
    message(STATUS "open62541: system ${open62541_VERSION} (${open62541_DIR})")
    return()
  elseif(SF_OPEN62541_PROVIDER STREQUAL "system")
    message(FATAL_ERROR "SfOpen62541: SF_OPEN62541_PROVIDER=system but no open62541 >= "
                        "${SF_OPEN62541_MIN_VERSION} CMake package was found (set "
                        "CMAKE_PREFIX_PATH or open62541_DIR, or use auto/bundled).")
  endif()
endif()

# ---------------------------------------------------------------------------------------------
# 2. The bundled build of the cached source.
if(DEFINED ENV{SF_CACHE_DIR} AND NOT "$ENV{SF_CACHE_DIR}" STREQUAL "")
  set(_sf_cache_default "$ENV{SF_CACHE_DIR}")
else()
  set(_sf_cache_default "$ENV{HOME}/.cache/streamforge")
endif()
set(SF_CACHE_DIR "${_sf_cache_default}" CACHE PATH "Cache of fetched third-party sources")
set(SF_OPEN62541_SOURCE_DIR "${SF_CACHE_DIR}/open62541-${SF_OPEN62541_VERSION}"
    CACHE PATH "open62541 source tree (filled by scripts/fetch-open62541.sh)")

# The stamp is written last by the fetch script: without it the tree may be partial.
if(NOT EXISTS ${SF_OPEN62541_SOURCE_DIR}/CMakeLists.txt
   OR NOT EXISTS ${SF_OPEN62541_SOURCE_DIR}/.sf-fetch-stamp)
  message(FATAL_ERROR
    "open62541 ${SF_OPEN62541_VERSION} source not found in\n  ${SF_OPEN62541_SOURCE_DIR}\n"
    "SF_WITH_OPCUA is ON and no installed open62541 >= ${SF_OPEN62541_MIN_VERSION} was found. "
    "Fetch it once (a 3 MB crate download, then cached) with:\n"
    "  scripts/fetch-open62541.sh\n"
    "then configure again. Alternatives: -DSF_WITH_OPCUA=OFF, or point CMAKE_PREFIX_PATH at an "
    "installed open62541. The cache root follows SF_CACHE_DIR (environment or CMake variable).")
endif()

find_package(Threads REQUIRED)
# open62541's build generates code with Python; pass ours so both runs agree.
find_package(Python3 COMPONENTS Interpreter REQUIRED)

set(_sf_o6_crypto_libs "")
if(SF_OPCUA_ENCRYPTION STREQUAL "OPENSSL")
  find_package(OpenSSL)
  if(NOT OPENSSL_FOUND)
    message(FATAL_ERROR "SfOpen62541: SF_OPCUA_ENCRYPTION=OPENSSL needs OpenSSL (Debian: "
                        "libssl-dev). Install it or configure with -DSF_OPCUA_ENCRYPTION=OFF.")
  endif()
  set(_sf_o6_crypto_libs OpenSSL::SSL OpenSSL::Crypto)
elseif(SF_OPCUA_ENCRYPTION STREQUAL "MBEDTLS")
  find_library(SF_MBEDTLS_LIB mbedtls)
  find_library(SF_MBEDX509_LIB mbedx509)
  find_library(SF_MBEDCRYPTO_LIB mbedcrypto)
  if(NOT SF_MBEDTLS_LIB OR NOT SF_MBEDX509_LIB OR NOT SF_MBEDCRYPTO_LIB)
    message(FATAL_ERROR "SfOpen62541: SF_OPCUA_ENCRYPTION=MBEDTLS needs Mbed TLS (Debian: "
                        "libmbedtls-dev).")
  endif()
  set(_sf_o6_crypto_libs ${SF_MBEDTLS_LIB} ${SF_MBEDX509_LIB} ${SF_MBEDCRYPTO_LIB})
elseif(NOT SF_OPCUA_ENCRYPTION STREQUAL "OFF")
  message(FATAL_ERROR "SfOpen62541: SF_OPCUA_ENCRYPTION must be OPENSSL, MBEDTLS or OFF")
endif()

# open62541 is built optimised whatever our build type, except for Debug builds of ours
# (stepping into the stack). -O0 builds in ~12 s, -O2 -g in ~25 s on 2 cores.
if(CMAKE_BUILD_TYPE STREQUAL "Debug")
  set(_sf_o6_build_type Debug)
else()
  set(_sf_o6_build_type RelWithDebInfo)
endif()

set(_sf_o6_c_flags "")
if(SF_SANITIZE)
  # ASan only: open62541 has known benign UBSan reports (unaligned loads in its decoders).
  set(_sf_o6_c_flags "-fsanitize=address -fno-omit-frame-pointer")
endif()

set(_sf_o6_prefix ${CMAKE_BINARY_DIR}/_deps/open62541)
set(_sf_o6_install ${_sf_o6_prefix}/install)
set(_sf_o6_lib ${_sf_o6_install}/lib/${CMAKE_STATIC_LIBRARY_PREFIX}open62541${CMAKE_STATIC_LIBRARY_SUFFIX})

include(ExternalProject)
ExternalProject_Add(sf_open62541_build
  PREFIX ${_sf_o6_prefix}
  SOURCE_DIR ${SF_OPEN62541_SOURCE_DIR}
  BINARY_DIR ${_sf_o6_prefix}/build
  INSTALL_DIR ${_sf_o6_install}
  # The source is immutable per version (a new version is a new directory): no download or
  # update step, and the sub-build re-runs its own CMake only when its inputs change.
  DOWNLOAD_COMMAND ""
  UPDATE_COMMAND ""
  CONFIGURE_HANDLED_BY_BUILD ON
  CMAKE_ARGS
    -DCMAKE_BUILD_TYPE=${_sf_o6_build_type}
    -DCMAKE_INSTALL_PREFIX=<INSTALL_DIR>
    -DCMAKE_INSTALL_LIBDIR=lib
    -DCMAKE_INSTALL_INCLUDEDIR=include
    -DCMAKE_C_COMPILER=${CMAKE_C_COMPILER}
    -DCMAKE_C_COMPILER_LAUNCHER=${CMAKE_C_COMPILER_LAUNCHER}
    -DCMAKE_C_FLAGS=${_sf_o6_c_flags}
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON
    # open62541 turns LTO on by itself in non-debug builds: slower, and a GCC-LTO archive
    # would not link into a clang build of ours.
    -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=OFF
    -DPython3_EXECUTABLE=${Python3_EXECUTABLE}
    -DBUILD_SHARED_LIBS=OFF
    -DUA_ENABLE_ENCRYPTION=${SF_OPCUA_ENCRYPTION}
    # Client-side needs: subscriptions and events, methods, history read, JSON encoding (handy
    # for values in records). PubSub (UDP/MQTT publisher) is not used by the gateway.
    -DUA_ENABLE_PUBSUB=OFF
    -DUA_ENABLE_SUBSCRIPTIONS=ON
    -DUA_ENABLE_SUBSCRIPTIONS_EVENTS=ON
    -DUA_ENABLE_HISTORIZING=ON
    -DUA_ENABLE_JSON_ENCODING=ON
    -DUA_ENABLE_DISCOVERY_MULTICAST=OFF
    -DUA_NAMESPACE_ZERO=REDUCED
    -DUA_MULTITHREADING=100
    -DUA_ENABLE_AMALGAMATION=OFF
    -DUA_BUILD_EXAMPLES=OFF
    -DUA_BUILD_TOOLS=OFF
    -DUA_BUILD_UNIT_TESTS=OFF
    -DUA_ENABLE_DEBUG_SANITIZER=OFF
    -DUA_FORCE_WERROR=OFF
  BUILD_BYPRODUCTS ${_sf_o6_lib}
  LOG_CONFIGURE ON
  LOG_BUILD ON
  LOG_INSTALL ON
  LOG_OUTPUT_ON_FAILURE ON
)

# The imported target must name existing include directories at generate time.
file(MAKE_DIRECTORY ${_sf_o6_install}/include)

add_library(sf_open62541 STATIC IMPORTED GLOBAL)
set_target_properties(sf_open62541 PROPERTIES
  IMPORTED_LOCATION ${_sf_o6_lib}
  # Imported include directories are SYSTEM: our warning flags stay off its headers.
  INTERFACE_INCLUDE_DIRECTORIES ${_sf_o6_install}/include)
target_link_libraries(sf_open62541 INTERFACE Threads::Threads ${_sf_o6_crypto_libs} m rt)
add_dependencies(sf_open62541 sf_open62541_build)
add_library(sf::open62541 ALIAS sf_open62541)

set(SF_OPEN62541_SOURCE "bundled")
message(STATUS "open62541: bundled ${SF_OPEN62541_VERSION} from ${SF_OPEN62541_SOURCE_DIR} "
               "(encryption ${SF_OPCUA_ENCRYPTION}, ${_sf_o6_build_type})")
