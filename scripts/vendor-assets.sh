#!/usr/bin/env bash
# Install the browser libraries from the npm registry (package-lock.json pins them) and copy the
# files AidTrack serves into static/vendor/, with the source maps they name (with DEBUG off the
# manifest storage refuses a script whose map is missing). Pages never load a script or stylesheet
# from a CDN.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v npm >/dev/null; then
  echo "Installing Node.js and npm"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

npm ci --no-audit --no-fund --loglevel=error
rm -rf static/vendor
mkdir -p static/vendor/supercluster static/vendor/chart.js
cp node_modules/supercluster/dist/supercluster.min.js node_modules/supercluster/LICENSE static/vendor/supercluster/
cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map \
  node_modules/chart.js/LICENSE.md static/vendor/chart.js/
# The situation report's fonts (SIL Open Font Licence): Noto Sans for Latin and Cyrillic, Noto Naskh Arabic.
mkdir -p static/vendor/fonts
for weight in 400 700; do
  for subset in latin latin-ext cyrillic; do
    cp "node_modules/@fontsource/noto-sans/files/noto-sans-$subset-$weight-normal.woff" static/vendor/fonts/
  done
  cp "node_modules/@fontsource/noto-naskh-arabic/files/noto-naskh-arabic-arabic-$weight-normal.woff" static/vendor/fonts/
done
cp node_modules/@fontsource/noto-sans/LICENSE static/vendor/fonts/LICENSE-noto-sans
cp node_modules/@fontsource/noto-naskh-arabic/LICENSE static/vendor/fonts/LICENSE-noto-naskh-arabic
touch static/vendor/.installed
