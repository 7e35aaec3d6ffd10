#!/usr/bin/env bash
# Builds dist/Wallfacer/ with PyInstaller and packs dist/wallfacer-<version>-linux-x86_64.tar.gz,
# with the .desktop file, metainfo and icon. Makes an AppImage too when
# appimagetool is on PATH.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(python3 -c 'from importlib.metadata import version; print(version("wallfacer"))')
pyinstaller build.spec --noconfirm
stage=dist/Wallfacer
install -D -m 644 packaging/linux/wallfacer.desktop "$stage/share/applications/wallfacer.desktop"
install -D -m 644 packaging/linux/org.wallfacer.Wallfacer.metainfo.xml \
  "$stage/share/metainfo/org.wallfacer.Wallfacer.metainfo.xml"
install -D -m 644 assets/icons/wallfacer-256.png "$stage/share/icons/hicolor/256x256/apps/wallfacer.png"
tar -C dist -czf "dist/wallfacer-$version-linux-x86_64.tar.gz" Wallfacer
echo "built dist/wallfacer-$version-linux-x86_64.tar.gz ($(du -sh dist/Wallfacer | cut -f1) unpacked)"
if command -v appimagetool >/dev/null; then
  appdir=dist/Wallfacer.AppDir
  rm -rf "$appdir" && cp -r "$stage" "$appdir"
  ln -sf Wallfacer "$appdir/AppRun"
  cp packaging/linux/wallfacer.desktop "$appdir/wallfacer.desktop"
  cp assets/icons/wallfacer-256.png "$appdir/wallfacer.png"
  appimagetool "$appdir" "dist/Wallfacer-$version-x86_64.AppImage"
fi
