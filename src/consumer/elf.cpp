// SPDX-License-Identifier: Apache-2.0
/// \file ELF dynamic sections through elfutils' libelf.
#include "consumer/elf.h"

#include <elf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "core/util.h"

namespace cuconform::consumer {

namespace {

/// An open file and its libelf descriptor, closed together.
class ElfFile {
public:
    explicit ElfFile(const std::string& path) : path_(path) {
        static std::once_flag once;
        std::call_once(once, [] { elf_version(EV_CURRENT); });
        fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) throw ElfError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
        elf_ = elf_begin(fd_, ELF_C_READ_MMAP, nullptr);
        if (elf_ == nullptr || elf_kind(elf_) != ELF_K_ELF) {
            close();
            throw ElfError(fmt::format("{}: not an ELF file", path));
        }
    }
    ~ElfFile() { close(); }
    ElfFile(const ElfFile&) = delete;
    ElfFile& operator=(const ElfFile&) = delete;

    Elf* get() const { return elf_; }
    const std::string& path() const { return path_; }

    /// The section named `name`, or nullptr.
    Elf_Scn* section(const char* name) const {
        std::size_t names = 0;
        if (elf_getshdrstrndx(elf_, &names) != 0) return nullptr;
        for (Elf_Scn* scn = elf_nextscn(elf_, nullptr); scn != nullptr; scn = elf_nextscn(elf_, scn)) {
            GElf_Shdr shdr;
            if (gelf_getshdr(scn, &shdr) == nullptr) continue;
            const char* n = elf_strptr(elf_, names, shdr.sh_name);
            if (n != nullptr && std::strcmp(n, name) == 0) return scn;
        }
        return nullptr;
    }

private:
    void close() {
        if (elf_ != nullptr) elf_end(elf_);
        if (fd_ >= 0) ::close(fd_);
        elf_ = nullptr;
        fd_ = -1;
    }

    std::string path_;
    int fd_ = -1;
    Elf* elf_ = nullptr;
};

std::vector<std::string> split_colons(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto end = text.find(':', start);
        out.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return out;
}

}  // namespace

results::ElfObject ElfInfo::record() const { return {path, soname, needed, rpath, runpath, interp}; }

ElfInfo read_elf(const std::string& path) {
    ElfFile file(path);
    ElfInfo info;
    info.path = path;
    GElf_Ehdr ehdr;
    if (gelf_getehdr(file.get(), &ehdr) == nullptr) throw ElfError(fmt::format("{}: no ELF header", path));
    info.elf_class = gelf_getclass(file.get());
    info.machine = ehdr.e_machine;

    std::size_t phnum = 0;
    if (elf_getphdrnum(file.get(), &phnum) == 0) {
        for (std::size_t i = 0; i < phnum; ++i) {
            GElf_Phdr phdr;
            if (gelf_getphdr(file.get(), static_cast<int>(i), &phdr) == nullptr || phdr.p_type != PT_INTERP) continue;
            std::size_t size = 0;
            const char* raw = elf_rawfile(file.get(), &size);
            if (raw != nullptr && phdr.p_offset + phdr.p_filesz <= size && phdr.p_filesz > 0) {
                info.interp.assign(raw + phdr.p_offset, strnlen(raw + phdr.p_offset, phdr.p_filesz));
            }
        }
    }

    for (Elf_Scn* scn = elf_nextscn(file.get(), nullptr); scn != nullptr; scn = elf_nextscn(file.get(), scn)) {
        GElf_Shdr shdr;
        if (gelf_getshdr(scn, &shdr) == nullptr || shdr.sh_type != SHT_DYNAMIC) continue;
        Elf_Data* data = elf_getdata(scn, nullptr);
        if (data == nullptr || shdr.sh_entsize == 0) break;
        const std::size_t count = shdr.sh_size / shdr.sh_entsize;
        for (std::size_t i = 0; i < count; ++i) {
            GElf_Dyn dyn;
            if (gelf_getdyn(data, static_cast<int>(i), &dyn) == nullptr || dyn.d_tag == DT_NULL) break;
            auto text = [&] {
                const char* s = elf_strptr(file.get(), shdr.sh_link, dyn.d_un.d_val);
                return std::string(s != nullptr ? s : "");
            };
            switch (dyn.d_tag) {
                case DT_NEEDED:
                    info.needed.push_back(text());
                    break;
                case DT_SONAME:
                    info.soname = text();
                    break;
                case DT_RPATH:
                    info.rpath = split_colons(text());
                    break;
                case DT_RUNPATH:
                    info.runpath = split_colons(text());
                    break;
                case DT_FLAGS_1:
                    info.nodeflib = (dyn.d_un.d_val & DF_1_NODEFLIB) != 0;
                    break;
                default:
                    break;
            }
        }
        break;
    }
    return info;
}

const ElfInfo* elf_info(const std::string& path) {
    // The examination runs on one thread; the cache lives as long as the process (paths do not change under it
    // in the time one command takes).
    static std::map<std::string, std::unique_ptr<ElfInfo>> cache;
    auto it = cache.find(path);
    if (it == cache.end()) {
        std::unique_ptr<ElfInfo> info;
        try {
            info = std::make_unique<ElfInfo>(read_elf(path));
        } catch (const ElfError&) {
        }
        it = cache.emplace(path, std::move(info)).first;
    }
    return it->second.get();
}

std::vector<std::string> rodata_names(const std::string& path, const std::string& prefix) {
    ElfFile file(path);
    std::set<std::string> names;
    Elf_Scn* scn = file.section(".rodata");
    if (scn == nullptr) return {};
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data == nullptr || data->d_buf == nullptr) return {};
    const std::string_view bytes(static_cast<const char*>(data->d_buf), data->d_size);
    auto allowed = [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == '+' || ch == '-';
    };
    for (auto at = bytes.find(prefix); at != std::string_view::npos; at = bytes.find(prefix, at + 1)) {
        auto end = at + prefix.size();
        while (end < bytes.size() && allowed(bytes[end])) ++end;
        names.emplace(bytes.substr(at, end - at));
    }
    return {names.begin(), names.end()};
}

std::vector<std::string> cudnn_sublibrary_sonames(const std::string& shim_path) {
    std::vector<std::string> out;
    const ElfInfo* shim = elf_info(shim_path);
    if (shim == nullptr) return out;
    const std::string soname = shim->soname.empty() ? shim_path.substr(shim_path.rfind('/') + 1) : shim->soname;
    const auto at = soname.find(".so.");
    if (at == std::string::npos) return out;
    const std::string major = soname.substr(at + 4, soname.find('.', at + 4) - at - 4);
    auto add_from = [&](const std::string& file) {
        try {
            for (const auto& name : rodata_names(file, "libcudnn_")) {
                const auto so = name.find(".so");
                if (so == std::string::npos) continue;
                const std::string sub = name.substr(0, so + 3) + "." + major;
                if (std::find(out.begin(), out.end(), sub) == out.end()) out.push_back(sub);
            }
        } catch (const ElfError&) {
        }
    };
    add_from(shim_path);
    const std::string dir = shim_path.substr(0, shim_path.rfind('/') + 1);
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (out[i].rfind("libcudnn_graph.so", 0) == 0) add_from(dir + out[i]);
    }
    return out;
}

}  // namespace cuconform::consumer
