#!/bin/sh
# Runs inside the freshly bootstrapped rootfs (chroot, or a RUN step on debian:bookworm).
# Installs the document wheels from /tmp/wheels, generates common locales, prepares sshd and
# strips docs/caches so the shared base stays lean. No network is needed.
set -eu
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
W=/tmp/wheels
PIPWHL=$(ls "$W"/pip-*.whl | head -n1)
python3 "$PIPWHL/pip" install --quiet --no-index --find-links "$W" --no-cache-dir \
    --break-system-packages --root-user-action=ignore --disable-pip-version-check -r "$W/requirements.txt"
python3 -m compileall -q /usr/local/lib/python3.11/dist-packages >/dev/null || true
# Every locale the offline generator can give a profile (tests/test_image_layer.py checks this list), so
# no computer needs its own locale-archive; the provisioner still generates any other one.
cat > /etc/locale.gen <<'LOC'
cs_CZ.UTF-8 UTF-8
da_DK.UTF-8 UTF-8
de_AT.UTF-8 UTF-8
de_CH.UTF-8 UTF-8
de_DE.UTF-8 UTF-8
en_AU.UTF-8 UTF-8
en_CA.UTF-8 UTF-8
en_GB.UTF-8 UTF-8
en_IE.UTF-8 UTF-8
en_IN.UTF-8 UTF-8
en_NZ.UTF-8 UTF-8
en_PH.UTF-8 UTF-8
en_US.UTF-8 UTF-8
es_AR.UTF-8 UTF-8
es_CL.UTF-8 UTF-8
es_CO.UTF-8 UTF-8
es_ES.UTF-8 UTF-8
es_MX.UTF-8 UTF-8
fi_FI.UTF-8 UTF-8
fr_FR.UTF-8 UTF-8
id_ID.UTF-8 UTF-8
it_IT.UTF-8 UTF-8
ja_JP.UTF-8 UTF-8
nl_BE.UTF-8 UTF-8
nl_NL.UTF-8 UTF-8
pl_PL.UTF-8 UTF-8
pt_BR.UTF-8 UTF-8
pt_PT.UTF-8 UTF-8
ro_RO.UTF-8 UTF-8
sv_SE.UTF-8 UTF-8
tr_TR.UTF-8 UTF-8
zu_ZA.UTF-8 UTF-8
C.UTF-8 UTF-8
LOC
locale-gen >/dev/null
# Future package installs skip docs and man pages.
mkdir -p /etc/dpkg/dpkg.cfg.d
cat > /etc/dpkg/dpkg.cfg.d/01-worldbuilder-nodoc <<'NODOC'
path-exclude=/usr/share/doc/*
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
NODOC
# sshd: host keys are generated per computer by the provisioner, never shared via the base.
rm -f /etc/ssh/ssh_host_*
mkdir -p /run/sshd /etc/worldbuilder
# Lean: no docs, man pages, apt lists or caches.
rm -rf /usr/share/doc/* /usr/share/man/* /usr/share/info/* /usr/share/lintian /var/lib/apt/lists/* \
    /var/cache/apt/*.bin /var/cache/apt/archives/*.deb /var/cache/debconf/*-old /var/log/*.log \
    /root/.cache "$W" /tmp/finish-rootfs.sh
find /usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
