package chaos

import (
	"bufio"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

// echoServer answers every line with the same line.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); _ = c.Close() }()
		}
	}()
	return ln.Addr().String()
}

func roundTrip(t *testing.T, c net.Conn, line string) (string, error) {
	t.Helper()
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", err
	}
	return bufio.NewReader(c).ReadString('\n')
}

func TestProxyForwardsAndCuts(t *testing.T) {
	p, err := NewProxy(echoServer(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })

	c, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c.Close()
	got, err := roundTrip(t, c, "hello")
	require.NoError(t, err)
	require.Equal(t, "hello\n", got)

	require.Equal(t, 1, p.Cut())
	_, err = roundTrip(t, c, "after the cut")
	require.Error(t, err, "a cut connection must fail")

	fresh, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer fresh.Close()
	got, err = roundTrip(t, fresh, "again")
	require.NoError(t, err, "new connections work after a cut")
	require.Equal(t, "again\n", got)
	require.EqualValues(t, 1, p.Cuts())
	require.EqualValues(t, 1, p.Dropped())
}

func TestProxyDownRefusesConnections(t *testing.T) {
	p, err := NewProxy(echoServer(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })

	p.SetDown(true)
	// The kernel may complete the handshake before the proxy resets the
	// connection, so the refusal shows at connect or at the first exchange.
	c, err := net.Dial("tcp", p.Addr())
	if err == nil {
		_, err = roundTrip(t, c, "nobody home")
		_ = c.Close()
	}
	require.Error(t, err)

	p.SetDown(false)
	c, err = net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c.Close()
	got, err := roundTrip(t, c, "back")
	require.NoError(t, err)
	require.Equal(t, "back\n", got)
}
