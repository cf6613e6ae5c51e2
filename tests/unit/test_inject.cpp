// Unit tests of kmod/inject_rule.h: the error_inject grammar (parser,
// formatter, table update) and the I/O-path matcher, compiled in userspace.
// See docs/error-injection.md.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "inject_rule.h"

namespace {

// A device's injection state as the kernel keeps it, single-threaded: the
// published table and the per-device counters. store() is the sysfs write.
struct Dev {
	ubk_inj_table table{};
	ubk_inj_counters ctr{};

	int store(const std::string &s)
	{
		ubk_inj_rule cmd;
		ubk_inj_table next;
		int err = ubk_inj_parse(s.data(), s.size(), &cmd);

		if (err)
			return err;
		err = ubk_inj_apply(&next, &table, &cmd, &ctr);
		if (err)
			return err;
		table = next; // publish (+ grace period)
		return 0;
	}
	std::string list() const
	{
		char buf[UBK_INJ_LIST_MAX];
		size_t n = ubk_inj_format(&table, &ctr, buf, sizeof(buf));

		REQUIRE(n == std::strlen(buf));
		return std::string(buf, n);
	}
	int match(unsigned op, uint64_t start, uint64_t nr,
		  ubk_inj_rand_fn rnd = nullptr, void *ctx = nullptr,
		  uint32_t *usec = nullptr)
	{
		uint32_t u = 0;

		return ubk_inj_match(&table, &ctr, op, start, nr, rnd, ctx,
				     usec ? usec : &u);
	}
	int remaining(uint32_t i) const
	{
		return ubk_inj_cnt_read(&ctr.c[table.rule[i].ctr]);
	}
	bool same_as(const Dev &o) const
	{
		return std::memcmp(&table, &o.table, sizeof(table)) == 0 &&
		       std::memcmp(&ctr, &o.ctr, sizeof(ctr)) == 0;
	}
};

std::optional<ubk_inj_rule> parse(const std::string &s)
{
	ubk_inj_rule r;

	std::memset(&r, 0xa5, sizeof(r));
	ubk_inj_rule before = r;
	int err = ubk_inj_parse(s.data(), s.size(), &r);
	if (err) {
		REQUIRE(err == -EINVAL);
		REQUIRE(std::memcmp(&r, &before, sizeof(r)) == 0);
		return std::nullopt;
	}
	return r;
}

bool rule_eq(const ubk_inj_rule &a, const ubk_inj_rule &b)
{
	return a.kind == b.kind && a.any == b.any && a.lba == b.lba &&
	       a.arg == b.arg && a.pct == b.pct;
}

std::string fmt(const ubk_inj_rule &r, int count)
{
	char line[UBK_INJ_LINE_MAX];
	size_t n = ubk_inj_format_rule(&r, count, line);

	return std::string(line, n);
}

u32 mt_rand(void *ctx)
{
	return static_cast<u32>((*static_cast<std::mt19937 *>(ctx))());
}

u32 no_rand(void *)
{
	FAIL("the matcher drew a random number it does not need");
	return 0;
}

constexpr uint64_t U64MAX = ~0ULL;

// An independent reference of the grammar (std::string based), used by the
// fuzz test to cross-check every accept/reject decision and value.
std::optional<ubk_inj_rule> ref_parse(std::string s)
{
	auto ws = [](char c) { return c && std::strchr(" \t\n\r\v\f", c); };
	while (!s.empty() && ws(s.front()))
		s.erase(s.begin());
	while (!s.empty() && ws(s.back()))
		s.pop_back();
	std::vector<std::string> f;
	size_t p = 0;
	for (;;) {
		size_t c = s.find(',', p);
		f.push_back(s.substr(p, c == std::string::npos ? c : c - p));
		if (c == std::string::npos)
			break;
		p = c + 1;
	}
	auto num = [](const std::string &t, uint64_t lo,
		      uint64_t hi) -> std::optional<uint64_t> {
		if (t.empty())
			return std::nullopt;
		unsigned __int128 v = 0;
		for (char c : t) {
			if (c < '0' || c > '9')
				return std::nullopt;
			v = v * 10 + static_cast<unsigned>(c - '0');
			if (v > hi)
				return std::nullopt;
		}
		if (v < lo)
			return std::nullopt;
		return static_cast<uint64_t>(v);
	};
	ubk_inj_rule r{};
	r.pct = 100;
	const std::string &op = f[0];
	if (op == "clear") {
		if (f.size() != 1)
			return std::nullopt;
		r.kind = UBK_INJ_CLEAR;
		return r;
	}
	bool cnt = op == "read" || op == "write" || op == "nospc" ||
		   op == "busy" || op == "nomem";
	if (cnt)
		r.kind = op == "read" ? UBK_INJ_READ
			 : op == "write" ? UBK_INJ_WRITE
			 : op == "nospc" ? UBK_INJ_NOSPC
			 : op == "busy" ? UBK_INJ_BUSY : UBK_INJ_NOMEM;
	else if (op == "timeout")
		r.kind = UBK_INJ_TIMEOUT;
	else if (op == "delay")
		r.kind = UBK_INJ_DELAY;
	else
		return std::nullopt;
	size_t maxf = r.kind == UBK_INJ_TIMEOUT ? 3 : 4;
	if (f.size() < 3 || f.size() > maxf)
		return std::nullopt;
	if (f[1] == "*") {
		r.any = 1;
	} else {
		auto l = num(f[1], 0, U64MAX);
		if (!l)
			return std::nullopt;
		if (*l == 0 && !cnt)
			r.any = 1;
		else
			r.lba = *l;
	}
	if (r.kind == UBK_INJ_TIMEOUT) {
		auto q = num(f[2], 1, 100);
		if (!q)
			return std::nullopt;
		r.pct = static_cast<u8>(*q);
		return r;
	}
	auto a = num(f[2], 1, cnt ? UBK_INJ_MAX_COUNT : UBK_INJ_MAX_USEC);
	if (!a)
		return std::nullopt;
	r.arg = static_cast<u32>(*a);
	if (f.size() == 4) {
		auto q = num(f[3], 1, 100);
		if (!q)
			return std::nullopt;
		r.pct = static_cast<u8>(*q);
	}
	return r;
}

} // namespace

