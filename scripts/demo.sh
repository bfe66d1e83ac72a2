#!/bin/sh
# zerotrace demo: curl → frontend (python) → inventory (python) → nginx, all unmodified,
# traced from outside; prints the waterfall of each request.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ZT="$ROOT/build/zerotrace"
DIR=$(mktemp -d /tmp/zerotrace-demo.XXXXXX)
trap 'rm -rf "$DIR"' EXIT

mkdir -p "$DIR/www"
echo "widget: 42 in stock" > "$DIR/www/stock.txt"
cat > "$DIR/nginx.conf" <<CONF
daemon off; master_process off; pid $DIR/nginx.pid; error_log $DIR/error.log;
events {}
http { access_log off; client_body_temp_path $DIR/b; proxy_temp_path $DIR/p;
  fastcgi_temp_path $DIR/f; uwsgi_temp_path $DIR/u; scgi_temp_path $DIR/s;
  server { listen 127.0.0.1:18093; root $DIR/www; } }
CONF

echo "demo: curl → frontend :18091 → inventory :18092 → nginx :18093 (traced by zerotrace)"
"$ROOT/build/zerotrace" -o "$DIR/spans.jsonl" -- sh -c "
  OTEL_SERVICE_NAME=storage nginx -c $DIR/nginx.conf -p $DIR & P1=\$!
  OTEL_SERVICE_NAME=inventory python3 $ROOT/scripts/demo/service.py 18092 http://127.0.0.1:18093/stock.txt & P2=\$!
  OTEL_SERVICE_NAME=frontend python3 $ROOT/scripts/demo/service.py 18091 http://127.0.0.1:18092/stock & P3=\$!
  for i in \$(seq 100); do curl -s -o /dev/null 127.0.0.1:18091/ready && break; sleep 0.1; done
  sleep 0.5
  curl -s 127.0.0.1:18091/checkout/1001 >/dev/null
  curl -s 127.0.0.1:18091/checkout/1002 >/dev/null
  kill \$P1 \$P2 \$P3; wait
"
