// SPDX-License-Identifier: MIT
#include "bench_options.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include <CLI/CLI.hpp>

#include <uringblk/kit/parse.hpp>

#include "bench_report.hpp"

namespace uringblk::bench {

namespace {

constexpr std::string_view kUsage =
    R"(usage: uringblk-bench MODE -d DEV [options]
MODE: latency (QD1, randread 4k) | iops (randread 4k qd32) | bandwidth (read 64k qd16)
      | scaling (sweep --depths at --threads, then --thread-list at --qd)
  -d, --device PATH        block device or file (opened O_DIRECT)
  --rw randread|randwrite|read|write   --bs N[k|m]   --qd N (1..4096)   --threads N (1..64)
  --time S (default 5) | --count N     --ramp S (default 0)
  --size BYTES (default: device)       --offset BYTES (default 0)
  --poll  --fixed-buffers  --fixed-files  --sqpoll
  --batch-submit N  --batch-complete N (default: qd)
  --depths LIST (default 1,4,16,64,256,1024)  --thread-list LIST (default 1,2,4)
  --allow-mounted-write    write even if the device is mounted or claimed (default: a write
                           benchmark opens a block device O_EXCL and refuses one in use)
  --seed N  -o, --output normal|json (human = normal)  --no-progress  -q, --quiet
  -h, --help  --version
Exit status: 0 ok, 1 setup or I/O error, 2 usage error (also values the device cannot take),
130 interrupted (Ctrl-C: what finished is printed, JSON "interrupted": true).
)";

std::uint64_t parse_u64(std::string_view s, std::string_view what) {
  return kit::parse_uint(s, what);
}

std::uint32_t parse_u32_in(std::string_view s, std::string_view what, std::uint32_t lo,
                           std::uint32_t hi) {
  std::uint64_t v = parse_u64(s, what);
  if (v < lo || v > hi)
    throw UsageError(std::string(what) + ": " + std::string(s) + " is out of range " +
                     std::to_string(lo) + ".." + std::to_string(hi));
  return static_cast<std::uint32_t>(v);
}

bool is_utf8(std::string_view s) {
  try {
    (void)nlohmann::json(std::string(s)).dump();
    return true;
  } catch (const nlohmann::json::type_error &) {
    return false;
  }
}

Mode parse_mode(std::string_view s) {
  if (s == "latency")
    return Mode::latency;
  if (s == "iops")
    return Mode::iops;
  if (s == "bandwidth")
    return Mode::bandwidth;
  if (s == "scaling")
    return Mode::scaling;
  throw UsageError("unknown mode '" + std::string(s) + "'");
}

Rw parse_rw(std::string_view s) {
  if (s == "randread")
    return Rw::randread;
  if (s == "randwrite")
    return Rw::randwrite;
  if (s == "read")
    return Rw::read;
  if (s == "write")
    return Rw::write;
  throw UsageError("--rw: expected randread|randwrite|read|write, got '" + std::string(s) + "'");
}

// A --batch-submit/--batch-complete above the queue depth of a point runs at that depth
// (batch_submit_for()): say so. The settings show the effective value.
void clamp_notes(Options &o) {
  std::vector<std::uint32_t> depths{o.qd}; // the queue depths of the points
  if (o.mode == Mode::scaling)
    depths.insert(depths.end(), o.depths.begin(), o.depths.end());
  std::sort(depths.begin(), depths.end());
  depths.erase(std::unique(depths.begin(), depths.end()), depths.end());
  for (auto [name, v] : {std::pair{"--batch-submit", o.batch_submit},
                         std::pair{"--batch-complete", o.batch_complete}}) {
    std::string below;
    for (auto d : depths)
      if (d < v)
        below += (below.empty() ? "" : ",") + std::to_string(d);
    if (below.empty())
      continue;
    if (depths.size() == 1)
      o.warnings.push_back(
          kit::cat(name, " ", v, " is above the queue depth ", below, ": using ", below));
    else
      o.warnings.push_back(kit::cat(name, " ", v, " is above the queue depth of the points at ",
                                    below, ": each of them uses its queue depth"));
  }
}

} // namespace

std::string_view to_string(Mode m) noexcept {
  switch (m) {
  case Mode::latency:
    return "latency";
  case Mode::iops:
    return "iops";
  case Mode::bandwidth:
    return "bandwidth";
  case Mode::scaling:
    return "scaling";
  }
  return "?";
}

std::string_view to_string(Rw rw) noexcept {
  switch (rw) {
  case Rw::randread:
    return "randread";
  case Rw::randwrite:
    return "randwrite";
  case Rw::read:
    return "read";
  case Rw::write:
    return "write";
  }
  return "?";
}

