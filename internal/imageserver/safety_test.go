package imageserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/testbin"
	"github.com/scalebench/scalebench/internal/testutil"
)

// TestNoRenderForAGoneClient checks that a request whose client goes away
// during the latency wait renders nothing, and that one that stays renders
// its image once, after the wait.
func TestNoRenderForAGoneClient(t *testing.T) {
	s := newServer(t, Config{Latency: 300 * time.Millisecond})
	c := newClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/2000x2000/123/456.jpg", nil)
	if resp, err := c.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("request with a 50ms deadline got an answer before the 300ms latency")
	}
	// Close waits for the requests in flight, the gone client's among
	// them, to end.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := s.h.images.renderCount(); n != 0 {
		t.Errorf("%d images rendered for a client that went away", n)
	}
	if n, _ := s.h.images.cached(); n != 0 {
		t.Errorf("%d images cached for a client that went away", n)
	}

	s = newServer(t, Config{Latency: 300 * time.Millisecond})
	start := time.Now()
	r := mustGet(t, c, s.URL+"/64x48/123/456.jpg")
	if r.status != 200 || r.elapsed < 250*time.Millisecond {
		t.Errorf("status %d after %v, want 200 after the 300ms latency", r.status, time.Since(start))
	}
	if n := s.h.images.renderCount(); n != 1 {
		t.Errorf("%d images rendered, want 1", n)
	}
}

// TestQueuedRenderCancelled checks that a request waiting for the render
// budget renders nothing once its client has gone.
func TestQueuedRenderCancelled(t *testing.T) {
	s := newServer(t, Config{MaxRenders: 1})
	im := s.h.images
	// Hold the only render slot, as a render in progress would.
	if err := im.renders.Acquire(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/1000x1000.png", nil)
		resp, err := newClient(t).Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	// The request holds its pixels while it waits for the slot.
	waitFor(t, "the request to queue", func() bool {
		if im.pixels.TryAcquire(im.maxPixels) {
			im.pixels.Release(im.maxPixels)
			return false
		}
		return true
	})
	cancel()
	if err := <-errc; err == nil {
		t.Error("cancelled request got an answer")
	}
	// Once the server sees the client gone, the request gives its pixels back.
	waitFor(t, "the request to give up", func() bool {
		if im.pixels.TryAcquire(im.maxPixels) {
			im.pixels.Release(im.maxPixels)
			return true
		}
		return false
	})
	im.renders.Release(1)
	if n := im.renderCount(); n != 0 {
		t.Errorf("%d images rendered for a cancelled request", n)
	}
	if r := mustGet(t, newClient(t), s.URL+"/100x100.png"); r.status != 200 {
		t.Errorf("after the cancelled request: status %d", r.status)
	}
}

// TestRenderStopsWithItsContext checks that rendering gives up once its
// context ends instead of finishing the image.
func TestRenderStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, format := range []string{"jpeg", "png", "gif"} {
		sp := spec{w: 4000, h: 4000, bg: defaultBG, fg: defaultFG, format: format}
		if _, _, err := encodeSpec(ctx, sp); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: encodeSpec with a cancelled context: %v, want context.Canceled", format, err)
		}
	}
}

// TestWaiterRendersWhenRendererLeaves checks the handoff: when the request
// rendering an image goes away before it renders, a request that was
// waiting for that render renders the image itself and gets it.
func TestWaiterRendersWhenRendererLeaves(t *testing.T) {
	im := newImages(DefaultRenderPixels, 1, DefaultCacheBytes)
	sp := spec{w: 64, h: 64, bg: defaultBG, fg: defaultFG, format: "png"}
	// The first request holds the budget's only render slot, so its render
	// waits; a second request for the same image waits for the first.
	if err := im.renders.Acquire(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { _, _, err := im.get(ctx, sp); first <- err }()
	testutil.Eventually(t, 5*time.Second, func() bool {
		im.mu.Lock()
		defer im.mu.Unlock()
		return im.entries[sp] != nil
	}, "the first request to start rendering")
	type result struct {
		data []byte
		err  error
	}
	second := make(chan result, 1)
	go func() { data, _, err := im.get(context.Background(), sp); second <- result{data, err} }()
	testutil.Eventually(t, 5*time.Second, func() bool {
		im.mu.Lock()
		defer im.mu.Unlock()
		return im.waits == 1
	}, "the second request to wait for the first's render")
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("first request: %v, want context.Canceled", err)
	}
	if n := im.renderCount(); n != 0 {
		t.Fatalf("%d images rendered by the request that left, want none", n)
	}
	im.renders.Release(1)
	got := <-second
	if got.err != nil {
		t.Fatalf("second request, whose client stayed: %v", got.err)
	}
	// The first rendered nothing, so the one image rendered is the
	// second's own, and it is what the second got and the cache keeps.
	if n := im.renderCount(); n != 1 {
		t.Errorf("%d images rendered, want 1, by the waiter", n)
	}
	if len(got.data) == 0 {
		t.Error("the waiter got no image")
	}
	if n, size := im.cached(); n != 1 || size != int64(len(got.data)) {
		t.Errorf("cache holds %d images, %d bytes; want the waiter's one of %d bytes", n, size, len(got.data))
	}
}

