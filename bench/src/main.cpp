// SPDX-License-Identifier: MIT
// uringblk-bench: liburing benchmark for any block device (or O_DIRECT file).
//
//   uringblk-bench MODE -d DEV [options]     MODE: latency | iops | bandwidth | scaling
//
// Exit status (kit/errors.hpp): 0 ok, 1 setup or I/O error, 2 usage error (also option values
// the device cannot take), 130 interrupted (SIGINT/SIGTERM: what finished is printed first).
// JSON output: docs/bench-json.md.
#include "bench_engine.hpp"
#include "bench_options.hpp"
#include "bench_report.hpp"

#include <unistd.h>

#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <uringblk/kit/interrupt.hpp>

using namespace uringblk::bench;
namespace kit = uringblk::kit;

int main(int argc, char **argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  Options opts;
  try {
    opts = parse_options(args);
  } catch (const UsageError &e) {
    std::cerr << "uringblk-bench: " << e.what() << "\n" << usage_text();
    return kit::kExitUsage;
  }
  if (opts.help) {
    std::cout << usage_text();
    return kit::kExitOk;
  }
  if (opts.version) {
    std::cout << "uringblk-bench " << URINGBLK_VERSION << "\n";
    return kit::kExitOk;
  }
  auto warn = [&opts](const std::vector<std::string> &warnings) {
    if (!opts.quiet)
      for (const auto &w : warnings)
        std::cerr << "uringblk-bench: warning: " << w << "\n";
  };
  warn(opts.warnings);
  kit::catch_interrupts();

  try {
    Target target = open_target(opts);
    long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    const unsigned ncpu = cpus > 0 ? static_cast<unsigned>(cpus) : 1;
    std::vector<Point> points = plan_points(opts, ncpu);
    check_points(opts, target, points);
    warn(plan_warnings(opts, ncpu));
    const bool progress = opts.progress && !opts.quiet && ::isatty(STDERR_FILENO);
    std::vector<PointResult> results;
    for (const Point &pt : points) {
      if (kit::interrupted())
        break;
      results.push_back(run_point(opts, target, pt, progress));
      if (results.back().interrupted && results.back().ios == 0)
        results.pop_back(); // stopped before it measured anything: no result
    }
    check_measured(results);

    RunInfo run{opts, target.region_size, kit::interrupt_name()};
    if (opts.output == Output::json)
      std::cout << report_json(run, results).dump(2) << "\n";
    else
      std::cout << report_human(run, results);
    std::cout.flush();
    if (!std::cout)
      return kit::kExitFailed;
  } catch (const UsageError &e) {
    std::cerr << "uringblk-bench: " << e.what() << "\n";
    return kit::kExitUsage;
  } catch (const std::exception &e) { // RunError and the rest
    std::cerr << "uringblk-bench: " << e.what() << "\n";
    return kit::kExitFailed;
  }
  return kit::interrupted() ? kit::kExitInterrupted : kit::kExitOk;
}
