// Package imageserver is a mock image server for benchmarks: it serves
// deterministic, photo-like images over HTTP with configurable latency,
// jitter, bandwidth, error rate and on-demand stalls.
//
// Image URLs follow dummyimage.com:
//
//	/{W}x{H}.{ext}
//	/{W}x{H}/{bg}.{ext}
//	/{W}x{H}/{bg}/{fg}.{ext}
//
// where ext is jpg, jpeg, png or gif (any case) and W and H are 1..MaxSize.
// Colours are 3 or 6 hex digits (fff, 00ff00); 1 or 2 digits are also
// accepted as a grey level repeated across R, G and B ("0" and "00" are
// black, "ab" is #ababab), so a URL such as /320x240/fff/00.jpg works as
// written. Missing colours default to bg ccc and fg 000. A malformed image
// path is answered 400 with a one-line reason; a path whose first segment
// does not start with a digit is not an image path and is answered 404.
// GET /healthz answers 200 "ok".
package imageserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// closeTimeout bounds how long Close waits for in-flight requests before
// cutting their connections.
const closeTimeout = 10 * time.Second

// Config configures a Server. Zero values mean: bind 127.0.0.1:0, no
// latency, no errors, and the default limits.
//
// Images are rendered on demand, after the latency wait and only for a
// client still waiting, within a budget: at most RenderPixels pixels and
// MaxRenders images at once (rendering and encoding take about 10 bytes a
// pixel); further requests queue. Encoded images are cached by path, the
// least recently used dropped beyond CacheBytes.
type Config struct {
	Addr      string        // listen address; "" means "127.0.0.1:0" (OS-chosen port). Must be loopback unless the caller names another.
	Latency   time.Duration // added before the first byte of every image response (simulated network RTT)
	Jitter    time.Duration // uniform random extra in [-Jitter, +Jitter] around Latency, clamped at 0
	Bandwidth int64         // bytes per second per response; 0 = unlimited (throttled writes)
	ErrorRate float64       // fraction in [0,1] of image requests answered 503 (deterministic pseudo-random, seeded)
	MaxSize   int           // largest allowed width or height; 0 means 8000
	Seed      int64         // seeds jitter/error randomness

	RenderPixels int64         // pixels rendered at once, and so the largest image; 0 means DefaultRenderPixels
	MaxRenders   int           // images rendered at once; 0 means GOMAXPROCS
	CacheBytes   int64         // encoded bytes cached; 0 means DefaultCacheBytes
	IdleTimeout  time.Duration // an idle keep-alive connection is closed after this; 0 means DefaultIdleTimeout
	WriteTimeout time.Duration // time to write a response, on top of its transfer time at Bandwidth; 0 means DefaultWriteTimeout
}

// Default timeouts (see Config).
const (
	DefaultIdleTimeout  = 30 * time.Second
	DefaultWriteTimeout = 30 * time.Second
)

// readHeaderTimeout bounds the time to read a request's headers.
const readHeaderTimeout = 10 * time.Second

// Server is a running mock image server.
type Server struct {
	URL  string   // for clients on this machine, e.g. "http://127.0.0.1:43123", no trailing slash
	Addr net.Addr // the address actually bound, e.g. 127.0.0.1:43123 or [::]:43123

	h         *handler
	srv       *http.Server
	served    chan struct{} // closed when Serve returns
	closeOnce sync.Once
	closeErr  error
}

// New validates cfg, starts listening and serves in the background until
// Close.
func New(cfg Config) (*Server, error) {
	h, err := newHandler(cfg)
	if err != nil {
		return nil, err
	}
	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("imageserver: listen on %q: %w", addr, err)
	}
	s := &Server{
		URL:  "http://" + dialAddr(ln.Addr()),
		Addr: ln.Addr(),
		h:    h,
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: readHeaderTimeout,
			IdleTimeout:       h.cfg.IdleTimeout,
			// The handler extends it once the latency and the render
			// are over, by the response's transfer time.
			WriteTimeout: h.cfg.WriteTimeout,
		},
		served: make(chan struct{}),
	}
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return s, nil
}

// dialAddr is the address clients should dial for a listener's address,
// replacing an unspecified IP (0.0.0.0 or ::, which Go listens on as a
// dual-stack socket) with 127.0.0.1.
func dialAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return (&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: tcp.Port}).String()
}

// Close stops accepting connections and waits for in-flight requests to
// finish (at most 10 s, after which their connections are cut). Calling it
// again returns the first result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			if cerr := s.srv.Close(); cerr != nil {
				err = errors.Join(err, cerr)
			}
			s.closeErr = fmt.Errorf("imageserver: close: %w", err)
		}
		<-s.served
	})
	return s.closeErr
}

// Stall holds every image request that arrives, or is already waiting,
// until d from now. Overlapping stalls merge: requests wait for the latest
// end. A d of 0 or less does nothing.
func (s *Server) Stall(d time.Duration) {
	s.h.stall(d)
}

// Loopback reports whether the server accepts connections from this
// machine only.
func (s *Server) Loopback() bool {
	tcp, ok := s.Addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// Requests reports how many image requests (every request except /healthz,
// whatever its outcome) the server has received so far.
func (s *Server) Requests() int64 {
	return s.h.requests.Load()
}
