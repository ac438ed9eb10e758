# Sourced by bench/cluster.sh and bench/watch.sh, which read the same generated
# cluster: builds the binaries they run and makes the corpus of $n objects once.
# Sets `release` (where cargo put the binaries: CARGO_TARGET_DIR when set, as
# cargo itself reads it), `out` (bench/out) and `dir` (the corpus).
release=${CARGO_TARGET_DIR:-target}/release
cargo build --release --locked -q -p vigie-cli -p corpus-gen -p api-standin
out=bench/out
mkdir -p "$out"
dir="$out/corpus-$n"
[ -d "$dir" ] || "$release/corpus-gen" "$n" $(( n / 100 > 0 ? n / 100 : 1 )) "$dir"
