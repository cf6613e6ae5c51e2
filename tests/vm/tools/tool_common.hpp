// SPDX-License-Identifier: MIT
// Shared by the VM test tools (tests/vm/tools/*.cpp): error types, string
// building and size parsing, from the tool kit (userspace/kit). Each tool is one
// translation unit.
#pragma once

#include <cstdint>
#include <exception>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include <uringblk/kit/errors.hpp>
#include <uringblk/kit/parse.hpp>

namespace vmtool {

// A check failed: the tool prints the message and exits 1.
// Bad command line: the tool prints the message and exits 2.
using uringblk::kit::cat;
using uringblk::kit::Failure;
using uringblk::kit::UsageError;

// "4096", "0x1000", "64K", "1M", "2G" -> bytes (decimal: "010" is ten; no sign; no value that
// does not fit in 64 bits); UsageError naming @what.
inline std::uint64_t parse_size(const std::string &s, const char *what)
{
	return uringblk::kit::parse_size(s, what);
}

} // namespace vmtool
