#!/usr/bin/env bash
# make dist: static builds for the machines governments buy (信创 included):
#   dist/egovnet-agent_<version>_<os>_<arch>[.exe]  linux amd64/arm64/loong64/mips64le, windows amd64/386
#   dist/egovnet-collector_<version>_linux_<arch>    amd64/arm64
# CGO is off everywhere (modernc SQLite is pure Go), so one machine builds all.
set -euo pipefail
cd "$(dirname "$0")/../.."
version="${1:-dev}"
ldflags="${2:-}"
go="${GO:-go}"
out="${DIST_DIR:-dist}"
mkdir -p "$out"
build() { # name os arch
	local name=$1 os=$2 arch=$3 ext=""
	[ "$os" = windows ] && ext=".exe"
	local file="$out/egovnet-${name}_${version}_${os}_${arch}${ext}"
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch "$go" build -trimpath -ldflags "$ldflags" -o "$file" "./cmd/egovnet-$name"
	echo "wrote $file"
}
for p in linux/amd64 linux/arm64 linux/loong64 linux/mips64le windows/amd64 windows/386; do
	build agent "${p%/*}" "${p#*/}"
done
for p in linux/amd64 linux/arm64; do
	build collector "${p%/*}" "${p#*/}"
done