// TestRenderBudget checks that an image larger than the render budget is
// refused with a reason, and one within it served.
func TestRenderBudget(t *testing.T) {
	s := newServer(t, Config{RenderPixels: 100 * 100})
	c := newClient(t)
	if r := mustGet(t, c, s.URL+"/100x100.jpg"); r.status != 200 {
		t.Errorf("100x100 within a 10000-pixel budget: status %d", r.status)
	}
	r := mustGet(t, c, s.URL+"/101x100.jpg")
	if want := "101x100 is 10100 pixels, more than the server renders at once (10000)"; r.status != 400 || !strings.Contains(string(r.body), want) {
		t.Errorf("101x100: status %d body %q, want 400 %q", r.status, r.body, want)
	}
}

// TestCacheBounded checks that the cache keeps at most CacheBytes, drops
// the least recently used image first and serves cached ones without
// rendering them again.
func TestCacheBounded(t *testing.T) {
	one, _, err := encodeSpec(context.Background(), spec{w: 200, h: 200, bg: defaultBG, fg: defaultFG, format: "png"})
	if err != nil {
		t.Fatal(err)
	}
	limit := int64(len(one)) * 5 / 2 // room for two or three such images
	s := newServer(t, Config{CacheBytes: limit})
	c := newClient(t)
	im := s.h.images
	path := func(i int) string { return fmt.Sprintf("/200x200/%x/000.png", i) }
	for i := range 4 {
		mustGet(t, c, s.URL+path(i))
		if n, b := im.cached(); b > limit || n > 3 {
			t.Fatalf("after %d images: %d cached, %d bytes, limit %d", i+1, n, b, limit)
		}
	}
	before := im.renderCount()
	mustGet(t, c, s.URL+path(3)) // most recent: cached
	if im.renderCount() != before {
		t.Error("the most recent image was rendered again")
	}
	mustGet(t, c, s.URL+path(0)) // oldest: evicted
	if im.renderCount() != before+1 {
		t.Error("the oldest image was not evicted")
	}
}

// TestIdleConnectionClosed checks that an idle keep-alive connection is
// closed by the server after IdleTimeout.
func TestIdleConnectionClosed(t *testing.T) {
	s := newServer(t, Config{IdleTimeout: 200 * time.Millisecond})
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Close {
		t.Fatalf("healthz: %s, close %v; want a kept-alive 200", resp.Status, resp.Close)
	}
	// Generous: the server should close it after about 200ms.
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := br.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("idle connection: read %d bytes, error %v; want EOF (closed by the server)", n, err)
	}
}

// deadlineRecorder is a ResponseWriter that records its write deadline.
type deadlineRecorder struct {
	http.ResponseWriter
	deadline time.Time
}

func (d *deadlineRecorder) SetWriteDeadline(t time.Time) error {
	d.deadline = t
	return nil
}

// TestWriteDeadline checks that a response gets WriteTimeout plus its
// transfer time at the configured bandwidth, from when it is written, so a
// client that stops reading cannot hold the handler.
func TestWriteDeadline(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		n    int
		want time.Duration
	}{
		{"default", Config{}, 1000, DefaultWriteTimeout},
		{"configured", Config{WriteTimeout: time.Second}, 1000, time.Second},
		{"throttled", Config{WriteTimeout: time.Second, Bandwidth: 1000}, 5000, 6 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := newHandler(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			w := &deadlineRecorder{ResponseWriter: httptest.NewRecorder()}
			before := time.Now()
			h.setWriteDeadline(w, tt.n)
			if got := w.deadline.Sub(before); got < tt.want || got > tt.want+time.Minute {
				t.Errorf("deadline %v from now, want %v", got, tt.want)
			}
		})
	}
}

