// SPDX-License-Identifier: MIT
// uringblk-bench: liburing benchmark for any block device (or O_DIRECT file).
//
//   uringblk-bench MODE -d DEV [options]     MODE: latency | iops | bandwidth | scaling
//
// Exit status: 0 ok, 1 setup or I/O error, 2 usage error. JSON output: docs/bench-json.md.
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

using namespace uringblk::bench;

int main(int argc, char **argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  Options opts;
  try {
    opts = parse_options(args);
  } catch (const UsageError &e) {
    std::cerr << "uringblk-bench: " << e.what() << "\n" << usage_text();
    return 2;
  }
  if (opts.help) {
    std::cout << usage_text();
    return 0;
  }
  if (opts.version) {
    std::cout << "uringblk-bench " << URINGBLK_VERSION << "\n";
    return 0;
  }
  if (!opts.quiet)
    for (const auto &w : opts.warnings)
      std::cerr << "uringblk-bench: warning: " << w << "\n";

  try {
    Target target = open_target(opts);
    long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    const unsigned ncpu = cpus > 0 ? static_cast<unsigned>(cpus) : 1;
    std::vector<Point> points = plan_points(opts, ncpu);
    if (opts.mode == Mode::scaling && !opts.quiet) {
      std::string dropped;
      for (auto t : opts.thread_list)
        if (t > ncpu)
          dropped += (dropped.empty() ? "" : ",") + std::to_string(t);
      if (!dropped.empty())
        std::cerr << "uringblk-bench: warning: scaling: skipping --thread-list " << dropped
                  << " (above the " << ncpu << " online CPUs)\n";
    }
    const bool progress = opts.progress && !opts.quiet && ::isatty(STDERR_FILENO);
    std::vector<PointResult> results;
    for (const Point &pt : points)
      results.push_back(run_point(opts, target, pt, progress));
    check_measured(results);

    RunInfo run{opts, target.region_size};
    if (opts.output == Output::json)
      std::cout << report_json(run, results).dump(2) << "\n";
    else
      std::cout << report_human(run, results);
    std::cout.flush();
    if (!std::cout)
      return 1;
  } catch (const RunError &e) {
    std::cerr << "uringblk-bench: " << e.what() << "\n";
    return 1;
  } catch (const std::exception &e) {
    std::cerr << "uringblk-bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
