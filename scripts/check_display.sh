#!/usr/bin/env bash
# `make run` opens a window: say in one line when there is no display to open it on, before
# anything slow is built (Qt's own message, after the build, was "could not connect to display"
# and a misleading hint about xcb-cursor0).
#
#   scripts/check_display.sh
set -u
[ "$(uname -s)" = Linux ] || exit 0  # macOS and Windows always have their own display
[ -n "${QT_QPA_PLATFORM:-}" ] && exit 0  # offscreen, vnc...: the person chose a platform
[ -n "${WAYLAND_DISPLAY:-}" ] && exit 0
if [ -z "${DISPLAY:-}" ]; then
    echo "make run needs a display and none is set (DISPLAY, WAYLAND_DISPLAY): run it on the desktop, over ssh -X, or under xvfb-run make run"
    exit 1
fi
case $DISPLAY in
    :*)  # a local X server listens on /tmp/.X11-unix/X<number>
        number=${DISPLAY#:}
        number=${number%%.*}
        if [ ! -S "/tmp/.X11-unix/X$number" ]; then
            echo "make run needs a display: no X server answers on DISPLAY=$DISPLAY (is it running?)"
            exit 1
        fi
        ;;
esac
exit 0
