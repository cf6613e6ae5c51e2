# Where does a function spend its time? Reads `perf script -F comm,ip,sym`
# output (call chains, leaf first, samples separated by blank lines) and, for
# each function named in -v syms=a,b,..., prints its inclusive samples and how
# they split over its direct callees ("self" = in the function itself), each
# callee with its own first-level split. -v comm=fio limits the samples to a
# command; -v hz=<sampling frequency> and -v ios=<I/Os in the window> add the
# CPU time per I/O in µs.
#
#   perf script -i perf.data -F comm,ip,sym | awk -v syms=ubk_handle_rq -f perf-tree.awk
function flush(   i, j, s, t, c, c2) {
	if (n > 0 && (comm == "" || scomm == comm)) {
		total++
		for (t in want) {
			# outermost occurrence (closest to the root): recursion counts once
			for (i = n; i >= 1; i--)
				if (f[i] == t)
					break
			if (i < 1)
				continue
			incl[t]++
			c = (i > 1) ? f[i - 1] : "[self]"
			kid[t, c]++
			if (!((t, c) in seenk)) {
				seenk[t, c] = 1
				kids[t] = kids[t] SUBSEP c
			}
			c2 = (i > 2) ? f[i - 2] : "[self]"
			if (c != "[self]") {
				gkid[t, c, c2]++
				if (!((t, c, c2) in seeng)) {
					seeng[t, c, c2] = 1
					gkids[t, c] = gkids[t, c] SUBSEP c2
				}
			}
		}
	}
	n = 0
}
function us(x) { return (hz > 0 && ios > 0) ? sprintf("%8.3f us/IO", x / hz / ios * 1e6) : "" }
BEGIN {
	ns = split(syms, a, ",")
	for (i = 1; i <= ns; i++) {
		want[a[i]] = 1
		order[i] = a[i]
	}
}
/^[^ \t]/ { flush(); scomm = $1; next }
/^[ \t]*$/ { flush(); next }
{
	# "	ffffffff81234567 symbol+0x12" (offsets only with -F +symoff)
	sym = $2
	sub(/\+0x[0-9a-f]+$/, "", sym)
	f[++n] = sym
}
END {
	flush()
	printf "%d samples%s\n", total, comm != "" ? " of " comm : ""
	for (i = 1; i <= ns; i++) {
		t = order[i]
		if (!(t in incl)) {
			printf "\n%s: no samples\n", t
			continue
		}
		printf "\n%-46s %6d  %5.1f%% %s\n", t, incl[t], 100 * incl[t] / total, us(incl[t])
		m = split(substr(kids[t], 2), ks, SUBSEP)
		# sort the callees by samples, descending (insertion sort)
		for (x = 2; x <= m; x++) {
			v = ks[x]
			for (y = x - 1; y >= 1 && kid[t, ks[y]] < kid[t, v]; y--)
				ks[y + 1] = ks[y]
			ks[y + 1] = v
		}
		for (x = 1; x <= m; x++) {
			c = ks[x]
			if (100 * kid[t, c] / incl[t] < 1)
				continue
			printf "  %-44s %6d  %5.1f%% %s\n", c, kid[t, c], 100 * kid[t, c] / total, us(kid[t, c])
			if (c == "[self]")
				continue
			g = split(substr(gkids[t, c], 2), gs, SUBSEP)
			for (p = 2; p <= g; p++) {
				v = gs[p]
				for (q = p - 1; q >= 1 && gkid[t, c, gs[q]] < gkid[t, c, v]; q--)
					gs[q + 1] = gs[q]
				gs[q + 1] = v
			}
			for (p = 1; p <= g; p++)
				if (100 * gkid[t, c, gs[p]] / incl[t] >= 1)
					printf "    %-42s %6d  %5.1f%% %s\n", gs[p], gkid[t, c, gs[p]], 100 * gkid[t, c, gs[p]] / total, us(gkid[t, c, gs[p]])
		}
	}
}
