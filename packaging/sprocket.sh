#!/bin/sh
# /usr/bin/sprocket of the Debian package: runs the app in /usr/lib/sprocket/app
# with Node.js 20 or later ($SPROCKET_NODE, else node from $PATH).
node=${SPROCKET_NODE:-node}
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
dist=/usr/lib/sprocket/app/dist
# The start-up snapshot of the CLI (docs/performance.md) when it was made by
# this node's version (only that version can restore it), else the bundle.
snapshot=$dist/snapshot/sprocket-$version.blob
if [ -f "$snapshot" ]; then
  set -- --snapshot-blob "$snapshot" -- "$@"
else
  set -- "$dist/src/cli/main.js" "$@"
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
