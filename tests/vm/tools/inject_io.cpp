// inject_io: O_DIRECT io_uring reads or writes with exact per-I/O results, for
// the error-injection case (tests/vm/cases/inject.sh).
//
//   inject_io DEV read|write OFFSET LEN [-n N] [-s STRIDE] [-q QD] [-p]
//             [-e RESULT] [-v]
//
// Issues N I/Os of LEN bytes, the i-th at OFFSET + i * STRIDE (STRIDE 0 by
// default: all at OFFSET), at most QD in flight, on an IORING_SETUP_IOPOLL
// ring with -p. Writes write the byte 0x5a. Prints one summary line:
//
//   n=N ok=A EIO=B ENOSPC=C ETIMEDOUT=D other=E ok_max_ms=.. err_min_ms=..
//   err_max_ms=.. total_ms=..
//
// (latencies from submission to completion, -1 when there was none). With
// -e RESULT (0, EIO, ENOSPC, ETIMEDOUT) every I/O must complete with RESULT,
// otherwise the first one that did not is named and the exit status is 1.
// -v prints every completion. OFFSET, LEN and STRIDE accept K/M/G suffixes.
// Usage errors exit 2.
#include <fcntl.h>
#include <liburing.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tool_common.hpp"

#include <uringblk/kit/ring.hpp>
#include <uringblk/unique_fd.hpp>

namespace {

using vmtool::cat;
using vmtool::Failure;
using vmtool::parse_size;
using vmtool::UsageError;

const std::map<std::string, int> kResults = {
	{"0", 0}, {"EIO", -EIO}, {"ENOSPC", -ENOSPC}, {"ETIMEDOUT", -ETIMEDOUT},
};

std::string res_name(int res)
{
	for (const auto &[name, v] : kResults)
		if (v == res)
			return res ? "-" + name : name;
	if (res > 0)
		return cat(res, " bytes");
	return cat("-", -res, " (", std::strerror(-res), ")");
}

struct Opts {
	std::string dev;
	bool write = false;
	std::uint64_t off = 0, len = 0, stride = 0;
	unsigned n = 1, qd = 1;
	bool poll = false, verbose = false;
	std::optional<int> expect;
};

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t)
{
	return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

int run(const Opts &o)
{
	const uringblk::UniqueFd fd(
		::open(o.dev.c_str(), (o.write ? O_WRONLY : O_RDONLY) | O_DIRECT | O_CLOEXEC));
	if (!fd)
		throw Failure(cat("open(", o.dev, ", O_DIRECT): ", std::strerror(errno)));

	uringblk::kit::Ring kring(std::max(o.qd, 1U), o.poll ? IORING_SETUP_IOPOLL : 0);
	io_uring &ring = *kring.native();
	int r;

	// One aligned buffer per slot.
	struct Free {
		void operator()(void *p) const noexcept { std::free(p); }
	};
	std::size_t blen = (std::max<std::uint64_t>(o.len, 1) + 4095) / 4096 * 4096;
	std::vector<std::unique_ptr<void, Free>> bufs;
	for (unsigned i = 0; i < o.qd; ++i) {
		bufs.emplace_back(std::aligned_alloc(4096, blen));
		if (!bufs.back())
			throw Failure("out of memory");
		std::memset(bufs.back().get(), 0x5a, blen);
	}
	std::vector<unsigned> free_slots;
	for (unsigned s = 0; s < o.qd; ++s)
		free_slots.push_back(o.qd - 1 - s);
	std::vector<Clock::time_point> started(o.qd);
	std::vector<unsigned> index(o.qd);

	std::map<std::string, unsigned> count = {
		{"ok", 0}, {"EIO", 0}, {"ENOSPC", 0}, {"ETIMEDOUT", 0}, {"other", 0},
	};
	double ok_max = -1, err_min = -1, err_max = -1;
	std::optional<std::string> mismatch;
	const Clock::time_point t0 = Clock::now();
	unsigned next = 0, done = 0;

	while (done < o.n) {
		unsigned queued = 0;
		while (next < o.n && !free_slots.empty()) {
			unsigned s = free_slots.back();
			free_slots.pop_back();
			io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			std::uint64_t off = o.off + static_cast<std::uint64_t>(next) * o.stride;
			if (o.write)
				io_uring_prep_write(sqe, fd.get(), bufs[s].get(),
						    static_cast<unsigned>(o.len), off);
			else
				io_uring_prep_read(sqe, fd.get(), bufs[s].get(),
						   static_cast<unsigned>(o.len), off);
			sqe->user_data = s;
			index[s] = next++;
			started[s] = Clock::now();
			queued++;
		}
		if (queued) {
			r = io_uring_submit(&ring);
			if (r < 0)
				throw Failure(cat("io_uring_submit: ", res_name(r)));
		}
		io_uring_cqe *cqe = kring.wait();
		unsigned s = static_cast<unsigned>(cqe->user_data);
		int res = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		double ms = ms_since(started[s]);
		std::uint64_t off = o.off + static_cast<std::uint64_t>(index[s]) * o.stride;
		free_slots.push_back(s);
		done++;

		if (res == static_cast<int>(o.len)) {
			count["ok"]++;
			ok_max = std::max(ok_max, ms);
		} else {
			std::string name = res < 0 ? res_name(res).substr(1) : "other";
			if (!count.count(name))
				name = "other";
			count[name]++;
			err_min = err_min < 0 ? ms : std::min(err_min, ms);
			err_max = std::max(err_max, ms);
		}
		int norm = res == static_cast<int>(o.len) ? 0 : res;
		if (o.verbose)
			std::cout << "io " << index[s] << " offset " << off << ": " << res_name(res)
				  << " after " << static_cast<long>(ms) << " ms\n";
		if (o.expect && norm != *o.expect && !mismatch)
			mismatch = cat("I/O ", index[s], " (", o.write ? "write" : "read", " of ",
				       o.len, " bytes at offset ", off, "): ", res_name(res), ", want ",
				       res_name(*o.expect));
	}

	std::cout << "n=" << o.n;
	for (const char *k : {"ok", "EIO", "ENOSPC", "ETIMEDOUT", "other"})
		std::cout << ' ' << k << '=' << count[k];
	std::cout << " ok_max_ms=" << static_cast<long>(ok_max)
		  << " err_min_ms=" << static_cast<long>(err_min)
		  << " err_max_ms=" << static_cast<long>(err_max)
		  << " total_ms=" << static_cast<long>(ms_since(t0)) << '\n'
		  << std::flush;

	if (mismatch)
		throw Failure(*mismatch);
	return 0;
}

[[noreturn]] void usage()
{
	throw UsageError("usage: inject_io DEV read|write OFFSET LEN [-n N] [-s STRIDE] [-q QD] "
			 "[-p] [-e 0|EIO|ENOSPC|ETIMEDOUT] [-v]");
}

} // namespace

