# bench/lib/nginx.sh: the nginx configuration the benchmarks compare against
# (http-bench.sh, peers.sh). Provides: nginx_conf, which writes DIR/nginx.conf
# for a static file server tuned for large files and many connections —
# sendfile, tcp_nopush, one worker per CPU, long keep-alive, no access log,
# open-file cache. Everything it writes stays under DIR.
# shellcheck shell=bash
nginx_conf() { # dir, listen address:port, document root, max connections, [extra http{} directives]
  mkdir -p "$1/logs"
  cat >"$1/nginx.conf" <<NGXEOF
# written by bench/lib/nginx.sh
daemon off;
master_process on;
worker_processes auto;
worker_rlimit_nofile $(( $4 * 2 ));
user root root;
pid $1/nginx.pid;
error_log $1/logs/error.log warn;
events {
    worker_connections $4;
}
http {
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    access_log off;
    open_file_cache max=1000 inactive=60s;
    default_type application/octet-stream;
    client_body_temp_path $1/body;
    proxy_temp_path $1/proxy;
    fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi;
    scgi_temp_path $1/scgi;
    ${5:-}
    server {
        listen $2 backlog=4096;
        root $3;
    }
}
NGXEOF
}
