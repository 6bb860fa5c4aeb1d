package devstack

import (
	"errors"
	"fmt"
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

// FreeAddr returns a loopback address with a port that was free a moment ago (for tests).
func FreeAddr() (string, error) {
	p, err := freePorts("127.0.0.1", 1)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("127.0.0.1:%d", p[0]), nil
}

var memID atomic.Int64

func nextMemID() int64 { return memID.Add(1) }
