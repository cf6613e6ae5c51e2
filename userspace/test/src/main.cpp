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

#include <uringblk/kit/interrupt.hpp>
#include <uringblk/sysfs.hpp>

#include "cli.hpp"
#include "modes.hpp"
#include "util.hpp"

namespace {

using namespace ubt;
namespace kit = uringblk::kit;

int run(int argc, char **argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  Config c = parse_command_line(args);
  if (c.help) {
    std::cout << usage_text();
    return kit::kExitOk;
  }
  if (c.version) {
    std::cout << "uringblk_test " << URINGBLK_VERSION << '\n';
    return kit::kExitOk;
  }
  kit::catch_interrupts();
  set_verbose(c.verbose);
  Options &o = c.opts;
  const std::string &dev = c.device;
  if (!c.seed_given)
    o.seed = (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();

  Target t = open_target(dev, c.allow_file);
  if (o.io_size)
    check_io_size(*o.io_size, t.lbs, t.size, dev);
  std::cout << "uringblk_test: " << dev << ": " << t.size << " bytes, logical block size " << t.lbs
            << (t.is_uringblk ? ", uringblk" : (t.is_block ? ", block device" : ", regular file"))
            << (t.direct ? "" : ", no O_DIRECT") << ", seed " << o.seed << std::endl;

  unsigned passed = 0, failed = 0, skipped = 0;
  for (const ModeSpec &m : c.modes) {
    if (kit::interrupted())
      break;
    try {
      m.fn(t, o);
      std::cout << "PASS " << m.name << std::endl;
      ++passed;
    } catch (const Skip &e) {
      std::cout << "SKIP " << m.name << ": " << e.what() << std::endl;
      ++skipped;
    } catch (const UsageError &) {
      throw;
    } catch (const std::exception &e) { // Failure, kit::Interrupted, and the rest
      std::cout << "FAIL " << m.name << ": " << e.what() << std::endl;
      ++failed;
    }
  }
  const std::size_t not_run = c.modes.size() - passed - failed - skipped;
  std::cout << "uringblk_test: " << passed << " passed, " << failed << " failed, " << skipped
            << " skipped" << (not_run ? cat(", ", not_run, " not run") : std::string())
            << (kit::interrupted() ? cat(" (interrupted by ", kit::interrupt_name(), ")")
                                   : std::string())
            << std::endl;
  if (kit::interrupted())
    return kit::kExitInterrupted;
  return failed ? kit::kExitFailed : kit::kExitOk;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const UsageError &e) {
    std::cerr << "uringblk_test: " << e.what() << "\n(uringblk_test --help for usage)\n";
    return kit::kExitUsage;
  } catch (const std::exception &e) {
    std::cerr << "uringblk_test: " << e.what() << '\n';
    return kit::kExitFailed;
  }
}
