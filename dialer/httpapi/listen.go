package httpapi

import (
	"fmt"
	"net"
)

// CheckListen refuses to serve on an address other hosts can reach when
// no token is set: the API changes campaigns and places calls. Nothing is
// served then, not even /metrics and /healthz, so that a daemon put on a
// public address by mistake fails at start rather than running open. On
// loopback the API needs no token; with a token, /metrics, /healthz and
// /readyz stay open (for Prometheus and load balancers) and only /v1 asks
// for it.
//
// A host name other than localhost counts as reachable: what it resolves
// to may change.
func CheckListen(listen, token string) error {
	if token != "" {
		return nil
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("http.listen %q is not host:port: %w", listen, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("http.listen %s is reachable from other hosts; set http.token (or DIALER_HTTP_TOKEN) or listen on 127.0.0.1 "+
		"(without a token the daemon serves nothing on such an address, not even /metrics and /healthz)", listen)
}