TEST_CASE("inject: valid lines of every kind", "[inject]")
{
	struct Case {
		const char *in;
		unsigned kind;
		uint64_t lba;
		bool any;
		uint32_t arg;
		unsigned pct;
	};
	const Case cases[] = {
		{"read,1000,5", UBK_INJ_READ, 1000, false, 5, 100},
		{"read,1000,5\n", UBK_INJ_READ, 1000, false, 5, 100},
		{"read,0,1", UBK_INJ_READ, 0, false, 1, 100},
		{"read,*,3,50", UBK_INJ_READ, 0, true, 3, 50},
		{"write,7,2", UBK_INJ_WRITE, 7, false, 2, 100},
		{"write,7,2,1\n", UBK_INJ_WRITE, 7, false, 2, 1},
		{"nospc,42,1000000000", UBK_INJ_NOSPC, 42, false, 1000000000,
		 100},
		{"nospc,*,9,100", UBK_INJ_NOSPC, 0, true, 9, 100},
		{"timeout,0,10", UBK_INJ_TIMEOUT, 0, true, 0, 10},
		{"timeout,0,10\n", UBK_INJ_TIMEOUT, 0, true, 0, 10},
		{"timeout,*,100", UBK_INJ_TIMEOUT, 0, true, 0, 100},
		{"timeout,5,1", UBK_INJ_TIMEOUT, 5, false, 0, 1},
		{"delay,0,500", UBK_INJ_DELAY, 0, true, 500, 100},
		{"delay,*,10000000,25", UBK_INJ_DELAY, 0, true, 10000000, 25},
		{"delay,12,1\n", UBK_INJ_DELAY, 12, false, 1, 100},
		{"read,18446744073709551615,1", UBK_INJ_READ, U64MAX, false, 1,
		 100},
		{"read,0018446744073709551615,0001,0100", UBK_INJ_READ,
		 U64MAX, false, 1, 100},
		{"  read,1,1 \t\r\n", UBK_INJ_READ, 1, false, 1, 100},
		{"clear", UBK_INJ_CLEAR, 0, false, 0, 100},
		{"clear\n", UBK_INJ_CLEAR, 0, false, 0, 100},
	};
	for (const Case &c : cases) {
		INFO("input: \"" << c.in << "\"");
		auto r = parse(c.in);
		REQUIRE(r);
		CHECK(r->kind == c.kind);
		CHECK(r->lba == c.lba);
		CHECK(r->any == c.any);
		CHECK(r->arg == c.arg);
		CHECK(r->pct == c.pct);
		// The parser reads exactly len bytes: no NUL terminator needed.
		std::string padded = std::string(c.in) + ",garbage";
		ubk_inj_rule r2;
		REQUIRE(ubk_inj_parse(padded.data(), std::strlen(c.in), &r2) ==
			0);
		CHECK(rule_eq(*r, r2));
	}
}

TEST_CASE("inject: malformed lines are -EINVAL", "[inject]")
{
	const char *bad[] = {
		"", "\n", " ", "\t\n", ",", ",,", "clear,", "clear,1", "CLEAR",
		"Read,1,1", "read", "read,", "read,1", "read,1,", "read,,1",
		"read,1,1,", "read,1,1,50,", "read,1,1,50,1", "read,1,0",
		"read,1,1000000001", "read,1,1,0", "read,1,1,101",
		"read,18446744073709551616,1",
		"read,99999999999999999999,1", "read,1,99999999999999999999",
		"read,1,4294967297", "read,-1,1", "read,1,-1", "read,+1,1",
		"read,0x10,1", "read,1e3,1", "read,1 ,1", "read, 1,1",
		"read ,1,1", "read,1,1 ,50", "read,1.5,1", "read,**,1",
		"read,*1,1", "read,1,*", "read\n,1,1", "read,1,1\n\n,",
		"read,1,1\nwrite,2,2", "timeout,0", "timeout,0,0",
		"timeout,0,101", "timeout,0,10,5", "timeout,,10",
		"timeout,0,10,", "delay,0,0", "delay,0,10000001",
		"delay,0,5,0", "delay,0,5,101", "delay,0,5,1,1", "delay",
		"bogus,1,1", "rea,1,1", "readd,1,1", "nospc,1,0", "*,1,1",
		"1000,read,1", "read;1;1",
	};
	for (const char *s : bad) {
		INFO("input: \"" << s << "\"");
		CHECK_FALSE(parse(s));
		CHECK_FALSE(ref_parse(s));
	}
	// Embedded NUL bytes.
	const std::string nul[] = {std::string("read,1\0,1", 9),
				   std::string("read,1,1\0", 9),
				   std::string("\0read,1,1", 9)};
	for (const std::string &s : nul)
		CHECK_FALSE(parse(s));
}

