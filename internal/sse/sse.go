// Package sse serves server-sent events from a compacted log: each event
// has a topic, and an event supersedes the earlier ones of its topic, so
// the log holds the latest event of each topic. A client that connects, or
// reconnects with the id of the last event it saw (Last-Event-ID), is sent
// every topic's latest event it has not seen; a client that reads slowly
// is sent only the latest of each topic when it catches up. Publishing
// never waits for a client.
package sse

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options tune a Stream. Zero values take the defaults shown.
type Options struct {
	// Heartbeat is how often an idle stream sends a comment, so proxies
	// and browsers keep it open (15s).
	Heartbeat time.Duration
	// WriteTimeout bounds each write to a client: one that takes no data
	// for that long is disconnected, and reconnects when it can (10s).
	WriteTimeout time.Duration
	// Retry is the reconnection delay the stream asks browsers for (1s).
	Retry time.Duration
	// MaxClients bounds the streams served at once; more are refused with
	// 503 (256).
	MaxClients int
	// OnConnect, if set, is called when a client connects, before it is
	// sent anything.
	OnConnect func()
}

func (o Options) withDefaults() Options {
	if o.Heartbeat <= 0 {
		o.Heartbeat = 15 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.Retry <= 0 {
		o.Retry = time.Second
	}
	if o.MaxClients <= 0 {
		o.MaxClients = 256
	}
	return o
}

// Stream is a compacted event log served over HTTP as text/event-stream.
// Its methods are safe for concurrent use.
type Stream struct {
	opt   Options
	epoch string // names this stream in event ids

	mu      sync.Mutex
	seq     uint64
	latest  map[string]*event
	clients map[*client]struct{}
	closed  bool
	done    chan struct{}
}

// event is one published event; never changed once published.
type event struct {
	seq   uint64
	topic string
	data  []byte
}

// client is one connected stream: the events it has not been sent yet,
// at most one per topic.
type client struct {
	pending map[string]*event
	wake    chan struct{}
}

// New returns an empty stream.
func New(opt Options) *Stream {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &Stream{
		opt:     opt.withDefaults(),
		epoch:   hex.EncodeToString(b[:]),
		latest:  map[string]*event{},
		clients: map[*client]struct{}{},
		done:    make(chan struct{}),
	}
}

// Publish adds an event of topic with data, which supersedes the topic's
// earlier one, and returns its id. It never waits for a client. data is
// the stream's from now on: do not change it.
func (s *Stream) Publish(topic string, data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	e := &event{seq: s.seq, topic: topic, data: data}
	s.latest[topic] = e
	for c := range s.clients {
		c.pending[topic] = e
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	return s.id(e.seq)
}

// Drop removes topic's latest event from the log: clients that connect
// from now on are not sent it (those sent it keep it).
func (s *Stream) Drop(topic string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.latest, topic)
	for c := range s.clients {
		delete(c.pending, topic)
	}
}

// Latest returns the data of each topic's latest event (nil for a topic
// without one) and the id of the stream's latest event, all at one
// moment: a page that embeds them and then follows the stream from that
// id (Since) misses nothing and gets nothing twice.
func (s *Stream) Latest(topics ...string) (data [][]byte, since string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	data = make([][]byte, len(topics))
	for i, t := range topics {
		if e, ok := s.latest[t]; ok {
			data[i] = e.data
		}
	}
	return data, s.id(s.seq)
}

// Clients is the number of streams being served.
func (s *Stream) Clients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}

// Close ends every stream being served, once each was sent what was
// published before (each write bounded by WriteTimeout), and refuses
// new ones. It does not wait for them.
func (s *Stream) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
}

func (s *Stream) id(seq uint64) string { return s.epoch + "-" + strconv.FormatUint(seq, 10) }

