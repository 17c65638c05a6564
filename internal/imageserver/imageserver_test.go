package imageserver

import (
	"bytes"
	"context"
	"errors"
	"image"
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/testutil"
)

// newServer starts a Server that is closed when the test ends.
func newServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// newClient returns a keep-alive client able to hold many connections.
func newClient(t testing.TB) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

type response struct {
	status  int
	ctype   string
	body    []byte
	elapsed time.Duration
}

func get(c *http.Client, url string) (response, error) {
	start := time.Now()
	resp, err := c.Get(url)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{resp.StatusCode, resp.Header.Get("Content-Type"), body, time.Since(start)}, nil
}

func mustGet(t testing.TB, c *http.Client, url string) response {
	t.Helper()
	r, err := get(c, url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return r
}

// waitFor polls cond until it holds, failing the test after a few seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testutil.Eventually(t, 5*time.Second, cond, "waiting for %s", what)
}

func TestImagePaths(t *testing.T) {
	s := newServer(t, Config{})
	c := newClient(t)
	tests := []struct {
		path  string
		w, h  int
		ctype string
	}{
		{"/256x256/000/fff.jpg", 256, 256, "image/jpeg"},
		{"/320x240/fff/00.jpg", 320, 240, "image/jpeg"},
		{"/640x480/ccc/aaa.jpg", 640, 480, "image/jpeg"},
		{"/128x128/ddd/eee.jpg", 128, 128, "image/jpeg"},
		{"/720x720/111/222.jpg", 720, 720, "image/jpeg"},
		{"/100x50/00ff00/ff00ff.jpeg", 100, 50, "image/jpeg"},
		{"/200x100/abc/def.png", 200, 100, "image/png"},
		{"/200x100/abc/def.gif", 200, 100, "image/gif"},
		{"/64x32.png", 64, 32, "image/png"},
		{"/64x32/f00.JPG", 64, 32, "image/jpeg"},
		{"/1x1/F/0.gif", 1, 1, "image/gif"},
		{"/8000x1.png", 8000, 1, "image/png"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := mustGet(t, c, s.URL+tt.path)
			if r.status != http.StatusOK {
				t.Fatalf("status %d, body %q", r.status, r.body)
			}
			if r.ctype != tt.ctype {
				t.Errorf("Content-Type %q, want %q", r.ctype, tt.ctype)
			}
			cfg, format, err := image.DecodeConfig(bytes.NewReader(r.body))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if cfg.Width != tt.w || cfg.Height != tt.h {
				t.Errorf("%s is %dx%d, want %dx%d", format, cfg.Width, cfg.Height, tt.w, tt.h)
			}
			if "image/"+format != tt.ctype {
				t.Errorf("body is %s, Content-Type says %s", format, tt.ctype)
			}
			if _, _, err := image.Decode(bytes.NewReader(r.body)); err != nil {
				t.Errorf("decode: %v", err)
			}
			data, ctype, err := Encode(tt.path)
			if err != nil || ctype != tt.ctype || !bytes.Equal(data, r.body) {
				t.Errorf("Encode(%q) = %d bytes, %q, %v; want the %d bytes served", tt.path, len(data), ctype, err, len(r.body))
			}
		})
	}
}

func TestBadPaths(t *testing.T) {
	s := newServer(t, Config{})
	c := newClient(t)
	tests := []struct {
		path   string
		status int
		want   string // in the body
	}{
		{"/0x10.jpg", 400, `bad size "0x10": width and height must be 1..8000`},
		{"/9000x10.jpg", 400, `bad size "9000x10": width and height must be 1..8000`},
		{"/10x9000/fff/000.png", 400, `bad size "10x9000"`},
		{"/10x.jpg", 400, `bad size "10x"`},
		{"/10.jpg", 400, `bad size "10": want WxH`},
		{"/-1x10.jpg", 404, "not found"},
		{"/10x-1.jpg", 400, "bad size"},
		{"/99999999999999999999x1.jpg", 400, "bad size"},
		{"/10x10/zzz/fff.jpg", 400, `bad colour "zzz"`},
		{"/10x10/fff/abcd.jpg", 400, `bad colour "abcd"`},
		{"/10x10//fff.jpg", 400, `bad colour ""`},
		{"/10x10/+ff.jpg", 400, `bad colour "+ff"`},
		{"/10x10.bmp", 400, `unsupported format "bmp"`},
		{"/10x10/fff/000.", 400, `unsupported format ""`},
		{"/10x10", 400, "missing extension"},
		{"/10x10/a/b/c.jpg", 400, "want /WxH[/bg[/fg]].ext"},
		{"/abc.jpg", 404, "not found"},
		{"/", 404, "not found"},
		{"/favicon.ico", 404, "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := mustGet(t, c, s.URL+tt.path)
			if r.status != tt.status {
				t.Errorf("status %d, want %d", r.status, tt.status)
			}
			body := string(r.body)
			if !strings.Contains(body, tt.want) {
				t.Errorf("body %q does not contain %q", body, tt.want)
			}
			if strings.Count(strings.TrimSuffix(body, "\n"), "\n") != 0 {
				t.Errorf("body %q is not one line", body)
			}
			_, _, err := Encode(tt.path)
			wantErr := ErrBadPath
			if tt.status == 404 {
				wantErr = ErrNotFound
			}
			if !errors.Is(err, wantErr) {
				t.Errorf("Encode(%q) error %v, want %v", tt.path, err, wantErr)
			}
		})
	}
}

