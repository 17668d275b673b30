#!/usr/bin/env bash
# Builds a local stand-in for the official `node:20-bookworm-slim` image, for Docker hosts that cannot reach
# Docker Hub: a minimal Debian bookworm (debootstrap, from a Debian mirror: no registry of images) with this
# machine's Node.js 20 copied in where the official image keeps it (/usr/local/bin/node, npm under
# /usr/local/lib/node_modules/npm, `npm` and `npx` links in /usr/local/bin), imported with `docker import`.
# Then build the validator image on it:
#   docker build -f docs/deploy/Dockerfile --build-arg NODE_IMAGE=quorate-node-base:20-bookworm -t quorate:local .
#
# Usage: docs/deploy/local-node-image.sh [--force]
#   --force   rebuild even if the image already exists
# Environment: QUORATE_NODE_BASE_IMAGE (default quorate-node-base:20-bookworm), DEBIAN_MIRROR (default:
# debootstrap's own), NODE_BINARY (default: `command -v node`). Needs root (debootstrap, chroot).
set -euo pipefail

image="${QUORATE_NODE_BASE_IMAGE:-quorate-node-base:20-bookworm}"
# Empty: debootstrap's default mirror.
mirror="${DEBIAN_MIRROR:-}"
suite=bookworm
node_major_wanted=20
force=false

say() { printf 'local-node-image: %s\n' "$*"; }
fail() {
  printf 'local-node-image: error: %s\n' "$*" >&2
  exit 1
}

for arg in "$@"; do
  case "$arg" in
    --force) force=true ;;
    -h | --help)
      sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) fail "unknown argument '$arg' (only --force)" ;;
  esac
done

command -v docker >/dev/null 2>&1 || fail "docker is not installed (Debian: apt-get install docker.io)"
# debootstrap lives in /usr/sbin, which is not on every PATH.
debootstrap="$(command -v debootstrap || true)"
[[ -z "$debootstrap" && -x /usr/sbin/debootstrap ]] && debootstrap=/usr/sbin/debootstrap
[[ -n "$debootstrap" ]] || fail "debootstrap is not installed (Debian: apt-get install debootstrap)"
docker_error="$(docker info --format '{{.ServerVersion}}' 2>&1 >/dev/null)" ||
  fail "the Docker daemon is not reachable (is dockerd running, and may this user use it?): ${docker_error}"

previous_id="$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
if [[ "$force" == false && -n "$previous_id" ]]; then
  say "$image already exists; nothing to do (--force rebuilds it)"
  exit 0
fi

[[ "$(id -u)" == 0 ]] || fail "debootstrap and chroot need root: run this script as root (sudo)"

node_binary="$(readlink -f "${NODE_BINARY:-$(command -v node || true)}")"
[[ -x "$node_binary" ]] || fail "no node binary found (install Node.js ${node_major_wanted}, or set NODE_BINARY)"
node_version="$("$node_binary" --version)"
[[ "$node_version" == "v${node_major_wanted}."* ]] ||
  fail "$node_binary is Node.js $node_version; the image is tagged for Node.js ${node_major_wanted}"
# The official layout, and Debian's and NodeSource's: <prefix>/bin/node and <prefix>/lib/node_modules/npm.
npm_dir="$(dirname "$(dirname "$node_binary")")/lib/node_modules/npm"
[[ -f "$npm_dir/bin/npm-cli.js" ]] || fail "npm not found beside $node_binary (looked in $npm_dir)"

work="$(mktemp -d "${TMPDIR:-/tmp}/quorate-node-base.XXXXXX")"
rootfs="$work/rootfs"
cleanup() {
  # debootstrap mounts proc and sys inside the root while it runs; a failed run can leave them mounted, and
  # rm must never walk into them.
  if [[ -d "$rootfs" ]]; then
    awk -v root="$rootfs" 'index($2, root) == 1 { print $2 }' /proc/self/mounts | sort -r |
      while read -r mount; do umount -l "$mount" || true; done
  fi
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

started=$SECONDS
say "debootstrap --variant=minbase $suite into $rootfs from ${mirror:-its default mirror} (about a minute; log: $work/debootstrap.log)"
# passwd: useradd, for the Dockerfile's user (the official slim image has it too).
if ! "$debootstrap" --variant=minbase --include=passwd "$suite" "$rootfs" ${mirror:+"$mirror"} \
  >"$work/debootstrap.log" 2>&1; then
  tail -n 30 "$work/debootstrap.log" >&2
  fail "debootstrap failed (the last lines of its log are above)"
fi

say "copying Node.js $node_version from $node_binary and npm $("$node_binary" "$npm_dir/bin/npm-cli.js" --version) from $npm_dir"
install -D -m 0755 "$node_binary" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules"
cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

say "checking node and npm run inside the new root"
# With an empty environment: this host's variables (NODE_EXTRA_CA_CERTS, say) name files the root lacks.
in_root() { chroot "$rootfs" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root "$@"; }
in_root node --version >/dev/null || fail "node does not run inside the Debian root"
in_root npm --version >/dev/null || fail "npm does not run inside the Debian root"

say "trimming apt caches, package lists, manuals and documentation (copyright files stay)"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/man/* \
  "$rootfs"/usr/share/info/* "$rootfs"/var/log/* "$rootfs"/tmp/* "$rootfs"/root/.npm
find "$rootfs/usr/share/doc" -type f ! -name copyright -delete
find "$rootfs/usr/share/doc" -type d -empty -delete

say "importing into docker as $image"
tar -C "$rootfs" --numeric-owner -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change 'CMD ["node"]' \
  --message "Debian $suite minbase and Node.js $node_version, built by docs/deploy/local-node-image.sh" \
  - "$image" >/dev/null
# The image --force replaced, unless images built on it still need it.
[[ -n "$previous_id" ]] && docker image rm "$previous_id" >/dev/null 2>&1 || true
size_bytes="$(docker image inspect --format '{{.Size}}' "$image")"
say "built $image ($((size_bytes / 1000000)) MB) in $((SECONDS - started)) s"
