// SPDX-License-Identifier: MIT
// Shared by the VM test tools (tests/vm/tools/*.cpp): error types, string
// building and size parsing. Header-only; each tool is one translation unit.
#pragma once

#include <cstdint>
#include <exception>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace vmtool {

// A check failed: the tool prints the message and exits 1.
struct Failure : std::runtime_error {
	using std::runtime_error::runtime_error;
};

// Bad command line: the tool prints the message and exits 2.
struct UsageError : std::runtime_error {
	using std::runtime_error::runtime_error;
};

template <typename... Args> std::string cat(const Args &...args)
{
	std::ostringstream os;
	(os << ... << args);
	return os.str();
}

// "4096", "0x1000", "64K", "1M", "2G" -> bytes; UsageError naming @what.
inline std::uint64_t parse_size(const std::string &s, const char *what)
{
	if (s.empty())
		throw UsageError(cat("empty ", what));
	std::size_t pos = 0;
	unsigned long long v = 0;
	try {
		v = std::stoull(s, &pos, 0);
	} catch (const std::exception &) {
		throw UsageError(cat("bad ", what, " '", s, "'"));
	}
	std::string_view suffix = std::string_view(s).substr(pos);
	unsigned shift = 0;
	if (suffix == "K" || suffix == "k")
		shift = 10;
	else if (suffix == "M" || suffix == "m")
		shift = 20;
	else if (suffix == "G" || suffix == "g")
		shift = 30;
	else if (!suffix.empty())
		throw UsageError(cat("bad ", what, " '", s, "'"));
	return static_cast<std::uint64_t>(v) << shift;
}

} // namespace vmtool
