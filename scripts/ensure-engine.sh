#!/usr/bin/env bash
# Make sure the engines worldbuilder needs are installed and running.
#   ensure-engine.sh docker   Docker daemon answering (installs docker.io, starts dockerd)
#   ensure-engine.sh vm       debootstrap, qemu-system-x86, qemu-utils, libvirt (daemon + dev)
#   ensure-engine.sh office   LibreOffice headless (for rendering checks)
#   ensure-engine.sh build    debootstrap (to build base images without a registry)
#   ensure-engine.sh windows  wimlib, ntfs-3g, genisoimage, OVMF, swtpm, QEMU, sfdisk, xmllint, virt-xml-validate
#   ensure-engine.sh browser  Chromium + chromedriver (headless browser tests of `worldbuilder serve`)
#   ensure-engine.sh registry Debian's docker-registry on 127.0.0.1:${WORLDBUILDER_REGISTRY_PORT:-5055}, storage
#                             and pid in ${TMPDIR:-/tmp}/worldbuilder-registry-PORT (plain HTTP: Docker treats
#                             127.0.0.0/8 as an insecure registry by default, no daemon change needed)
# On a machine where the engine already runs this does nothing. Needs root + apt to install.
set -euo pipefail

log() { echo "[ensure-engine] $*" >&2; }
APT_UPDATED=0
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "error: missing packages ${missing[*]} and cannot install them (need root on Debian)" >&2; exit 1
  fi
  log "installing ${missing[*]}"
  if [ $APT_UPDATED = 0 ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

docker_up() { docker info >/dev/null 2>&1; }

start_dockerd() {  # $1 = storage driver; returns 0 once the daemon answers
  log "starting dockerd (storage driver $1)"
  mkdir -p /var/log
  nohup dockerd --storage-driver="$1" >/var/log/worldbuilder-dockerd.log 2>&1 &
  local pid=$!
  for _ in $(seq 1 60); do
    docker_up && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 1
  done
  kill "$pid" 2>/dev/null || true
  return 1
}

ensure_docker() {
  # iptables: host firewall for the computers' bridge; openssh-client: `worldbuilder shell`.
  command -v iptables >/dev/null || apt_install iptables
  command -v ssh >/dev/null || apt_install openssh-client
  if docker_up; then return 0; fi
  command -v dockerd >/dev/null || apt_install docker.io
  command -v docker >/dev/null || apt_install docker.io
  if docker_up; then return 0; fi
  if [ "$(id -u)" != 0 ]; then echo "error: no Docker daemon answers and we are not root to start one" >&2; exit 1; fi
  modprobe overlay 2>/dev/null || true
  if start_dockerd overlay2; then return 0; fi
  log "overlay2 is not usable here; falling back to the (slower) vfs storage driver"
  rm -f /var/run/docker.pid
  start_dockerd vfs && return 0
  echo "error: dockerd did not come up; see /var/log/worldbuilder-dockerd.log" >&2; exit 1
}

ensure_build() { apt_install debootstrap ca-certificates tar; }

ensure_browser() { apt_install chromium chromium-driver; }

ensure_vm() {
  apt_install debootstrap qemu-system-x86 qemu-utils libvirt-daemon-system libvirt-clients libvirt-dev \
    libxml2-utils pkg-config openssh-client gcc python3-dev  # gcc + headers: pip builds libvirt-python
  if ! virsh -c qemu:///system version >/dev/null 2>&1; then
    log "starting libvirtd"
    mkdir -p /run/libvirt
    (command -v virtlogd >/dev/null && virtlogd -d) || true
    libvirtd -d || true
    for _ in $(seq 1 20); do virsh -c qemu:///system version >/dev/null 2>&1 && break; sleep 0.5; done
  fi
}

# Windows computers: D: disk (wimtools ntfs-3g fdisk qemu-utils), provisioning ISO (genisoimage), the VM
# (qemu-system-x86 ovmf swtpm swtpm-tools) and the checks (libxml2-utils, libvirt-clients: virt-xml-validate).
ensure_windows() {
  apt_install wimtools ntfs-3g fdisk qemu-utils genisoimage qemu-system-x86 ovmf swtpm swtpm-tools \
    libxml2-utils libvirt-clients
}

ensure_office() { command -v soffice >/dev/null || apt_install libreoffice-core-nogui libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui; }

registry_up() { python3 -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
  "http://127.0.0.1:$1/v2/" >/dev/null 2>&1; }

ensure_registry() {
  command -v docker-registry >/dev/null || apt_install docker-registry
  local port=${WORLDBUILDER_REGISTRY_PORT:-5055}
  local dir=${TMPDIR:-/tmp}/worldbuilder-registry-$port
  registry_up "$port" && return 0
  rm -rf "$dir"; mkdir -p "$dir/data"
  printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$dir/data" "$port" >"$dir/config.yml"
  nohup docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  echo $! >"$dir/pid"
  for _ in $(seq 1 40); do
    registry_up "$port" && { log "registry on 127.0.0.1:$port (storage $dir/data)"; return 0; }
    sleep 0.5
  done
  echo "error: docker-registry did not come up on 127.0.0.1:$port; see $dir/registry.log" >&2; exit 1
}

[ $# -gt 0 ] || { echo "usage: $0 docker|vm|office|build|windows|browser|registry ..." >&2; exit 2; }
for what in "$@"; do
  case "$what" in
    docker) ensure_docker ;;
    vm) ensure_vm ;;
    office) ensure_office ;;
    build) ensure_build ;;
    windows) ensure_windows ;;
    browser) ensure_browser ;;
    registry) ensure_registry ;;
    *) echo "error: unknown engine '$what'" >&2; exit 2 ;;
  esac
done