func TestMaxSize(t *testing.T) {
	s := newServer(t, Config{MaxSize: 100})
	c := newClient(t)
	if r := mustGet(t, c, s.URL+"/100x100.gif"); r.status != 200 {
		t.Errorf("100x100 with MaxSize 100: status %d", r.status)
	}
	r := mustGet(t, c, s.URL+"/101x100.gif")
	if want := `bad size "101x100": width and height must be 1..100`; r.status != 400 || !strings.Contains(string(r.body), want) {
		t.Errorf("101x100 with MaxSize 100: status %d body %q, want 400 %q", r.status, r.body, want)
	}
}

func TestHealthz(t *testing.T) {
	s := newServer(t, Config{Latency: 3 * time.Second})
	r := mustGet(t, newClient(t), s.URL+"/healthz")
	if r.status != 200 || string(r.body) != "ok" {
		t.Errorf("status %d body %q, want 200 \"ok\"", r.status, r.body)
	}
	if r.elapsed > 2*time.Second {
		t.Errorf("healthz took %v: latency should not apply", r.elapsed)
	}
	if n := s.Requests(); n != 0 {
		t.Errorf("Requests() = %d after /healthz only, want 0", n)
	}
}

func TestMethods(t *testing.T) {
	s := newServer(t, Config{})
	c := newClient(t)
	resp, err := c.Head(s.URL + "/64x64.png")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	data, _, _ := Encode("/64x64.png")
	if resp.StatusCode != 200 || resp.ContentLength != int64(len(data)) {
		t.Errorf("HEAD: status %d length %d, want 200 %d", resp.StatusCode, resp.ContentLength, len(data))
	}
	resp, err = c.Post(s.URL+"/64x64.png", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d, want 405", resp.StatusCode)
	}
}

func TestDeterministic(t *testing.T) {
	const path = "/640x480/ccc/aaa.jpg"
	a := mustGet(t, newClient(t), newServer(t, Config{Seed: 1}).URL+path)
	b := mustGet(t, newClient(t), newServer(t, Config{Seed: 2}).URL+path)
	if !bytes.Equal(a.body, b.body) {
		t.Errorf("two servers sent different bytes for %s", path)
	}
	if len(a.body) < 15_000 {
		t.Errorf("%s is %d bytes; want a photo-like >= 15000", path, len(a.body))
	}
	// Bypass the cache: fresh renders must match byte for byte too.
	for _, p := range []string{path, "/300x200/123/fed.png", "/300x200/123/fed.gif"} {
		sp, err := parsePath(p, defaultMaxSize)
		if err != nil {
			t.Fatal(err)
		}
		x, _, err1 := encodeSpec(context.Background(), sp)
		y, _, err2 := encodeSpec(context.Background(), sp)
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Errorf("%s: two renders differ (errors %v, %v)", p, err1, err2)
		}
	}
}

func TestImage(t *testing.T) {
	bg, fg := defaultBG, defaultFG
	img := Image(300, 200, bg, fg)
	if got := img.Bounds(); got != image.Rect(0, 0, 300, 200) {
		t.Fatalf("bounds %v", got)
	}
	if !bytes.Equal(img.Pix, Image(300, 200, nil, nil).Pix) {
		t.Error("nil colours differ from the defaults")
	}
	if bytes.Equal(img.Pix, Image(300, 200, fg, bg).Pix) {
		t.Error("swapping colours gave the same image")
	}
	// Every pixel lies between bg and fg, give or take the grain.
	lo, hi := 255, 0
	for i := 0; i < len(img.Pix); i += 4 {
		lo, hi = min(lo, int(img.Pix[i])), max(hi, int(img.Pix[i]))
		if img.Pix[i+3] != 255 {
			t.Fatalf("pixel %d not opaque", i/4)
		}
	}
	if lo > grain || hi < 0xcc-grain || hi > 0xcc+grain {
		t.Errorf("red spans %d..%d, want about 0..%d", lo, hi, 0xcc)
	}
	for _, sz := range [][2]int{{0, 10}, {10, 0}, {-5, 3}} {
		if b := Image(sz[0], sz[1], bg, fg).Bounds(); !b.Empty() {
			t.Errorf("Image(%d, %d) bounds %v, want empty", sz[0], sz[1], b)
		}
	}
}

