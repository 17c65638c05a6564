package sse

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/scalebench/scalebench/internal/testutil"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// received is one event as an EventSource dispatches it.
type received struct {
	ID, Topic, Data string
}

// reader parses an event stream as a browser does (the HTML standard's
// event stream interpretation), keeping comments apart.
type reader struct {
	sc       *bufio.Scanner
	lastID   string
	comments []string
	retry    string
}

func newReader(r io.Reader) *reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	// Lines end at \r\n, \r or \n.
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
			if data[i] == '\r' {
				if i+1 == len(data) && !atEOF {
					return 0, nil, nil // a \n may follow
				}
				if i+1 < len(data) && data[i+1] == '\n' {
					return i + 2, data[:i], nil
				}
			}
			return i + 1, data[:i], nil
		}
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	})
	return &reader{sc: sc}
}

// next returns the next dispatched event; false at the end of the stream.
func (r *reader) next() (received, bool) {
	var data strings.Builder
	topic, has := "", false
	for r.sc.Scan() {
		line := r.sc.Text()
		if line == "" {
			if !has {
				topic = ""
				continue
			}
			return received{ID: r.lastID, Topic: cmpOr(topic, "message"), Data: strings.TrimSuffix(data.String(), "\n")}, true
		}
		if strings.HasPrefix(line, ":") {
			r.comments = append(r.comments, line)
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "data":
			data.WriteString(value + "\n")
			has = true
		case "event":
			topic = value
		case "id":
			r.lastID = value
		case "retry":
			r.retry = value
		}
	}
	return received{}, false
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// open connects to the stream at url with lastID (if any) and returns its
// response and a reader of its events.
func open(t *testing.T, ctx context.Context, url, lastID string) (*http.Response, *reader) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp, newReader(resp.Body)
}

// nextEvents reads n events.
func nextEvents(t *testing.T, r *reader, n int) []received {
	t.Helper()
	var out []received
	for len(out) < n {
		e, ok := r.next()
		if !ok {
			t.Fatalf("the stream ended after %d of %d events", len(out), n)
		}
		out = append(out, e)
	}
	return out
}

func start(t *testing.T, opt Options) (*Stream, *httptest.Server) {
	t.Helper()
	s := New(opt)
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Close()
		srv.Close()
	})
	return s, srv
}

