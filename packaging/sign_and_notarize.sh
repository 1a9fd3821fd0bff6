#!/usr/bin/env bash
# Sign dist/tinyagent.app for the hardened runtime, notarize it, staple the ticket, and check it.
#
#   export DEVELOPER_ID="Developer ID Application: Your Name (TEAMID)"
#   xcrun notarytool store-credentials tinyagent-notary --apple-id you@example.com --team-id TEAMID
#   export NOTARY_PROFILE=tinyagent-notary
#   packaging/sign_and_notarize.sh dist/tinyagent.app
set -euo pipefail

APP="${1:-dist/tinyagent.app}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ENTITLEMENTS="$HERE/entitlements.plist"
: "${DEVELOPER_ID:?set DEVELOPER_ID to your 'Developer ID Application: …' identity (security find-identity -p codesigning)}"
: "${NOTARY_PROFILE:?store notary credentials first: xcrun notarytool store-credentials <profile> …; then export NOTARY_PROFILE=<profile>}"
[ -d "$APP" ] || { echo "no app at $APP: build it with python packaging/setup_py2app.py py2app" >&2; exit 2; }

sign() { codesign --force --timestamp --options runtime --entitlements "$ENTITLEMENTS" --sign "$DEVELOPER_ID" "$@"; }

# Inside out: every native library and executable first, then frameworks, then the bundle.
while IFS= read -r -d '' f; do sign "$f"; done < <(
  find "$APP/Contents" -type f \( -name "*.dylib" -o -name "*.so" -o -perm -u+x \) ! -path "*/MacOS/tinyagent" -print0)
while IFS= read -r -d '' f; do sign "$f"; done < <(find "$APP/Contents/Frameworks" -maxdepth 1 -name "*.framework" -print0)
sign "$APP"
codesign --verify --deep --strict --verbose=2 "$APP"

ZIP="${APP%.app}.zip"
ditto -c -k --keepParent "$APP" "$ZIP"
xcrun notarytool submit "$ZIP" --keychain-profile "$NOTARY_PROFILE" --wait
xcrun stapler staple "$APP"
spctl --assess --type execute --verbose=2 "$APP"
echo "signed, notarized and stapled: $APP"
