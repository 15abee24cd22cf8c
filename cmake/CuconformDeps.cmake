# SPDX-License-Identifier: Apache-2.0
# The packages the harness builds with (Debian's -dev packages: scripts/lib/deps.sh), as the targets the rooms link:
#   cuconform::yaml-cpp, cuconform::fmt, cuconform::crypto, cuconform::elf
# With CUCONFORM_STATIC_DEPS (the default) they are the static archives (fmt as its header-only form: Debian ships
# no libfmt.a), so that the cuconform executable needs nothing but glibc and the CUDA libraries it loads itself:
# the GPU run carries that one file to a machine with no apt (scripts/gpu-run, README "The GPU run").
find_package(nlohmann_json 3.10 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(CLI11 REQUIRED)
find_package(fmt REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL REQUIRED)  # SHA-256 of cached wheels
# elfutils' libelf (Debian: libelf-dev) reads the ELF dynamic sections of a consumer's libraries.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBELF REQUIRED IMPORTED_TARGET libelf)

if(CUCONFORM_STATIC_DEPS)
    find_library(CUCONFORM_YAML_CPP_ARCHIVE NAMES libyaml-cpp.a)
    if(NOT CUCONFORM_YAML_CPP_ARCHIVE)
        message(FATAL_ERROR "CUCONFORM_STATIC_DEPS: no libyaml-cpp.a (Debian: libyaml-cpp-dev ships it); install "
            "it, or configure with -DCUCONFORM_STATIC_DEPS=OFF to link the shared libraries")
    endif()
    get_target_property(_yaml_includes yaml-cpp INTERFACE_INCLUDE_DIRECTORIES)
    add_library(cuconform::yaml-cpp STATIC IMPORTED GLOBAL)
    set_target_properties(cuconform::yaml-cpp PROPERTIES IMPORTED_LOCATION "${CUCONFORM_YAML_CPP_ARCHIVE}")
    if(_yaml_includes)
        set_target_properties(cuconform::yaml-cpp PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_yaml_includes}")
    endif()
    add_library(cuconform::fmt ALIAS fmt::fmt-header-only)
    # Named here rather than through OPENSSL_USE_STATIC_LIBS, whose answer a build folder's cache keeps.
    find_library(CUCONFORM_CRYPTO_ARCHIVE NAMES libcrypto.a)
    if(NOT CUCONFORM_CRYPTO_ARCHIVE)
        message(FATAL_ERROR "CUCONFORM_STATIC_DEPS: no libcrypto.a (Debian: libssl-dev ships it); install it, or "
            "configure with -DCUCONFORM_STATIC_DEPS=OFF")
    endif()
    add_library(cuconform::crypto STATIC IMPORTED GLOBAL)
    set_target_properties(cuconform::crypto PROPERTIES
        IMPORTED_LOCATION "${CUCONFORM_CRYPTO_ARCHIVE}"
        INTERFACE_INCLUDE_DIRECTORIES "${OPENSSL_INCLUDE_DIR}"
        INTERFACE_LINK_LIBRARIES "${CMAKE_DL_LIBS};Threads::Threads")
    # libelf.a needs zlib (pkg-config --static --libs libelf: -lelf -lz); both archives are in libelf-dev/zlib1g-dev.
    find_library(CUCONFORM_ELF_ARCHIVE NAMES libelf.a)
    find_library(CUCONFORM_Z_ARCHIVE NAMES libz.a)
    if(NOT CUCONFORM_ELF_ARCHIVE OR NOT CUCONFORM_Z_ARCHIVE)
        message(FATAL_ERROR "CUCONFORM_STATIC_DEPS: no libelf.a or libz.a (Debian: libelf-dev, zlib1g-dev ship "
            "them); install them, or configure with -DCUCONFORM_STATIC_DEPS=OFF")
    endif()
    add_library(cuconform::elf STATIC IMPORTED GLOBAL)
    set_target_properties(cuconform::elf PROPERTIES
        IMPORTED_LOCATION "${CUCONFORM_ELF_ARCHIVE}"
        INTERFACE_INCLUDE_DIRECTORIES "${LIBELF_INCLUDE_DIRS}"
        INTERFACE_LINK_LIBRARIES "${CUCONFORM_Z_ARCHIVE}")
else()
    add_library(cuconform::yaml-cpp ALIAS yaml-cpp)
    add_library(cuconform::fmt ALIAS fmt::fmt)
    add_library(cuconform::crypto ALIAS OpenSSL::Crypto)
    add_library(cuconform::elf ALIAS PkgConfig::LIBELF)
endif()

# Links libstdc++ and libgcc into <target> under CUCONFORM_STATIC_DEPS (executables that travel; not the test and
# benchmark programs, which link Debian's shared GoogleTest/Benchmark built against the shared libstdc++).
function(cuconform_static_runtime target)
    if(CUCONFORM_STATIC_DEPS)
        target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc)
    endif()
endfunction()
