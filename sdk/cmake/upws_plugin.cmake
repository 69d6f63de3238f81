# upws_add_plugin(NAME SOURCES src.c ... [OUTPUT_DIRECTORY dir])
#
# Builds a upws plugin: a MODULE library named NAME.so (no "lib" prefix) with
# hidden visibility, -fPIC, and linked -z now -z defs, so an unresolved
# symbol fails the link (or the load), never in the middle of a callback.
#
# Works in two places:
#   - inside the upws tree, where the SDK is the target `upws_sdk`;
#   - in a third-party project after `find_package(upws)`, where the SDK is
#     the imported target `upws::sdk` (upwsConfig.cmake includes this file).
#
# It adds no sanitizer, optimisation or warning flags of its own: those are
# the plugin author's choice (an un-sanitized plugin loads fine in a host
# built with AddressSanitizer).
#
# UPWS_PLUGIN_INSTALL_DIR is where plugins are installed, relative to the
# install prefix: install(TARGETS NAME LIBRARY DESTINATION ${UPWS_PLUGIN_INSTALL_DIR}).
if(NOT DEFINED UPWS_PLUGIN_INSTALL_DIR)
  set(UPWS_PLUGIN_INSTALL_DIR lib/upws/plugins)
endif()

function(upws_add_plugin name)
  cmake_parse_arguments(P "" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  if(NOT P_SOURCES)
    message(FATAL_ERROR "upws_add_plugin(${name}): SOURCES is required")
  endif()
  add_library(${name} MODULE ${P_SOURCES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON)
  if(P_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${P_OUTPUT_DIRECTORY})
  else()
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/plugins)
  endif()
  target_link_options(${name} PRIVATE -Wl,-z,now -Wl,-z,defs)
  if(TARGET upws_sdk)
    target_link_libraries(${name} PRIVATE upws_sdk)
  elseif(TARGET upws::sdk)
    target_link_libraries(${name} PRIVATE upws::sdk)
  else()
    message(FATAL_ERROR "upws_add_plugin(${name}): no SDK target; call find_package(upws) first")
  endif()
endfunction()