int main(int argc, char **argv)
{
	try {
		std::vector<std::string> a(argv + 1, argv + argc);
		if (a.size() < 4)
			usage();
		Opts o;
		o.dev = a[0];
		if (a[1] == "write")
			o.write = true;
		else if (a[1] != "read")
			usage();
		o.off = parse_size(a[2], "OFFSET");
		o.len = parse_size(a[3], "LEN");
		if (o.len == 0 || o.len > (1U << 30))
			throw UsageError("LEN must be 1 byte to 1 GiB");
		for (std::size_t i = 4; i < a.size(); ++i) {
			const std::string &f = a[i];
			auto arg = [&]() -> const std::string & {
				if (i + 1 >= a.size())
					usage();
				return a[++i];
			};
			if (f == "-n")
				o.n = static_cast<unsigned>(parse_size(arg(), "N"));
			else if (f == "-s")
				o.stride = parse_size(arg(), "STRIDE");
			else if (f == "-q")
				o.qd = static_cast<unsigned>(parse_size(arg(), "QD"));
			else if (f == "-p")
				o.poll = true;
			else if (f == "-v")
				o.verbose = true;
			else if (f == "-e") {
				auto it = kResults.find(arg());
				if (it == kResults.end())
					usage();
				o.expect = it->second;
			} else
				usage();
		}
		if (o.qd == 0 || o.qd > 4096 || o.n == 0)
			throw UsageError("N and QD must be positive, QD at most 4096");
		o.qd = std::min(o.qd, o.n);
		return run(o);
	} catch (const UsageError &e) {
		std::cerr << "inject_io: " << e.what() << "\n";
		return 2;
	} catch (const std::exception &e) {
		std::cout << std::flush;
		std::cerr << "FAIL: " << e.what() << "\n";
		return 1;
	}
}
