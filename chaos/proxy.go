package chaos

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// Proxy is a TCP proxy that can drop every connection through it at once,
// the way a failing network path or a Postgres restart does. The service
// talks to Postgres through it; the test's own checks do not.
type Proxy struct {
	target string
	ln     net.Listener

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	down  bool // refuse new connections: an outage, not just a reset

	cuts, dropped, accepted atomic.Int64
	wg                      sync.WaitGroup
}

// NewProxy listens on a free loopback port and forwards to target.
func NewProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy: listen: %w", err)
	}
	p := &Proxy{target: target, ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Cut resets every open connection and reports how many client
// connections it dropped.
func (p *Proxy) Cut() int {
	p.mu.Lock()
	victims := make([]net.Conn, 0, len(p.conns))
	for c := range p.conns {
		victims = append(victims, c)
	}
	clear(p.conns)
	p.mu.Unlock()
	for _, c := range victims {
		reset(c)
	}
	p.cuts.Add(1)
	clients := len(victims) / 2 // each proxied connection is a pair
	p.dropped.Add(int64(clients))
	return clients
}

// SetDown makes the proxy close new connections as soon as they arrive
// (true) or forward them again (false).
func (p *Proxy) SetDown(down bool) {
	p.mu.Lock()
	p.down = down
	p.mu.Unlock()
}

// Cuts is how many times Cut ran; Dropped how many connections it reset.
func (p *Proxy) Cuts() int64    { return p.cuts.Load() }
func (p *Proxy) Dropped() int64 { return p.dropped.Load() }

// Accepted counts connections the proxy took, refused ones included.
func (p *Proxy) Accepted() int64 { return p.accepted.Load() }

// Close stops listening and drops what is left.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.Cut()
	p.wg.Wait()
	return err
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		p.accepted.Add(1)
		p.wg.Add(1)
		go p.forward(c)
	}
}

func (p *Proxy) forward(client net.Conn) {
	defer p.wg.Done()
	if p.isDown() {
		reset(client)
		return
	}
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		reset(client)
		return
	}
	if !p.track(client, server) {
		reset(client)
		reset(server)
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src) // ends when either side closes or is cut
		done <- struct{}{}
	}
	go pipe(server, client)
	go pipe(client, server)
	<-done
	p.untrack(client, server)
	_ = client.Close()
	_ = server.Close()
	<-done
}

func (p *Proxy) isDown() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.down
}

// track registers a pair unless an outage began while it was dialling.
func (p *Proxy) track(a, b net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return false
	}
	p.conns[a], p.conns[b] = struct{}{}, struct{}{}
	return true
}

func (p *Proxy) untrack(a, b net.Conn) {
	p.mu.Lock()
	delete(p.conns, a)
	delete(p.conns, b)
	p.mu.Unlock()
}

// reset closes with an RST instead of a FIN: the peer sees "connection
// reset", as when a network path dies, not an orderly goodbye.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}
