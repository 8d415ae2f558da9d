#!/bin/sh
# Install the unpacked AccountDesk folder for the current user: the app under
# ~/.local/opt/AccountDesk, a launcher in ~/.local/bin, the menu entry and the icons.
# Run from the unpacked folder:  ./install.sh        Uninstall:  ./install.sh --uninstall
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${XDG_DATA_HOME:-$HOME/.local/share}
OPT=$HOME/.local/opt/AccountDesk
BIN=$HOME/.local/bin
if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$OPT" "$BIN/AccountDesk" "$BIN/accountdesk" "$PREFIX/applications/accountdesk.desktop"
    find "$PREFIX/icons/hicolor" -name 'accountdesk.*' -delete 2>/dev/null || true
    echo "AccountDesk removed (your profile in $PREFIX/AccountDesk is kept)."
    exit 0
fi
mkdir -p "$OPT" "$BIN" "$PREFIX/applications"
cp -a "$HERE/." "$OPT/"
ln -sf "$OPT/AccountDesk" "$BIN/AccountDesk"
ln -sf "$OPT/AccountDesk" "$BIN/accountdesk"
cp -a "$HERE/share/icons" "$PREFIX/"
sed "s|^Exec=.*|Exec=$OPT/AccountDesk|; s|^TryExec=.*|TryExec=$OPT/AccountDesk|" \
    "$HERE/share/applications/accountdesk.desktop" > "$PREFIX/applications/accountdesk.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database "$PREFIX/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q "$PREFIX/icons/hicolor" || true
echo "AccountDesk installed: menu entry added, command 'accountdesk' in $BIN."
