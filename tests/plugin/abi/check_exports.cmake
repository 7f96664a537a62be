# cmake -DLIBRARY=libgoalkeeper.so -DNM=nm -DREADELF=readelf -DSONAME=libgoalkeeper.so.1
#       -P check_exports.cmake
# Fails unless the library's dynamic symbol table defines every function of goalkeeper.h and
# nothing that does not start with gk_, and its SONAME is SONAME.
cmake_minimum_required(VERSION 3.25)

foreach(var LIBRARY NM READELF SONAME)
  if(NOT ${var})
    message(FATAL_ERROR "check_exports.cmake: ${var} is not set")
  endif()
endforeach()

set(abi_functions
  gk_abi_version gk_version gk_host_init gk_open gk_close gk_last_error gk_free gk_load gk_start
  gk_control gk_step gk_job_event gk_review gk_signal gk_webhook gk_query)
# Symbols the toolchain may define in any shared object, and the version node itself.
set(toolchain_symbols _init _fini _edata _end __bss_start GOALKEEPER_1)

execute_process(COMMAND ${NM} -D --defined-only ${LIBRARY}
  OUTPUT_VARIABLE nm_out ERROR_VARIABLE nm_err RESULT_VARIABLE nm_rc)
if(NOT nm_rc EQUAL 0)
  message(FATAL_ERROR "${NM} -D --defined-only ${LIBRARY} failed: ${nm_err}")
endif()

set(failures "")
set(exported "")
string(REPLACE "\n" ";" lines "${nm_out}")
foreach(line IN LISTS lines)
  # "0000000000012340 T gk_open@@GOALKEEPER_1" or "0000000000000000 A GOALKEEPER_1"
  if(NOT line MATCHES "^[0-9a-fA-F]* *([A-Za-z]) ([^ @]+)(@.*)?$")
    continue()
  endif()
  set(type "${CMAKE_MATCH_1}")
  set(name "${CMAKE_MATCH_2}")
  if(name IN_LIST toolchain_symbols)
    continue()
  endif()
  if(NOT name MATCHES "^gk_")
    list(APPEND failures "exports '${name}' (type ${type}), which is not a gk_ symbol")
    continue()
  endif()
  list(APPEND exported ${name})
endforeach()

foreach(fn IN LISTS abi_functions)
  if(NOT fn IN_LIST exported)
    list(APPEND failures "does not export ${fn}")
  endif()
endforeach()

execute_process(COMMAND ${READELF} -d ${LIBRARY}
  OUTPUT_VARIABLE readelf_out ERROR_VARIABLE readelf_err RESULT_VARIABLE readelf_rc)
if(NOT readelf_rc EQUAL 0)
  message(FATAL_ERROR "${READELF} -d ${LIBRARY} failed: ${readelf_err}")
endif()
if(readelf_out MATCHES "\\(SONAME\\)[^\n]*\\[([^]\n]*)\\]")
  if(NOT CMAKE_MATCH_1 STREQUAL SONAME)
    list(APPEND failures "has SONAME '${CMAKE_MATCH_1}', expected '${SONAME}'")
  endif()
else()
  list(APPEND failures "has no SONAME, expected '${SONAME}'")
endif()

if(failures)
  list(LENGTH failures count)
  string(REPLACE ";" "\n  " listed "${failures}")
  message(FATAL_ERROR "${LIBRARY}: ${count} problem(s):\n  ${listed}")
endif()
list(LENGTH exported count)
message(STATUS "${LIBRARY}: exports ${count} gk_ symbols, SONAME ${SONAME}")
