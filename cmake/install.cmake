# An installable library: `cmake --install BUILD --prefix P` installs the programs, the static
# libraries, the public headers (P/include/dvs/: api/include/dvs/, self-contained), a CMake package
# (find_package(dvs), target dvs::dvs) and a pkg-config file (dvs.pc). The Debian package carries
# only the programs: the library is the component "dev".
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The libraries the façade (dvs/ledger.h) links. dvs_server is not among them: no public header
# declares what it holds (the server is reached through `dvs serve`).
set(DVS_LIBRARIES dvs_ledger_proto dvs_core dvs_ledger dvs_statemachine_proto dvs_statemachine
                  dvs_api_proto dvs_api)
foreach(lib ${DVS_LIBRARIES})
  target_include_directories(${lib} INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
endforeach()

# dvs::dvs: the embedded ledger (dvs/ledger.h).
add_library(dvs_library INTERFACE)
target_link_libraries(dvs_library INTERFACE dvs_api)
set_target_properties(dvs_library PROPERTIES EXPORT_NAME dvs)
# A sanitized build's libraries need the sanitizer runtimes wherever they are linked.
set(DVS_PC_EXTRA_LIBS "")
if(DVS_SANITIZE)
  target_link_options(dvs_library INTERFACE $<INSTALL_INTERFACE:-fsanitize=address,undefined>)
  set(DVS_PC_EXTRA_LIBS " -fsanitize=address,undefined")
endif()

install(TARGETS ${DVS_LIBRARIES} dvs_library EXPORT dvsTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)

# The public headers. Most live only in api/include/dvs/. The vocabulary they share with the rest
# of dvs (Status, Result, DVS_ASSERT) is defined once, in ledger/ (which must not include api/);
# api/include/dvs/ holds a forwarding header of the same name for each, so that the source tree
# spells them "dvs/status.h" too. Installed, the forwarder is replaced by the definition itself:
# the ledger header, with its own "ledger/X.h" includes rewritten to "dvs/X.h" (done here, at
# configure time, into the build tree; a change to the ledger header configures again). One
# definition of each type, in both trees; an installed header names nothing but std and dvs/.
set(DVS_VOCABULARY status assert)
set(DVS_PUBLIC_BUILD_DIR ${CMAKE_BINARY_DIR}/public/dvs)
set(DVS_VOCABULARY_FILES "")
set(DVS_FORWARDERS "")
foreach(name ${DVS_VOCABULARY})
  set(src ${CMAKE_SOURCE_DIR}/ledger/${name}.h)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${src})
  file(READ ${src} text)
  foreach(other ${DVS_VOCABULARY})
    string(REPLACE "ledger/${other}.h" "dvs/${other}.h" text "${text}")
  endforeach()
  file(CONFIGURE OUTPUT ${DVS_PUBLIC_BUILD_DIR}/${name}.h CONTENT "${text}" @ONLY)
  list(APPEND DVS_VOCABULARY_FILES ${DVS_PUBLIC_BUILD_DIR}/${name}.h)
  list(APPEND DVS_FORWARDERS PATTERN ${name}.h EXCLUDE)
endforeach()
install(DIRECTORY ${CMAKE_SOURCE_DIR}/api/include/dvs DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT dev ${DVS_FORWARDERS})
install(FILES ${DVS_VOCABULARY_FILES} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/dvs COMPONENT dev)

set(DVS_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/dvs)
install(EXPORT dvsTargets NAMESPACE dvs:: DESTINATION ${DVS_CMAKEDIR} COMPONENT dev)
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/dvsConfig.cmake.in
  ${CMAKE_BINARY_DIR}/dvsConfig.cmake INSTALL_DESTINATION ${DVS_CMAKEDIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/dvsConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/dvsConfig.cmake ${CMAKE_BINARY_DIR}/dvsConfigVersion.cmake
  DESTINATION ${DVS_CMAKEDIR} COMPONENT dev)

string(REGEX REPLACE "[^/]+" ".." DVS_PC_UP "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
configure_file(${CMAKE_SOURCE_DIR}/cmake/dvs.pc.in ${CMAKE_BINARY_DIR}/dvs.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/dvs.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT dev)
