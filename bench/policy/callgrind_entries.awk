# How many times each function named in `entries` was entered while
# callgrind collected: the cost (Ir) of its first instruction, read from a
# callgrind output written with `--dump-instr=yes`. Callgrind's own call
# counts (`calls=`) cannot serve: they count calls made while collection was
# off too (`--toggle-collect`), and calls that reach the function through
# the allocator shims' tail jumps.
#
# awk -v entries="name=0xADDR name=0xADDR ..." -f callgrind_entries.awk FILE
# prints one count per name, in order. The addresses are the functions'
# (`nm`); an address line's position is absolute (0x...), relative to the
# previous cost line (+n, -n) or the same (*), as callgrind writes them.
function hex(s,    i, n) {
  n = 0
  s = tolower(s)
  for (i = 3; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
  return n
}
BEGIN {
  n = split(entries, list, " ")
  for (i = 1; i <= n; i++) {
    split(list[i], kv, "=")
    order[i] = kv[1]
    entry[kv[1]] = hex(kv[2])
    count[kv[1]] = 0
  }
}
/^fn=\(/ {
  id = $0; sub(/^fn=\(/, "", id); sub(/\).*/, "", id)
  name = $0; sub(/^fn=\([0-9]+\) ?/, "", name)
  if (name != "") names[id] = name; else name = names[id]
  current = name
  next
}
/^cfn=\(/ {
  id = $0; sub(/^cfn=\(/, "", id); sub(/\).*/, "", id)
  name = $0; sub(/^cfn=\([0-9]+\) ?/, "", name)
  if (name != "") names[id] = name
  next
}
# The cost line after `calls=` is the call's inclusive cost, at the call.
/^calls=/ { after_call = 1; next }
/^(0x|\+|-|\*)/ {
  p = $1
  if (p ~ /^0x/) pos = hex(p)
  else if (p ~ /^\+/) pos += substr(p, 2)
  else if (p ~ /^-/) pos -= substr(p, 2)
  if (!after_call && (current in entry) && pos == entry[current]) count[current] += $3
  after_call = 0
}
END {
  for (i = 1; i <= n; i++) printf "%s%d", (i > 1 ? " " : ""), count[order[i]]
  printf "\n"
}
