// SPDX-License-Identifier: GPL-2.0 OR MIT
//
// kmod/dev_params.h, the parameter rules the module and userspace share (module parameters,
// ADD_DEVICE, SET_PARAMS, uringblk-admin create/set), and the library's wrappers of them.

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "dev_params.h"

#include <uringblk/admin/devices_cli.hpp>
#include <uringblk/params.hpp>

namespace {

// A valid, resolved parameter set: the module's defaults of docs/data-plane.md.
uringblk_dev_params good()
{
	uringblk_dev_params p;
	std::memset(&p, 0, sizeof(p));
	p.capacity_mb = 1024;
	p.logical_block_size = 512;
	p.nr_hw_queues = 2;
	p.poll_queues = 0;
	p.queue_depth = 128;
	p.max_io_size_kb = 512;
	p.io_timeout_ms = 30000;
	p.write_cache = URINGBLK_DEV_ON;
	p.discard = URINGBLK_DEV_ON;
	p.write_zeroes = URINGBLK_DEV_ON;
	p.poll = URINGBLK_DEV_OFF;
	return p;
}

struct Broken {
	int rc;
	ubk_param_err e;
};

Broken check(const uringblk_dev_params &p)
{
	Broken b{};
	b.rc = ubk_dev_params_check(&p, &b.e);
	return b;
}

std::string name_of(const Broken &b) { return b.rc ? b.e.name : "ok"; }

} // namespace

TEST_CASE("dev_params: the defaults are valid", "[dev_params]")
{
	CHECK(check(good()).rc == 0);
}

TEST_CASE("dev_params: every range edge", "[dev_params]")
{
	struct Edge {
		const char *name;
		uint32_t uringblk_dev_params::*field;
		uint32_t lo, hi;
	};
	const Edge edges[] = {
		{"capacity_mb", &uringblk_dev_params::capacity_mb, 1, 4194304},
		{"nr_hw_queues", &uringblk_dev_params::nr_hw_queues, 1, 64},
		{"queue_depth", &uringblk_dev_params::queue_depth, 32, 4096},
		{"max_io_size_kb", &uringblk_dev_params::max_io_size_kb, 4, 32768},
		{"io_timeout_ms", &uringblk_dev_params::io_timeout_ms, 10, 3600000},
	};
	for (const auto &g : edges) {
		INFO(g.name);
		uringblk_dev_params p = good();
		p.*g.field = g.lo;
		CHECK(check(p).rc == 0);
		p.*g.field = g.hi;
		CHECK(check(p).rc == 0);
		for (uint32_t bad : {g.lo - 1, g.hi + 1, 0xffffffffu}) {
			p.*g.field = bad;
			const Broken b = check(p);
			REQUIRE(b.rc == -EINVAL);
			CHECK(std::string(b.e.name) == g.name);
			CHECK(b.e.val == bad);
			CHECK(b.e.lo == g.lo);
			CHECK(b.e.hi == g.hi);
			CHECK(b.e.what == nullptr);
		}
	}
}

TEST_CASE("dev_params: logical block size and max_io_size_kb multiple", "[dev_params]")
{
	uringblk_dev_params p = good();
	for (uint32_t lbs : {512u, 1024u, 2048u, 4096u}) {
		p.logical_block_size = lbs;
		p.max_io_size_kb = 4;	// a multiple of every lbs in KiB
		CHECK(check(p).rc == 0);
	}
	for (uint32_t lbs : {0u, 256u, 511u, 513u, 3072u, 8192u}) {
		p.logical_block_size = lbs;
		const Broken b = check(p);
		REQUIRE(b.rc == -EINVAL);
		CHECK(name_of(b) == "logical_block_size");
		CHECK(std::string(b.e.what) == "512, 1024, 2048 or 4096");
	}
	p.logical_block_size = 4096;
	p.max_io_size_kb = 6;
	Broken b = check(p);
	REQUIRE(b.rc == -EINVAL);
	CHECK(name_of(b) == "max_io_size_kb");
	CHECK(b.e.mult == 4);
	p.max_io_size_kb = 8;
	CHECK(check(p).rc == 0);
	p.logical_block_size = 2048;
	p.max_io_size_kb = 5;
	b = check(p);
	CHECK(name_of(b) == "max_io_size_kb");
	CHECK(b.e.mult == 2);
	p.logical_block_size = 512;	// 512 and 1024: any whole KiB
	CHECK(check(p).rc == 0);
}

