#!/usr/bin/env bash
# Fails when SQL or TypeORM data access appears outside the repositories: every query lives in a
# src/**/*.repository.ts (or the database/ infrastructure: connection options, migrations runner, transactions).
set -euo pipefail
cd "$(dirname "$0")/.."
pattern='\.query\(|createQueryBuilder|@InjectDataSource|@InjectRepository|getRepository\(|\.manager\b|\b(SELECT|INSERT INTO|UPDATE [a-z_]+ SET|DELETE FROM)\b'
hits=$(grep -rnE "$pattern" src --include='*.ts' \
  | grep -vE '^src/[^:]+\.repository\.ts:|^src/database/|^src/[^:]+\.spec\.ts:' || true)
if [ -n "$hits" ]; then
  echo "SQL outside a repository (move it into the aggregate's *.repository.ts):" >&2
  echo "$hits" >&2
  exit 1
fi
echo "no SQL outside repositories"
