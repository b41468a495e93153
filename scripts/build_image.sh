#!/usr/bin/env bash
# `make image`: build deploy/Dockerfile with podman on a base made from Debian's own packages, for
# machines that reach package registries but no image registry. Then check the image's health probe.
#
#   scripts/build_image.sh            base (cached as an image) + voicepod image + health check
#   VOICEPOD_IMAGE=name:tag           the image to build (default voicepod:local)
#   VOICEPOD_BASE_IMAGE=name:tag      the base; built by debootstrap only when podman lacks it
#   DEBIAN_MIRROR=http://…/debian     default: the first Debian mirror in /etc/apt/sources.list*
#   VOICEPOD_BUILD_CA=/path/ca.pem    CA bundle pip trusts in build steps (default Debian's bundle)
#
# Needs root, podman, runc, debootstrap (apt-get install podman runc debootstrap).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${VOICEPOD_IMAGE:-voicepod:local}
BASE=${VOICEPOD_BASE_IMAGE:-voicepod-base:bookworm}
CA=${VOICEPOD_BUILD_CA:-/etc/ssl/certs/ca-certificates.crt}
# crun refuses some kernels' hybrid cgroups; runc runs everywhere podman does. Raising limits is not
# always permitted (unprivileged CI containers), so every container gets modest ones.
PODMAN=(podman --runtime runc)
LIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  # deb822 files (URIs: …) or one-line ones (deb URI bookworm …); the first one serving Debian itself.
  local uri
  uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | sed -nE 's#^URIs:[[:space:]]*(\S+/debian)/?$#\1#p; s#^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?(\S+/debian)/?[[:space:]].*#\2#p' \
    | head -n1)
  echo "${uri:-http://deb.debian.org/debian}"
}

build_base() {
  local root
  root=$(mktemp -d /var/tmp/voicepod-base.XXXXXX)
  trap 'rm -rf "$root"' RETURN
  echo "debootstrap bookworm (minbase + python3.11, venv) from $(debian_mirror)"
  debootstrap --variant=minbase --include=python3.11,python3-venv bookworm "$root" "$(debian_mirror)" >/dev/null
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | podman import \
    --change 'ENV=LANG=C.UTF-8' --change 'ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD=["python3"]' - "$BASE" >/dev/null
}

podman image exists "$BASE" || build_base

# pip inside the build steps must trust this machine's TLS (it may sit behind an inspecting proxy):
# the CA bundle and a pip.conf naming it are mounted read-only, never copied into a layer.
pipconf=$(mktemp /var/tmp/voicepod-pip.XXXXXX.conf)
trap 'rm -f "$pipconf"' EXIT
printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >"$pipconf"
chmod 644 "$pipconf"

# --format docker: the OCI image format has no HEALTHCHECK, and podman would drop it.
"${PODMAN[@]}" build --format docker "${LIMITS[@]}" \
  --build-arg "BASE_IMAGE=$BASE" \
  -v "$CA:/etc/ssl/certs/ca-certificates.crt:ro" -v "$pipconf:/etc/pip.conf:ro" \
  -f deploy/Dockerfile -t "$IMAGE" .

# The image's own HEALTHCHECK, run by hand, on the whole pod in one container (`voicepod up`: its
# nats-server, the six services, the gateway), since a gateway alone waits for a NATS.
name=voicepod-image-check-$$
"${PODMAN[@]}" run -d --name "$name" "${LIMITS[@]}" \
  -e VOICEPOD_AUTH_SECRET="image-check-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  "$IMAGE" up >/dev/null
trap 'rm -f "$pipconf"; podman rm -f -v -t 0 "$name" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 180); do  # a bound, not a target: the cold start is measured in bench/container_start.py
  if "${PODMAN[@]}" healthcheck run "$name" >/dev/null 2>&1; then
    echo "$IMAGE: healthy ($(podman image inspect "$IMAGE" --format '{{.Size}}') bytes)"
    exit 0
  fi
  sleep 1
done
podman logs --tail 30 "$name" >&2 || true
echo "$IMAGE: the health check did not pass within 180 s" >&2
exit 1
