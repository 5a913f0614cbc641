# An installable library: `cmake --install BUILD --prefix P` installs the programs, the static
# libraries, the public headers (P/include/dvs/) with the internal headers they still reach
# (P/include/dvs/internal/), a CMake package (find_package(dvs), targets dvs::dvs and dvs::server)
# and a pkg-config file (dvs.pc). The Debian package carries only the programs: the library is
# the component "dev".
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(DVS_INTERNAL_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR}/dvs/internal)
set(DVS_LIBRARIES dvs_ledger_proto dvs_core dvs_ledger dvs_statemachine_proto dvs_statemachine
                  dvs_api_proto dvs_api dvs_server)
foreach(lib ${DVS_LIBRARIES})
  target_include_directories(${lib} INTERFACE
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}> $<INSTALL_INTERFACE:${DVS_INTERNAL_INCLUDEDIR}>)
endforeach()

# dvs::dvs: the embedded database (ReleaseService, manifests, renderings, VerifyLedger).
add_library(dvs_library INTERFACE)
target_link_libraries(dvs_library INTERFACE dvs_api)
set_target_properties(dvs_library PROPERTIES EXPORT_NAME dvs)
# A sanitized build's libraries need the sanitizer runtimes wherever they are linked.
set(DVS_PC_EXTRA_LIBS "")
if(DVS_SANITIZE)
  target_link_options(dvs_library INTERFACE $<INSTALL_INTERFACE:-fsanitize=address,undefined>)
  set(DVS_PC_EXTRA_LIBS " -fsanitize=address,undefined")
endif()
set_target_properties(dvs_server PROPERTIES EXPORT_NAME server)

install(TARGETS ${DVS_LIBRARIES} dvs_library EXPORT dvsTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/api/include/dvs DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT dev)
foreach(dir ledger statemachine api/service)
  install(DIRECTORY ${CMAKE_SOURCE_DIR}/${dir}/ DESTINATION ${DVS_INTERNAL_INCLUDEDIR}/${dir}
    COMPONENT dev FILES_MATCHING PATTERN "*.h")
  install(DIRECTORY ${CMAKE_BINARY_DIR}/${dir}/ DESTINATION ${DVS_INTERNAL_INCLUDEDIR}/${dir}
    COMPONENT dev FILES_MATCHING PATTERN "*.pb.h" PATTERN "CMakeFiles" EXCLUDE)
endforeach()

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
