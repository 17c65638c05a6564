package imageserver

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"runtime"
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
	case c.RenderPixels < 0:
		return fmt.Errorf("%w: RenderPixels %d is negative", ErrInvalidConfig, c.RenderPixels)
	case c.MaxRenders < 0:
		return fmt.Errorf("%w: MaxRenders %d is negative", ErrInvalidConfig, c.MaxRenders)
	case c.CacheBytes < 0:
		return fmt.Errorf("%w: CacheBytes %d is negative", ErrInvalidConfig, c.CacheBytes)
	case c.IdleTimeout < 0:
		return fmt.Errorf("%w: IdleTimeout %v is negative", ErrInvalidConfig, c.IdleTimeout)
	case c.WriteTimeout < 0:
		return fmt.Errorf("%w: WriteTimeout %v is negative", ErrInvalidConfig, c.WriteTimeout)
	}
	return nil
}

// withDefaults returns c with zero limits replaced by their defaults.
func (c Config) withDefaults() Config {
	if c.MaxSize == 0 {
		c.MaxSize = defaultMaxSize
	}
	if c.RenderPixels == 0 {
		c.RenderPixels = DefaultRenderPixels
	}
	if c.MaxRenders == 0 {
		c.MaxRenders = runtime.GOMAXPROCS(0)
	}
	if c.CacheBytes == 0 {
		c.CacheBytes = DefaultCacheBytes
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	return c
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
	cfg    Config // defaults filled in
	images *images

	requests atomic.Int64

	mu         sync.Mutex
	rng        *rand.Rand // guarded by mu
	stallUntil time.Time  // guarded by mu
}

func newHandler(cfg Config) (*handler, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &handler{
		cfg:    cfg,
		images: newImages(cfg.RenderPixels, cfg.MaxRenders, cfg.CacheBytes),
		rng:    rand.New(rand.NewPCG(uint64(cfg.Seed), 0x696d616765)),
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

	// Nothing is rendered before the latency and any stall have passed,
	// nor for a client that has gone meanwhile.
	sp, pathErr := parsePath(r.URL.Path, h.cfg.MaxSize)
	if pathErr == nil {
		if err := h.images.checkBudget(sp); err != nil {
			pathErr = badPath("%v", err)
		}
	}
	fail, delay := h.draw(pathErr == nil)
	if !h.wait(r.Context(), delay) {
		return // the client has gone
	}
	h.setWriteDeadline(w, 0)
	if !allowMethod(w, r) {
		return
	}
	switch {
	case pathErr != nil:
		status := http.StatusBadRequest
		if errors.Is(pathErr, ErrNotFound) {
			status = http.StatusNotFound
		}
		http.Error(w, pathErr.Error(), status)
		return
	case fail:
		http.Error(w, "simulated failure", http.StatusServiceUnavailable)
		return
	}
	data, ctype, err := h.images.get(r.Context(), sp)
	if err != nil {
		if r.Context().Err() != nil {
			return // the client has gone: the render was abandoned
		}
		h.setWriteDeadline(w, 0)
		http.Error(w, "encode failed", http.StatusInternalServerError)
		return
	}
	h.setWriteDeadline(w, len(data))
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		h.writeBody(r.Context(), w, data)
	}
}

// setWriteDeadline gives the response, n bytes of body, WriteTimeout plus
// its transfer time at the configured bandwidth to be written from now: a
// client that stops reading cannot hold the handler longer.
func (h *handler) setWriteDeadline(w http.ResponseWriter, n int) {
	d := h.cfg.WriteTimeout
	if bw := h.cfg.Bandwidth; bw > 0 {
		d += time.Duration(float64(n) / float64(bw) * float64(time.Second))
	}
	// Without a connection (a handler under test) there is no deadline.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d))
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
