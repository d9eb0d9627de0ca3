#!/bin/sh
# Online backup of touchpoint's SQLite database while the server runs (docs/operations.md, "Backups"):
# VACUUM INTO a new file (one consistent snapshot; the server goes on writing), PRAGMA integrity_check
# on the copy, then rename it into place and keep the newest $TOUCHPOINT_BACKUP_KEEP backups.
# Run it as the service user (deploy/touchpoint-backup.service does). Prints the backup's path.
# tests/e2e/backup.py runs this script while the server ingests events.
set -eu
db=${TOUCHPOINT_SQLITE_PATH:-/var/lib/touchpoint/touchpoint.db}
dir=${TOUCHPOINT_BACKUP_DIR:-/var/backups/touchpoint}
keep=${TOUCHPOINT_BACKUP_KEEP:-14}
umask 077  # the copy holds password hashes and personal data, like the database
case "$dir" in *"'"*) echo "touchpoint-backup: the backup directory must not contain a single quote" >&2; exit 2 ;; esac
stamp=$(date -u +%Y%m%dT%H%M%SZ)
partial="$dir/.touchpoint-$stamp.db.partial"
final="$dir/touchpoint-$stamp.db"
rm -f "$partial"
sqlite3 -readonly "$db" "VACUUM INTO '$partial'"
check=$(sqlite3 -readonly "$partial" "PRAGMA integrity_check")
if [ "$check" != ok ]; then
  echo "touchpoint-backup: $partial fails PRAGMA integrity_check: $check" >&2
  exit 1
fi
mv "$partial" "$final"
# Timestamps sort by name; keep the newest $keep.
d8='[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'
d6='[0-9][0-9][0-9][0-9][0-9][0-9]'
for backup in "$dir"/touchpoint-${d8}T${d6}Z.db; do
  [ -f "$backup" ] && printf '%s\n' "$backup"
done | sort -r | tail -n +"$((keep + 1))" | while read -r old; do rm -f -- "$old"; done
echo "$final"
