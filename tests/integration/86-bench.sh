# xhybrid bench runs a tiny source through all three modes and writes JSON
# that follows docs/bench-json-schema.json, plus Markdown and SVG.
. "$(dirname "$0")/lib.sh"
need_root
scratch
mkdir "$SCRATCH/src"
printf '#include <stdio.h>\nint main(void) { puts("bench"); return 0; }\n' >"$SCRATCH/src/b.c"
printf 'all: b\nb: b.o\n\t$(CC) -o b b.o\nb.o: b.c\n\t$(CC) -O2 -c b.c -o b.o\n' >"$SCRATCH/src/Makefile"
capture "$XHYBRID" bench --runs 2 --json "$SCRATCH/b.json" --markdown "$SCRATCH/b.md" \
        --svg "$SCRATCH/b.svg" "$PROFILE" "$SCRATCH/src"
expect_rc 0 "bench"
expect_out "emulated / hybrid" "bench ratios"
expect_out "hybrid / native-cross" "bench ratios"
decision=$("$XHYBRID" profiles show "$PROFILE" | sed -n "s/^#   gcc  *\/usr\/bin\/$TRIPLET-gcc-[0-9]*  .*  \([a-z].*\)\$/\1/p" | head -1)
[ -n "$decision" ] || fail "profiles show names no decision for gcc"
/usr/bin/python3 - "$XH_SOURCE_DIR/docs/bench-json-schema.json" "$SCRATCH/b.json" "$decision" <<'PY' || fail "bench JSON does not follow the schema"
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
jsonschema.validate(doc, schema)
modes = [m["mode"] for m in doc["modes"]]
assert modes == ["emulated", "hybrid", "native-cross"], modes
for m in doc["modes"]:
    assert len(m["phases"]["build"]["times"]) == 2, m
assert doc["ratios"]["emulated_over_hybrid"] > 0
# The hybrid ran the compiler that the profile's decision says.
assert doc["machine"]["gcc_decision"] == sys.argv[3], doc["machine"]
PY
grep -q '| mode |' "$SCRATCH/b.md" || fail "Markdown table missing"
# A tarball source with a top directory, and --modes.
tar -czf "$SCRATCH/b-1.0.tar.gz" -C "$SCRATCH" --transform 's,^src,b-1.0,' src
capture "$XHYBRID" bench --runs 1 --modes hybrid,native-cross --json "$SCRATCH/t.json" "$PROFILE" \
        "$SCRATCH/b-1.0.tar.gz"
expect_rc 0 "bench of a tarball"
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [m["mode"] for m in d["modes"]] == ["hybrid", "native-cross"], d' \
        "$SCRATCH/t.json" || fail "--modes not honoured"
# The compile cache's modes: cold all misses, warm all hits, in the JSON and the table.
capture "$XHYBRID" bench --runs 1 --modes hybrid,cache-cold,cache-warm --json "$SCRATCH/c.json" \
        "$PROFILE" "$SCRATCH/b-1.0.tar.gz"
expect_rc 0 "bench with the cache modes"
expect_out "^compile cache, cache-cold: 0 hits, 1 misses" "cache-cold line"
expect_out "^compile cache, cache-warm: 1 hits, 0 misses (100.0 % hits)" "cache-warm line"
expect_out "hybrid / cache-warm" "cache ratio"
/usr/bin/python3 - "$XH_SOURCE_DIR/docs/bench-json-schema.json" "$SCRATCH/c.json" <<'PY' || fail "cache modes: bad JSON"
import json, sys
import jsonschema
doc = json.load(open(sys.argv[2]))
jsonschema.validate(doc, json.load(open(sys.argv[1])))
m = {x["mode"]: x for x in doc["modes"]}
assert "cache" not in m["hybrid"], m
assert m["cache-cold"]["cache"] == {"hits": 0, "misses": 1}, m
assert m["cache-warm"]["cache"] == {"hits": 1, "misses": 0}, m
assert doc["ratios"]["hybrid_over_cache_warm"] > 0, doc["ratios"]
PY
capture "$XHYBRID" bench --modes cache-warm,cache-cold "$PROFILE" "$SCRATCH/src"
expect_rc 2 "cache-warm first"
expect_err "give cache-cold before it in --modes" "cache-warm first"
capture "$XHYBRID" bench --modes quantum "$PROFILE" "$SCRATCH/src"
expect_rc 2 "unknown mode"
expect_err "unknown mode 'quantum'" "unknown mode"
head -c 200 "$SCRATCH/b.svg" | grep -q '<svg' || fail "SVG missing"

# A build that compiles a helper program and runs it: native-cross runs it
# under the emulator, with the cross packages' libraries.
mkdir "$SCRATCH/helper"
printf '#include <stdio.h>\nint main(void) { puts("#define GEN 42"); return 0; }\n' \
        >"$SCRATCH/helper/gen.c"
printf '#include "gen.h"\n#include <stdio.h>\nint main(void) { printf("%%d\\n", GEN); return 0; }\n' \
        >"$SCRATCH/helper/b.c"
printf 'all: b\ngen: gen.c\n\t$(CC) -o gen gen.c\ngen.h: gen\n\t./gen >gen.h\nb: b.c gen.h\n\t$(CC) -o b b.c\n' \
        >"$SCRATCH/helper/Makefile"
capture "$XHYBRID" bench --runs 1 --modes hybrid,native-cross "$PROFILE" "$SCRATCH/helper"
expect_rc 0 "bench of a build that runs the program it built"
root=$("$XHYBRID" profiles show "$PROFILE" | sed -n 's/^# root: \(.*\) (created)$/\1/p')
work="${root%/roots/*}/work/bench-$PROFILE-helper"
grep -qx '#define GEN 42' "$work/src/gen.h" || fail "native-cross: gen.h is not what gen printed"
machine() { "$XHYBRID" elf "$1" | sed 's/^[^:]*: \(ELF [^,]*\),.*/\1/'; }
[ "$(machine "$work/src/gen")" = "$(machine "$root/usr/bin/true")" ] ||
        fail "native-cross: gen is $(machine "$work/src/gen"), not the target's $(machine "$root/usr/bin/true")"
pass