TEST_CASE("dev_params: poll and poll_queues", "[dev_params]")
{
	uringblk_dev_params p = good();
	p.poll = URINGBLK_DEV_ON;
	p.poll_queues = 1;
	CHECK(check(p).rc == 0);
	p.poll_queues = 16;
	CHECK(check(p).rc == 0);
	for (uint32_t q : {0u, 17u}) {
		p.poll_queues = q;
		const Broken b = check(p);
		CHECK(name_of(b) == "poll_queues");
		CHECK(b.e.lo == 1);
		CHECK(b.e.hi == 16);
	}
	p.poll = URINGBLK_DEV_OFF;
	p.poll_queues = 1;
	Broken b = check(p);
	CHECK(name_of(b) == "poll_queues");
	CHECK(std::string(b.e.what) == "0 with polling off");
	p.poll_queues = 0;
	CHECK(check(p).rc == 0);
	for (uint8_t v : {uint8_t{URINGBLK_DEV_DEFAULT}, uint8_t{3}, uint8_t{0xff}}) {
		p.poll = v;
		CHECK(name_of(check(p)) == "poll");
	}
}

TEST_CASE("dev_params: switches must be resolved to on or off", "[dev_params]")
{
	struct Sw {
		const char *name;
		uint8_t uringblk_dev_params::*field;
	};
	const Sw sws[] = {{"write_cache", &uringblk_dev_params::write_cache},
			  {"discard", &uringblk_dev_params::discard},
			  {"write_zeroes", &uringblk_dev_params::write_zeroes}};
	for (const auto &s : sws) {
		INFO(s.name);
		uringblk_dev_params p = good();
		for (uint8_t v : {uint8_t{URINGBLK_DEV_ON}, uint8_t{URINGBLK_DEV_OFF}}) {
			p.*s.field = v;
			CHECK(check(p).rc == 0);
		}
		for (uint8_t v : {uint8_t{URINGBLK_DEV_DEFAULT}, uint8_t{3}, uint8_t{0x80}}) {
			p.*s.field = v;
			const Broken b = check(p);
			CHECK(name_of(b) == s.name);
			CHECK(b.e.val == v);
			CHECK(std::string(b.e.what) == "on or off");
		}
	}
}

TEST_CASE("dev_params: serial suffix and reserved", "[dev_params]")
{
	uringblk_dev_params p = good();
	auto with = [&](const char *s, size_t n) {
		std::memset(p.serial_suffix, 0, sizeof(p.serial_suffix));
		std::memcpy(p.serial_suffix, s, n);
		return check(p);
	};
	CHECK(with("", 0).rc == 0);
	CHECK(with("a", 1).rc == 0);
	CHECK(with("Az09_.-x", 8).rc == 0);	// all 8, no NUL
	CHECK(with("rack-7", 6).rc == 0);
	for (const char *bad : {" ", "a b", "a/b", "a:b", "\xc3\xa9", "a\n"}) {
		INFO(bad);
		const Broken b = with(bad, std::strlen(bad));
		CHECK(name_of(b) == "serial_suffix");
		CHECK(std::string(b.e.what) == "[A-Za-z0-9_.-], NUL-padded");
	}
	// A character after the NUL padding.
	Broken b = with("ab\0c", 4);
	CHECK(name_of(b) == "serial_suffix");
	CHECK(b.e.val == 'c');
	b = with("\0a", 2);
	CHECK(name_of(b) == "serial_suffix");

	std::memset(p.serial_suffix, 0, sizeof(p.serial_suffix));
	for (int i = 0; i < 4; i++) {
		uringblk_dev_params q = p;
		q.reserved[i] = 1;
		CHECK(name_of(check(q)) == "reserved");
	}
}

TEST_CASE("dev_params: the first broken rule is reported, in field order", "[dev_params]")
{
	uringblk_dev_params p = good();
	p.capacity_mb = 0;
	p.queue_depth = 1;
	p.write_cache = 9;
	CHECK(name_of(check(p)) == "capacity_mb");
	p.capacity_mb = 1;
	CHECK(name_of(check(p)) == "queue_depth");
	p.queue_depth = 32;
	CHECK(name_of(check(p)) == "write_cache");
}

