#!/bin/sh
# Prints the greeting and which generation of the family this image is: each derived image
# drops a file into /etc/app/conf.d/ that overrides "level".
. "${APP_CONFIG:-/etc/app/app.conf}" 2>/dev/null || true
for f in /etc/app/conf.d/*.conf; do
  [ -e "$f" ] || continue
  . "$f"
  echo "  config layer: $f"
done
echo "${greeting:-hello} (level: ${level:-?}, user: $(id -un))"
