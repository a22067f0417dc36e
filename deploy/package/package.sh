#!/usr/bin/env bash
# make package: dist/egovnet-{agent,collector}_<version>_<arch>.deb and .rpm twins
# for every linux arch make dist builds (agent: amd64, arm64, loong64, mips64le;
# collector: amd64, arm64 — Kylin, UOS and openEuler install one or the other),
# each with its binary in /usr/bin, a systemd unit, an example config in
# /etc/egovnet/ and a dedicated system user created at install time.
set -euo pipefail
cd "$(dirname "$0")/../.."
raw="${1:-dev}"
# Debian and RPM versions must start with a digit and hold no '-'.
version="$(printf '%s' "$raw" | sed -E 's/^v//; s/-/./g')"
case "$version" in [0-9]*) ;; *) version="0.0.0+g${version}" ;; esac
rpmversion="$(printf '%s' "$version" | tr '+' '.')"
dist="${DIST_DIR:-dist}"
mkdir -p "$dist"
# Debian and RPM names of each Go arch.
deb_arch() { case $1 in mips64le) echo mips64el ;; *) echo "$1" ;; esac; }
rpm_arch() { case $1 in amd64) echo x86_64 ;; arm64) echo aarch64 ;; loong64) echo loongarch64 ;; mips64le) echo mips64el ;; esac; }
targets="agent:amd64 agent:arm64 agent:loong64 agent:mips64le collector:amd64 collector:arm64"
for target in $targets; do
	name="${target%%:*}"
	arch="${target#*:}"
	darch="$(deb_arch "$arch")"
	rarch="$(rpm_arch "$arch")"
	bin="$dist/egovnet-${name}_${raw}_linux_${arch}"
	if [ "$arch" = amd64 ] && [ ! -x "$bin" ]; then bin="bin/egovnet-$name"; fi
	[ -x "$bin" ] || { echo "package: $bin missing; run make dist" >&2; exit 1; }
	root="$(mktemp -d)"
	trap 'rm -rf "$root"' EXIT
	install -D -m 0755 "$bin" "$root/usr/bin/egovnet-$name"
	install -D -m 0644 "deploy/systemd/egovnet-$name.service" "$root/lib/systemd/system/egovnet-$name.service"
	install -D -m 0640 "configs/$name.yaml" "$root/etc/egovnet/$name.yaml"
	if [ "$name" = collector ]; then install -D -m 0640 configs/plan.yaml "$root/etc/egovnet/plan.yaml"; fi
	install -D -m 0644 README.md "$root/usr/share/doc/egovnet-$name/README.md"
	mkdir -p "$root/DEBIAN"
	cat >"$root/DEBIAN/control" <<CTRL
Package: egovnet-$name
Version: $version
Architecture: $darch
Maintainer: egovnet <egovnet@localhost>
Section: net
Priority: optional
Description: egovnet $name - e-government network consolidation audit
 Finds private links, internet exits, server rooms, websites and unlicensed
 software; cites the regulations; tracks consolidation progress.
CTRL
	cat >"$root/DEBIAN/postinst" <<'POST'
#!/bin/sh
set -e
if ! getent group egovnet >/dev/null; then addgroup --system egovnet >/dev/null; fi
if ! getent passwd egovnet >/dev/null; then
	adduser --system --ingroup egovnet --home /var/lib/egovnet --no-create-home --shell /usr/sbin/nologin egovnet >/dev/null
fi
chgrp egovnet /etc/egovnet/*.yaml 2>/dev/null || true
if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
exit 0
POST
	chmod 0755 "$root/DEBIAN/postinst"
	printf '/etc/egovnet/%s.yaml\n' "$name" >"$root/DEBIAN/conffiles"
	[ "$name" = collector ] && echo /etc/egovnet/plan.yaml >>"$root/DEBIAN/conffiles"
	deb="$dist/egovnet-${name}_${version}_${darch}.deb"
	fakeroot dpkg-deb --build -Zgzip "$root" "$deb" >/dev/null
	echo "wrote $deb"
	if command -v rpmbuild >/dev/null 2>&1; then
		top="$(mktemp -d)"
		rm -rf "$root/DEBIAN"
		cat >"$top/egovnet-$name.spec" <<SPEC
Name: egovnet-$name
Version: $rpmversion
Release: 1
Summary: egovnet $name - e-government network consolidation audit
License: Proprietary
%description
egovnet $name.
%pre
getent group egovnet >/dev/null || groupadd -r egovnet
getent passwd egovnet >/dev/null || useradd -r -g egovnet -d /var/lib/egovnet -s /sbin/nologin egovnet
exit 0
%files
/usr/bin/egovnet-$name
/lib/systemd/system/egovnet-$name.service
%config(noreplace) /etc/egovnet/*.yaml
/usr/share/doc/egovnet-$name/README.md
SPEC
		# Prebuilt static binaries of another arch: --target names the arch (a
		# BuildArch line would make rpmbuild look for a compatible build host);
		# no strip, no debuginfo.
		rpmbuild -bb --quiet --target "$rarch" --define "_topdir $top" --define "_rpmdir $(cd "$dist" && pwd)" --define "_build_id_links none" \
			--define "__os_install_post %{nil}" --define "debug_package %{nil}" \
			--buildroot "$root" "$top/egovnet-$name.spec" >/dev/null 2>&1 || { echo "package: rpmbuild failed for $name" >&2; exit 1; }
		mv "$dist/$rarch"/egovnet-$name-*.rpm "$dist/egovnet-${name}_${version}_${darch}.rpm"
		rmdir "$dist/$rarch" 2>/dev/null || true
		echo "wrote $dist/egovnet-${name}_${version}_${darch}.rpm"
		rm -rf "$top"
	else
		echo "package: rpmbuild not installed (apt-get install rpm); skipped .rpm" >&2
	fi
	rm -rf "$root"
	trap - EXIT
done