std::uint32_t Options::batch_submit_for(std::uint32_t point_qd) const noexcept {
  return batch_submit == 0 ? point_qd : std::min(batch_submit, point_qd);
}

std::uint32_t Options::batch_complete_for(std::uint32_t point_qd) const noexcept {
  return batch_complete == 0 ? point_qd : std::min(batch_complete, point_qd);
}

std::uint64_t parse_size(std::string_view s, std::string_view what) {
  return kit::parse_size(s, what);
}

double parse_seconds(std::string_view s, std::string_view what) {
  return kit::parse_seconds(s, what, kMaxSeconds);
}

std::vector<std::uint32_t> parse_list(std::string_view s, std::string_view what, std::uint32_t lo,
                                      std::uint32_t hi) {
  if (s.empty())
    throw UsageError(std::string(what) + ": empty list (give at least one value: 1,4,16)");
  std::vector<std::uint32_t> out;
  while (true) {
    auto comma = s.find(',');
    out.push_back(parse_u32_in(s.substr(0, comma), what, lo, hi));
    if (comma == std::string_view::npos)
      break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

Options parse_options(std::span<const std::string_view> args) {
  namespace kcli = kit::cli;
  Options o;
  std::optional<Mode> mode;
  std::optional<Rw> rw;
  std::optional<std::uint64_t> bs;
  std::optional<std::uint32_t> qd;
  std::string mode_s, rw_s, output_s, depths_s, thread_list_s;
  std::uint64_t bs_v = 0, size_v = 0;
  std::uint32_t qd_v = 0;

  CLI::App app{"uringblk-bench", "uringblk-bench"};
  app.set_help_flag();
  auto flag = [&](const char *names, bool &v) {
    return app.add_flag(names, v)->disable_flag_override();
  };
  flag("-h,--help", o.help);
  flag("--version", o.version);
  app.add_option("mode", mode_s);
  app.add_option("-d,--device", o.device)->check([](const std::string &v) {
    return v.empty() ? std::string("empty path") : std::string();
  });
  app.add_option("--rw", rw_s);
  CLI::Option *bs_opt = app.add_option("--bs", bs_v)->transform(kcli::size(0, kit::kU64Max));
  CLI::Option *qd_opt = app.add_option("--qd", qd_v)->transform(kcli::uint(1, kMaxQd));
  app.add_option("--threads", o.threads)->transform(kcli::uint(1, kMaxThreads));
  CLI::Option *time_opt = app.add_option("--time", o.time_s)->check(kcli::seconds(0, kMaxSeconds));
  CLI::Option *count_opt =
      app.add_option("--count", o.count)->transform(kcli::size(0, kit::kU64Max));
  app.add_option("--ramp", o.ramp_s)->check(kcli::seconds(0, kMaxSeconds));
  CLI::Option *size_opt = app.add_option("--size", size_v)->transform(kcli::size(0, kit::kU64Max));
  app.add_option("--offset", o.offset)->transform(kcli::size(0, kit::kU64Max));
  flag("--poll", o.poll);
  flag("--fixed-buffers", o.fixed_buffers);
  flag("--fixed-files", o.fixed_files);
  flag("--sqpoll", o.sqpoll);
  app.add_option("--batch-submit", o.batch_submit)->transform(kcli::uint(1, kMaxQd));
  app.add_option("--batch-complete", o.batch_complete)->transform(kcli::uint(1, kMaxQd));
  CLI::Option *depths_opt = app.add_option("--depths", depths_s);
  CLI::Option *thread_list_opt = app.add_option("--thread-list", thread_list_s);
  app.add_option("--seed", o.seed)->transform(kcli::uint(0, kit::kU64Max));
  app.add_option("-o,--output", output_s);
  bool no_progress = false;
  flag("--no-progress", no_progress);
  flag("-q,--quiet", o.quiet);
  flag("--allow-mounted-write", o.allow_mounted_write);

  kcli::parse(app, args);
  if (o.help || o.version)
    return o;
  if (!mode_s.empty())
    mode = parse_mode(mode_s);
  if (!rw_s.empty())
    rw = parse_rw(rw_s);
  if (*bs_opt)
    bs = bs_v;
  if (*qd_opt)
    qd = qd_v;
  if (*size_opt)
    o.size = size_v;
  if (*depths_opt)
    o.depths = parse_list(depths_s, "--depths", 1, kMaxQd);
  if (*thread_list_opt)
    o.thread_list = parse_list(thread_list_s, "--thread-list", 1, kMaxThreads);
  o.thread_list_given = !o.thread_list.empty();
  if (output_s == "json")
    o.output = Output::json;
  else if (output_s.empty() || output_s == "human" || output_s == "normal")
    o.output = Output::human;
  else
    throw UsageError("-o: expected normal|human|json, got '" + output_s + "'");
  if (o.quiet || no_progress)
    o.progress = false;
  const bool time_given = time_opt->count() > 0, count_given = count_opt->count() > 0;

  if (!mode)
    throw UsageError("missing MODE (latency|iops|bandwidth|scaling)");
  o.mode = *mode;
  if (o.device.empty())
    throw UsageError("missing -d DEV");
  // JSON strings are UTF-8: refuse up front rather than fail after the run.
  if (o.output == Output::json && !is_utf8(o.device))
    throw UsageError("-o json: the device path is not valid UTF-8; use a path without such "
                     "bytes (e.g. a symlink) or -o human");

  switch (o.mode) {
  case Mode::latency:
    o.rw = rw.value_or(Rw::randread);
    o.bs = bs.value_or(4096);
    if (qd && *qd != 1)
      o.warnings.push_back("latency mode runs at QD1; ignoring --qd " + std::to_string(*qd));
    o.qd = 1;
    break;
  case Mode::iops:
    o.rw = rw.value_or(Rw::randread);
    o.bs = bs.value_or(4096);
    o.qd = qd.value_or(32);
    break;
  case Mode::bandwidth:
    o.rw = rw.value_or(Rw::read);
    o.bs = bs.value_or(65536);
    o.qd = qd.value_or(16);
    break;
  case Mode::scaling:
    o.rw = rw.value_or(Rw::randread);
    o.bs = bs.value_or(4096);
    o.qd = qd.value_or(32);
    if (o.depths.empty())
      o.depths = {1, 4, 16, 64, 256, 1024};
    if (o.thread_list.empty())
      o.thread_list = {1, 2, 4};
    break;
  }
  if (o.mode != Mode::scaling && (!o.depths.empty() || !o.thread_list.empty()))
    throw UsageError("--depths/--thread-list are only for scaling mode");

  if (o.bs == 0 || o.bs % 512 != 0)
    throw UsageError("--bs: " + std::to_string(o.bs) + " is not a positive multiple of 512");
  if (o.bs > kMaxBs)
    throw UsageError("--bs: at most " + std::to_string(kMaxBs) + " bytes");
  if (o.offset % 512 != 0)
    throw UsageError("--offset: " + std::to_string(o.offset) + " is not a multiple of 512");
  if (o.size && *o.size < o.bs)
    throw UsageError("--size: smaller than one block of --bs " + std::to_string(o.bs));
  if (time_given && count_given)
    throw UsageError("--time and --count are exclusive");
  if (count_given) {
    if (o.count == 0)
      throw UsageError("--count: must be at least 1");
    o.time_s = 0;
  } else if (o.time_s <= 0) {
    throw UsageError("--time: must be > 0");
  }
  clamp_notes(o);
  return o;
}

std::vector<std::string> plan_warnings(const Options &o, unsigned online_cpus) {
  if (o.mode != Mode::scaling)
    return {};
  const unsigned cap = std::max(1u, online_cpus);
  std::string dropped;
  for (auto t : o.thread_list)
    if (t > cap)
      dropped += (dropped.empty() ? "" : ",") + std::to_string(t);
  if (dropped.empty())
    return {};
  std::string list;
  for (auto t : o.thread_list)
    list += (list.empty() ? "" : ",") + std::to_string(t);
  const std::string what =
      o.thread_list_given ? "--thread-list " + list : "the default thread list " + list;
  return {
      kit::cat("scaling: skipping ", dropped, " of ", what, " (above the ", cap, " online CPUs)")};
}

std::vector<Point> plan_points(const Options &o, unsigned online_cpus) {
  if (o.mode != Mode::scaling)
    return {Point{o.qd, o.threads}};
  std::vector<Point> pts;
  for (auto d : o.depths)
    pts.push_back({d, o.threads});
  unsigned cap = std::max(1u, online_cpus);
  bool any = false;
  for (auto t : o.thread_list) {
    if (t <= cap) {
      pts.push_back({o.qd, t});
      any = true;
    }
  }
  if (!any)
    pts.push_back({o.qd, 1});
  return pts;
}

void check_measured(std::span<const PointResult> results) {
  for (const auto &r : results)
    if (r.ios == 0)
      throw kit::Failure("no I/O completed in the measured window (qd " + std::to_string(r.qd) +
                         ", " + std::to_string(r.threads) +
                         " threads): no result; check --time/--ramp/--count");
}

std::string_view usage_text() noexcept { return kUsage; }

} // namespace uringblk::bench
