#!/bin/sh
# /usr/bin/sprocket of the Debian package: runs the app in /usr/lib/sprocket/app
# with Node.js 20 or later ($SPROCKET_NODE, else node from $PATH).
app=/usr/lib/sprocket/app
snapshots=/var/cache/sprocket
node=${SPROCKET_NODE:-node}
# node's path, looked up in $PATH as exec would (a builtin loop: no process).
case $node in
  */*) ;;
  *)
    dirs=$PATH:
    while [ -n "$dirs" ]; do
      dir=${dirs%%:*}
      dirs=${dirs#*:}
      if [ -n "$dir" ] && [ -f "$dir/$node" ] && [ -x "$dir/$node" ]; then
        node=$dir/$node
        break
      fi
    done
    ;;
esac
entry=$app/dist/src/cli/main.js
# The start-up snapshot (docs/performance.md), made for one node by
# make-snapshot (the package's postinst, and a dpkg trigger on /usr/bin/node):
# beside the blob a link to that node, and the blob has that node's
# modification time. This node is that one, unchanged: start from the blob
# with no question asked (it is 20 or later: make-snapshot checked).
# Node restores a blob only with the V8 flags it was made with (else it
# exits 14, "Failed to load the startup snapshot"): none are passed here, and
# with $NODE_OPTIONS set (it may hold one, --max-old-space-size say) the
# bundle runs instead. None is passed for speed: node verifies the blob's
# checksum whatever the flags (2 ms), and --no-rehash-snapshot (9 ms of 80
# of CPU) is not safe: every start would hash with the seed kept in the
# blob, which any user can read, and a manifest made to collide under it
# (1 MiB are read) would make its parse quadratic (docs/performance.md).
skip_snapshot=${NODE_OPTIONS:+yes}
made_by=
for blob in "$snapshots"/sprocket-v*.blob; do
  [ -z "$skip_snapshot" ] || break
  if [ "$node" -ef "${blob%.blob}.node" ] && ! [ "$node" -nt "$blob" ] && ! [ "$node" -ot "$blob" ]; then
    set -- --snapshot-blob "$blob" -- "$entry" "$@"
    made_by=$node
    break
  fi
done
# Another node, or this one replaced since: ask its version (a second node
# process); the blob still serves when that version made it (only that
# version can restore it), else the bundle.
if [ -z "$made_by" ]; then
  version=$("$node" --version 2>/dev/null) || version=none
  major=${version#v}
  major=${major%%.*}
  case $major in
    '' | *[!0-9]*) major=0 ;;
  esac
  if [ "$major" -lt 20 ]; then
    echo "sprocket: Node.js 20 or later is needed, found $node: $version (set SPROCKET_NODE to its path, see /usr/share/doc/sprocket/install.md)" >&2
    exit 254
  fi
  if [ -z "$skip_snapshot" ] && [ -f "$snapshots/sprocket-$version.blob" ]; then
    set -- --snapshot-blob "$snapshots/sprocket-$version.blob" -- "$entry" "$@"
  else
    set -- "$entry" "$@"
  fi
fi
# run --unit-mode=inline (docs/units.md): Node.js has no exec(2), so sprocket
# prepares the pod, writes nspawn's command line (NUL-terminated words) to
# $SPROCKET_HANDOVER and exits 0; this shell, still the service's main
# process, then execs it: the pod is the service's main process and no
# Node.js stays. bash reads NUL-separated words; it is used for that alone.
for arg; do
  [ "$arg" = --unit-mode=inline ] || continue
  handover=$(mktemp /run/sprocket-handover.XXXXXX) || exit 254
  SPROCKET_HANDOVER=$handover "$node" "$@" || { status=$?; rm -f "$handover"; exit $status; }
  # Empty: the word was an app's argument, not the flag; that run is over.
  [ -s "$handover" ] || { rm -f "$handover"; exit 0; }
  exec /bin/bash -c 'mapfile -d "" -t argv <"$1" && rm -f "$1" && exec "${argv[@]}"' sprocket-handover "$handover"
done
exec "$node" "$@"
