# System libraries come from Debian's -dev packages (scripts/install-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(GTest REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
pkg_check_modules(MODBUS REQUIRED IMPORTED_TARGET libmodbus)

# Standalone Asio (header-only, Debian libasio-dev), with C++20 coroutines.
find_path(ASIO_INCLUDE_DIR asio.hpp REQUIRED)
add_library(sf_asio INTERFACE)
target_include_directories(sf_asio SYSTEM INTERFACE ${ASIO_INCLUDE_DIR})
target_compile_definitions(sf_asio INTERFACE ASIO_STANDALONE ASIO_NO_DEPRECATED
                                             ASIO_HAS_CO_AWAIT=1 ASIO_HAS_STD_COROUTINE=1)
target_link_libraries(sf_asio INTERFACE Threads::Threads)

if(SF_WITH_OPCUA AND EXISTS ${CMAKE_CURRENT_LIST_DIR}/SfOpen62541.cmake)
  include(SfOpen62541)
endif()
