#!/usr/bin/env bash
# Seeds the fuzz corpora from the bundled scenarios and the public history corpora
# (tests/data/).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/scenario corpus/history
cp ../scenarios/*.json corpus/scenario/
for d in ../designs/*.json; do cp "$d" "corpus/scenario/design-$(basename "$d")"; done
rm -f corpus/scenario/schema.json
for c in ../tests/data/*/; do
  find "$c" -type f \( -name '*.edn' -o -name '*.log' -o -name '*.txt' \) -size -64k \
    -exec cp {} corpus/history/ \; 2>/dev/null || true
done
ls corpus/scenario | wc -l; ls corpus/history | wc -l
