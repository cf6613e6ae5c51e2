// SPDX-License-Identifier: MIT
#include <uringblk/result.hpp>

#include <cstring>

namespace uringblk {

std::string errno_name(int err) {
  if (err < 0)
    err = -err;
  // glibc >= 2.32
  if (const char *n = ::strerrorname_np(err))
    return n;
  return "errno " + std::to_string(err);
}

Error Error::from_errno(int err, std::string command, std::string context) {
  if (err < 0)
    err = -err;
  return Error{std::error_code(err, std::system_category()), std::move(command),
               std::move(context)};
}

std::string Error::detail() const {
  std::string s;
  if (!context.empty())
    s = context + ": ";
  s += code.message();
  if (code.category() == std::system_category())
    s += " (" + errno_name(code.value()) + ")";
  return s;
}

std::string Error::message() const {
  return command.empty() ? detail() : command + ": " + detail();
}

} // namespace uringblk
