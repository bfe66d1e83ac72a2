#!/bin/sh
# zerotrace demo: curl → frontend (python) → inventory (python) → nginx, PostgreSQL, Redis and
# a gRPC service (python grpcio), all unmodified, traced from outside; prints the waterfall of
# each request. Debian's python3
# (/usr/bin) has the database clients that scripts/install-deps.sh installs.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ZT="$ROOT/build/zerotrace"
PG_BIN=/usr/lib/postgresql/15/bin
DIR=$(mktemp -d /tmp/zerotrace-demo.XXXXXX)
PG_PID=
REDIS_PID=
cleanup() {
	# pg_ctl, not kill: runuser passes a SIGTERM on to this shell's process group.
	if [ -n "$PG_PID" ]; then
		runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -m fast -w stop >/dev/null 2>&1 || true
	fi
	if [ -n "$REDIS_PID" ]; then
		kill "$REDIS_PID" 2>/dev/null || true
	fi
	wait 2>/dev/null || true
	rm -rf "$DIR"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 755 "$DIR"

mkdir -p "$DIR/www"
echo "widget: shipping in 2 days" > "$DIR/www/stock.txt"
cat > "$DIR/nginx.conf" <<CONF
daemon off; master_process off; pid $DIR/nginx.pid; error_log $DIR/error.log;
events {}
http { access_log off; client_body_temp_path $DIR/b; proxy_temp_path $DIR/p;
  fastcgi_temp_path $DIR/f; uwsgi_temp_path $DIR/u; scgi_temp_path $DIR/s;
  server { listen 127.0.0.1:18093; root $DIR/www; } }
CONF

# The databases run untraced, started before the agent; the services' queries are traced.
mkdir "$DIR/pg" && chown postgres "$DIR/pg"
runuser -u postgres -- "$PG_BIN/initdb" -D "$DIR/pg/data" --auth=trust -U postgres --no-sync >/dev/null
runuser -u postgres -- "$PG_BIN/postgres" -D "$DIR/pg/data" -p 18094 -k "$DIR/pg" \
	-c listen_addresses=127.0.0.1 -c fsync=off >"$DIR/pg.log" 2>&1 &
PG_PID=$!
redis-server --port 18095 --bind 127.0.0.1 --save '' --appendonly no --dir "$DIR" >"$DIR/redis.log" 2>&1 &
REDIS_PID=$!
for i in $(seq 100); do psql -h 127.0.0.1 -p 18094 -U postgres -qc 'select 1' >/dev/null 2>&1 && break; sleep 0.1; done
psql -h 127.0.0.1 -p 18094 -U postgres -qc 'CREATE DATABASE shop' >/dev/null
psql -h 127.0.0.1 -p 18094 -U postgres -d shop -qc "CREATE TABLE products (sku int PRIMARY KEY, name text, stock int);
	INSERT INTO products VALUES (1001, 'widget', 42), (1002, 'gadget', 7)" >/dev/null

# The gRPC service's stubs, generated from the tests' Shop service.
/usr/bin/python3 -m grpc_tools.protoc -I "$ROOT/tests/integration/grpc" --python_out="$DIR" \
	--grpc_python_out="$DIR" "$ROOT/tests/integration/grpc/shop.proto"

echo "demo: curl → frontend :18091 → inventory :18092 → nginx :18093, PostgreSQL :18094,"
echo "      Redis :18095, gRPC pricing :18096"
echo "      (the services and nginx are traced by zerotrace)"
"$ZT" -o "$DIR/spans.jsonl" -- sh -c "
  OTEL_SERVICE_NAME=storage nginx -c $DIR/nginx.conf -p $DIR & P1=\$!
  OTEL_SERVICE_NAME=pricing /usr/bin/python3 $ROOT/tests/integration/grpc/server.py 18096 $DIR >/dev/null & P4=\$!
  SHOP_STUBS=$DIR OTEL_SERVICE_NAME=inventory /usr/bin/python3 $ROOT/scripts/demo/service.py 18092 http://127.0.0.1:18093/stock.txt postgresql://127.0.0.1:18094/shop redis://127.0.0.1:18095 grpc://127.0.0.1:18096 & P2=\$!
  OTEL_SERVICE_NAME=frontend /usr/bin/python3 $ROOT/scripts/demo/service.py 18091 http://127.0.0.1:18092/stock/ & P3=\$!
  for i in \$(seq 100); do curl -s -o /dev/null 127.0.0.1:18091/ready && break; sleep 0.1; done
  sleep 0.5
  curl -s 127.0.0.1:18091/checkout/1001 >/dev/null
  # gRPC clients write from their own threads: a lone request lets zerotrace parent the
  # call (see README, Limits), so the second checkout comes a little later.
  sleep 2.2
  curl -s 127.0.0.1:18091/checkout/1002 >/dev/null
  kill \$P1 \$P2 \$P3 \$P4; wait
"
