#!/usr/bin/env bash
# Makes a Node 20 base image from this machine's own Node, for building docker/Dockerfile where no
# registry can be pulled from (the development and CI machines reach only npm and Debian's archive):
#
#   bash docker/local-node-base.sh [name]      # default name: wharf-local/node:20
#   docker build --build-arg NODE_IMAGE=wharf-local/node:20 -f docker/Dockerfile .
#
# The image holds what node:20-bookworm-slim offers the Dockerfile: `node` and `npm` on the PATH,
# the shared libraries node links against, a POSIX shell and core utilities (busybox-static), CA
# certificates, and the `node` user (uid/gid 1000). It trusts what this machine trusts (its CA bundle,
# for Node too: npm may reach the registry through an intercepting proxy here). A machine with internet uses the official image
# instead (the Dockerfile's default) and needs none of this.
set -euo pipefail
name=${1:-wharf-local/node:20}
node_bin=$(readlink -f "$(command -v node)")
npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
busybox_bin=$(command -v busybox || true)
linkage=$([ -n "$busybox_bin" ] && ldd "$busybox_bin" 2>&1 || true)
if [[ $linkage != *"not a dynamic"* ]]; then
  echo "local-node-base: a static busybox is needed (apt-get install busybox-static)" >&2
  exit 1
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 755 "$root" # mktemp made it 0700: it becomes the image's /
mkdir -p "$root"/{bin,usr/bin,usr/local/bin,usr/local/lib/node_modules,etc/ssl/certs,tmp,home/node,root}
chmod 1777 "$root/tmp"
cp "$node_bin" "$root/usr/local/bin/node"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
# The shared libraries at the paths the dynamic loader looks them up by: node's, and all of the C
# library's (native addons such as the SWC compiler's link against librt and others node does not).
libs=$(ldd "$node_bin" | grep -o '/[^ ]*')
if command -v dpkg >/dev/null; then libs="$libs $(dpkg -L libc6 | grep -E '^/.*\.so(\.[0-9]+)*$' || true)"; fi
for lib in $libs; do
  [ -e "$lib" ] || continue
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
cp "$busybox_bin" "$root/bin/busybox"
for applet in $("$busybox_bin" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
ln -s /bin/env "$root/usr/bin/env"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/" 2>/dev/null || true
printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n' >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
chown 1000:1000 "$root/home/node"

tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin NODE_VERSION='"$(node -p 'process.versions.node')" \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]' \
  --message "Node $(node -v) and npm $(npm -v) from the build machine" - "$name" >/dev/null
echo "$name: $(docker image inspect -f '{{.Size}}' "$name" | awk '{printf "%.0f MB", $1/1e6}') (Node $(node -v), npm $(npm -v))"