TEST_CASE("dev_params: fill replaces the defaults only", "[dev_params]")
{
	const uringblk_dev_params def = good();
	uringblk_dev_params p;
	std::memset(&p, 0, sizeof(p));
	ubk_dev_params_fill(&p, &def);
	CHECK(std::memcmp(&p, &def, sizeof(p)) == 0);
	CHECK(check(p).rc == 0);

	std::memset(&p, 0, sizeof(p));
	p.capacity_mb = 7;
	p.logical_block_size = 4096;
	p.write_cache = URINGBLK_DEV_OFF;
	p.dev_id = 5;
	ubk_dev_params_fill(&p, &def);
	CHECK(p.capacity_mb == 7);
	CHECK(p.logical_block_size == 4096);
	CHECK(p.write_cache == URINGBLK_DEV_OFF);
	CHECK(p.discard == def.discard);
	CHECK(p.queue_depth == def.queue_depth);
	CHECK(p.dev_id == 5);	// not a parameter

	SECTION("poll on with 0 queues takes the module's, at least 1") {
		uringblk_dev_params d = def;
		std::memset(&p, 0, sizeof(p));
		p.poll = URINGBLK_DEV_ON;
		d.poll_queues = 0;
		ubk_dev_params_fill(&p, &d);
		CHECK(p.poll_queues == 1);
		std::memset(&p, 0, sizeof(p));
		p.poll = URINGBLK_DEV_ON;
		d.poll_queues = 4;
		ubk_dev_params_fill(&p, &d);
		CHECK(p.poll_queues == 4);
		CHECK(check(p).rc == 0);
	}
	SECTION("poll off keeps 0 queues") {
		uringblk_dev_params d = def;
		d.poll = URINGBLK_DEV_ON;
		d.poll_queues = 2;
		std::memset(&p, 0, sizeof(p));
		p.poll = URINGBLK_DEV_OFF;
		ubk_dev_params_fill(&p, &d);
		CHECK(p.poll_queues == 0);
		CHECK(check(p).rc == 0);
	}
}

TEST_CASE("dev_params: SET_PARAMS rules", "[dev_params]")
{
	uringblk_dev_params dev = good();
	dev.max_io_size_kb = 512;
	uringblk_set_params s;
	std::memset(&s, 0, sizeof(s));
	ubk_param_err e{};
	auto rc = [&] { return ubk_set_params_check(&s, &dev, &e); };

	CHECK(rc() == -EINVAL);	// empty mask
	CHECK(std::string(e.name) == "mask");
	s.mask = 8;
	CHECK(rc() == -EINVAL);	// unknown bit
	CHECK(std::string(e.name) == "mask");
	s.mask = URINGBLK_SET_INJECT_RESET;
	CHECK(rc() == 0);
	s.reserved0 = 1;
	CHECK(rc() == -EINVAL);
	CHECK(std::string(e.name) == "reserved");
	s.reserved0 = 0;
	s.reserved[1] = 1;
	CHECK(rc() == -EINVAL);
	s.reserved[1] = 0;

	s.mask = URINGBLK_SET_WRITE_CACHE;
	for (uint32_t v : {0u, 1u}) {
		s.write_cache = v;
		CHECK(rc() == 0);
	}
	s.write_cache = 2;
	CHECK(rc() == -EINVAL);
	CHECK(std::string(e.name) == "write_cache");
	CHECK(e.lo == 0);
	CHECK(e.hi == 1);
	s.write_cache = 0;

	s.mask = URINGBLK_SET_MAX_SECTORS_KB;
	for (uint32_t v : {4u, 100u, 512u}) {
		s.max_sectors_kb = v;
		CHECK(rc() == 0);
	}
	for (uint32_t v : {0u, 3u, 513u}) {
		s.max_sectors_kb = v;
		CHECK(rc() == -EINVAL);
		CHECK(std::string(e.name) == "max_sectors_kb");
		CHECK(e.lo == 4);
		CHECK(e.hi == 512);	// the device's max_io_size_kb
	}
	dev.logical_block_size = 4096;
	s.max_sectors_kb = 6;
	CHECK(rc() == -EINVAL);
	CHECK(e.mult == 4);
	s.max_sectors_kb = 8;
	CHECK(rc() == 0);
	// A field outside the mask is not looked at.
	s.mask = URINGBLK_SET_INJECT_RESET;
	s.max_sectors_kb = 0;
	s.write_cache = 7;
	CHECK(rc() == 0);
}