TEST_CASE("inject: field boundaries", "[inject]")
{
	CHECK(parse("read,1,1"));
	CHECK(parse("read,1,1000000000"));
	CHECK_FALSE(parse("read,1,1000000001"));
	CHECK_FALSE(parse("read,1,0"));
	CHECK(parse("read,1,1,1"));
	CHECK(parse("read,1,1,100"));
	CHECK_FALSE(parse("read,1,1,101"));
	CHECK(parse("delay,1,10000000"));
	CHECK_FALSE(parse("delay,1,10000001"));
	CHECK(parse("timeout,18446744073709551615,100"));
	CHECK_FALSE(parse("timeout,18446744073709551616,100"));
	CHECK_FALSE(parse("timeout,1,256")); // would truncate into a u8
	CHECK_FALSE(parse("read,1,1,356"));
}

TEST_CASE("inject: a malformed or refused write changes nothing", "[inject]")
{
	Dev d;
	REQUIRE(d.store("read,1000,5\n") == 0);
	REQUIRE(d.store("timeout,0,10") == 0);
	REQUIRE(d.store("delay,3,100,50") == 0);
	d.match(UBK_INJ_OP_READ, 1000, 1); // consume one count
	const Dev before = d;
	const std::string list = d.list();
	for (const char *s : {"", "\n", "read,1000", "clear,", "write,1,0",
			      "delay,0,0", "timeout,0,10,1", "x"}) {
		CHECK(d.store(s) == -EINVAL);
		CHECK(d.same_as(before));
		CHECK(d.list() == list);
	}
}

TEST_CASE("inject: listing shows the creating lines, remaining counts",
	  "[inject]")
{
	Dev d;
	CHECK(d.list().empty());
	REQUIRE(d.store("delay,0,250\n") == 0);
	REQUIRE(d.store("timeout,0,10\n") == 0);
	REQUIRE(d.store("read,1000,5\n") == 0);
	REQUIRE(d.store("nospc,*,2,50") == 0);
	REQUIRE(d.store("write,0,3,100") == 0);
	REQUIRE(d.store("delay,9,7,99") == 0);
	// Rank order (failures, timeouts, delays), then insertion order;
	// "any" is "*" in count rules and 0 in timeout/delay; PCT 100 omitted.
	CHECK(d.list() == "read,1000,5\n"
			  "nospc,*,2,50\n"
			  "write,0,3\n"
			  "timeout,0,10\n"
			  "delay,0,250\n"
			  "delay,9,7,99\n");
	CHECK(d.match(UBK_INJ_OP_READ, 1000, 1, no_rand) == UBK_INJ_ACT_EIO);
	CHECK(d.match(UBK_INJ_OP_READ, 998, 3, no_rand) == UBK_INJ_ACT_EIO);
	CHECK(d.list().rfind("read,1000,3\nnospc", 0) == 0);

	// Re-writing the listing into a fresh device recreates the state.
	Dev e;
	std::string l = d.list();
	size_t p = 0, nl;
	while ((nl = l.find('\n', p)) != std::string::npos) {
		REQUIRE(e.store(l.substr(p, nl - p + 1)) == 0);
		p = nl + 1;
	}
	CHECK(e.list() == l);

	// Re-writing a listed line onto the same device is a no-op.
	Dev f = d;
	REQUIRE(f.store("read,1000,3\n") == 0);
	CHECK(f.list() == l);
	CHECK(f.table.nr == d.table.nr);

	// A small buffer gets whole lines only, NUL-terminated.
	char small[20];
	size_t n = ubk_inj_format(&d.table, &d.ctr, small, sizeof(small));
	CHECK(std::string(small) == "read,1000,3\n");
	CHECK(n == 12);
	CHECK(ubk_inj_format(&d.table, &d.ctr, small, 0) == 0);
	CHECK(ubk_inj_format(nullptr, &d.ctr, small, sizeof(small)) == 0);
	CHECK(small[0] == '\0');
}

