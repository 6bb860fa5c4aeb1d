package devstack

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"syscall"
)

// PortInUseError says which address of the dev stack is taken, in one line.
type PortInUseError struct {
	Addr string
	What string
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("%s port %s is already in use (stop the other process or pass a different address)", e.What, e.Addr)
}

// checkFree binds addr briefly to prove nothing else listens there.
func checkFree(addr, what string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return &PortInUseError{Addr: addr, What: what}
		}
		return fmt.Errorf("%s address %s: %w", what, addr, err)
	}
	return l.Close()
}

// freePorts asks the kernel for n distinct free TCP ports on host.
func freePorts(host string, n int) ([]int, error) {
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("find a free port on %s: %w", host, err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Test ports are drawn from below Linux's default ephemeral range (32768–60999), so an
// outgoing connection of another process cannot take one as its local port between the
// moment a test picks it and the moment (possibly after a restart) its server binds it.
const (
	testPortLow  = 20000
	testPortHigh = 32767
)

// FreeAddr returns a loopback address with a port that was free a moment ago (for tests).
// It prefers ports outside the ephemeral range and falls back to one the kernel picks.
func FreeAddr() (string, error) {
	for range 50 {
		port := testPortLow + rand.IntN(testPortHigh-testPortLow+1)
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		if l, err := net.Listen("tcp", addr); err == nil {
			_ = l.Close()
			return addr, nil
		}
	}
	p, err := freePorts("127.0.0.1", 1)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("127.0.0.1:%d", p[0]), nil
}

var memID atomic.Int64

func nextMemID() int64 { return memID.Add(1) }
