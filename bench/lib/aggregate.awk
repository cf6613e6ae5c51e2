# Aggregate bench/compare.sh measurements: medians per (workload, device),
# ratios against the references, pass/fail against the targets.
#
#   awk -v out=text|md|json -f aggregate.awk records.tsv
#
# Input records (tab-separated, first field is the record type):
#   M key type value            run metadata (type s = string, n = number)
#   O device                    device, in display order
#   D device key type value     device description
#   W workload dir title        workload, in display order (dir = read|write)
#   T workload num den target   ratio num/den of median IOPS; target "-" = info
#   R rep workload device iops bw_bytes p50_ns p99_ns lat_mean_ns
# Plain POSIX awk (mawk, busybox awk).
BEGIN {
	FS = "\t"
	nm = no = nw = nt = 0
}
function jstr(s) {
	gsub(/\\/, "\\\\", s)
	gsub(/"/, "\\\"", s)
	gsub(/\t/, "\\t", s)
	return "\"" s "\""
}
function jval(type, v) {
	if (type == "n" && v ~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/)
		return v
	if (type == "b" && (v == "true" || v == "false"))
		return v
	return jstr(v)
}
# median of the space-separated numbers in s ("" when empty)
function median(s,   a, n, i, j, t) {
	n = split(s, a, " ")
	if (n == 0)
		return ""
	for (i = 2; i <= n; i++) {
		t = a[i] + 0
		for (j = i - 1; j >= 1 && a[j] + 0 > t; j--)
			a[j + 1] = a[j]
		a[j + 1] = t
	}
	if (n % 2)
		return a[(n + 1) / 2] + 0
	return (a[n / 2] + a[n / 2 + 1]) / 2
}
function app(s, v) { return s == "" ? v : s " " v }
# largest of the space-separated numbers in s
function maxof(s,   a, n, i, m) {
	n = split(s, a, " ")
	m = ""
	for (i = 1; i <= n; i++)
		if (m == "" || a[i] + 0 > m)
			m = a[i] + 0
	return m
}
# smallest
function minof(s,   a, n, i, m) {
	n = split(s, a, " ")
	m = ""
	for (i = 1; i <= n; i++)
		if (m == "" || a[i] + 0 < m)
			m = a[i] + 0
	return m
}
$1 == "M" { mkey[++nm] = $2; mtype[$2] = $3; mval[$2] = $4; next }
$1 == "O" { dev[++no] = $2; next }
$1 == "D" {
	if (!(($2, $3) in dval))
		dkeys[$2] = app(dkeys[$2], $3)
	dtype[$2, $3] = $4
	dval[$2, $3] = $5
	next
}
$1 == "W" { wl[++nw] = $2; wdir[$2] = $3; wtitle[$2] = $4; next }
$1 == "T" { ++nt; tw[nt] = $2; tn[nt] = $3; td[nt] = $4; tt[nt] = $5; next }
$1 == "R" {
	k = $3 SUBSEP $4
	reps[k] = app(reps[k], $2)
	iops[k] = app(iops[k], $5)
	bw[k] = app(bw[k], $6)
	p50[k] = app(p50[k], $7)
	p99[k] = app(p99[k], $8)
	cmean[k] = app(cmean[k], $9)
	byrep[$3, $4, $2] = $5
	if (!($2 in repseen)) {
		repseen[$2] = 1
		replist = app(replist, $2)
	}
	next
}
function compute(   i, j, k, w, d, r, rl, nr, s, num, den) {
	for (i = 1; i <= nw; i++)
		for (j = 1; j <= no; j++) {
			k = wl[i] SUBSEP dev[j]
			if (!(k in iops))
				continue
			m_iops[k] = median(iops[k])
			m_bw[k] = median(bw[k])
			m_p50[k] = median(p50[k])
			m_p99[k] = median(p99[k])
			m_cmean[k] = median(cmean[k])
			m_best[k] = maxof(iops[k])
			nrep[k] = split(iops[k], tmp, " ")
		}
	npass = nmiss = nskip = 0
	for (i = 1; i <= nt; i++) {
		w = tw[i]
		num = w SUBSEP tn[i]
		den = w SUBSEP td[i]
		if (!(num in m_iops) || !(den in m_iops) || m_iops[den] <= 0) {
			ratio[i] = ""
			verdict[i] = (tt[i] == "-") ? "info" : "SKIP"
			if (tt[i] != "-")
				nskip++
			continue
		}
		ratio[i] = m_iops[num] / m_iops[den]
		best[i] = (m_best[den] > 0) ? m_best[num] / m_best[den] : ""
		s = ""
		nr = split(replist, rl, " ")
		for (r = 1; r <= nr; r++)
			if (((w, tn[i], rl[r]) in byrep) && ((w, td[i], rl[r]) in byrep) && byrep[w, td[i], rl[r]] > 0)
				s = app(s, byrep[w, tn[i], rl[r]] / byrep[w, td[i], rl[r]])
		paired[i] = median(s)
		plo[i] = minof(s)
		phi[i] = maxof(s)
		if (tt[i] == "-")
			verdict[i] = "info"
		else if (ratio[i] >= tt[i] + 0) {
			verdict[i] = "PASS"
			npass++
		} else {
			verdict[i] = "MISS"
			nmiss++
		}
	}
}
function us(ns) { return ns == "" ? "-" : sprintf("%.1f", ns / 1000) }
function text(   i, j, k, line) {
	printf "%-28s %-17s %10s %9s %9s %9s %5s\n", "workload", "device", "IOPS", "MiB/s", "p50 us", "p99 us", "reps"
	for (i = 1; i <= nw; i++)
		for (j = 1; j <= no; j++) {
			k = wl[i] SUBSEP dev[j]
			if (!(k in m_iops))
				continue
			printf "%-28s %-17s %10.0f %9.1f %9s %9s %5d\n", wl[i], dev[j], m_iops[k], m_bw[k] / 1048576, us(m_p50[k]), us(m_p99[k]), nrep[k]
		}
	print ""
	print "ratios of median IOPS; paired = median [min-max] of the per-repetition ratios;"
	print "best = ratio of the best repetitions (host noise only slows a run down):"
	for (i = 1; i <= nt; i++) {
		line = sprintf("  %-28s %-26s", tw[i], tn[i] "/" td[i])
		if (ratio[i] == "")
			line = line sprintf(" %6s  %34s", "-", "")
		else
			line = line sprintf(" %6.3f  paired %5.3f [%5.3f-%5.3f]  best %5.3f", ratio[i], paired[i], plo[i], phi[i], best[i])
		if (tt[i] == "-")
			line = line "                 info"
		else
			line = line sprintf("   target >= %4.2f %s", tt[i], verdict[i])
		print line
	}
	print ""
	printf "targets: %d passed, %d missed, %d skipped (a measurement, not a test: missing a target does not fail the run)\n", npass, nmiss, nskip
}
function md(   i, j, k, r, nr, rl, s) {
	printf "# uringblk vs brd vs null_blk\n\n"
	printf "Run: %s, kernel %s, %s vCPUs, %s MiB guest, fio %s, %s repetitions x %s s (+%s s ramp), region %s MiB of a %s MiB device, guest clocksource %s; %s.\n\n", mval["date"], mval["kernel"], mval["cpus"], mval["mem_mib"], mval["fio_version"], mval["reps"], mval["runtime_s"], mval["ramp_s"], mval["region_mib"], mval["capacity_mib"], mval["clocksource"], mval["host_load"]
	printf "QEMU TCG guest: absolute numbers are meaningless, only the ratios measured in the same run count. Medians over the repetitions; devices interleaved, order rotated.\n\n"
	printf "| device | path | params | scheduler | hw queues | poll | iostats |\n|---|---|---|---|---|---|---|\n"
	for (j = 1; j <= no; j++)
		printf "| %s | %s | `%s` | %s | %s | %s | %s |\n", dev[j], dval[dev[j], "path"], dval[dev[j], "params"], dval[dev[j], "scheduler"], dval[dev[j], "nr_hw_queues"], dval[dev[j], "io_poll"], dval[dev[j], "iostats"]
	printf "\n| workload | device | IOPS | MiB/s | p50 µs | p99 µs | IOPS per repetition |\n|---|---|--:|--:|--:|--:|---|\n"
	for (i = 1; i <= nw; i++)
		for (j = 1; j <= no; j++) {
			k = wl[i] SUBSEP dev[j]
			if (!(k in m_iops))
				continue
			s = iops[k]
			gsub(/\.[0-9]*/, "", s)
			gsub(/ /, ", ", s)
			printf "| %s | %s | %.0f | %.1f | %s | %s | %s |\n", wl[i], dev[j], m_iops[k], m_bw[k] / 1048576, us(m_p50[k]), us(m_p99[k]), s
		}
	printf "\nRatios: median = ratio of the median IOPS (the one judged against the target); paired = median [min–max] of the per-repetition ratios; best = ratio of the best repetitions (host load only ever slows a run down).\n"
	printf "\n| workload | ratio | median | paired [min–max] | best | target | result |\n|---|---|--:|--:|--:|--:|---|\n"
	for (i = 1; i <= nt; i++)
		printf "| %s | %s | %s | %s | %s | %s | %s |\n", tw[i], tn[i] "/" td[i], (ratio[i] == "") ? "-" : sprintf("%.3f", ratio[i]), (ratio[i] == "") ? "-" : sprintf("%.3f [%.3f–%.3f]", paired[i], plo[i], phi[i]), (ratio[i] == "") ? "-" : sprintf("%.3f", best[i]), (tt[i] == "-") ? "-" : "≥ " tt[i], verdict[i]
	printf "\nTargets: %d passed, %d missed, %d skipped.\n", npass, nmiss, nskip
}
function json(   i, j, k, n, a, x, first, r, rl, nr, s) {
	print "{"
	print "  \"schema\": \"uringblk-bench-compare/1\","
	for (i = 1; i <= nm; i++)
		printf "  %s: %s,\n", jstr(mkey[i]), jval(mtype[mkey[i]], mval[mkey[i]])
	print "  \"devices\": {"
	for (j = 1; j <= no; j++) {
		printf "    %s: {", jstr(dev[j])
		n = split(dkeys[dev[j]], a, " ")
		for (x = 1; x <= n; x++)
			printf "%s%s: %s", (x > 1) ? ", " : "", jstr(a[x]), jval(dtype[dev[j], a[x]], dval[dev[j], a[x]])
		printf "}%s\n", (j < no) ? "," : ""
	}
	print "  },"
	print "  \"workloads\": {"
	for (i = 1; i <= nw; i++) {
		printf "    %s: {\n      \"dir\": %s, \"title\": %s, \"job\": %s,\n      \"devices\": {\n", jstr(wl[i]), jstr(wdir[wl[i]]), jstr(wtitle[wl[i]]), jstr("bench/fio/" wl[i] ".fio")
		first = 1
		for (j = 1; j <= no; j++) {
			k = wl[i] SUBSEP dev[j]
			if (!(k in m_iops))
				continue
			if (!first)
				print ","
			first = 0
			printf "        %s: {\n", jstr(dev[j])
			printf "          \"median\": {\"iops\": %.3f, \"bw_bytes\": %.0f, \"p50_ns\": %.0f, \"p99_ns\": %.0f, \"lat_mean_ns\": %.0f},\n", m_iops[k], m_bw[k], m_p50[k], m_p99[k], m_cmean[k]
			printf "          \"best_iops\": %.3f,\n", m_best[k]
			printf "          \"reps\": ["
			n = split(reps[k], a, " ")
			split(iops[k], ai, " ")
			split(bw[k], ab, " ")
			split(p50[k], a5, " ")
			split(p99[k], a9, " ")
			split(cmean[k], am, " ")
			for (x = 1; x <= n; x++)
				printf "%s\n            {\"rep\": %d, \"iops\": %s, \"bw_bytes\": %s, \"p50_ns\": %s, \"p99_ns\": %s, \"lat_mean_ns\": %s}", (x > 1) ? "," : "", a[x], ai[x], ab[x], a5[x], a9[x], am[x]
			printf "\n          ]\n        }"
		}
		printf "\n      }\n    }%s\n", (i < nw) ? "," : ""
	}
	print "  },"
	print "  \"ratios\": ["
	for (i = 1; i <= nt; i++) {
		printf "    {\"workload\": %s, \"num\": %s, \"den\": %s, \"metric\": \"iops\", ", jstr(tw[i]), jstr(tn[i]), jstr(td[i])
		printf "\"ratio\": %s, \"paired_ratio\": %s, ", (ratio[i] == "") ? "null" : sprintf("%.4f", ratio[i]), (ratio[i] == "") ? "null" : sprintf("%.4f", paired[i])
		printf "\"paired_min\": %s, \"paired_max\": %s, \"best_ratio\": %s, ", (ratio[i] == "") ? "null" : sprintf("%.4f", plo[i]), (ratio[i] == "") ? "null" : sprintf("%.4f", phi[i]), (ratio[i] == "" || best[i] == "") ? "null" : sprintf("%.4f", best[i])
		printf "\"target\": %s, \"result\": %s}%s\n", (tt[i] == "-") ? "null" : tt[i], jstr(verdict[i]), (i < nt) ? "," : ""
	}
	print "  ],"
	printf "  \"summary\": {\"passed\": %d, \"missed\": %d, \"skipped\": %d}\n", npass, nmiss, nskip
	print "}"
}
END {
	compute()
	if (out == "json")
		json()
	else if (out == "md")
		md()
	else
		text()
}
