// SPDX-License-Identifier: MIT
// What several unit tests need: a temporary directory, a file's text, and uringblk-admin run
// in-process with its exit code and both streams.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <uringblk/admin/cli.hpp>

namespace test_helpers {

namespace fs = std::filesystem;

/// A fresh directory under the temporary directory, removed with everything in it.
struct TempDir {
  fs::path path;
  explicit TempDir(std::string_view tag = "uringblk-test") {
    static std::atomic<int> n{0};
    path = fs::temp_directory_path() / (std::string(tag) + "-" + std::to_string(::getpid()) +
                                        "-" + std::to_string(n++));
    fs::create_directories(path);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

inline std::string slurp(const fs::path &p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

/// uringblk::admin::run() with argv = {"uringblk-admin", args...}.
inline Outcome run_admin(const std::vector<const char *> &args) {
  std::vector<const char *> argv{"uringblk-admin"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::ostringstream out, err;
  const int code = uringblk::admin::run(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}
inline Outcome run_admin(std::initializer_list<const char *> args) {
  return run_admin(std::vector<const char *>(args));
}

} // namespace test_helpers