// A client that connects late is sent the latest event of each topic, in
// the order they were published; one that names the last event it saw
// (Last-Event-ID, or ?since= from a page that embedded the state) only
// the newer ones; one naming an id of another stream, everything.
func TestReplay(t *testing.T) {
	s, srv := start(t, Options{})
	s.Publish("plan", []byte("plan 1"))
	idReport := s.Publish("report", []byte("report 1"))
	s.Publish("plan", []byte("plan 2"))
	s.Publish("current", []byte("current 1"))
	for _, tc := range []struct {
		name, last, query string
		want              []string
	}{
		{"new client", "", "", []string{"report:report 1", "plan:plan 2", "current:current 1"}},
		{"Last-Event-ID", idReport, "", []string{"plan:plan 2", "current:current 1"}},
		{"since", "", "?since=" + idReport, []string{"plan:plan 2", "current:current 1"}},
		{"another stream's id", "0a0a0a0a0a0a-2", "", []string{"report:report 1", "plan:plan 2", "current:current 1"}},
		{"an id from the future", strings.Split(idReport, "-")[0] + "-99", "", []string{"report:report 1", "plan:plan 2", "current:current 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, r := open(t, ctx, srv.URL+tc.query, tc.last)
			var got []string
			for _, e := range nextEvents(t, r, len(tc.want)) {
				got = append(got, e.Topic+":"+e.Data)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// A client that reconnects with the id of the last event it saw gets what
// was published while it was away, and nothing twice; the stream asks
// browsers to reconnect after Retry.
func TestReconnect(t *testing.T) {
	s, srv := start(t, Options{Retry: 250 * time.Millisecond})
	s.Publish("plan", []byte("1"))
	ctx, cancel := context.WithCancel(context.Background())
	resp, r := open(t, ctx, srv.URL, "")
	first := nextEvents(t, r, 1)[0]
	if r.retry != "250" {
		t.Errorf("retry: %q, want 250", r.retry)
	}
	s.Publish("plan", []byte("2"))
	second := nextEvents(t, r, 1)[0]
	cancel()
	resp.Body.Close()
	testutil.Eventually(t, 10*time.Second, func() bool { return s.Clients() == 0 }, "the stream of a client that left still runs")

	s.Publish("current", []byte("a"))
	s.Publish("plan", []byte("3"))
	s.Publish("plan", []byte("4"))
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	_, r2 := open(t, ctx2, srv.URL, second.ID)
	got := nextEvents(t, r2, 2)
	if first.Data != "1" || second.Data != "2" || got[0].Data != "a" || got[1].Data != "4" {
		t.Errorf("events %q %q, then after reconnecting %q %q; want 1 2, then a 4", first.Data, second.Data, got[0].Data, got[1].Data)
	}
	if s.Clients() != 1 {
		t.Errorf("%d clients, want 1", s.Clients())
	}
}

// A client that does not read never holds up Publish, is owed at most one
// event per topic however much is published, and is disconnected once a
// write to it has waited WriteTimeout; when it reads again, it is sent the
// latest of each topic.
func TestSlowClient(t *testing.T) {
	s, srv := start(t, Options{WriteTimeout: 300 * time.Millisecond})
	// A raw connection that reads the response's head and then stops.
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	testutil.Eventually(t, 10*time.Second, func() bool { return s.Clients() == 1 }, "the client never connected")

	// Publish until the stalled client is dropped: what it is owed stays
	// one event per topic, and no Publish waits for it.
	big := bytes.Repeat([]byte("x"), 256<<10)
	var slowest time.Duration
	published := 0
	deadline := time.Now().Add(20 * time.Second)
	for s.Clients() > 0 && time.Now().Before(deadline) {
		began := time.Now()
		s.Publish(fmt.Sprintf("topic-%d", published%4), big)
		slowest = max(slowest, time.Since(began))
		published++
		s.mu.Lock()
		for c := range s.clients {
			if len(c.pending) > 4 {
				t.Fatalf("the slow client is owed %d events, more than one per topic", len(c.pending))
			}
		}
		s.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	if s.Clients() > 0 {
		t.Fatalf("the stalled client was never disconnected (%d events of 256 KiB published)", published)
	}
	if slowest > 100*time.Millisecond {
		t.Errorf("the slowest of %d Publish calls took %v with a client that does not read", published, slowest)
	}
	t.Logf("the stalled client was dropped after %d events of 256 KiB; the slowest Publish took %v", published, slowest)

	// A client that reads slowly but does read ends up with the latest.
	s.Publish("topic-0", []byte("latest"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, r := open(t, ctx, srv.URL, "")
	seen := 0
	for {
		e, ok := r.next()
		if !ok {
			t.Fatal("the stream ended before the latest event")
		}
		seen++
		if e.Topic == "topic-0" && e.Data == "latest" {
			break
		}
	}
	if seen > 4 {
		t.Errorf("%d events before the latest, want the latest of each of the 4 topics at most", seen)
	}
}

// Close ends every stream once it was sent what was published before, at
// once, and later clients are refused; an idle stream sends heartbeats;
// the headers make proxies pass events on unbuffered.
func TestShutdownAndHeartbeat(t *testing.T) {
	s, srv := start(t, Options{Heartbeat: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, r := open(t, ctx, srv.URL, "")
	for k, want := range map[string]string{
		"Content-Type":      "text/event-stream; charset=utf-8",
		"X-Accel-Buffering": "no",
		"Cache-Control":     "no-cache, no-store",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	s.Publish("plan", []byte("1"))
	nextEvents(t, r, 1)
	beat := make(chan string, 1)
	go func() {
		for r.sc.Scan() {
			if line := r.sc.Text(); strings.HasPrefix(line, ":") {
				beat <- line
				return
			}
		}
		close(beat)
	}()
	select {
	case line, ok := <-beat:
		if !ok || line != ": heartbeat" {
			t.Fatalf("heartbeat %q, want a comment line", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no heartbeat within 10 s")
	}

	s.Publish("final", []byte("the report"))
	closed := time.Now()
	s.Close()
	var last received
	for {
		e, ok := r.next()
		if !ok {
			break
		}
		last = e
	}
	if d := time.Since(closed); d > time.Second {
		t.Errorf("the stream ended %v after Close", d)
	}
	if last.Topic != "final" || last.Data != "the report" {
		t.Errorf("last event before the end: %+v, want the final one", last)
	}
	late, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	late.Body.Close()
	if late.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a client after Close: %s, want 503", late.Status)
	}
	post, err := http.Post(srv.URL, "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if post.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %s, want 405", post.Status)
	}
}

// Data of any line endings, empty or ending in a line break, arrives as
// it was published, every line break read as \n.
func TestDataLines(t *testing.T) {
	s, srv := start(t, Options{})
	cases := []struct{ data, want string }{
		{"one line", "one line"},
		{"two\nlines", "two\nlines"},
		{"crlf\r\nand cr\rand lf\n", "crlf\nand cr\nand lf\n"},
		{"", ""},
		{" leading space", " leading space"},
		{"data: looks like a field\n\nid: 7", "data: looks like a field\n\nid: 7"},
	}
	for i, c := range cases {
		s.Publish(fmt.Sprint("t", i), []byte(c.data))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, r := open(t, ctx, srv.URL, "")
	for i, e := range nextEvents(t, r, len(cases)) {
		if e.Data != cases[i].want {
			t.Errorf("event %d: %q, want %q", i, e.Data, cases[i].want)
		}
	}
}

// More clients than MaxClients are refused until one leaves.
func TestMaxClients(t *testing.T) {
	s, srv := start(t, Options{MaxClients: 2})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range 2 {
		open(t, ctx, srv.URL, "")
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return s.Clients() == 2 }, "two clients never connected")
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a third client: %s, want 503 with Retry-After", resp.Status)
	}
}
