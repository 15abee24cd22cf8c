// SPDX-License-Identifier: Apache-2.0
/// \file The report template's CSS and JavaScript (reports/template/), embedded at build time.
#pragma once

#include <string_view>

namespace cuconform::report::assets {

extern const std::string_view kReportCss;  ///< reports/template/report.css
extern const std::string_view kReportJs;   ///< reports/template/report.js

}  // namespace cuconform::report::assets
