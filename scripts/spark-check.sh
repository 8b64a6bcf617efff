#!/usr/bin/env bash
# Runs the generated-SQL test on Spark SQL: the corpus's programs compiled for
# Spark are executed by pyspark in local mode and compared row for row with
# the evaluator, under ANSI mode on and then off.
#
#   scripts/spark-check.sh                 # 20 programs, ANSI on and off
#   SEG_SQL_PROGRAMS=60 scripts/spark-check.sh
#   SEG_SPARK_ANSI=true scripts/spark-check.sh   # one mode only
#
# Not part of scripts/test.sh, measured on the two-core machine: pyspark 4.3 is
# a 456 MB download that takes 2 min 11 s to install, the JVM a minute to
# start, and Spark's SQL parser (ANTLR) takes
# from seconds to several minutes on one generated 50-segment statement (their
# conditions nest parentheses deeply), so the 200 programs of the default
# engine test would take hours. 20 programs (1,000 segments) take about
# 3 minutes per mode. Needs Java 17 or later (Debian's
# openjdk-17-jre-headless is installed with apt-get when missing and we are
# root); pyspark is installed with pip when missing.
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
export SEG_SQL_PROGRAMS=${SEG_SQL_PROGRAMS:-20}

modes=${SEG_SPARK_ANSI:-"true false"}
for ansi in $modes; do
  echo "== Spark SQL, spark.sql.ansi.enabled = $ansi"
  SEG_SPARK_ANSI=$ansi cargo test -p seg-sql --locked --test engines -- --nocapture "$@"
done
