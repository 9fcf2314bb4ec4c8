#!/bin/sh
# Runs inside a chroot of the freshly debootstrapped `vm` rootfs (as root, no network needed).
# Makes it bootable by QEMU with direct kernel boot: root=/dev/vda, serial console, DHCP on virtio NIC.
set -eu

# Root filesystem: the whole virtio disk is one ext4 filesystem (no partition table), mounted
# read-write by the kernel (root=/dev/vda rw). No fstab entry, so boot never waits for udev on vda.
echo '# / is /dev/vda (ext4), mounted rw by the kernel command line' > /etc/fstab
systemctl set-default multi-user.target >/dev/null 2>&1

# Network: DHCP on any ethernet NIC through systemd-networkd (QEMU user networking answers DHCP).
mkdir -p /etc/systemd/network
cat > /etc/systemd/network/80-dhcp.network <<'NET'
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
LinkLocalAddressing=no
IPv6AcceptRA=no
NET
systemctl enable systemd-networkd.service >/dev/null 2>&1

# Under worldbuilder's QEMU/libvirt (kernel argument wb.slirp=1) the NIC is QEMU user networking,
# whose guest address is always 10.0.2.15/24: set it at once (DHCP under TCG costs ~20 s of boot)
# and skip networkd. No default route: restrict=on drops outbound traffic anyway.
cat > /etc/systemd/system/wb-slirp-net.service <<'UNIT'
[Unit]
Description=worldbuilder: address for QEMU user networking
ConditionKernelCommandLine=wb.slirp=1
DefaultDependencies=no
Before=network.target
Wants=network.target
BindsTo=sys-subsystem-net-devices-eth0.device
After=sys-subsystem-net-devices-eth0.device

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/bin/ip link set lo up
ExecStart=/usr/bin/ip link set eth0 up
ExecStart=/usr/bin/ip addr replace 10.0.2.15/24 dev eth0

[Install]
WantedBy=sys-subsystem-net-devices-eth0.device
UNIT
systemctl enable wb-slirp-net.service >/dev/null 2>&1
mkdir -p /etc/systemd/system/systemd-networkd.service.d
printf '[Unit]\nConditionKernelCommandLine=!wb.slirp=1\n' > /etc/systemd/system/systemd-networkd.service.d/wb-slirp.conf

# Boot speed and quiet machines: nothing waits for "network online", no periodic jobs.
for unit in systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer \
            e2scrub_all.timer e2scrub_reap.service fstrim.timer man-db.timer \
            systemd-timesyncd.service systemd-binfmt.service proc-sys-fs-binfmt_misc.automount \
            dev-hugepages.mount sys-kernel-debug.mount sys-kernel-tracing.mount modprobe@drm.service \
            getty@tty1.service; do
  systemctl mask "$unit" >/dev/null 2>&1 || true
done

# SSH: keys only, no root, no DNS lookups. Host keys are generated per computer at disk build.
mkdir -p /etc/ssh/sshd_config.d
cat > /etc/ssh/sshd_config.d/10-worldbuilder.conf <<'SSHD'
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UseDNS no
SSHD
rm -f /etc/ssh/ssh_host_*

# Serial console: the kernel console is ttyS0; systemd starts serial-getty there by itself.
# initramfs: keep the virtio drivers and make it small.
sed -i 's/^MODULES=.*/MODULES=list/' /etc/initramfs-tools/initramfs.conf
printf 'virtio_pci\nvirtio_blk\nvirtio_net\next4\n' >> /etc/initramfs-tools/modules
echo 'COMPRESS=gzip' > /etc/initramfs-tools/conf.d/compress.conf
update-initramfs -u -k all >/dev/null

# Deterministic identity is per computer: no machine-id in the base (systemd creates one at boot).
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id
echo localhost > /etc/hostname

# Smaller image: no apt caches or docs.
apt-get clean
rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* /var/log/*.log /var/cache/debconf/*-old
