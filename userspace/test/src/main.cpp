// SPDX-License-Identifier: MIT
// uringblk_test: functional tests of a uringblk (or any) block device over io_uring
// (spec section 10.1). WRITES DESTROY THE DATA ON THE DEVICE. See docs/uringblk_test.md.
#include <cstdint>
#include <exception>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <uringblk/sysfs.hpp>

#include "modes.hpp"
#include "util.hpp"

namespace {

using namespace ubt;

constexpr std::string_view kUsage =
    R"(usage: uringblk_test -d DEV MODE... [--io-size=N] [--duration=S] [--concurrent=N]
                    [--seed=N] [--allow-file] [-v]

Functional tests over io_uring. Every mode WRITES to DEV and destroys its data.
Modes (run in the order given; each prints "PASS <mode>", "FAIL <mode>: <reason>"
or "SKIP <mode>: <reason>"):
  --basic            WRITE/WRITEV patterned data at the start, middle and last block,
                     read back with READ and READV and compare; FSYNC
  --io-size=N        N-byte write/read-verify at several offsets incl. the end, QD1 and
                     QD32 (a mode when given alone; otherwise only sets the size)
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
                     random write+verify for S seconds
  --queue-stress     --concurrent rings (at most 8) at QD 2 x queue/nr_requests, verified
Options:
  -d, --device=DEV   block device to test (required)
  --concurrent=N     threads/rings for --duration and --queue-stress (default 4)
  --seed=N           pattern seed (default: random, printed)
  --allow-file       allow DEV to be a regular file
  -v, --verbose      print every check
Exit status: 0 all modes passed (or skipped), 1 a mode failed, 2 usage error or
unusable device (not a block device, in use/mounted, bad --io-size).
)";

struct Mode {
  std::string name;
  void (*fn)(Target &, const Options &);
};

std::uint64_t parse_num(std::string_view opt, std::string_view v) {
  std::uint64_t mult = 1;
  std::string s(v);
  if (!s.empty()) {
    switch (s.back()) {
    case 'k':
    case 'K':
      mult = 1024;
      break;
    case 'm':
    case 'M':
      mult = 1024 * 1024;
      break;
    case 'g':
    case 'G':
      mult = 1024ULL * 1024 * 1024;
      break;
    default:
      break;
    }
    if (mult != 1)
      s.pop_back();
  }
  const auto n = uringblk::parse_u64(s);
  if (!n || s.empty())
    throw UsageError(cat(opt, ": not a number: '", v, "'"));
  return *n * mult;
}

int run(int argc, char **argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  std::string dev;
  Options o;
  std::vector<Mode> modes;
  bool allow_file = false, have_seed = false, have_concurrent = false;

  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    std::string_view val;
    bool has_val = false;
    if (a.starts_with("--")) {
      if (auto eq = a.find('='); eq != std::string_view::npos) {
        val = a.substr(eq + 1);
        a = a.substr(0, eq);
        has_val = true;
      }
    }
    auto value = [&]() -> std::string_view {
      if (has_val)
        return val;
      if (i + 1 >= args.size())
        throw UsageError(cat(a, " needs a value"));
      return args[++i];
    };
    auto no_value = [&] {
      if (has_val)
        throw UsageError(cat(a, " takes no value"));
    };
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (a == "-d" || a == "--device") {
      dev = value();
    } else if (a.starts_with("-d") && a.size() > 2 && !a.starts_with("--")) {
      dev = a.substr(2);
    } else if (a == "-v" || a == "--verbose") {
      no_value();
      set_verbose(true);
    } else if (a == "--basic") {
      no_value();
      modes.push_back({"basic", mode_basic});
    } else if (a == "--io-size") {
      o.io_size = parse_num(a, value());
    } else if (a == "--error-tests") {
      no_value();
      modes.push_back({"error-tests", mode_error_tests});
    } else if (a == "--poll") {
      no_value();
      modes.push_back({"poll", mode_poll});
    } else if (a == "--fixed-buffers") {
      no_value();
      modes.push_back({"fixed-buffers", mode_fixed_buffers});
    } else if (a == "--admin-commands") {
      no_value();
      modes.push_back({"admin-commands", mode_admin_commands});
    } else if (a == "--sync-tests") {
      no_value();
      modes.push_back({"sync-tests", mode_sync_tests});
    } else if (a == "--queue-stress") {
      no_value();
      modes.push_back({"queue-stress", mode_queue_stress});
    } else if (a == "--duration") {
      const auto s = parse_num(a, value());
      if (s == 0 || s > 30 * 24 * 3600)
        throw UsageError("--duration must be 1 .. 2592000 seconds");
      o.duration = static_cast<unsigned>(s);
      modes.push_back({"duration", mode_stress});
    } else if (a == "--concurrent") {
      const auto n = parse_num(a, value());
      if (n == 0 || n > 256)
        throw UsageError("--concurrent must be 1 .. 256");
      o.concurrent = static_cast<unsigned>(n);
      have_concurrent = true;
    } else if (a == "--seed") {
      o.seed = parse_num(a, value());
      have_seed = true;
    } else if (a == "--allow-file") {
      no_value();
      allow_file = true;
    } else if (a == "--corrupt-expected") { // hidden self-check of --basic
      no_value();
      o.corrupt_expected = true;
    } else {
      throw UsageError(cat("unknown argument '", args[i], "'"));
    }
  }
  if (dev.empty())
    throw UsageError("-d DEV is required");
  if (modes.empty() && o.io_size)
    modes.push_back({"io-size", mode_io_size});
  if (modes.empty())
    throw UsageError(have_concurrent ? "--concurrent needs --duration=S or --queue-stress"
                                     : "no mode given");
  for (auto &m : modes)
    if (m.name == "io-size")
      m.name = cat("io-size=", *o.io_size);
    else if (m.name == "duration")
      m.name = cat("duration=", o.duration, " concurrent=", o.concurrent);
  if (!have_seed)
    o.seed = (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();

  Target t = open_target(dev, allow_file);
  if (o.io_size) {
    const std::uint64_t n = *o.io_size;
    if (n == 0 || n % t.lbs)
      throw UsageError(cat("--io-size=", n, " is not a multiple of the logical block size ", t.lbs,
                           " of ", dev));
    if (n > t.size / 4 || n > 64 * 1024 * 1024)
      throw UsageError(
          cat("--io-size=", n, " is too large (at most 64 MiB and a quarter of the device)"));
  }
  std::cout << "uringblk_test: " << dev << ": " << t.size << " bytes, logical block size " << t.lbs
            << (t.is_uringblk ? ", uringblk" : (t.is_block ? ", block device" : ", regular file"))
            << (t.direct ? "" : ", no O_DIRECT") << ", seed " << o.seed << std::endl;

  int failed = 0;
  for (const Mode &m : modes) {
    try {
      m.fn(t, o);
      std::cout << "PASS " << m.name << std::endl;
    } catch (const Skip &e) {
      std::cout << "SKIP " << m.name << ": " << e.what() << std::endl;
    } catch (const UsageError &) {
      throw;
    } catch (const std::exception &e) {
      std::cout << "FAIL " << m.name << ": " << e.what() << std::endl;
      ++failed;
    }
  }
  return failed ? 1 : 0;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const UsageError &e) {
    std::cerr << "uringblk_test: " << e.what() << "\n(uringblk_test --help for usage)\n";
    return 2;
  } catch (const std::exception &e) {
    std::cerr << "uringblk_test: " << e.what() << '\n';
    return 1;
  }
}