TEST_CASE("inject: replacing a rule with the same key", "[inject]")
{
	Dev d;
	REQUIRE(d.store("read,5,10") == 0);
	REQUIRE(d.store("timeout,0,10") == 0);
	REQUIRE(d.store("timeout,0,20") == 0); // same key: replaced
	REQUIRE(d.store("timeout,*,30") == 0); // 0 and * are the same key
	REQUIRE(d.store("read,5,2,40") == 0);  // fresh COUNT and PCT
	REQUIRE(d.store("read,*,1") == 0);     // * is a different key
	REQUIRE(d.store("write,5,1") == 0);    // other kind: different key
	CHECK(d.list() == "read,5,2,40\nread,*,1\nwrite,5,1\ntimeout,0,30\n");
}

TEST_CASE("inject: count consumption is exact", "[inject]")
{
	Dev d;
	REQUIRE(d.store("read,1000,5\n") == 0);
	int fails = 0;
	for (int i = 0; i < 100; i++)
		if (d.match(UBK_INJ_OP_READ, 1000, 1, no_rand) ==
		    UBK_INJ_ACT_EIO)
			fails++;
	CHECK(fails == 5);
	CHECK(d.list().empty()); // exhausted rules are not listed
	CHECK(d.table.nr == 1);	 // ...and dropped at the next update
	REQUIRE(d.store("timeout,0,1") == 0);
	CHECK(d.table.nr == 1);
	CHECK(d.table.rule[0].kind == UBK_INJ_TIMEOUT);

	// Writes do not consume a read rule, and vice versa.
	Dev e;
	REQUIRE(e.store("read,1,2") == 0);
	REQUIRE(e.store("write,1,1") == 0);
	REQUIRE(e.store("nospc,1,1") == 0);
	CHECK(e.match(UBK_INJ_OP_WRITE, 1, 1) == UBK_INJ_ACT_EIO);
	CHECK(e.match(UBK_INJ_OP_WRITE, 1, 1) == UBK_INJ_ACT_ENOSPC);
	CHECK(e.match(UBK_INJ_OP_WRITE, 1, 1) == UBK_INJ_ACT_NONE);
	CHECK(e.match(UBK_INJ_OP_OTHER, 0, 8) == UBK_INJ_ACT_NONE);
	CHECK(e.remaining(0) == 2);
	CHECK(e.match(UBK_INJ_OP_READ, 1, 1) == UBK_INJ_ACT_EIO);
	CHECK(e.match(UBK_INJ_OP_READ, 1, 1) == UBK_INJ_ACT_EIO);
	CHECK(e.match(UBK_INJ_OP_READ, 1, 1) == UBK_INJ_ACT_NONE);

	// With several matching rules only the first acting one consumes.
	Dev f;
	REQUIRE(f.store("read,*,2") == 0);
	REQUIRE(f.store("read,4,3") == 0);
	for (int i = 0; i < 5; i++)
		CHECK(f.match(UBK_INJ_OP_READ, 0, 8) == UBK_INJ_ACT_EIO);
	CHECK(f.match(UBK_INJ_OP_READ, 0, 8) == UBK_INJ_ACT_NONE);

	// Precedence: a failure beats a timeout beats a delay.
	Dev g;
	uint32_t usec = 0;
	REQUIRE(g.store("delay,0,77") == 0);
	CHECK(g.match(UBK_INJ_OP_OTHER, 0, 0, no_rand, nullptr, &usec) ==
	      UBK_INJ_ACT_DELAY);
	CHECK(usec == 77);
	REQUIRE(g.store("timeout,0,100") == 0);
	CHECK(g.match(UBK_INJ_OP_READ, 3, 1, no_rand) == UBK_INJ_ACT_TIMEOUT);
	REQUIRE(g.store("read,3,1") == 0);
	CHECK(g.match(UBK_INJ_OP_READ, 3, 1, no_rand) == UBK_INJ_ACT_EIO);
	CHECK(g.match(UBK_INJ_OP_READ, 3, 1, no_rand) == UBK_INJ_ACT_TIMEOUT);
	CHECK(g.match(UBK_INJ_OP_WRITE, 3, 1, no_rand) == UBK_INJ_ACT_TIMEOUT);
}

TEST_CASE("inject: busy and nomem rules", "[inject]")
{
	Dev d;
	REQUIRE(d.store("busy,*,3") == 0);
	// busy applies to every request class and consumes one COUNT each.
	CHECK(d.match(UBK_INJ_OP_READ, 5, 1, no_rand) == UBK_INJ_ACT_BUSY);
	CHECK(d.match(UBK_INJ_OP_WRITE, 5, 1, no_rand) == UBK_INJ_ACT_BUSY);
	CHECK(d.match(UBK_INJ_OP_OTHER, 0, 0, no_rand) == UBK_INJ_ACT_BUSY);
	CHECK(d.match(UBK_INJ_OP_READ, 5, 1, no_rand) == UBK_INJ_ACT_NONE);
	CHECK(d.list().empty());

	Dev e;
	REQUIRE(e.store("nomem,100,2") == 0);
	// nomem applies to writes touching the LBA only.
	CHECK(e.match(UBK_INJ_OP_READ, 100, 1, no_rand) == UBK_INJ_ACT_NONE);
	CHECK(e.match(UBK_INJ_OP_WRITE, 101, 1, no_rand) == UBK_INJ_ACT_NONE);
	CHECK(e.match(UBK_INJ_OP_WRITE, 96, 8, no_rand) == UBK_INJ_ACT_NOMEM);
	CHECK(e.list() == "nomem,100,1\n");
	CHECK(e.match(UBK_INJ_OP_WRITE, 100, 1, no_rand) == UBK_INJ_ACT_NOMEM);
	CHECK(e.match(UBK_INJ_OP_WRITE, 100, 1, no_rand) == UBK_INJ_ACT_NONE);
}

