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

#include "cli.hpp"
#include "modes.hpp"
#include "util.hpp"

namespace {

using namespace ubt;

int run(int argc, char **argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  Config c = parse_command_line(args);
  if (c.help) {
    std::cout << usage_text();
    return 0;
  }
  if (c.version) {
    std::cout << "uringblk_test " << URINGBLK_VERSION << '\n';
    return 0;
  }
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

  int failed = 0;
  for (const ModeSpec &m : c.modes) {
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
