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
exec "$node" /usr/lib/sprocket/app/dist/src/cli/main.js "$@"
