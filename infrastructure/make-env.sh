#!/bin/sh
# .env for the local stack: .env.example with every empty password line filled with a random
# value (openssl rand), the rest copied as it is. Leaves an existing .env alone.
#   infrastructure/make-env.sh [TARGET]     (default: .env beside docker-compose.yml)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
target=${1:-$root/.env}
if [ -e "$target" ]; then
  echo "$target exists: kept"
  exit 0
fi
umask 077
tmp="$target.tmp.$$"
: > "$tmp"
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in
    POSTGRES_PASSWORD= | CODEREV_DB_PASSWORD= | REDIS_PASSWORD= | NEO4J_PASSWORD= | \
    GRAFANA_ADMIN_PASSWORD= | JWT_SECRET_KEY=)
      printf '%s%s\n' "$line" "$(openssl rand -hex 24)" >> "$tmp" ;;
    *) printf '%s\n' "$line" >> "$tmp" ;;
  esac
done < "$root/.env.example"
mv "$tmp" "$target"
echo "wrote $target (random passwords; keep it out of git)"
