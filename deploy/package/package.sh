#!/usr/bin/env bash
# make package: dist/egovnet-{agent,collector}_<version>_amd64.deb and .rpm twins,
# each with its binary in /usr/bin, a systemd unit, an example config in
# /etc/egovnet/ and a dedicated system user created at install time.
set -euo pipefail
cd "$(dirname "$0")/../.."
raw="${1:-dev}"
# Debian and RPM versions must start with a digit and hold no '-'.
version="$(printf '%s' "$raw" | sed -E 's/^v//; s/-/./g')"
case "$version" in [0-9]*) ;; *) version="0.0.0+g${version}" ;; esac
rpmversion="$(printf '%s' "$version" | tr '+' '.')"
mkdir -p dist
for name in agent collector; do
	bin="bin/egovnet-$name"
	[ -x "$bin" ] || { echo "package: $bin missing; run make build" >&2; exit 1; }
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
Architecture: amd64
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
	deb="dist/egovnet-${name}_${version}_amd64.deb"
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
BuildArch: x86_64
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
		rpmbuild -bb --quiet --define "_topdir $top" --define "_rpmdir $PWD/dist" --define "_build_id_links none" \
			--buildroot "$root" "$top/egovnet-$name.spec" >/dev/null 2>&1 || { echo "package: rpmbuild failed for $name" >&2; exit 1; }
		mv dist/x86_64/egovnet-$name-*.rpm "dist/egovnet-${name}_${version}_amd64.rpm"
		rmdir dist/x86_64 2>/dev/null || true
		echo "wrote dist/egovnet-${name}_${version}_amd64.rpm"
		rm -rf "$top"
	else
		echo "package: rpmbuild not installed (apt-get install rpm); skipped .rpm" >&2
	fi
	rm -rf "$root"
	trap - EXIT
done
