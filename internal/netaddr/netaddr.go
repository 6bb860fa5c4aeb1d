// Package netaddr holds the one answer to "does this address stay on this machine?",
// asked wherever the engine serves something that must not be reachable from the network
// without a credential (the codec endpoint, the report page, dev mode's public webhook secret).
package netaddr

import (
	"net"
	"strings"
)

// Loopback reports whether hostport (a listen address or a Host header, with or without a
// port, IPv6 in brackets or not) names a loopback host: localhost or a loopback IP. An empty
// host (all interfaces) or an unparsable one is not loopback.
func Loopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