TEST_CASE("inject: counter primitives", "[inject]")
{
	ubk_inj_cnt c;
	ubk_inj_cnt_set(&c, 2);
	CHECK(ubk_inj_cnt_dec_if_positive(&c) == 1);
	CHECK(ubk_inj_cnt_dec_if_positive(&c) == 0);
	CHECK(ubk_inj_cnt_dec_if_positive(&c) == -1);
	CHECK(ubk_inj_cnt_read(&c) == 0);
	ubk_inj_cnt_set(&c, -5);
	CHECK(ubk_inj_cnt_dec_if_positive(&c) == -6);
	CHECK(ubk_inj_cnt_read(&c) == -5);
}

TEST_CASE("inject: concurrent matchers consume COUNT exactly", "[inject]")
{
	// Several I/O paths racing on one rule: exactly COUNT failures.
	const int threads = 8, per_thread = 50000, count = 100003;
	for (int round = 0; round < 5; round++) {
		Dev d;
		REQUIRE(d.store("write,*," + std::to_string(count)) == 0);
		REQUIRE(d.store("read,7,1") == 0);
		std::vector<int> fails(threads, 0);
		std::vector<std::thread> th;
		for (int t = 0; t < threads; t++)
			th.emplace_back([&d, &fails, t] {
				uint32_t u;
				for (int i = 0; i < per_thread; i++)
					if (ubk_inj_match(&d.table, &d.ctr,
							  UBK_INJ_OP_WRITE, i, 1,
							  nullptr, nullptr,
							  &u) == UBK_INJ_ACT_EIO)
						fails[t]++;
			});
		for (auto &t : th)
			t.join();
		int total = 0;
		for (int f : fails)
			total += f;
		CHECK(total == count);
		CHECK(d.list() == "read,7,1\n");
	}
}

TEST_CASE("inject: count stays exact across table updates", "[inject]")
{
	// A reader still holding the old table (an RCU reader that started
	// before the update) and one on the new table share the counter.
	Dev d;
	REQUIRE(d.store("read,10,3") == 0);
	const ubk_inj_table old = d.table;
	REQUIRE(d.store("timeout,99,1") == 0);
	uint32_t u;
	CHECK(ubk_inj_match(&old, &d.ctr, UBK_INJ_OP_READ, 10, 1, no_rand,
			    nullptr, &u) == UBK_INJ_ACT_EIO);
	CHECK(d.match(UBK_INJ_OP_READ, 10, 1, no_rand) == UBK_INJ_ACT_EIO);
	CHECK(d.match(UBK_INJ_OP_READ, 10, 1, no_rand) == UBK_INJ_ACT_EIO);
	CHECK(d.match(UBK_INJ_OP_READ, 10, 1, no_rand) == UBK_INJ_ACT_NONE);
	CHECK(ubk_inj_match(&old, &d.ctr, UBK_INJ_OP_READ, 10, 1, no_rand,
			    nullptr, &u) == UBK_INJ_ACT_NONE);

	// A replaced rule gets a counter the old table does not reference, so
	// an old-table reader cannot consume the new COUNT.
	Dev e;
	REQUIRE(e.store("read,10,1") == 0);
	const ubk_inj_table old2 = e.table;
	REQUIRE(e.store("read,10,4") == 0);
	CHECK(e.table.rule[0].ctr != old2.rule[0].ctr);
	CHECK(ubk_inj_match(&old2, &e.ctr, UBK_INJ_OP_READ, 10, 1, no_rand,
			    nullptr, &u) == UBK_INJ_ACT_EIO);
	CHECK(ubk_inj_match(&old2, &e.ctr, UBK_INJ_OP_READ, 10, 1, no_rand,
			    nullptr, &u) == UBK_INJ_ACT_NONE);
	CHECK(e.remaining(0) == 4);

	// Counters in use are never handed out again while referenced.
	std::mt19937 g(7);
	Dev f;
	for (int i = 0; i < 5000; i++) {
		std::string s = std::string(g() % 2 ? "read," : "nospc,") +
				std::to_string(g() % 24) + "," +
				std::to_string(1 + g() % 3);
		int err = f.store(s);
		REQUIRE((err == 0 || err == -ENOSPC));
		uint32_t seen = 0;
		for (uint32_t j = 0; j < f.table.nr; j++) {
			uint32_t bit = 1U << f.table.rule[j].ctr;
			REQUIRE(f.table.rule[j].ctr < UBK_INJ_NR_COUNTERS);
			REQUIRE((seen & bit) == 0);
			seen |= bit;
		}
		f.match(g() % 2 ? UBK_INJ_OP_READ : UBK_INJ_OP_WRITE, g() % 24,
			1 + g() % 4);
	}
}

