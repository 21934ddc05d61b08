# xhybrid bench runs a tiny source through all three modes and writes JSON
# that follows docs/bench-json-schema.json, plus Markdown and SVG.
. "$(dirname "$0")/lib.sh"
need_root
scratch
mkdir "$SCRATCH/src"
printf '#include <stdio.h>\nint main(void) { puts("bench"); return 0; }\n' >"$SCRATCH/src/b.c"
printf 'all: b\nb: b.c\n\t$(CC) -O2 -o b b.c\n' >"$SCRATCH/src/Makefile"
capture "$XHYBRID" bench --runs 2 --json "$SCRATCH/b.json" --markdown "$SCRATCH/b.md" \
        --svg "$SCRATCH/b.svg" "$PROFILE" "$SCRATCH/src"
expect_rc 0 "bench"
expect_out "emulated / hybrid" "bench ratios"
expect_out "hybrid / native-cross" "bench ratios"
/usr/bin/python3 - "$XH_SOURCE_DIR/docs/bench-json-schema.json" "$SCRATCH/b.json" <<'PY' || fail "bench JSON does not follow the schema"
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
PY
grep -q '| mode |' "$SCRATCH/b.md" || fail "Markdown table missing"
head -c 200 "$SCRATCH/b.svg" | grep -q '<svg' || fail "SVG missing"
pass