// seen returns the sequence number an event id names, or 0 when it is not
// one of this stream's: then every latest event is sent.
func (s *Stream) seen(id string) uint64 {
	epoch, seq, ok := strings.Cut(id, "-")
	if !ok || epoch != s.epoch {
		return 0
	}
	n, err := strconv.ParseUint(seq, 10, 64)
	if err != nil || n > s.seq {
		return 0
	}
	return n
}

// ServeHTTP streams the events to one client, starting after the event
// named by its Last-Event-ID header (a reconnection), or else by its
// "since" query parameter (a page that embedded the state up to there).
func (s *Stream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		http.Error(w, "the event stream is read-only: GET it", http.StatusMethodNotAllowed)
		return
	}
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("since")
	}
	c := &client{pending: map[string]*event{}, wake: make(chan struct{}, 1)}
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		http.Error(w, "the stream has ended", http.StatusServiceUnavailable)
		return
	case len(s.clients) >= s.opt.MaxClients:
		s.mu.Unlock()
		w.Header().Set("Retry-After", "10")
		http.Error(w, fmt.Sprintf("too many clients (%d)", s.opt.MaxClients), http.StatusServiceUnavailable)
		return
	}
	after := s.seen(last)
	for t, e := range s.latest {
		if e.seq > after {
			c.pending[t] = e
		}
	}
	s.clients[c] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.clients, c)
		s.mu.Unlock()
	}()
	if s.opt.OnConnect != nil {
		s.opt.OnConnect()
	}

	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache, no-store")
	h.Set("X-Accel-Buffering", "no") // nginx and its kin: pass each event on at once
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "retry: %d\n\n", s.opt.Retry.Milliseconds())
	beat := time.NewTicker(s.opt.Heartbeat)
	defer beat.Stop()
	for {
		s.take(c, &buf)
		if buf.Len() > 0 {
			if !s.write(w, rc, buf.Bytes()) {
				return
			}
			buf.Reset()
		}
		select {
		case <-c.wake:
		case <-beat.C:
			buf.WriteString(": heartbeat\n\n")
		case <-r.Context().Done():
			return
		case <-s.done:
			s.take(c, &buf)
			if buf.Len() > 0 {
				s.write(w, rc, buf.Bytes())
			}
			return
		}
	}
}

// take moves c's pending events, in the order they were published, into
// buf in the wire format.
func (s *Stream) take(c *client, buf *bytes.Buffer) {
	s.mu.Lock()
	evs := make([]*event, 0, len(c.pending))
	for t, e := range c.pending {
		evs = append(evs, e)
		delete(c.pending, t)
	}
	s.mu.Unlock()
	slices.SortFunc(evs, func(a, b *event) int { return cmp.Compare(a.seq, b.seq) })
	for _, e := range evs {
		writeEvent(buf, s.id(e.seq), e.topic, e.data)
	}
}

// write sends p to the client and flushes it, within WriteTimeout; it
// reports whether the client took it.
func (s *Stream) write(w http.ResponseWriter, rc *http.ResponseController, p []byte) bool {
	_ = rc.SetWriteDeadline(time.Now().Add(s.opt.WriteTimeout))
	if _, err := w.Write(p); err != nil {
		return false
	}
	return rc.Flush() == nil
}

// writeEvent writes one event in the wire format: its data one "data:"
// line per line, every line ending (\r\n, \r or \n) read as one.
func writeEvent(buf *bytes.Buffer, id, topic string, data []byte) {
	fmt.Fprintf(buf, "id: %s\nevent: %s\n", id, topic)
	if len(data) == 0 {
		buf.WriteString("data: \n") // an event without data is not dispatched
	}
	for len(data) > 0 {
		i := bytes.IndexAny(data, "\r\n")
		line := data
		if i >= 0 {
			line = data[:i]
		}
		buf.WriteString("data: ")
		buf.Write(line)
		buf.WriteByte('\n')
		if i < 0 {
			break
		}
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
		if len(data) == 0 {
			buf.WriteString("data: \n") // the data ended with a line break
		}
	}
	buf.WriteByte('\n')
}
