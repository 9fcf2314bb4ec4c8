#!/bin/sh
# Runs inside a chroot of the freshly debootstrapped `vm` rootfs (as root, no network needed).
# Makes it bootable by QEMU with direct kernel boot: root=/dev/vda, serial console, DHCP on virtio NIC.
set -eu

# Root filesystem: the whole virtio disk is one ext4 filesystem (no partition table).
cat > /etc/fstab <<'FSTAB'
/dev/vda / ext4 rw,relatime,errors=remount-ro 0 1
FSTAB

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

# Boot speed and quiet machines: nothing waits for "network online", no periodic jobs.
for unit in systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer \
            e2scrub_all.timer e2scrub_reap.service fstrim.timer man-db.timer \
            systemd-timesyncd.service; do
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
