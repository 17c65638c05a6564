package live

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/scalebench/scalebench/report"
)

// DefaultAddr is where a live view listens unless told otherwise: the
// loopback interface, on a port the system picks.
const DefaultAddr = "127.0.0.1:0"

// Server serves a View's page and event stream over HTTP.
type Server struct {
	// URL is the page's address, as printed for the user.
	URL string
	// Loopback is false when the server can be reached from other
	// machines.
	Loopback bool

	view *View
	srv  *http.Server
	ln   net.Listener
	done chan struct{}
}

// Serve listens on addr (host:port; an empty host listens on every
// interface) and serves v's page at / and its event stream at /events,
// read-only, until Close.
func Serve(addr string, v *View) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("live view: listen on %s: %w", addr, err)
	}
	s := &Server{view: v, ln: ln, done: make(chan struct{})}
	s.URL, s.Loopback = pageURL(ln.Addr().(*net.TCPAddr))
	mux := http.NewServeMux()
	mux.HandleFunc("/", s.page)
	mux.Handle("/events", v.Stream())
	s.srv = &http.Server{
		Handler:           s.secured(mux),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    16 << 10,
		// An event stream is a response without end: its writes have
		// deadlines of their own (sse.Options.WriteTimeout).
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// pageURL is the page's address on the listener at a, and whether only
// this machine can reach it.
func pageURL(a *net.TCPAddr) (string, bool) {
	host := a.IP.String()
	if a.IP.IsUnspecified() {
		host = "127.0.0.1"
		if a.IP.To4() == nil {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(a.Port)) + "/", a.IP.IsLoopback()
}

// secured answers only GET and HEAD, on a loopback address only requests
// for a loopback host (so that a web page cannot read the view through a
// host name it points at this machine: DNS rebinding), and tells browsers
// to keep the page to itself.
func (s *Server) secured(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Loopback && !loopbackHost(r.Host) {
			http.Error(w, "the live view answers requests for this machine's loopback address only", http.StatusForbidden)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "the live view is read-only", http.StatusMethodNotAllowed)
			return
		}
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether a request's Host names this machine's
// loopback interface: localhost, or a loopback address.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// page serves the live page with the parts as last drawn, or the
// finished report once there is one.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if final := s.view.Final(); final != nil {
		// The report as the run wrote it; the header keeps its policy
		// whatever the file says.
		w.Header().Set("Content-Security-Policy", report.ReportPolicy)
		_, _ = w.Write(final)
		return
	}
	w.Header().Set("Content-Security-Policy", report.LivePolicy)
	st := s.view.Stream()
	d := report.LivePageData{Title: s.view.title(), Events: "events"}
	parts, since := st.Latest(TopicHeader, TopicPlan, TopicCurrent, TopicReport)
	d.Header, d.Plan, d.Current, d.Report, d.Since = parts[0], parts[1], parts[2], parts[3], since
	var buf bytes.Buffer
	if err := report.LivePage(&buf, d); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_, _ = w.Write(buf.Bytes())
}

// Close stops serving: the event streams end (each sent what was
// published, within its write timeout), and connections still open after
// grace are closed.
func (s *Server) Close(grace time.Duration) error {
	s.view.Stream().Close()
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = s.srv.Close()
	}
	<-s.done
	if err != nil {
		return fmt.Errorf("live view: close: %w", err)
	}
	return nil
}
