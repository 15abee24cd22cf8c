// SPDX-License-Identifier: Apache-2.0
/// \file Every output of a result set at once: HTML report, compatibility table, JUnit, summary.
#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "core/files.h"
#include "report/report.h"

namespace cuconform::report {
namespace fs = std::filesystem;

void write_output(const fs::path& path, const std::function<void(std::ostream&)>& write) {
    std::ostringstream text;
    write(text);
    if (path.has_parent_path()) {
        std::error_code ec;
        fs::create_directories(path.parent_path(), ec);
        if (ec) throw FileError(path.parent_path(), "create the folder", ec.value());
    }
    write_file_atomically(path, text.str());
}

Published publish(const ResultSet& set, const fs::path& dir, const HtmlOptions& options) {
    const FolderLock lock(dir, FolderLock::kReportAdvice);  // one writer per output folder, as `report` takes it
    Published p;
    p.index = dir / "index.html";
    write_output(p.index, [&](std::ostream& out) { write_html(out, set, options); });
    write_table(dir, set);
    p.table = dir / "table.md";
    p.junit = dir / "junit.xml";
    write_output(p.junit, [&](std::ostream& out) { write_junit(out, set); });
    p.summary = dir / "summary.md";
    write_output(p.summary, [&](std::ostream& out) { write_summary(out, set, options.baseline); });
    p.tally = tally(set);
    return p;
}

}  // namespace cuconform::report