TEST_CASE("inject: touch semantics", "[inject]")
{
	Dev d;
	REQUIRE(d.store("read,100,1000") == 0);
	auto hit = [&](uint64_t s, uint64_t n) {
		return d.match(UBK_INJ_OP_READ, s, n, no_rand) ==
		       UBK_INJ_ACT_EIO;
	};
	CHECK(hit(100, 1));
	CHECK(hit(96, 8));	 // straddles
	CHECK(hit(99, 2));	 // ends on it
	CHECK(hit(100, 8));	 // starts on it
	CHECK_FALSE(hit(92, 8)); // [92,100): adjacent below
	CHECK_FALSE(hit(101, 8)); // adjacent above
	CHECK_FALSE(hit(100, 0)); // empty request touches nothing
	CHECK_FALSE(hit(0, 100));
	CHECK(hit(0, 101));
	CHECK(hit(0, U64MAX));
	CHECK_FALSE(hit(U64MAX, U64MAX)); // no overflow wrap-around

	Dev e;
	REQUIRE(e.store("write,18446744073709551615,2") == 0);
	CHECK(e.match(UBK_INJ_OP_WRITE, U64MAX - 1, 1) == UBK_INJ_ACT_NONE);
	CHECK(e.match(UBK_INJ_OP_WRITE, U64MAX - 1, 2) == UBK_INJ_ACT_EIO);
	CHECK(e.match(UBK_INJ_OP_WRITE, U64MAX, U64MAX) == UBK_INJ_ACT_EIO);

	// LBA 0: block 0 in count rules, "any" in timeout and delay rules.
	Dev f;
	REQUIRE(f.store("read,0,1") == 0);
	CHECK(f.match(UBK_INJ_OP_READ, 1, 8) == UBK_INJ_ACT_NONE);
	CHECK(f.match(UBK_INJ_OP_READ, 0, 1) == UBK_INJ_ACT_EIO);
	Dev g;
	REQUIRE(g.store("timeout,0,100") == 0);
	CHECK(g.match(UBK_INJ_OP_READ, 12345, 1) == UBK_INJ_ACT_TIMEOUT);
	CHECK(g.match(UBK_INJ_OP_OTHER, 0, 0) == UBK_INJ_ACT_TIMEOUT); // flush
	Dev h;
	REQUIRE(h.store("timeout,7,100") == 0);
	CHECK(h.match(UBK_INJ_OP_OTHER, 0, 0) == UBK_INJ_ACT_NONE);
	CHECK(h.match(UBK_INJ_OP_OTHER, 0, 8) == UBK_INJ_ACT_TIMEOUT);
	// "*" in a count rule: every request of the class.
	Dev k;
	REQUIRE(k.store("nospc,*,2") == 0);
	CHECK(k.match(UBK_INJ_OP_WRITE, 99999, 1) == UBK_INJ_ACT_ENOSPC);
	CHECK(k.match(UBK_INJ_OP_READ, 99999, 1) == UBK_INJ_ACT_NONE);
	CHECK(k.match(UBK_INJ_OP_OTHER, 99999, 1) == UBK_INJ_ACT_NONE);
}

TEST_CASE("inject: PCT statistics", "[inject]")
{
	const int N = 100000;
	for (unsigned pct : {1u, 10u, 33u, 50u, 99u}) {
		INFO("pct " << pct);
		std::mt19937 g(pct * 7919);
		Dev t, dl, c;
		REQUIRE(t.store("timeout,0," + std::to_string(pct)) == 0);
		REQUIRE(dl.store("delay,5,3," + std::to_string(pct)) == 0);
		REQUIRE(c.store("read,*,1000000000," + std::to_string(pct)) ==
			0);
		int kt = 0, kd = 0, kc = 0;
		for (int i = 0; i < N; i++) {
			kt += t.match(UBK_INJ_OP_WRITE, 0, 1, mt_rand, &g) ==
			      UBK_INJ_ACT_TIMEOUT;
			kd += dl.match(UBK_INJ_OP_READ, 5, 1, mt_rand, &g) ==
			      UBK_INJ_ACT_DELAY;
			kc += c.match(UBK_INJ_OP_READ, 5, 1, mt_rand, &g) ==
			      UBK_INJ_ACT_EIO;
		}
		double p = pct / 100.0, mu = N * p;
		double tol = 5 * std::sqrt(N * p * (1 - p)) + 1;
		CHECK(std::fabs(kt - mu) <= tol);
		CHECK(std::fabs(kd - mu) <= tol);
		CHECK(std::fabs(kc - mu) <= tol);
		// COUNT is consumed only by requests that failed.
		CHECK(c.remaining(0) == 1000000000 - kc);
	}
	Dev a;
	REQUIRE(a.store("timeout,0,100") == 0);
	for (int i = 0; i < 1000; i++)
		REQUIRE(a.match(UBK_INJ_OP_READ, i, 1, no_rand) ==
			UBK_INJ_ACT_TIMEOUT);
}

