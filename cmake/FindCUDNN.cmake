# SPDX-License-Identifier: Apache-2.0
# Finds cuDNN's headers and reads its version from cudnn_version.h (cuDNN 8 and 9).
# The harness never links cuDNN: it loads it at run time by soname, the way frameworks do.
# Sets CUDNN_FOUND, CUDNN_INCLUDE_DIR, CUDNN_VERSION (x.y.z), CUDNN_VERSION_MAJOR, and the
# imported target CUDNN::headers. Hints: CUDNN_ROOT, CUDNN_INCLUDE_DIR, CUDAToolkit_INCLUDE_DIRS.
find_path(CUDNN_INCLUDE_DIR
    NAMES cudnn_version.h cudnn.h
    HINTS ${CUDNN_ROOT} $ENV{CUDNN_ROOT} ${CUDAToolkit_INCLUDE_DIRS} ${CUDAToolkit_LIBRARY_ROOT}
    PATH_SUFFIXES include)

if(CUDNN_INCLUDE_DIR)
    set(_cudnn_version_header "${CUDNN_INCLUDE_DIR}/cudnn_version.h")
    if(NOT EXISTS "${_cudnn_version_header}")
        set(_cudnn_version_header "${CUDNN_INCLUDE_DIR}/cudnn.h")  # cuDNN 7 kept the version here
    endif()
    file(READ "${_cudnn_version_header}" _cudnn_header)
    foreach(_part MAJOR MINOR PATCHLEVEL)
        string(REGEX MATCH "define CUDNN_${_part} +([0-9]+)" _match "${_cudnn_header}")
        set(_cudnn_${_part} "${CMAKE_MATCH_1}")
    endforeach()
    if(NOT _cudnn_MAJOR STREQUAL "")
        set(CUDNN_VERSION "${_cudnn_MAJOR}.${_cudnn_MINOR}.${_cudnn_PATCHLEVEL}")
        set(CUDNN_VERSION_MAJOR "${_cudnn_MAJOR}")
    endif()
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CUDNN
    REQUIRED_VARS CUDNN_INCLUDE_DIR CUDNN_VERSION
    VERSION_VAR CUDNN_VERSION
    REASON_FAILURE_MESSAGE "cudnn_version.h not found: set CUDNN_ROOT to a cuDNN prefix (include/cudnn_version.h)")

if(CUDNN_FOUND AND NOT TARGET CUDNN::headers)
    add_library(CUDNN::headers INTERFACE IMPORTED)
    set_target_properties(CUDNN::headers PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${CUDNN_INCLUDE_DIR}")
endif()
mark_as_advanced(CUDNN_INCLUDE_DIR)