func TestLatency(t *testing.T) {
	tests := []struct {
		cfg     Config
		atLeast time.Duration
	}{
		{Config{Latency: 100 * time.Millisecond}, 100 * time.Millisecond},
		{Config{Latency: 100 * time.Millisecond, Jitter: 50 * time.Millisecond}, 50 * time.Millisecond},
		{Config{Latency: 100 * time.Millisecond, ErrorRate: 1}, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		s := newServer(t, tt.cfg)
		c := newClient(t)
		for range 3 {
			r := mustGet(t, c, s.URL+"/32x32.jpg")
			if r.elapsed < tt.atLeast {
				t.Errorf("%+v: request took %v, want >= %v", tt.cfg, r.elapsed, tt.atLeast)
			}
		}
	}
}

func TestStall(t *testing.T) {
	s := newServer(t, Config{})
	c := newClient(t)
	mustGet(t, c, s.URL+"/32x32.jpg") // warm the cache and the connection

	start := time.Now()
	s.Stall(300 * time.Millisecond)
	if r := mustGet(t, c, s.URL+"/32x32.jpg"); r.status != 200 {
		t.Errorf("status %d", r.status)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("request during a 300ms stall took %v", d)
	}
	if r := mustGet(t, c, s.URL+"/healthz"); r.elapsed > time.Second {
		t.Errorf("healthz took %v after the stall", r.elapsed)
	}
}

func TestStallHoldsWaitingRequests(t *testing.T) {
	s := newServer(t, Config{Latency: 100 * time.Millisecond})
	c := newClient(t)
	done := make(chan time.Time, 1)
	go func() {
		_, _ = get(c, s.URL+"/32x32.jpg")
		done <- time.Now()
	}()
	waitFor(t, "the request to arrive", func() bool { return s.Requests() == 1 })
	start := time.Now()
	s.Stall(400 * time.Millisecond)
	if d := (<-done).Sub(start); d < 400*time.Millisecond {
		t.Errorf("request already waiting finished %v after a 400ms stall began", d)
	}
}

func TestErrorRate(t *testing.T) {
	tests := []struct {
		rate           float64
		min503, max503 int // out of n
	}{
		{0, 0, 0},
		{1, 50, 50},
		{0.3, 5, 30},
	}
	const n = 50
	for _, tt := range tests {
		s := newServer(t, Config{ErrorRate: tt.rate, Seed: 7})
		c := newClient(t)
		got := 0
		for range n {
			r := mustGet(t, c, s.URL+"/16x16.jpg")
			switch r.status {
			case http.StatusServiceUnavailable:
				got++
				if strings.Count(string(r.body), "\n") != 1 {
					t.Errorf("503 body %q is not one line", r.body)
				}
			case http.StatusOK:
			default:
				t.Errorf("status %d", r.status)
			}
		}
		if got < tt.min503 || got > tt.max503 {
			t.Errorf("ErrorRate %v: %d of %d were 503, want %d..%d", tt.rate, got, n, tt.min503, tt.max503)
		}
		if s.Requests() != n {
			t.Errorf("Requests() = %d, want %d", s.Requests(), n)
		}
	}
}

func TestErrorRateSeeded(t *testing.T) {
	outcomes := func(seed int64) string {
		h, err := Handler(Config{ErrorRate: 0.5, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for range 64 {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/8x8.png", nil))
			b.WriteString(map[int]string{200: ".", 503: "x"}[rec.Code])
		}
		return b.String()
	}
	a, b := outcomes(42), outcomes(42)
	if a != b {
		t.Errorf("same seed, different outcomes:\n%s\n%s", a, b)
	}
	if a == outcomes(43) {
		t.Errorf("seeds 42 and 43 gave the same outcomes %s", a)
	}
	if !strings.Contains(a, ".") || !strings.Contains(a, "x") {
		t.Errorf("ErrorRate 0.5 gave %s", a)
	}
}

func TestConcurrent(t *testing.T) {
	const n = 200
	s := newServer(t, Config{Latency: 100 * time.Millisecond, Jitter: 10 * time.Millisecond})
	c := newClient(t)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		path := []string{"/640x480/ccc/aaa.jpg", "/128x128/ddd/eee.jpg"}[i%2]
		wg.Go(func() {
			r, err := get(c, s.URL+path)
			if err == nil && r.status != 200 {
				err = errors.New(http.StatusText(r.status))
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("%d requests with 100ms latency took %v: requests are serialised", n, d)
	}
	if got := s.Requests(); got != n {
		t.Errorf("Requests() = %d, want %d", got, n)
	}
}

func TestBandwidth(t *testing.T) {
	const path = "/128x128/ddd/eee.jpg"
	data, _, err := Encode(path)
	if err != nil {
		t.Fatal(err)
	}
	// Sized so that the body takes 400ms to send.
	bw := int64(math.Ceil(float64(len(data)) / 0.4))
	s := newServer(t, Config{Bandwidth: bw})
	r := mustGet(t, newClient(t), s.URL+path)
	if !bytes.Equal(r.body, data) {
		t.Fatalf("throttled body differs: %d bytes, want %d", len(r.body), len(data))
	}
	if r.elapsed < 300*time.Millisecond {
		t.Errorf("%d bytes at %d B/s took %v, want about 400ms", len(data), bw, r.elapsed)
	}
}

func TestCloseWaitsForInFlight(t *testing.T) {
	s, err := New(Config{Latency: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t)
	type result struct {
		r   response
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := get(c, s.URL+"/256x256/000/fff.jpg")
		done <- result{r, err}
	}()
	waitFor(t, "the request to arrive", func() bool { return s.Requests() == 1 })
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	res := <-done
	if res.err != nil || res.r.status != 200 {
		t.Fatalf("in-flight request: status %d, error %v", res.r.status, res.err)
	}
	if _, _, err := image.Decode(bytes.NewReader(res.r.body)); err != nil {
		t.Errorf("in-flight body: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := get(c, s.URL+"/8x8.jpg"); err == nil {
		t.Error("request after Close succeeded")
	}
}

func TestServerURL(t *testing.T) {
	s := newServer(t, Config{})
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") || strings.HasSuffix(s.URL, "/") {
		t.Errorf("URL %q, want http://127.0.0.1:PORT", s.URL)
	}
	if s.URL != "http://"+s.Addr.String() || !s.Loopback() {
		t.Errorf("URL %q, Addr %v, Loopback %v; want the URL of the bound loopback address", s.URL, s.Addr, s.Loopback())
	}
	if r := mustGet(t, newClient(t), s.URL+"/healthz"); r.status != 200 {
		t.Errorf("healthz via %s: status %d", s.URL, r.status)
	}
}

// TestDialAddr checks the URL and Loopback of bound addresses, without
// binding anything but loopback in a test.
func TestDialAddr(t *testing.T) {
	tests := []struct {
		addr     *net.TCPAddr
		dial     string
		loopback bool
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}, "127.0.0.1:80", true},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 80}, "[::1]:80", true},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 80}, "127.0.0.1:80", false},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 80}, "127.0.0.1:80", false},
		{&net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 80}, "10.1.2.3:80", false},
	}
	for _, tt := range tests {
		if got := dialAddr(tt.addr); got != tt.dial {
			t.Errorf("dialAddr(%v) = %q, want %q", tt.addr, got, tt.dial)
		}
		if got := (&Server{Addr: tt.addr}).Loopback(); got != tt.loopback {
			t.Errorf("Loopback() for %v = %v, want %v", tt.addr, got, tt.loopback)
		}
	}
}

func TestInvalidConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"negative latency", Config{Latency: -1}},
		{"negative jitter", Config{Jitter: -1}},
		{"negative bandwidth", Config{Bandwidth: -1}},
		{"error rate below 0", Config{ErrorRate: -0.1}},
		{"error rate above 1", Config{ErrorRate: 1.1}},
		{"error rate NaN", Config{ErrorRate: math.NaN()}},
		{"negative max size", Config{MaxSize: -1}},
		{"huge max size", Config{MaxSize: 1 << 20}},
		{"negative render pixels", Config{RenderPixels: -1}},
		{"negative max renders", Config{MaxRenders: -1}},
		{"negative cache bytes", Config{CacheBytes: -1}},
		{"negative idle timeout", Config{IdleTimeout: -1}},
		{"negative write timeout", Config{WriteTimeout: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Handler(tt.cfg); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("Handler: error %v, want ErrInvalidConfig", err)
			}
			s, err := New(tt.cfg)
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("New: error %v, want ErrInvalidConfig", err)
			}
			if s != nil {
				s.Close()
			}
		})
	}
	if _, err := New(Config{Addr: "not an address"}); err == nil {
		t.Error("New with a bad Addr succeeded")
	}
}

func BenchmarkServe(b *testing.B) {
	for _, tt := range []struct{ name, path string }{
		{"jpg-640x480", "/640x480/ccc/aaa.jpg"},
		{"png-64x32", "/64x32.png"},
	} {
		b.Run(tt.name, func(b *testing.B) {
			h, err := Handler(Config{})
			if err != nil {
				b.Fatal(err)
			}
			req := httptest.NewRequest("GET", tt.path, nil)
			h.ServeHTTP(httptest.NewRecorder(), req) // fill the cache
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}

func BenchmarkImage(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Image(720, 720, defaultBG, defaultFG)
	}
}
