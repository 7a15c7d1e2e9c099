#!/usr/bin/env bash
# Qt's X11 platform plugin needs system libraries that the PySide6 wheel does not ship
# (libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libxkbcommon-x11-0, libegl1, ...), and Qt's
# own error names only the first one missing. This asks the dynamic linker for all of them at
# once. On Debian/Ubuntu it installs them with apt-get when it can (root, or sudo without a
# password); otherwise it prints the exact command and fails.
#
#   scripts/check_system_libs.sh [PYTHON] [--dry-run]
set -euo pipefail

PY=${1:-.venv/bin/python}
DRY_RUN=${2:-}
[ "$(uname -s)" = Linux ] || exit 0  # the macOS and Windows wheels carry what they need

plugin=$("$PY" -c 'import pathlib, PySide6
print(pathlib.Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so")')
missing=$(ldd "$plugin" | awk '/not found/ {print $1}' | sort -u)
[ -z "$missing" ] && exit 0

# Debian names a library's package after its soname: libxcb-cursor.so.0 -> libxcb-cursor0,
# libxkbcommon-x11.so.0 -> libxkbcommon-x11-0 (a dash when the name ends in a digit).
debian_package() {
    local name=${1%%.so.*} version=${1##*.so.}
    name=$(echo "$name" | tr '[:upper:]' '[:lower:]')
    case $name in
        libglib-2.0) echo libglib2.0-0 ;;
        *[0-9]) echo "$name-$version" ;;
        *) echo "$name$version" ;;
    esac
}
# Fedora and RHEL group the xcb utilities differently.
fedora_package() {
    case $1 in
        libxcb-cursor.so.*) echo xcb-util-cursor ;;
        libxcb-icccm.so.*) echo xcb-util-wm ;;
        libxcb-keysyms.so.*) echo xcb-util-keysyms ;;
        libxcb-image.so.*) echo xcb-util-image ;;
        libxcb-render-util.so.*) echo xcb-util-renderutil ;;
        libxkbcommon-x11.so.*) echo libxkbcommon-x11 ;;
        libEGL.so.*) echo libglvnd-egl ;;
        libGL.so.*|libOpenGL.so.*) echo libglvnd-opengl ;;
        *) echo "$1" ;;
    esac
}

echo "Qt's display plugin needs system libraries that are missing:" $missing >&2
if command -v apt-get >/dev/null; then
    packages=$(for lib in $missing; do debian_package "$lib"; done | sort -u | tr '\n' ' ')
    command="apt-get install -y --no-install-recommends $packages"
    if [ "$DRY_RUN" != --dry-run ]; then
        if [ "$(id -u)" = 0 ]; then
            apt-get update -qq && $command && exit 0
        elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
            sudo apt-get update -qq && sudo $command && exit 0
        fi
    fi
    echo "Install them with:  sudo $command" >&2
elif command -v dnf >/dev/null; then
    packages=$(for lib in $missing; do fedora_package "$lib"; done | sort -u | tr '\n' ' ')
    echo "Install them with:  sudo dnf install -y $packages" >&2
else
    echo "Install the packages of your distribution that provide them, then run make run again." >&2
fi
exit 1
