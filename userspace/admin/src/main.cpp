// SPDX-License-Identifier: MIT
// uringblk-admin: see docs/userspace.md.
#include <iostream>

#include <uringblk/admin/cli.hpp>

int main(int argc, char **argv) {
  try {
    return uringblk::admin::run(argc, argv, std::cout, std::cerr);
  } catch (const std::exception &e) {
    std::cerr << "uringblk-admin: internal error: " << e.what() << '\n';
    return uringblk::admin::kExitFailed;
  }
}
