# Sourced by the bench scripts: the file system a benchmark database lives on, for their reports, since
# the file system and the disk under it decide what a durable write costs.
#
#   database_file_system sqlite:/tmp/x/touchpoint.db   ->  ext4 (/dev/vda1 mounted on /)
#   database_file_system postgresql://...              ->  the same for the server's data_directory
#   note_file_system LABEL URL                         ->  appends "- LABEL: ..." to $file_systems_report

file_system_of() {  # PATH (or, while it does not exist yet, its nearest existing parent)
  local path=$1 described
  while [ ! -e "$path" ] && [ "$path" != / ]; do path=$(dirname "$path"); done
  described=$(df -T "$path" 2>/dev/null | awk 'NR == 2 {print $2 " (" $1 " mounted on " $7 ")"}')
  [ -n "$described" ] || described=$(stat -f -c '%T' "$path" 2>/dev/null)
  echo "${described:-unknown}"
}

database_file_system() {  # URL
  case $1 in
    sqlite:*) file_system_of "$(dirname "${1#sqlite:}")" ;;
    *)
      local data_directory
      data_directory=$(PGCONNECT_TIMEOUT=10 psql "$1" -X -q -A -t -c "SHOW data_directory" 2>/dev/null) ||
        data_directory=
      if [ -n "$data_directory" ] && [ -d "$data_directory" ]; then
        echo "$(file_system_of "$data_directory"), data directory $data_directory"
      else
        echo "unknown (data directory ${data_directory:-not readable}; not on this machine?)"
      fi
      ;;
  esac
}

note_file_system() {  # LABEL URL
  echo "- $1 database on $(database_file_system "$2")" >>"$file_systems_report"
}
