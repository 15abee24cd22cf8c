// SPDX-License-Identifier: Apache-2.0
/// \file Runs a compiler of the build's toolchain (the C++ compiler, nvcc) and reads its first diagnostic.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "core/outcome.h"

namespace cuconform::cases {

/// What a finished command left: its exit status (-1 when it could not start) and stdout+stderr.
struct CommandResult {
    int exit_code = -1;
    std::string output;
};

/// Runs argv[0] with argv (no shell), stdout and stderr together.
inline CommandResult run_command(const std::vector<std::string>& argv) {
    CommandResult result;
    int fds[2];
    if (pipe(fds) != 0) return result;
    const pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return result;
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        std::vector<char*> args;
        for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
    close(fds[1]);
    char buffer[4096];
    ssize_t got = 0;
    while ((got = read(fds[0], buffer, sizeof buffer)) > 0) result.output.append(buffer, static_cast<size_t>(got));
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

/// The first line of `output` containing `marker` ("error", "fatal"), or the first line.
inline std::string first_diagnostic(const std::string& output, std::string_view marker) {
    std::size_t start = 0;
    std::string first;
    while (start < output.size()) {
        auto end = output.find('\n', start);
        std::string line = output.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (first.empty()) first = line;
        if (line.find(marker) != std::string::npos) return line;
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return first;
}

/// A tool the build recorded (a path) that is not executable here.
inline bool tool_missing(const std::string& path) { return path.empty() || access(path.c_str(), X_OK) != 0; }

}  // namespace cuconform::cases