// Worst case under a memory limit: the server runs in a child process (see
// childBinary) whose data segment (RLIMIT_DATA: the memory it maps
// writable, the Go heap included, but not the address space the runtime
// only reserves) is limited, and eight clients ask at once for eight
// different 8000x8000 JPEGs, which would need about 5 GB rendered together.
// Rendered one at a time, the child peaks at about 1 GB resident.

const (
	childEnv   = "IMAGESERVER_TEST_CHILD" // "safe" or "unbounded": the config of the child's server
	childLimit = 1536 << 20               // the child's data segment
)

// TestWorstCaseUnderMemoryLimit checks that the server survives the worst
// case within childLimit, and that the same requests take down a server
// without the render budget within that limit, so that the test can fail.
func TestWorstCaseUnderMemoryLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("renders several 8000x8000 images")
	}
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("prlimit not found")
	}
	child := childBinary(t)
	t.Run("safe", func(t *testing.T) {
		served, alive, peak := worstCase(t, prlimit, child, "safe")
		t.Logf("child peak RSS %s", peak)
		if served < 2 || !alive {
			t.Errorf("%d of 8 images served, server alive %v; want at least 2 served and the server alive", served, alive)
		}
	})
	t.Run("unbounded", func(t *testing.T) {
		served, alive, _ := worstCase(t, prlimit, child, "unbounded")
		if alive {
			t.Errorf("a server without the render budget survived (%d served): the limit does not test anything", served)
		}
	})
}

// childBinary returns a test binary of this package to run as a memory-
// limited child process (see testbin.WithoutRace).
func childBinary(t *testing.T) string { return testbin.WithoutRace(t, raceEnabled) }

// worstCase starts a child server of the given kind under childLimit,
// asks it for eight 8000x8000 JPEGs at once, and returns how many were
// served before two were (or the child died), whether the child still
// answers, and its peak RSS.
func worstCase(t *testing.T, prlimit, child, kind string) (served int, alive bool, peak string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, prlimit, fmt.Sprintf("--data=%d", childLimit), "--",
		child, "-test.run=^TestChildServer$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+kind)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	lines := bufio.NewScanner(stdout)
	var url string
	if lines.Scan() {
		url, _ = strings.CutPrefix(lines.Text(), "URL ")
	}
	if url == "" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("child printed no URL; stderr:\n%s", stderr.String())
	}
	go func() {
		for lines.Scan() {
			if p, ok := strings.CutPrefix(lines.Text(), "PEAK "); ok {
				peak = p
			}
		}
		_ = cmd.Wait()
		close(exited)
	}()

	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	reqCtx, stop := context.WithCancel(ctx)
	results := make(chan error, 8)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(reqCtx, http.MethodGet, fmt.Sprintf("%s/8000x8000/%x/fff.jpg", url, i), nil)
			resp, err := client.Do(req)
			if err != nil {
				results <- err
				return
			}
			defer resp.Body.Close()
			cfg, _, err := image.DecodeConfig(resp.Body)
			if err == nil && (resp.StatusCode != 200 || cfg.Width != 8000 || cfg.Height != 8000) {
				err = fmt.Errorf("status %s, image %dx%d", resp.Status, cfg.Width, cfg.Height)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			results <- err
		})
	}
	for range 8 {
		if err := <-results; err != nil {
			break // the child died, or the test's deadline passed
		}
		if served++; served == 2 {
			break
		}
	}
	stop()
	wg.Wait()
	if resp, err := client.Get(url + "/healthz"); err == nil {
		resp.Body.Close()
		alive = resp.StatusCode == 200
	}
	stdin.Close() // the child exits, printing its peak RSS
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
	if !alive {
		t.Logf("child stderr (first 1 KB):\n%s", head(stderr.String(), 1024))
	}
	return served, alive, peak
}

func head(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// TestChildServer is the server of TestWorstCaseUnderMemoryLimit: it runs
// only in its child process, prints the server's URL, serves until its
// stdin closes, then prints its peak RSS.
func TestChildServer(t *testing.T) {
	kind := os.Getenv(childEnv)
	if kind == "" {
		t.Skip("the child process of TestWorstCaseUnderMemoryLimit")
	}
	cfg := Config{}
	if kind == "unbounded" {
		cfg.RenderPixels, cfg.MaxRenders = 8*DefaultRenderPixels, 8
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("URL %s\n", s.URL)
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = s.Close()
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		for line := range strings.Lines(string(status)) {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				fmt.Printf("PEAK %s\n", strings.TrimSpace(v))
			}
		}
	}
}
