// SPDX-License-Identifier: MIT
#include "bench_report.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace uringblk::bench {

namespace {

double us(std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

std::string bytes_human(std::uint64_t b) {
  static constexpr const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  unsigned u = 0;
  while (u + 1 < std::size(units) && b >= 1024 && b % 1024 == 0) {
    b /= 1024;
    ++u;
  }
  return std::to_string(b) + (u ? std::string(" ") + units[u] : std::string());
}

} // namespace

nlohmann::ordered_json result_json(const PointResult &r) {
  nlohmann::ordered_json j;
  j["qd"] = r.qd;
  j["threads"] = r.threads;
  j["ios"] = r.ios;
  j["elapsed_s"] = r.elapsed_s;
  j["iops"] = r.iops();
  j["bw_mib_s"] = r.bw_mib_s();
  j["lat_us"] = {{"min", us(r.lat.min())},          {"mean", r.lat.mean() / 1000.0},
                 {"p50", us(r.lat.percentile(50))}, {"p90", us(r.lat.percentile(90))},
                 {"p99", us(r.lat.percentile(99))}, {"p99_9", us(r.lat.percentile(99.9))},
                 {"max", us(r.lat.max())}};
  j["cpu"] = {{"user_s", r.user_s}, {"sys_s", r.sys_s}, {"us_per_io", r.cpu_us_per_io()}};
  j["interrupted"] = r.interrupted;
  return j;
}

nlohmann::ordered_json settings_json(const RunInfo &run) {
  const Options &o = run.opts;
  nlohmann::ordered_json s;
  s["rw"] = to_string(o.rw);
  s["bs"] = o.bs;
  s["qd"] = o.qd;
  s["threads"] = o.threads;
  s["time_s"] = o.time_s;
  s["count"] = o.count;
  s["ramp_s"] = o.ramp_s;
  s["size"] = run.size;
  s["offset"] = o.offset;
  s["poll"] = o.poll;
  s["fixed_buffers"] = o.fixed_buffers;
  s["fixed_files"] = o.fixed_files;
  s["sqpoll"] = o.sqpoll;
  s["batch_submit"] = o.batch_submit_for(o.qd);
  s["batch_complete"] = o.batch_complete_for(o.qd);
  s["seed"] = o.seed;
  if (o.mode == Mode::scaling) {
    s["depths"] = o.depths;
    s["thread_list"] = o.thread_list;
  }
  return s;
}

nlohmann::ordered_json report_json(const RunInfo &run, std::span<const PointResult> results) {
  const Options &o = run.opts;
  nlohmann::ordered_json j;
  j["version"] = 1; // the JSON schema version: the first key, as in uringblk-admin
  j["tool"] = "uringblk-bench";
  j["schema"] = 1; // deprecated alias of "version" (version 1 only)
  j["mode"] = to_string(o.mode);
  j["device"] = o.device;
  j["interrupted"] = !run.interrupted_by.empty();
  j["settings"] = settings_json(run);
  auto arr = nlohmann::ordered_json::array();
  for (const auto &r : results)
    arr.push_back(result_json(r));
  j["results"] = std::move(arr);
  return j;
}

// The settings of the JSON as one line of words: "key=value" with '-' for '_' (seconds as
// "time=5s"), a true flag as its name, region=SIZE@OFFSET; left out: false flags, a zero
// count or time, batch sizes equal to the queue depth (their default).
std::string settings_line(const RunInfo &run) {
  const nlohmann::ordered_json s = settings_json(run);
  std::ostringstream os;
  auto word = [&os, first = true]() mutable -> std::ostream & {
    if (!first)
      os << ' ';
    first = false;
    return os;
  };
  for (const auto &[key, v] : s.items()) {
    std::string name = key;
    std::replace(name.begin(), name.end(), '_', '-');
    if (key == "offset")
      continue; // with size
    if (key == "size")
      word() << "region=" << bytes_human(v.get<std::uint64_t>()) << "@" << s["offset"];
    else if (v.is_boolean()) {
      if (v.get<bool>())
        word() << name;
    } else if (v.is_array()) {
      word() << name << '=';
      for (std::size_t i = 0; i < v.size(); ++i)
        os << (i ? "," : "") << v[i];
    } else if (key.ends_with("_s")) { // seconds: time=5s, left out when 0
      if (v.get<double>() > 0)
        word() << key.substr(0, key.size() - 2) << '=' << v.get<double>() << 's';
    } else if (v.is_number()) {
      const bool batch = key == "batch_submit" || key == "batch_complete";
      if (!(key == "count" && v == 0) && !(batch && v == s["qd"]))
        word() << name << '=' << v;
    } else {
      word() << name << '=' << v.get<std::string>();
    }
  }
  return os.str();
}

std::string report_human(const RunInfo &run, std::span<const PointResult> results) {
  std::ostringstream os;
  os << "uringblk-bench " << to_string(run.opts.mode) << " " << run.opts.device << "\n  "
     << settings_line(run) << "\n";
  char line[256];
  std::snprintf(line, sizeof line, "  %5s %3s %12s %10s %10s %9s %9s %9s %9s %9s %9s %8s\n", "qd",
                "thr", "ios", "IOPS", "MiB/s", "mean us", "p50 us", "p90 us", "p99 us", "p99.9 us",
                "max us", "CPU us/IO");
  os << line;
  for (const auto &r : results) {
    std::snprintf(line, sizeof line,
                  "  %5u %3u %12llu %10.0f %10.1f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %8.2f\n",
                  r.qd, r.threads, static_cast<unsigned long long>(r.ios), r.iops(), r.bw_mib_s(),
                  r.lat.mean() / 1000.0, us(r.lat.percentile(50)), us(r.lat.percentile(90)),
                  us(r.lat.percentile(99)), us(r.lat.percentile(99.9)), us(r.lat.max()),
                  r.cpu_us_per_io());
    os << line;
  }
  if (!run.interrupted_by.empty()) {
    os << "  interrupted by " << run.interrupted_by;
    if (results.empty())
      os << " before any I/O was measured";
    else if (results.back().interrupted)
      os << ": the last point ran short";
    if (run.opts.mode == Mode::scaling && !results.empty())
      os << "; the rest of the sweep did not run";
    os << "\n";
  }
  return os.str();
}

} // namespace uringblk::bench
