// SPDX-License-Identifier: GPL-2.0
// Unit tests of the latency histogram math shared with the module
// (kmod/hist.h): bucket bounds, monotonicity, the <= 3 % error of the
// reported value, and percentiles of synthetic distributions.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

extern "C" {
#include "../../kmod/hist.h"
}

namespace {

double rel_err(u64 reported, u64 actual)
{
	if (actual == 0)
		return reported == 0 ? 0.0 : 1.0;
	return std::fabs(static_cast<double>(reported) -
			 static_cast<double>(actual)) /
	       static_cast<double>(actual);
}

struct Hist {
	std::vector<u64> b = std::vector<u64>(UBK_HIST_NR_BUCKETS, 0);

	void add(u64 ns, u64 n = 1) { b[ubk_hist_index(ns)] += n; }
	u64 pct(u32 p) const
	{
		return ubk_hist_percentile(b.data(), UBK_HIST_NR_BUCKETS, p);
	}
};

// Exact nearest-rank percentile of a sorted sample.
u64 exact_pct(const std::vector<u64> &sorted, u32 p)
{
	u64 n = sorted.size();
	u64 rank = (n * p + UBK_HIST_P100 - 1) / UBK_HIST_P100;
	if (rank == 0)
		rank = 1;
	return sorted[rank - 1];
}

} // namespace

TEST_CASE("hist: layout constants", "[hist]")
{
	STATIC_REQUIRE(UBK_HIST_SUB == 32);
	STATIC_REQUIRE(UBK_HIST_NR_BUCKETS == 1024);
	CHECK(ubk_hist_index(0) == 0);
	CHECK(ubk_hist_index(UBK_HIST_MAX_VALUE) == UBK_HIST_NR_BUCKETS - 1);
	CHECK(ubk_hist_upper(UBK_HIST_NR_BUCKETS - 1) == UBK_HIST_MAX_VALUE);
}

TEST_CASE("hist: small values have exact buckets", "[hist]")
{
	for (u64 v = 0; v < 64; v++) {
		unsigned int i = ubk_hist_index(v);
		CHECK(i == v);
		CHECK(ubk_hist_lower(i) == v);
		CHECK(ubk_hist_width(i) == 1);
		CHECK(ubk_hist_mid(i) == v);
	}
}

TEST_CASE("hist: known bucket boundaries", "[hist]")
{
	// 64..127 has width 2, 128..255 width 4, 1024..2047 width 32.
	CHECK(ubk_hist_index(64) == 64);
	CHECK(ubk_hist_index(65) == 64);
	CHECK(ubk_hist_index(66) == 65);
	CHECK(ubk_hist_lower(64) == 64);
	CHECK(ubk_hist_width(64) == 2);
	CHECK(ubk_hist_index(128) == 96);
	CHECK(ubk_hist_width(96) == 4);
	CHECK(ubk_hist_lower(ubk_hist_index(1000)) == 992);
	CHECK(ubk_hist_width(ubk_hist_index(1500)) == 32);
	CHECK(ubk_hist_lower(ubk_hist_index(1500)) == 1472);
}

TEST_CASE("hist: every bucket contains its bounds and they tile", "[hist]")
{
	u64 expect_lower = 0;
	for (unsigned int i = 0; i < UBK_HIST_NR_BUCKETS; i++) {
		u64 lo = ubk_hist_lower(i);
		u64 hi = ubk_hist_upper(i);
		INFO("bucket " << i);
		REQUIRE(lo == expect_lower);	// no gaps, no overlaps
		REQUIRE(hi >= lo);
		REQUIRE(ubk_hist_index(lo) == i);
		REQUIRE(ubk_hist_index(hi) == i);
		REQUIRE(ubk_hist_mid(i) >= lo);
		REQUIRE(ubk_hist_mid(i) <= hi);
		expect_lower = hi + 1;
	}
	CHECK(expect_lower == UBK_HIST_MAX_VALUE + 1);
}

TEST_CASE("hist: index is monotonic", "[hist]")
{
	unsigned int prev = 0;
	// Dense walk over the low range, then geometric steps.
	for (u64 v = 0; v < 200000; v++) {
		unsigned int i = ubk_hist_index(v);
		REQUIRE(i >= prev);
		REQUIRE(i - prev <= 1);
		prev = i;
	}
	for (u64 v = 200000; v < UBK_HIST_MAX_VALUE; v += v / 97 + 1) {
		unsigned int i = ubk_hist_index(v);
		REQUIRE(i >= prev);
		prev = i;
	}
}

TEST_CASE("hist: values beyond the range clamp to the last bucket", "[hist]")
{
	CHECK(ubk_hist_index(UBK_HIST_MAX_VALUE + 1) == UBK_HIST_NR_BUCKETS - 1);
	CHECK(ubk_hist_index(~0ULL) == UBK_HIST_NR_BUCKETS - 1);
}

