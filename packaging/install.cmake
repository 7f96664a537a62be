# What `cmake --install` and `cpack -G DEB|TGZ` ship: the plugin (named for its ABI, with its
# SONAME link; the unversioned link, the headers, the pkg-config file and the CMake package are
# for people who build hosts), the `goalkeeper` host and gk-supervise side by side in bin/ (the
# host looks for both next to itself), the Python SDK, the example pipelines, the docs, a man page and bash
# completion. The Debian package's dependencies come from dpkg-shlibdeps.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Header-only: for hosts that load the plugin at run time (dlopen) and link nothing of it.
add_library(goalkeeper_headers INTERFACE)
target_include_directories(goalkeeper_headers INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/sdk/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
set_target_properties(goalkeeper_headers PROPERTIES EXPORT_NAME headers)
target_include_directories(goalkeeper INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)

install(TARGETS goalkeeper EXPORT goalkeeperTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT development)
install(TARGETS goalkeeper_headers EXPORT goalkeeperTargets)
install(TARGETS goalkeeper_cli gk-supervise RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/sdk/include/goalkeeper/goalkeeper.h
              ${PROJECT_SOURCE_DIR}/sdk/include/goalkeeper/goalkeeper.hpp
              ${PROJECT_SOURCE_DIR}/sdk/include/goalkeeper/job_key.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/goalkeeper COMPONENT development)

# The CMake package: find_package(goalkeeper 1 CONFIG REQUIRED) gives goalkeeper::headers and
# goalkeeper::plugin. Its version is the ABI's, and another major is refused.
set(GK_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/goalkeeper)
install(EXPORT goalkeeperTargets NAMESPACE goalkeeper:: DESTINATION ${GK_CMAKE_DIR}
  COMPONENT development)
configure_package_config_file(${PROJECT_SOURCE_DIR}/packaging/goalkeeperConfig.cmake.in
  ${PROJECT_BINARY_DIR}/goalkeeperConfig.cmake INSTALL_DESTINATION ${GK_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/goalkeeperConfigVersion.cmake
  VERSION ${GK_ABI_MAJOR}.${GK_ABI_MINOR}.0 COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/goalkeeperConfig.cmake
              ${PROJECT_BINARY_DIR}/goalkeeperConfigVersion.cmake
  DESTINATION ${GK_CMAKE_DIR} COMPONENT development)

# pkg-config: hosts that link the plugin directly (`pkg-config --cflags --libs goalkeeper`);
# hosts that load it at run time only need the header. The prefix is found from the file's own
# place, so an install with another --prefix (or DESTDIR) works as well.
file(RELATIVE_PATH GK_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(${PROJECT_SOURCE_DIR}/packaging/goalkeeper.pc.in ${PROJECT_BINARY_DIR}/goalkeeper.pc
  @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/goalkeeper.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT development)

# The Python SDK (package `goalkeeper`), standard library only: PYTHONPATH=<prefix>/share/
# goalkeeper/python. _install.py tells it where the library is, relative to itself, so a
# relocated tree (a TGZ unpacked anywhere) still finds its own plugin.
set(GK_PYTHON_DIR ${CMAKE_INSTALL_DATADIR}/goalkeeper/python)
file(RELATIVE_PATH GK_PY_TO_LIBDIR /prefix/${GK_PYTHON_DIR}/goalkeeper /prefix/${CMAKE_INSTALL_LIBDIR})
file(WRITE ${PROJECT_BINARY_DIR}/python/_install.py
  "# Written by the install: where libgoalkeeper.so.1 is, relative to this folder.\n"
  "LIBDIR = \"${GK_PY_TO_LIBDIR}\"\n")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sdk/python/goalkeeper DESTINATION ${GK_PYTHON_DIR}
  COMPONENT runtime PATTERN __pycache__ EXCLUDE)
install(FILES ${PROJECT_BINARY_DIR}/python/_install.py DESTINATION ${GK_PYTHON_DIR}/goalkeeper
  COMPONENT runtime)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/pipelines/examples/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/goalkeeper/examples COMPONENT runtime)
# Beside examples/, as the examples import them (../templates/pr-shepherd.yaml).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/pipelines/templates/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/goalkeeper/templates COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/pipelines/pipeline.schema.json
  DESTINATION ${CMAKE_INSTALL_DATADIR}/goalkeeper COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/README.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/
  DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)

# Made from the built command itself: the completion script from its command table, the man page
# from its --help (Debian's help2man). Both are skipped, saying so, when they cannot be made.
set(GK_COMPLETION ${PROJECT_BINARY_DIR}/goalkeeper.bash)
add_custom_command(OUTPUT ${GK_COMPLETION}
  COMMAND $<TARGET_FILE:goalkeeper_cli> completion bash > ${GK_COMPLETION}
  DEPENDS goalkeeper_cli
  COMMENT "Writing the bash completion of goalkeeper")
set(GK_GENERATED_DOCS ${GK_COMPLETION})
install(FILES ${GK_COMPLETION} RENAME goalkeeper
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions COMPONENT runtime)
find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(GK_MAN_PAGE ${PROJECT_BINARY_DIR}/goalkeeper.1)
  add_custom_command(OUTPUT ${GK_MAN_PAGE}
    COMMAND ${HELP2MAN} --no-info --no-discard-stderr
            --name "run multi-agent goals inside CI systems" --output ${GK_MAN_PAGE}
            $<TARGET_FILE:goalkeeper_cli>
    DEPENDS goalkeeper_cli
    COMMENT "Writing the goalkeeper(1) man page")
  list(APPEND GK_GENERATED_DOCS ${GK_MAN_PAGE})
  install(FILES ${GK_MAN_PAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT runtime)
else()
  message(STATUS "help2man not found: no man page (scripts/setup installs it)")
endif()
add_custom_target(goalkeeper_generated_docs ALL DEPENDS ${GK_GENERATED_DOCS})

set(CPACK_PACKAGE_NAME goalkeeper)
set(CPACK_PACKAGE_VENDOR "goalkeeper")
set(CPACK_PACKAGE_CONTACT "goalkeeper maintainers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR "TGZ;DEB")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
include(CPack)
