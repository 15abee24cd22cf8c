# SPDX-License-Identifier: Apache-2.0
# Build helpers shared by src/, cases/, kernels/, tests/ and bench/.

# Warnings are errors on host code we write.
function(cuconform_warnings target)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror -Wno-missing-field-initializers)
endfunction()

# cuconform_add_fatbin(TARGET <lib> NAME <symbol> SOURCE <file.cu> [GENCODE <flag>...])
# Compiles a .cu file with nvcc into a fat binary and embeds it into <lib> as
# `extern "C" const unsigned char <symbol>[]` plus `<symbol>_size`. Cases load the image with the
# driver API (cuModuleLoadData) at run time, so a missing kernel image is an observed outcome.
function(cuconform_add_fatbin)
    cmake_parse_arguments(ARG "" "TARGET;NAME;SOURCE" "GENCODE" ${ARGN})
    set(fatbin "${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}.fatbin")
    set(embed "${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}.fatbin.S")
    add_custom_command(OUTPUT "${fatbin}"
        COMMAND ${CUCONFORM_NVCC} --fatbin -O3 ${ARG_GENCODE} -o "${fatbin}" "${ARG_SOURCE}"
        DEPENDS "${ARG_SOURCE}"
        WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
        COMMENT "nvcc --fatbin ${ARG_NAME}"
        VERBATIM)
    file(WRITE "${embed}.in" "    .section .rodata\n    .global ${ARG_NAME}\n    .global ${ARG_NAME}_size\n    .balign 16\n${ARG_NAME}:\n    .incbin \"${fatbin}\"\n${ARG_NAME}_end:\n    .balign 8\n${ARG_NAME}_size:\n    .quad ${ARG_NAME}_end - ${ARG_NAME}\n    .section .note.GNU-stack,\"\",@progbits\n")
    configure_file("${embed}.in" "${embed}" COPYONLY)
    set_source_files_properties("${embed}" PROPERTIES OBJECT_DEPENDS "${fatbin}" LANGUAGE ASM)
    target_sources(${ARG_TARGET} PRIVATE "${embed}")
endfunction()

# cuconform_room(<name> [PUBLIC <room|target>...] [PRIVATE <room|target>...] [EXCLUDE <file>...])
# One room of src/: an OBJECT library cuconform_<name> of src/<name>/*.cpp. Its headers are reachable as
# "<name>/x.h" only by itself and by the rooms that name it (directly or through a PUBLIC room): the include
# directory is rooms/<name>/, which holds a single link <name> -> src/<name>. Bare room names in PUBLIC and
# PRIVATE mean cuconform_<room>.
function(cuconform_room name)
    cmake_parse_arguments(ARG "" "" "PUBLIC;PRIVATE;EXCLUDE" ${ARGN})
    file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${name}/*.cpp)
    foreach(excluded IN LISTS ARG_EXCLUDE)
        list(REMOVE_ITEM sources ${CMAKE_CURRENT_SOURCE_DIR}/${name}/${excluded})
    endforeach()
    add_library(cuconform_${name} OBJECT ${sources})
    cuconform_room_include(cuconform_${name} ${name} ${CMAKE_CURRENT_SOURCE_DIR}/${name})
    foreach(scope PUBLIC PRIVATE)
        set(deps "")
        foreach(dep IN LISTS ARG_${scope})
            if(TARGET cuconform_${dep})
                list(APPEND deps cuconform_${dep})
            else()
                list(APPEND deps ${dep})
            endif()
        endforeach()
        target_link_libraries(cuconform_${name} ${scope} ${deps})
    endforeach()
    cuconform_warnings(cuconform_${name})
    set_property(GLOBAL APPEND PROPERTY CUCONFORM_ROOMS cuconform_${name})
endfunction()

# Gives <target> the include directory rooms/<name>/ holding the link <name> -> <dir>.
function(cuconform_room_include target name dir)
    set(include ${CMAKE_BINARY_DIR}/rooms/${name})
    file(MAKE_DIRECTORY ${include})
    if(NOT EXISTS ${include}/${name})
        file(CREATE_LINK ${dir} ${include}/${name} SYMBOLIC)
    endif()
    target_include_directories(${target} PUBLIC ${include})
endfunction()

# Links every room (and the embedded kernel images) into an executable, plus the further object libraries given.
function(cuconform_link_rooms target)
    get_property(rooms GLOBAL PROPERTY CUCONFORM_ROOMS)
    target_link_libraries(${target} PRIVATE ${rooms} cuconform_kernels ${ARGN})
endfunction()
