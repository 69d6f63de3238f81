# upws_add_plugin(NAME SOURCES src.c ...)
# Builds a upws plugin: a MODULE library named NAME.so with hidden visibility,
# -fPIC, and linked -z now -z defs so an unresolved symbol fails at build
# time (or at load time, never in the middle of a callback).
function(upws_add_plugin name)
  cmake_parse_arguments(P "" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  add_library(${name} MODULE ${P_SOURCES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
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
  endif()
endfunction()
