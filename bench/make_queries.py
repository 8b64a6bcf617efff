"""Regenerates bench/queries.seg from ../shared/bench/queries.md (the peers'
benchmark queries): one segment per query, and the 50 segments of Q12."""
import re
import sys
from pathlib import Path

source = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/bench/queries.md")
text = source.read_text()
out = [
    "# The benchmark queries of ../shared/bench/queries.md (generated from its Seg text by",
    "# bench/make_queries.py), one segment per query; q12_sNN are the 50 segments of Q12.",
    "# Time them with: seg bench bench/queries.seg --root . --data profiles-10M.parquet --as-of 2026-11-24T00:00:00Z",
    'use "../examples/schema.seg"',
    "",
]
parts = re.split(r"\n## (Q\d\d): ([^\n]*)\n", text)
for i in range(1, len(parts), 3):
    query, title, body = parts[i], parts[i + 1], parts[i + 2]
    if query != "Q12":
        condition = re.search(r"Seg:\n```seg\n(.*?)\n```", body, re.S).group(1).strip()
        out.append(f'segment {query.lower()} "{query}: {title}" {{\n  where {condition}\n}}\n')
    else:
        for name, condition in re.findall(r"### (S\d\d)\n```seg\n(.*?)\n```", body, re.S):
            out.append(f'segment q12_{name.lower()} "Q12 {name}" {{\n  where {condition.strip()}\n}}\n')
Path(__file__).with_name("queries.seg").write_text("\n".join(out))
# Then `seg fmt bench/queries.seg` puts it in the canonical layout.
