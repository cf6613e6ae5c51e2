// vcpu_gap CPU SECONDS: pinned to CPU, read CLOCK_MONOTONIC in a tight loop
// for SECONDS and report the gaps between consecutive reads: the time the
// vCPU did not execute this loop (host descheduling, another vCPU's turn on
// a single-threaded TCG thread, interrupts). Prints the number of gaps of
// 1 ms or more, their total, and the longest (docs/testbed.md, "Soft
// lockups in clear_page_rep").
#include <sched.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>

static long long now_ns()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		std::fprintf(stderr, "usage: vcpu_gap CPU SECONDS\n");
		return 2;
	}
	int cpu = std::atoi(argv[1]);
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		std::perror("sched_setaffinity");
		return 1;
	}
	long long start = now_ns(), end = start + std::atoll(argv[2]) * 1000000000LL;
	long long prev = start, max = 0, total = 0, n = 0, over100 = 0;
	for (;;) {
		long long t = now_ns(), d = t - prev;
		prev = t;
		if (d >= 1000000) {
			n++;
			total += d;
			if (d >= 100000000)
				over100++;
			if (d > max)
				max = d;
		}
		if (t >= end)
			break;
	}
	double wall = (prev - start) / 1e9;
	std::printf("cpu%d: %.1f s: %lld gaps >= 1 ms (%lld >= 100 ms), %.2f s in gaps (%.0f%%), max %.1f ms\n",
		    cpu, wall, n, over100, total / 1e9, 100.0 * total / 1e9 / wall, max / 1e6);
	return 0;
}
