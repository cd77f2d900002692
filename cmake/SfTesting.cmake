# sf_add_test(NAME <name> SOURCES <files...> LIBS <targets...> LABELS <unit|integration|e2e> [TIMEOUT s])
# One GoogleTest executable registered with ctest under the given labels.
include(GoogleTest)
enable_testing()

function(sf_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main GTest::gmock
                                          sf_warnings)
  target_include_directories(${T_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  # One ctest entry per executable keeps the ctest summary readable and start-up cheap.
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT})
endfunction()

# The Python that runs Python-backed tests: the project venv that scripts/install-deps.sh fills
# from scripts/requirements-test.txt (pymodbus, jsonschema, fastavro, ...), else python3.
set(_sf_cache_dir "$ENV{SF_CACHE_DIR}")
if(NOT _sf_cache_dir)
  set(_sf_cache_dir "$ENV{HOME}/.cache/streamforge")
endif()
if(EXISTS "${_sf_cache_dir}/venv/bin/python")
  set(SF_TEST_PYTHON "${_sf_cache_dir}/venv/bin/python" CACHE FILEPATH "Python for tests")
else()
  find_program(SF_TEST_PYTHON NAMES python3 REQUIRED)
endif()
