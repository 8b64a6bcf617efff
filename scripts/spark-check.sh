#!/usr/bin/env bash
# Runs the generated-SQL test on Spark SQL: the corpus's programs compiled for
# Spark are executed by pyspark in local mode and compared row for row with
# the evaluator, under ANSI mode on and then off.
#
#   scripts/spark-check.sh                 # 200 programs, ANSI on and off
#   SEG_SQL_PROGRAMS=20 scripts/spark-check.sh
#   SEG_SPARK_ANSI=true scripts/spark-check.sh   # one mode only
#
# Not part of scripts/test.sh: pyspark is a 456 MB download and a 200-program
# run takes minutes on two cores (docs/sql.md has the figures). Needs Java 17
# or later (Debian's openjdk-17-jre-headless is installed with apt-get when
# missing and we are root); pyspark is installed with pip when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v java >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "installing Java for Spark (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null
  else
    echo "java missing; run as root or: sudo apt-get install openjdk-17-jre-headless" >&2
    exit 2
  fi
fi
if ! python3 -c "import pyspark" 2>/dev/null; then
  echo "installing pyspark 4.3 (the version the Spark arms were run on) for the Spark SQL test (pip)"
  python3 -m pip install --quiet --disable-pip-version-check "pyspark==4.3.*"
fi
export SEG_REQUIRE_SQL_ENGINES=1
export SEG_SQL_ENGINES=spark

modes=${SEG_SPARK_ANSI:-"true false"}
for ansi in $modes; do
  echo "== Spark SQL, spark.sql.ansi.enabled = $ansi"
  SEG_SPARK_ANSI=$ansi cargo test -p seg-sql --locked --test engines -- --nocapture "$@"
done
