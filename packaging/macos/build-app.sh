#!/usr/bin/env bash
# Builds dist/Wallfacer.app and dist/Wallfacer.dmg on macOS.
#   CODESIGN_IDENTITY="Developer ID Application: ..." packaging/macos/build-app.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 -m pip install -e '.[dev]'
pyinstaller build.spec --noconfirm
if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  codesign --deep --force --options runtime --timestamp \
    --entitlements packaging/macos/entitlements.plist \
    --sign "$CODESIGN_IDENTITY" dist/Wallfacer.app
fi
rm -f dist/Wallfacer.dmg
hdiutil create -volname Wallfacer -srcfolder dist/Wallfacer.app -ov -format UDZO dist/Wallfacer.dmg
echo "built dist/Wallfacer.app and dist/Wallfacer.dmg"