TEST_CASE("params: the library's message is the driver's line", "[dev_params][lib]")
{
	uringblk_dev_params p = good();
	p.capacity_mb = 0;
	auto e = uringblk::check_dev_params(p);
	REQUIRE(e);
	CHECK(e->message() == "capacity_mb=0 out of range (1-4194304)");
	CHECK(e->error("create").value() == EINVAL);
	CHECK(e->error("create").message() ==
	      "create: capacity_mb=0 out of range (1-4194304): Invalid argument (EINVAL)");
	p = good();
	p.logical_block_size = 4096;
	p.max_io_size_kb = 6;
	CHECK(uringblk::check_dev_params(p)->message() ==
	      "max_io_size_kb=6 out of range (4-32768, multiple of 4)");
	p = good();
	p.discard = 0;
	CHECK(uringblk::check_dev_params(p)->message() == "discard=0 out of range (on or off)");
	CHECK_FALSE(uringblk::check_dev_params(good()));

	uringblk_dev_params q;
	std::memset(&q, 0, sizeof(q));
	REQUIRE(uringblk::set_serial_suffix(q, "abcdefgh"));
	CHECK(uringblk::serial_suffix(q) == "abcdefgh");
	REQUIRE(uringblk::set_serial_suffix(q, "x"));
	CHECK(uringblk::serial_suffix(q) == "x");
	CHECK(q.serial_suffix[1] == 0);
	CHECK(uringblk::set_serial_suffix(q, "abcdefghi").error().value() == EINVAL);
}

TEST_CASE("create_params: only what was typed is checked", "[dev_params][admin]")
{
	using uringblk::admin::CreateOptions;
	using uringblk::admin::create_params;
	CreateOptions o;
	auto p = create_params(o);
	REQUIRE(p);	// nothing typed: all defaults, all zero
	CHECK(p->capacity_mb == 0);
	CHECK(p->poll == URINGBLK_DEV_DEFAULT);

	o.logical_block_size = 4096;
	o.write_cache = URINGBLK_DEV_OFF;
	o.serial_suffix = "r1";
	p = create_params(o);
	REQUIRE(p);
	CHECK(p->logical_block_size == 4096);
	CHECK(p->write_cache == URINGBLK_DEV_OFF);
	CHECK(p->max_io_size_kb == 0);	// left to the module
	CHECK(uringblk::serial_suffix(*p) == "r1");

	o = {};
	o.capacity_mb = 0;	// typed 0 is checked as 0
	CHECK(create_params(o).error().context == "capacity_mb=0 out of range (1-4194304)");
	o = {};
	o.poll_queues = 4;	// poll not given: the queues imply it
	CHECK(create_params(o));
	o.poll = URINGBLK_DEV_OFF;
	CHECK(create_params(o).error().context == "poll_queues=4 out of range (0 with polling off)");
	o = {};
	o.logical_block_size = 4096;
	o.max_io_size_kb = 6;
	CHECK(create_params(o).error().context ==
	      "max_io_size_kb=6 out of range (4-32768, multiple of 4)");
	o = {};
	o.serial_suffix = "a b";
	CHECK(create_params(o).error().context ==
	      "serial_suffix: ' ' is not allowed (allowed: [A-Za-z0-9_.-], NUL-padded)");
	o.serial_suffix = "123456789";
	CHECK(create_params(o).error().value() == EINVAL);
}

TEST_CASE("device_index_from_arg", "[admin]")
{
	using uringblk::admin::device_index_from_arg;
	CHECK(*device_index_from_arg("3") == 3);
	CHECK(*device_index_from_arg("uringblk12") == 12);
	CHECK(*device_index_from_arg("/dev/uringblk63") == 63);
	CHECK_FALSE(device_index_from_arg("/nonexistent/sda"));
}
