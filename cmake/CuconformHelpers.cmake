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