TEST_CASE("hist: reported value within 3 % over 1 ns .. 60 s", "[hist]")
{
	double worst = 0.0;
	std::mt19937_64 rng(42);

	// Every value up to 1 ms, then random values per power of two.
	for (u64 v = 1; v <= 1000000; v++) {
		double e = rel_err(ubk_hist_mid(ubk_hist_index(v)), v);
		worst = std::max(worst, e);
	}
	for (unsigned int g = 20; g < UBK_HIST_MAX_SHIFT; g++) {
		std::uniform_int_distribution<u64> d(1ULL << g,
						     (2ULL << g) - 1);
		for (int k = 0; k < 20000; k++) {
			u64 v = d(rng);
			double e = rel_err(ubk_hist_mid(ubk_hist_index(v)), v);
			worst = std::max(worst, e);
		}
		// Both edges of every group.
		for (u64 v : {1ULL << g, (2ULL << g) - 1}) {
			double e = rel_err(ubk_hist_mid(ubk_hist_index(v)), v);
			worst = std::max(worst, e);
		}
	}
	INFO("worst relative error " << worst);
	CHECK(worst <= 0.03);
	CHECK(worst <= 1.0 / 64 + 1e-12);	// the design bound
}

TEST_CASE("hist: empty histogram gives 0", "[hist]")
{
	Hist h;
	CHECK(h.pct(UBK_HIST_P50) == 0);
	CHECK(h.pct(UBK_HIST_P99) == 0);
	CHECK(ubk_hist_percentile(h.b.data(), 0, UBK_HIST_P50) == 0);
}

TEST_CASE("hist: single value", "[hist]")
{
	Hist h;
	h.add(12345);
	u64 mid = ubk_hist_mid(ubk_hist_index(12345));
	CHECK(h.pct(1) == mid);
	CHECK(h.pct(UBK_HIST_P50) == mid);
	CHECK(h.pct(UBK_HIST_P99) == mid);
	CHECK(h.pct(UBK_HIST_P100) == mid);
	CHECK(rel_err(mid, 12345) <= 0.03);
}

TEST_CASE("hist: nearest-rank on two clusters", "[hist]")
{
	Hist h;
	h.add(1000, 90);	// 90 samples at 1 us
	h.add(50000, 10);	// 10 samples at 50 us
	CHECK(rel_err(h.pct(UBK_HIST_P50), 1000) <= 0.03);
	CHECK(rel_err(h.pct(9000), 1000) <= 0.03);	// rank 90
	CHECK(rel_err(h.pct(9001), 50000) <= 0.03);	// rank 91
	CHECK(rel_err(h.pct(UBK_HIST_P99), 50000) <= 0.03);
}

TEST_CASE("hist: percentiles are monotonic in p", "[hist]")
{
	Hist h;
	std::mt19937_64 rng(7);
	std::lognormal_distribution<double> d(9.0, 1.5);
	for (int i = 0; i < 50000; i++)
		h.add(static_cast<u64>(d(rng)));
	u64 prev = 0;
	for (u32 p = 1; p <= UBK_HIST_P100; p += 7) {
		u64 v = h.pct(p);
		REQUIRE(v >= prev);
		prev = v;
	}
}

TEST_CASE("hist: percentiles of synthetic distributions within 3 %", "[hist]")
{
	std::mt19937_64 rng(1234);
	const u32 ps[] = { 100, 1000, 2500, UBK_HIST_P50, 7500, 9000,
			   UBK_HIST_P99, 9990, UBK_HIST_P100 };

	auto check = [&](const char *name, auto &&gen) {
		Hist h;
		std::vector<u64> s;
		for (int i = 0; i < 100000; i++) {
			u64 v = gen();
			s.push_back(v);
			h.add(v);
		}
		std::sort(s.begin(), s.end());
		for (u32 p : ps) {
			u64 want = exact_pct(s, p);
			u64 got = h.pct(p);
			INFO(name << " p=" << p << " exact " << want << " got "
				  << got);
			CHECK(rel_err(got, want) <= 0.03);
		}
	};

	std::uniform_int_distribution<u64> uni(500, 2000000);
	check("uniform", [&] { return uni(rng); });

	std::exponential_distribution<double> ex(1.0 / 20000.0);
	check("exponential", [&] { return static_cast<u64>(ex(rng)) + 1; });

	std::lognormal_distribution<double> ln(8.0, 2.0);
	check("lognormal", [&] { return static_cast<u64>(ln(rng)) + 1; });

	// Bimodal: fast hits and a slow tail three orders of magnitude away.
	std::bernoulli_distribution slow(0.05);
	std::normal_distribution<double> fast_d(2000, 100), slow_d(3e6, 2e5);
	check("bimodal", [&] {
		double v = slow(rng) ? slow_d(rng) : fast_d(rng);
		return static_cast<u64>(std::max(1.0, v));
	});
}

TEST_CASE("hist: counts near 2^64 / 10000 do not overflow the rank", "[hist]")
{
	Hist h;
	u64 big = 1ULL << 61;		/* total * p overflows u64 */
	h.add(100, big / 2);
	h.add(100000, big / 2);
	CHECK(h.pct(4000) == ubk_hist_mid(ubk_hist_index(100)));
	CHECK(h.pct(6000) == ubk_hist_mid(ubk_hist_index(100000)));
}