TEST_CASE("inject: clear", "[inject]")
{
	Dev d;
	REQUIRE(d.store("read,1,5") == 0);
	REQUIRE(d.store("delay,0,5") == 0);
	REQUIRE(d.store("clear\n") == 0);
	CHECK(d.table.nr == 0);
	CHECK(d.list().empty());
	CHECK(d.match(UBK_INJ_OP_READ, 1, 1, no_rand) == UBK_INJ_ACT_NONE);
	REQUIRE(d.store("clear") == 0); // clearing an empty table is fine
	// An empty table behaves like no table.
	ubk_inj_rule clr;
	ubk_inj_table t;
	REQUIRE(ubk_inj_parse("clear", 5, &clr) == 0);
	REQUIRE(ubk_inj_apply(&t, nullptr, &clr, &d.ctr) == 0);
	CHECK(t.nr == 0);
	ubk_inj_rule r;
	REQUIRE(ubk_inj_parse("read,1,1", 8, &r) == 0);
	REQUIRE(ubk_inj_apply(&t, nullptr, &r, &d.ctr) == 0);
	CHECK(t.nr == 1);
}

TEST_CASE("inject: table full", "[inject]")
{
	Dev d;
	for (int i = 0; i < UBK_INJ_MAX_RULES; i++)
		REQUIRE(d.store("read," + std::to_string(i) + ",1") == 0);
	const Dev full = d;
	CHECK(d.store("read,999,1") == -ENOSPC);
	CHECK(d.store("timeout,0,5") == -ENOSPC);
	CHECK(d.store("delay,0,5") == -ENOSPC);
	CHECK(d.same_as(full));
	// Replacing a rule of a full table is allowed.
	REQUIRE(d.store("read,3,7") == 0);
	CHECK(d.table.nr == UBK_INJ_MAX_RULES);
	// An exhausted rule frees its slot at the next update.
	CHECK(d.match(UBK_INJ_OP_READ, 0, 1) == UBK_INJ_ACT_EIO);
	REQUIRE(d.store("timeout,0,5") == 0);
	CHECK(d.table.nr == UBK_INJ_MAX_RULES);
	CHECK(d.list().find("read,0,") == std::string::npos);
	CHECK(d.store("write,1,1") == -ENOSPC);
	REQUIRE(d.store("clear") == 0);
	REQUIRE(d.store("write,1,1") == 0);
}

TEST_CASE("inject: apply rejects a bad command", "[inject]")
{
	Dev d;
	ubk_inj_table t;
	ubk_inj_rule r{};
	const auto bad = [&](ubk_inj_rule x) {
		return ubk_inj_apply(&t, &d.table, &x, &d.ctr) == -EINVAL;
	};
	r.pct = 100;
	r.arg = 1;
	r.kind = UBK_INJ_NONE;
	CHECK(bad(r));
	r.kind = UBK_INJ_NR_KINDS;
	CHECK(bad(r));
	r.kind = UBK_INJ_READ;
	r.pct = 0;
	CHECK(bad(r));
	r.pct = 101;
	CHECK(bad(r));
	r.pct = 100;
	r.arg = 0;
	CHECK(bad(r));
	r.kind = UBK_INJ_DELAY;
	CHECK(bad(r));
	r.arg = UBK_INJ_MAX_USEC + 1;
	CHECK(bad(r));
	r.arg = 1;
	CHECK_FALSE(bad(r));
}

TEST_CASE("inject: listing round-trip of random tables", "[inject]")
{
	std::mt19937_64 g(12345);
	std::mt19937 g32(54321);
	const char *ops[] = {"read", "write", "nospc", "timeout", "delay"};
	for (int iter = 0; iter < 2000; iter++) {
		Dev d;
		int nrules = static_cast<int>(g() % (UBK_INJ_MAX_RULES + 4));
		for (int i = 0; i < nrules; i++) {
			std::string op = ops[g() % 5];
			std::string lba;
			switch (g() % 4) {
			case 0: lba = "*"; break;
			case 1: lba = "0"; break;
			case 2: lba = std::to_string(g() % 64); break;
			default: lba = std::to_string(g()); break;
			}
			std::string pct = std::to_string(1 + g() % 100);
			std::string s;
			if (op == "timeout")
				s = op + "," + lba + "," + pct;
			else if (op == "delay")
				s = op + "," + lba + "," +
				    std::to_string(1 + g() % UBK_INJ_MAX_USEC);
			else
				s = op + "," + lba + "," +
				    std::to_string(1 + g() % 5);
			if (op != "timeout" && g() % 2)
				s += "," + pct;
			if (g() % 2)
				s += "\n";
			int err = d.store(s);
			REQUIRE((err == 0 || err == -ENOSPC));
		}
		// Consume some counts so that remaining != written.
		for (int i = 0; i < 10; i++)
			d.match(static_cast<unsigned>(g() % 3), g() % 64,
				g() % 8, mt_rand, &g32);
		std::string l = d.list();
		Dev e;
		size_t p = 0, nl;
		while ((nl = l.find('\n', p)) != std::string::npos) {
			REQUIRE(e.store(l.substr(p, nl - p)) == 0);
			p = nl + 1;
		}
		REQUIRE(p == l.size());
		CHECK(e.list() == l);
		// Same rules, same order, same remaining counts.
		uint32_t j = 0;
		for (uint32_t i = 0; i < d.table.nr; i++) {
			const ubk_inj_rule &a = d.table.rule[i];
			if (ubk_inj_is_count(a.kind) && d.remaining(i) <= 0)
				continue;
			REQUIRE(j < e.table.nr);
			const ubk_inj_rule &b = e.table.rule[j];
			CHECK(a.kind == b.kind);
			CHECK(a.any == b.any);
			CHECK(a.lba == b.lba);
			CHECK(a.pct == b.pct);
			if (ubk_inj_is_count(a.kind))
				CHECK(d.remaining(i) == e.remaining(j));
			else
				CHECK(a.arg == b.arg);
			j++;
		}
		CHECK(j == e.table.nr);
	}
}

