# Flatten fio's pretty-printed JSON output (--output-format=json: one member
# per line; uringblk-bench -o json has the same shape) into "path<TAB>value" lines, e.g.
#   jobs.0.read.iops	51234.5
#   jobs.0.read.clat_ns.percentile.99.000000	612352
# Object members are named by key, array elements by index. Plain POSIX awk
# (mawk, busybox awk): the guest has no jq or python guarantee.
function cur(   i, p) {
	p = ""
	for (i = 1; i <= d; i++)
		p = p (i > 1 ? "." : "") k[i]
	return p
}
BEGIN { d = 0; seen_top = 0 }
{
	line = $0
	sub(/^[ \t]+/, "", line)
	sub(/[ \t\r]+$/, "", line)
	sub(/,$/, "", line)
	if (line == "")
		next
	if (line == "}" || line == "]") {
		if (d > 0)
			d--
		next
	}
	if (line == "{") {
		if (d == 0 && !seen_top) {      # the document itself
			seen_top = 1
			next
		}
		k[d + 1] = n[d]++               # an array element
		d++
		n[d] = 0
		next
	}
	if (match(line, /^"[^"]*" ?: /)) {	# fio: "k" : v; uringblk-bench: "k": v
		val = substr(line, RLENGTH + 1)
		key = substr(line, 2)
		key = substr(key, 1, index(key, "\"") - 1)
		if (val == "{" || val == "[") {
			d++
			k[d] = key
			n[d] = 0
			next
		}
		if (val ~ /^"/ && val ~ /"$/)
			val = substr(val, 2, length(val) - 2)
		p = cur()
		print (p == "" ? key : p "." key) "\t" val
	}
}
