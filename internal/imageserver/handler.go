package imageserver

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// ErrInvalidConfig marks a Config that New or Handler rejects.
var ErrInvalidConfig = errors.New("imageserver: invalid config")

// maxMaxSize is the largest MaxSize a Config may ask for.
const maxMaxSize = 16384

// validate reports the first problem with c, if any.
func (c Config) validate() error {
	switch {
	case c.Latency < 0:
		return fmt.Errorf("%w: Latency %v is negative", ErrInvalidConfig, c.Latency)
	case c.Jitter < 0:
		return fmt.Errorf("%w: Jitter %v is negative", ErrInvalidConfig, c.Jitter)
	case c.Bandwidth < 0:
		return fmt.Errorf("%w: Bandwidth %d is negative", ErrInvalidConfig, c.Bandwidth)
	case math.IsNaN(c.ErrorRate) || c.ErrorRate < 0 || c.ErrorRate > 1:
		return fmt.Errorf("%w: ErrorRate %v is outside [0,1]", ErrInvalidConfig, c.ErrorRate)
	case c.MaxSize < 0 || c.MaxSize > maxMaxSize:
		return fmt.Errorf("%w: MaxSize %d is outside 0..%d", ErrInvalidConfig, c.MaxSize, maxMaxSize)
	}
	return nil
}

// Handler returns the handler a Server runs, for use without a listener
// (for example with httptest). It answers GET and HEAD. Latency and jitter
// apply to every request except /healthz; simulated 503s only to valid
// image paths.
func Handler(cfg Config) (http.Handler, error) {
	h, err := newHandler(cfg)
	if err != nil {
		return nil, err
	}
	return h, nil
}

type handler struct {
	cfg     Config
	maxSize int

	requests atomic.Int64

	mu         sync.Mutex
	rng        *rand.Rand // guarded by mu
	stallUntil time.Time  // guarded by mu
}

func newHandler(cfg Config) (*handler, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	maxSize := cfg.MaxSize
	if maxSize == 0 {
		maxSize = defaultMaxSize
	}
	return &handler{
		cfg:     cfg,
		maxSize: maxSize,
		rng:     rand.New(rand.NewPCG(uint64(cfg.Seed), 0x696d616765)),
	}, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" {
		if !allowMethod(w, r) {
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
		return
	}
	h.requests.Add(1)

	sp, pathErr := parsePath(r.URL.Path, h.maxSize)
	fail, delay := h.draw(pathErr == nil)
	var (
		data  []byte
		ctype string
		err   error
	)
	if pathErr == nil && !fail {
		data, ctype, err = cache.get(sp)
	}
	if !h.wait(r.Context(), delay) {
		return // the client has gone
	}

	switch {
	case !allowMethod(w, r):
	case pathErr != nil:
		status := http.StatusBadRequest
		if errors.Is(pathErr, ErrNotFound) {
			status = http.StatusNotFound
		}
		http.Error(w, pathErr.Error(), status)
	case fail:
		http.Error(w, "simulated failure", http.StatusServiceUnavailable)
	case err != nil:
		http.Error(w, "encode failed", http.StatusInternalServerError)
	default:
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			h.writeBody(r.Context(), w, data)
		}
	}
}

// allowMethod reports whether r is a GET or HEAD, answering 405 if not.
func allowMethod(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

// draw decides whether a request fails (only if it is an image request)
// and how long it is delayed.
func (h *handler) draw(image bool) (fail bool, delay time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if image && h.cfg.ErrorRate > 0 {
		fail = h.rng.Float64() < h.cfg.ErrorRate
	}
	delay = h.cfg.Latency
	if j := h.cfg.Jitter; j > 0 {
		delay += time.Duration(h.rng.Int64N(2*int64(j)+1)) - j
	}
	return fail, max(delay, 0)
}

// wait sleeps for d and then until any stall is over, reporting false if
// ctx ends first.
func (h *handler) wait(ctx context.Context, d time.Duration) bool {
	if !sleep(ctx, d) {
		return false
	}
	for {
		h.mu.Lock()
		left := time.Until(h.stallUntil)
		h.mu.Unlock()
		if left <= 0 {
			return true
		}
		// Sleep and look again: the stall may have been extended meanwhile.
		if !sleep(ctx, left) {
			return false
		}
	}
}

// stall holds image requests until d from now (or later, if a longer
// stall is already in force).
func (h *handler) stall(d time.Duration) {
	until := time.Now().Add(d)
	h.mu.Lock()
	if until.After(h.stallUntil) {
		h.stallUntil = until
	}
	h.mu.Unlock()
}

// writeBody writes data, throttled to the configured bandwidth if any.
func (h *handler) writeBody(ctx context.Context, w http.ResponseWriter, data []byte) {
	bw := h.cfg.Bandwidth
	if bw == 0 {
		_, _ = w.Write(data)
		return
	}
	// Write about 20 chunks a second, each followed by a pause that keeps
	// the running total on schedule.
	chunk := int(min(max(bw/20, 1), 32<<10))
	rc := http.NewResponseController(w)
	start := time.Now()
	for off := 0; off < len(data); {
		n := min(chunk, len(data)-off)
		if _, err := w.Write(data[off : off+n]); err != nil {
			return
		}
		off += n
		_ = rc.Flush()
		if off == len(data) {
			return
		}
		due := start.Add(time.Duration(float64(off) / float64(bw) * float64(time.Second)))
		if !sleep(ctx, time.Until(due)) {
			return
		}
	}
}

// sleep waits for d, reporting false if ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
