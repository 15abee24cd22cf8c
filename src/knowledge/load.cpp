// SPDX-License-Identifier: Apache-2.0
/// \file Loading the knowledge base: from a folder (`cuconform kb DIR`, $CUCONFORM_KNOWLEDGE_DIR) or compiled in.
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/files.h"
#include "knowledge/reader.h"

namespace cuconform::knowledge {

namespace embedded {
/// matrix/knowledge/*.yaml at build time: {file name, text}, in name order (generated, src/CMakeLists.txt).
std::vector<std::pair<std::string, std::string_view>> files();
}  // namespace embedded

namespace detail {

const std::map<std::string, FileKind>& file_kinds() {
    static const std::map<std::string, FileKind> kinds = {
        {"toolkits.yaml", {{"families", "toolkits"}, &read_toolkits}},
        {"cudnn.yaml",
         {{"releases", "cuda_support_ends", "known_releases", "rows_not_recorded", "sublibraries", "version_encoding",
          "compatibility"},
          &read_cudnn}},
        {"hardware.yaml", {{"features", "binary_compatibility", "architectures", "gpus"}, &read_hardware}},
        {"errors.yaml", {{"cuda_runtime", "cuda_driver", "cudnn_status"}, &read_errors}},
        {"env.yaml", {{"variables"}, &read_env}},
    };
    return kinds;
}

}  // namespace detail

namespace {

constexpr const char* kBuiltIn = "built in (matrix/knowledge at build time)";

}  // namespace

KnowledgeBase KnowledgeBase::parse(const std::vector<std::pair<std::string, std::string_view>>& files,
                                   const std::string& origin) {
    if (files.empty()) throw KnowledgeError(origin, 0, "holds no *.yaml knowledge files");
    auto data = std::make_shared<Data>();
    data->origin = origin;
    for (const auto& [name, text] : files) {
        const std::string where = origin == kBuiltIn ? fmt::format("matrix/knowledge/{} (built in)", name)
                                                     : (std::filesystem::path(origin) / name).string();
        detail::FileReader(name, where, text, *data).read();
    }
    return KnowledgeBase(std::move(data));
}

KnowledgeBase KnowledgeBase::load(const std::filesystem::path& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        throw KnowledgeError(dir.string(), 0,
                             "not a directory; point CUCONFORM_KNOWLEDGE_DIR (or the path) at matrix/knowledge");
    }
    std::vector<std::filesystem::path> paths;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() == ".yaml" || entry.path().extension() == ".yml") {
            // A folder (or anything else) in a knowledge file's place is a broken knowledge base, not a smaller one.
            if (!entry.is_regular_file()) {
                throw KnowledgeError(entry.path().string(), 0,
                                     "is not a file (a folder, or a link to nothing); a knowledge file is a YAML "
                                     "file: restore it (git checkout matrix/knowledge) or remove it");
            }
            paths.push_back(entry.path());
        }
    }
    if (paths.empty()) throw KnowledgeError(dir.string(), 0, "holds no *.yaml knowledge files");
    std::sort(paths.begin(), paths.end());
    std::vector<std::string> texts;
    for (const auto& path : paths) {
        try {
            texts.push_back(read_file(path));
        } catch (const FileError& e) {
            throw KnowledgeError(path.string(), 0, fmt::format("cannot read the file ({})", e.what()));
        }
    }
    std::vector<std::pair<std::string, std::string_view>> files;
    for (std::size_t i = 0; i < paths.size(); ++i) files.emplace_back(paths[i].filename().string(), texts[i]);
    KnowledgeBase kb = parse(files, dir.string());
    std::const_pointer_cast<Data>(kb.data_)->dir = dir;
    return kb;
}

std::vector<std::pair<std::string, std::string_view>> KnowledgeBase::embedded_files() { return embedded::files(); }

std::vector<std::string> KnowledgeBase::file_names() {
    std::vector<std::string> names;
    for (const auto& [name, unused] : detail::file_kinds()) names.push_back(name);
    names.push_back("frameworks.yaml");  // read by its own reader (knowledge/frameworks.h)
    std::sort(names.begin(), names.end());
    return names;
}

std::vector<std::string> KnowledgeBase::missing_files() const {
    std::vector<std::string> missing;
    for (const auto& name : file_names()) {
        const bool read =
            std::any_of(data_->files.begin(), data_->files.end(), [&](const FileSummary& f) { return f.file == name; });
        if (!read) missing.push_back(name);
    }
    return missing;
}

KnowledgeBase KnowledgeBase::embedded() { return parse(embedded::files(), kBuiltIn); }

std::optional<std::filesystem::path> KnowledgeBase::override_dir() {
    if (const char* env = std::getenv("CUCONFORM_KNOWLEDGE_DIR"); env && *env) return std::filesystem::path(env);
    return std::nullopt;
}

const KnowledgeBase& KnowledgeBase::builtin() {
    static const KnowledgeBase kb = [] {
        if (const auto dir = override_dir()) return load(*dir);
        return embedded();
    }();
    return kb;
}

std::optional<std::string> KnowledgeBase::builtin_text(std::string_view file) {
    if (const auto dir = override_dir()) {
        std::ifstream in(*dir / std::string(file), std::ios::binary);
        if (!in) return std::nullopt;
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    }
    for (const auto& [name, text] : embedded::files()) {
        if (name == file) return std::string(text);
    }
    return std::nullopt;
}

const std::filesystem::path& KnowledgeBase::dir() const { return data_->dir; }

const std::string& KnowledgeBase::origin() const { return data_->origin; }

const std::vector<Entry>& KnowledgeBase::entries() const { return data_->entries; }

std::vector<FileSummary> KnowledgeBase::files() const { return data_->files; }

}  // namespace cuconform::knowledge
