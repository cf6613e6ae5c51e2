// SPDX-License-Identifier: MIT
#include "cli.hpp"

#include <map>

#include <CLI/CLI.hpp>

#include <uringblk/kit/parse.hpp>

namespace ubt {

namespace {

constexpr std::string_view kUsage =
    R"(usage: uringblk_test -d DEV MODE... [--io-size=N] [--duration=S] [--concurrent=N]
                    [--seed=N] [--allow-file] [-v]

Functional tests over io_uring. Every mode WRITES to DEV and destroys its data.
Modes (run in the order given; each prints "PASS <mode>", "FAIL <mode>: <reason>"
or "SKIP <mode>: <reason>"):
  --basic            WRITE/WRITEV patterned data at the start, middle and last block,
                     read back with READ and READV and compare; FSYNC
  --io-size=N        N-byte write/read-verify at several offsets incl. the end, QD1 and
                     QD32 (a mode when given alone; otherwise only sets the size);
                     k/m/g suffixes, at most 64m
  --error-tests      I/O at/past the end (read: 0, write: -ENOSPC), misaligned O_DIRECT
                     offset/length/buffer (-EINVAL); the device still works afterwards
  --poll             IORING_SETUP_IOPOLL ring, QD32 random write+read verify;
                     uringblk/polled_completions must grow
  --fixed-buffers    registered buffers, WRITE_FIXED/READ_FIXED verify
  --admin-commands   IDENTIFY, GET_LIMITS, GET_FEATURES, GET_GEOMETRY, GET_STATS over
                     URING_CMD and ioctl, compared with each other and with sysfs
  --sync-tests       RWF_DSYNC (FUA) writes, FSYNC, linked WRITE->FSYNC->READ;
                     uringblk/flush_ops must grow with a write-back cache
  --duration=S       N threads (--concurrent, default 4), own ring and region each,
                     random write+verify for S whole seconds (1..2592000)
  --queue-stress     --concurrent rings (at most 8) at QD 2 x queue/nr_requests, verified
  --memory-pressure  uringblk only: error_inject nomem,*,N makes every non-reclaiming page
                     allocation fail; discarded region, random write+verify must succeed,
                     queue_full_events and retries must grow, nomem_errors must not
Options:
  -d, --device=DEV   block device to test (required)
  --concurrent=N     threads/rings for --duration and --queue-stress (1..256, default 4)
  --seed=N           pattern seed, decimal or 0x hex (default: random, printed)
  --allow-file       allow DEV to be a regular file
  -v, --verbose      print every check
  -h, --help         this text; --version: the version
Exit status: 0 all modes passed (or skipped), 1 a mode failed, 2 usage error or
unusable device (not a block device, in use/mounted, bad --io-size), 130 interrupted
(Ctrl-C: the running mode stops, its FAIL line and the summary are printed).
)";

struct ModeFlag {
  const char *flag;
  const char *name;
  void (*fn)(Target &, const Options &);
};

constexpr ModeFlag kModeFlags[] = {
    {"--basic", "basic", mode_basic},
    {"--error-tests", "error-tests", mode_error_tests},
    {"--poll", "poll", mode_poll},
    {"--fixed-buffers", "fixed-buffers", mode_fixed_buffers},
    {"--admin-commands", "admin-commands", mode_admin_commands},
    {"--sync-tests", "sync-tests", mode_sync_tests},
    {"--queue-stress", "queue-stress", mode_queue_stress},
    {"--memory-pressure", "memory-pressure", mode_memory_pressure},
};

} // namespace

std::string_view usage_text() noexcept { return kUsage; }

Config parse_command_line(std::span<const std::string_view> args) {
  namespace kcli = uringblk::kit::cli;
  Config c;
  CLI::App app{"uringblk_test", "uringblk_test"};
  app.set_help_flag(); // --help prints usage_text()
  app.add_flag("-h,--help", c.help);
  app.add_flag("--version", c.version);
  app.add_option("-d,--device", c.device)->check([](const std::string &s) {
    return s.empty() ? std::string("empty path") : std::string();
  });
  app.add_flag("-v,--verbose", c.verbose)->disable_flag_override();
  app.add_flag("--allow-file", c.allow_file)->disable_flag_override();
  app.add_flag("--corrupt-expected", c.opts.corrupt_expected) // self-check of --basic
      ->disable_flag_override()
      ->group("");

  std::map<const CLI::Option *, const ModeFlag *> mode_of;
  for (const ModeFlag &m : kModeFlags)
    mode_of[app.add_flag(m.flag)->disable_flag_override()] = &m;
  std::uint64_t io_size = 0;
  CLI::Option *io_opt = app.add_option("--io-size", io_size)->transform(kcli::size(1, kMaxIoSize));
  CLI::Option *dur_opt = app.add_option("--duration", c.opts.duration)
                             ->transform(kcli::uint(1, kMaxDuration));
  CLI::Option *conc_opt = app.add_option("--concurrent", c.opts.concurrent)
                              ->transform(kcli::uint(1, kMaxConcurrent));
  app.add_option("--seed", c.opts.seed)->transform(kcli::uint(0, uringblk::kit::kU64Max, true));

  kcli::parse(app, args);
  if (c.help || c.version)
    return c;
  c.seed_given = app.count("--seed") > 0;
  if (*io_opt)
    c.opts.io_size = io_size;

  for (const CLI::Option *o : app.parse_order()) {
    if (auto it = mode_of.find(o); it != mode_of.end())
      c.modes.push_back({it->second->name, it->second->fn});
    else if (o == dur_opt)
      c.modes.push_back({uringblk::kit::cat("duration=", c.opts.duration, " concurrent=",
                                            c.opts.concurrent),
                         mode_stress});
  }
  if (c.device.empty())
    throw UsageError("-d DEV is required");
  if (c.modes.empty() && c.opts.io_size)
    c.modes.push_back({uringblk::kit::cat("io-size=", *c.opts.io_size), mode_io_size});
  if (c.modes.empty())
    throw UsageError(*conc_opt ? "--concurrent needs --duration=S or --queue-stress"
                               : "no mode given");
  return c;
}

void check_io_size(std::uint64_t n, unsigned lbs, std::uint64_t size, std::string_view dev) {
  if (n == 0 || n % lbs)
    throw UsageError(uringblk::kit::cat("--io-size=", n,
                                        " is not a multiple of the logical block size ", lbs,
                                        " of ", dev));
  if (n > size / 4 || n > kMaxIoSize)
    throw UsageError(uringblk::kit::cat(
        "--io-size=", n, " is too large (at most 64 MiB and a quarter of the device)"));
}

} // namespace ubt