TEST_CASE("inject: fuzz the parser", "[inject]")
{
	std::mt19937_64 g(0xC0FFEE);
	const std::string valid[] = {
		"read,1000,5\n", "write,7,2,50", "nospc,*,3", "timeout,0,10\n",
		"delay,12,500,25", "delay,0,1", "clear\n", "read,0,1000000000",
		"timeout,18446744073709551615,100",
	};
	const std::string alpha = "readwritenospctimeoutdelayclear0123456789"
				  ",*\n \t-+x.\r";
	Dev d;
	int accepted = 0;
	for (int iter = 0; iter < 200000; iter++) {
		std::string s;
		switch (g() % 4) {
		case 0: { // random bytes
			size_t n = g() % 48;
			for (size_t i = 0; i < n; i++)
				s.push_back(static_cast<char>(g() & 0xff));
			break;
		}
		case 1: { // random grammar-ish characters
			size_t n = g() % 40;
			for (size_t i = 0; i < n; i++)
				s.push_back(alpha[g() % alpha.size()]);
			break;
		}
		default: { // mutated valid lines
			s = valid[g() % (sizeof(valid) / sizeof(valid[0]))];
			int muts = 1 + static_cast<int>(g() % 3);
			for (int m = 0; m < muts; m++) {
				size_t pos = s.empty() ? 0 : g() % (s.size() + 1);
				char c = g() % 2 ? alpha[g() % alpha.size()]
						 : static_cast<char>(g() & 0xff);
				switch (g() % 5) {
				case 0:
					s.insert(s.begin() + pos, c);
					break;
				case 1:
					if (pos < s.size())
						s.erase(pos, 1);
					break;
				case 2:
					if (pos < s.size())
						s[pos] = c;
					break;
				case 3:
					s.insert(pos, std::to_string(g()));
					break;
				default:
					if (pos < s.size())
						s = s.substr(0, pos) + s;
					break;
				}
			}
		}
		}
		// Plain checks in the hot loop; Catch2 only reports a failure.
		auto fail = [&](const char *what) {
			FAIL(what << " for input (" << s.size() << " bytes): \""
				  << s << "\"");
		};
		auto ref = ref_parse(s);
		ubk_inj_rule r;
		int err = ubk_inj_parse(s.data(), s.size(), &r);
		if (err != 0 && err != -EINVAL)
			fail("unexpected errno");
		if (static_cast<bool>(ref) != (err == 0))
			fail("parser and reference disagree");
		if (err) {
			const Dev before = d;
			if (d.store(s) != -EINVAL || !d.same_as(before))
				fail("rejected write changed the table");
			continue;
		}
		accepted++;
		if (!rule_eq(r, *ref))
			fail("parser and reference values differ");
		// Formatted back, the rule parses to itself.
		std::string line = fmt(r, static_cast<int>(r.arg));
		ubk_inj_rule back;
		if (line.empty() || line.size() >= UBK_INJ_LINE_MAX ||
		    ubk_inj_parse(line.data(), line.size(), &back) ||
		    !rule_eq(r, back))
			fail("format/parse round trip");
		// And the table accepts it (or is full) without corruption.
		const Dev before = d;
		int st = d.store(s);
		if (st != 0 && st != -ENOSPC)
			fail("store failed");
		if (st == -ENOSPC && !d.same_as(before))
			fail("-ENOSPC changed the table");
		if (st == 0 && r.kind != UBK_INJ_CLEAR &&
		    ("\n" + d.list()).find("\n" + line) == std::string::npos)
			fail("stored rule not listed");
		if (st == 0 && r.kind == UBK_INJ_CLEAR && d.table.nr != 0)
			fail("clear left rules");
		if (d.table.nr == UBK_INJ_MAX_RULES && g() % 8 == 0)
			REQUIRE(d.store("clear") == 0);
	}
	CHECK(accepted > 1000);
}
