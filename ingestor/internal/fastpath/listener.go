package fastpath

import (
	"net"
	"sync"
)

// handoffListener is the listener the fallback server serves: Accept
// returns the connections the fast path hands over.
type handoffListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	// onClose runs once, when the fallback server (or Shutdown) closes it.
	onClose func()
}

func newHandoffListener(addr net.Addr, onClose func()) *handoffListener {
	return &handoffListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{}), onClose: onClose}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() {
		close(l.done)
		l.onClose()
	})
	return nil
}

func (l *handoffListener) Addr() net.Addr { return l.addr }

// handOver gives c to the fallback server, or closes it if the server is
// closed.
func (l *handoffListener) handOver(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		_ = c.Close()
	}
}

// replayConn is a handed-over connection: its reads return the bytes the
// fast path had read first.
type replayConn struct {
	net.Conn
	pending []byte
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// CloseWrite half-closes the connection, as net/http does before closing
// one it answered with an error, if the connection can.
func (c *replayConn) CloseWrite() error { return closeWrite(c.Conn) }

// closeWrite half-closes c if it can (a TCP connection), else does nothing.
func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
