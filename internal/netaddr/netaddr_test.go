package netaddr

import "testing"

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8235": true, "[::1]:8235": true, "localhost:8235": true, "LocalHost": true, "127.1.2.3:1": true,
		"::1": true, "127.0.0.1": true,
		":8235": false, "0.0.0.0:8235": false, "10.0.0.5:8235": false, "[::]:8235": false, "": false, "example.org:80": false,
	} {
		if got := Loopback(addr); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}
