# What `cmake --install` and `cpack` ship: the plugin (with its SONAME link; the unversioned
# link and the headers are for people who build hosts), the `goalkeeper` host and gk-supervise
# side by side in bin/ (the host looks for both next to itself), a pkg-config file, the example
# pipelines and the docs. `cpack -G DEB` makes a Debian package whose dependencies come from
# dpkg-shlibdeps.
include(GNUInstallDirs)

install(TARGETS goalkeeper
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT development)
install(TARGETS goalkeeper_cli gk-supervise RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/sdk/include/goalkeeper/goalkeeper.h
              ${PROJECT_SOURCE_DIR}/sdk/include/goalkeeper/goalkeeper.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/goalkeeper COMPONENT development)

# pkg-config: hosts that link the plugin directly (`pkg-config --cflags --libs goalkeeper`);
# hosts that load it at run time only need the header. The prefix is found from the file's own
# place, so an install with another --prefix (or DESTDIR) works as well.
file(RELATIVE_PATH GK_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(${PROJECT_SOURCE_DIR}/cmake/goalkeeper.pc.in ${PROJECT_BINARY_DIR}/goalkeeper.pc
  @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/goalkeeper.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT development)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/pipelines/examples/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/goalkeeper/examples COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/goal-files.md
              ${PROJECT_SOURCE_DIR}/pipelines/pipeline.schema.json
  DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)

set(CPACK_PACKAGE_NAME goalkeeper)
set(CPACK_PACKAGE_VENDOR "goalkeeper")
set(CPACK_PACKAGE_CONTACT "goalkeeper maintainers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR TGZ)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
include(CPack)
