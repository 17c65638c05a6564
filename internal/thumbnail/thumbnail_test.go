package thumbnail

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/thumbnail/internal/testimg"
)

func TestFitSize(t *testing.T) {
	tests := []struct {
		name         string
		srcW, srcH   int
		maxW, maxH   int
		wantW, wantH int
	}{
		// The lesson's five images into 64x64.
		{"lesson 256x256", 256, 256, 64, 64, 64, 64},
		{"lesson 320x240", 320, 240, 64, 64, 64, 48},
		{"lesson 640x480", 640, 480, 64, 64, 64, 48},
		{"lesson 128x128", 128, 128, 64, 64, 64, 64},
		{"lesson 720x720", 720, 720, 64, 64, 64, 64},
		{"portrait", 480, 640, 64, 64, 48, 64},
		{"tiny is never upscaled", 10, 5, 64, 64, 10, 5},
		{"exact fit", 64, 64, 64, 64, 64, 64},
		{"extreme aspect keeps 1 pixel", 1000, 10, 64, 64, 64, 1},
		{"extreme portrait", 1, 1000, 64, 64, 1, 64},
		{"full HD", 1920, 1080, 64, 64, 64, 36},
		{"full HD portrait", 1080, 1920, 64, 64, 36, 64},
		{"huge", 4000, 3000, 64, 64, 64, 48},
		// Values below are Pillow's (Image.thumbnail, Pillow >= 7).
		{"rounds to closest aspect 100x10", 100, 10, 64, 64, 64, 6},
		{"rounds up 64x100", 64, 100, 64, 64, 41, 64},
		{"one side over the box", 65, 64, 64, 64, 64, 63},
		{"65x1", 65, 1, 64, 64, 64, 1},
		{"70x10", 70, 10, 64, 64, 64, 9},
		{"10x70", 10, 70, 64, 64, 9, 64},
		{"99x70", 99, 70, 64, 64, 64, 45},
		{"33x1000", 33, 1000, 64, 64, 2, 64},
		{"non-square box", 640, 480, 100, 50, 67, 50},
		{"non-square box portrait", 300, 200, 50, 100, 50, 33},
		{"1234x567 into 100", 1234, 567, 100, 100, 100, 46},
		{"random 2653x1236 into 203x25", 2653, 1236, 203, 25, 54, 25},
		{"random 4775x476 into 260x110", 4775, 476, 260, 110, 260, 26},
		{"random 3161x2843 into 12x237", 3161, 2843, 12, 237, 12, 11},
		{"random 99x3973 into 94x135", 99, 3973, 94, 135, 3, 135},
		{"random 2310x34 into 75x215", 2310, 34, 75, 215, 75, 1},
		{"random 4380x3025 into 290x164", 4380, 3025, 290, 164, 237, 164},
		{"random 2212x3884 into 34x32", 2212, 3884, 34, 32, 18, 32},
		{"empty source", 0, 10, 64, 64, 0, 0},
		{"empty box", 10, 10, 0, 64, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, h := FitSize(tt.srcW, tt.srcH, tt.maxW, tt.maxH)
			if w != tt.wantW || h != tt.wantH {
				t.Errorf("FitSize(%d, %d, %d, %d) = %dx%d, want %dx%d",
					tt.srcW, tt.srcH, tt.maxW, tt.maxH, w, h, tt.wantW, tt.wantH)
			}
		})
	}
}

func TestOutputName(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"brief example", "http://h/640x480/ccc/aaa.jpg", "ccc_aaa_thumb.png"},
		{"lesson 256x256", "https://dummyimage.com/256x256/000/fff.jpg", "000_fff_thumb.png"},
		{"lesson 320x240", "https://dummyimage.com/320x240/fff/000.jpg", "fff_000_thumb.png"},
		{"lesson 720x720", "https://dummyimage.com/720x720/000/fff.png", "000_fff_thumb.png"},
		{"query string", "http://h/640x480/ccc/aaa.jpg?text=hello&x=1", "ccc_aaa_thumb.png"},
		{"fragment", "http://h/640x480/ccc/aaa.jpg#top", "ccc_aaa_thumb.png"},
		{"query without extension", "https://picsum.photos/200/300?random=1", "200_300_thumb.png"},
		{"trailing slash", "http://h/640x480/ccc/aaa.jpg/", "ccc_aaa_thumb.png"},
		{"trailing slashes and query", "http://h/ccc/aaa.jpg//?q=1", "ccc_aaa_thumb.png"},
		{"empty path parts", "http://h/640x480//ccc//aaa.jpg", "ccc_aaa_thumb.png"},
		{"no extension", "http://h/a/b", "a_b_thumb.png"},
		{"only last extension removed", "http://h/a/b.tar.gz", "a_b.tar_thumb.png"},
		{"dot file keeps its name", "http://h/a/.hidden", "a_.hidden_thumb.png"},
		{"single path part uses host", "http://h/aaa.jpg", "h_aaa_thumb.png"},
		{"port is dropped", "http://127.0.0.1:8080/aaa.jpg", "127.0.0.1_aaa_thumb.png"},
		{"host only", "http://h/", "h_thumb.png"},
		{"relative path", "640x480/ccc/aaa.jpg", "ccc_aaa_thumb.png"},
		{"bare file name", "aaa.jpg", "aaa_thumb.png"},
		{"empty", "", "thumb.png"},
		{"escaped slashes stay inside parts", "http://h/a%2Fb/c%2F..%2Fd.jpg", ".._d_thumb.png"},
		{"invalid escape falls back to raw parsing", "http://h/%zz/aaa.jpg?q", "%zz_aaa_thumb.png"},
		{"control characters replaced", "http://h/a%00b/c%0A.jpg", "a_b_c__thumb.png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := OutputName(tt.url)
			if got != tt.want {
				t.Errorf("OutputName(%q) = %q, want %q", tt.url, got, tt.want)
			}
			if strings.ContainsAny(got, "/\\") {
				t.Errorf("OutputName(%q) = %q contains a path separator", tt.url, got)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	valid := Options{Width: 64, Height: 64, Filter: "lanczos", Format: "png", Method: "naive"}
	tests := []struct {
		name    string
		mod     func(*Options)
		wantErr []string // substrings of the error; nil means valid
	}{
		{"valid", func(*Options) {}, nil},
		{"defaults", func(o *Options) { o.Filter, o.Format, o.Method = "", "", "" }, nil},
		{"every filter", func(o *Options) { o.Filter = "nearest" }, nil},
		{"jpeg", func(o *Options) { o.Format = "jpeg" }, nil},
		{"zero width", func(o *Options) { o.Width = 0 }, []string{"Options.Width", "0"}},
		{"negative height", func(o *Options) { o.Height = -1 }, []string{"Options.Height", "-1"}},
		{"huge width", func(o *Options) { o.Width = 1 << 20 }, []string{"Options.Width"}},
		{"largest size", func(o *Options) { o.Width, o.Height = MaxSize, MaxSize }, nil},
		{"width over the limit", func(o *Options) { o.Width = MaxSize + 1 }, []string{"Options.Width", fmt.Sprintf("1..%d", MaxSize)}},
		{"height over the limit", func(o *Options) { o.Height = MaxSize + 1 }, []string{"Options.Height", fmt.Sprintf("1..%d", MaxSize)}},
		{"unknown filter", func(o *Options) { o.Filter = "bicubic" },
			[]string{"Options.Filter", `"bicubic"`, "lanczos, catmullrom, linear, box, nearest"}},
		{"filter is case-sensitive", func(o *Options) { o.Filter = "Lanczos" }, []string{"Options.Filter"}},
		{"unknown format", func(o *Options) { o.Format = "gif" }, []string{"Options.Format", `"gif"`, "png, jpeg"}},
		{"unknown method", func(o *Options) { o.Method = "slow" }, []string{"Options.Method", `"slow"`, "naive, fast"}},
		{"all errors reported", func(o *Options) { o.Width, o.Method = 0, "x" }, []string{"Options.Width", "Options.Method"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := valid
			tt.mod(&o)
			err := o.Validate()
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Validate() = %q, want it to mention %q", err, s)
				}
			}
			if _, err := New(o, nil); err == nil {
				t.Error("New accepted invalid options")
			}
		})
	}
}

func TestMethodsAndFilters(t *testing.T) {
	if got := Methods(); !slices.Equal(got, []string{"naive", "fast"}) {
		t.Errorf("Methods() = %v", got)
	}
	if got := Filters(); !slices.Equal(got, []string{"lanczos", "catmullrom", "linear", "box", "nearest"}) {
		t.Errorf("Filters() = %v", got)
	}
	if got := Formats(); !slices.Equal(got, []string{"png", "jpeg"}) {
		t.Errorf("Formats() = %v", got)
	}
	th, err := New(Options{Width: 8, Height: 8}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o := th.Options(); o.Filter != "lanczos" || o.Format != "png" || o.Method != "fast" {
		t.Errorf("defaults = %+v", o)
	}
}

func TestTimingsTotal(t *testing.T) {
	tm := Timings{Fetch: 1, Decode: 2, Resize: 3, Encode: 4, Write: 5}
	if got := tm.Total(); got != 15 {
		t.Errorf("Total() = %v, want 15ns", got)
	}
}

// imageServer serves a generated 640x480 JPEG at every path ending in .jpg,
// a PNG at .png, and 404 elsewhere.
func imageServer(t *testing.T) *httptest.Server {
	t.Helper()
	jpg := testimg.Image(t, 640, 480, "jpg")
	pngData := testimg.Image(t, 320, 240, "png")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, ".jpg"):
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(jpg)
		case strings.HasSuffix(r.URL.Path, ".png"):
			w.Header().Set("Content-Type", "image/png")
			w.Write(pngData)
		case strings.HasSuffix(r.URL.Path, ".bad"):
			w.Write([]byte("\xff\xd8\xff\xdb garbage"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestDo(t *testing.T) {
	srv := imageServer(t)
	for _, m := range Methods() {
		for _, tc := range []struct {
			path, file string
			w, h       int
		}{
			{"/640x480/ccc/aaa.jpg", "ccc_aaa_thumb.png", 64, 48},
			{"/320x240/fff/000.png", "fff_000_thumb.png", 64, 48},
		} {
			t.Run(m+tc.path, func(t *testing.T) {
				dir := t.TempDir()
				th, err := New(Options{Width: 64, Height: 64, Method: m, OutDir: dir}, srv.Client())
				if err != nil {
					t.Fatal(err)
				}
				tm, err := th.Do(context.Background(), srv.URL+tc.path)
				if err != nil {
					t.Fatal(err)
				}
				for stage, d := range map[string]time.Duration{
					"Fetch": tm.Fetch, "Decode": tm.Decode, "Resize": tm.Resize, "Encode": tm.Encode,
				} {
					if d <= 0 {
						t.Errorf("Timings.%s = %v, want > 0", stage, d)
					}
				}
				if tm.Total() < tm.Fetch+tm.Decode {
					t.Errorf("Total() = %v smaller than its parts %+v", tm.Total(), tm)
				}
				data, err := os.ReadFile(filepath.Join(dir, tc.file))
				if err != nil {
					t.Fatalf("output not written: %v", err)
				}
				img, err := png.Decode(bytes.NewReader(data))
				if err != nil {
					t.Fatalf("output is not a PNG: %v", err)
				}
				if got := img.Bounds().Size(); got != image.Pt(tc.w, tc.h) {
					t.Errorf("output size %v, want %dx%d", got, tc.w, tc.h)
				}
			})
		}
	}
}

func TestDoDiscard(t *testing.T) {
	srv := imageServer(t)
	dir := t.TempDir()
	t.Chdir(dir)                                                            // nothing may be written, not even to the working directory
	th, err := New(Options{Width: 64, Height: 64, Method: MethodFast}, nil) // shared client
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := th.Do(context.Background(), srv.URL+"/a/b.jpg"); err != nil {
			t.Fatal(err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("discarding Thumbnailer wrote %d files", len(entries))
	}
}

// TestConcurrentWorkers runs one Thumbnailer per goroutine on the shared
// client, as the runner does, for the race detector.
func TestConcurrentWorkers(t *testing.T) {
	srv := imageServer(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 4 {
		wg.Go(func() {
			th, err := New(Options{Width: 64, Height: 64, Method: Methods()[i%2]}, nil)
			if err != nil {
				errs <- err
				return
			}
			for j := range 5 {
				path := "/w/a.jpg"
				if j%2 == 1 {
					path = "/w/b.png"
				}
				if _, err := th.Do(context.Background(), srv.URL+path); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestDoErrors(t *testing.T) {
	srv := imageServer(t)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		url     string
		wantErr string
	}{
		{"not found", context.Background(), srv.URL + "/missing", "404 Not Found"},
		{"corrupt image", context.Background(), srv.URL + "/x/y.bad", "decode"},
		{"canceled", canceled, srv.URL + "/a/b.jpg", "context canceled"},
		{"bad URL", context.Background(), "http://[::1", "fetch"},
		{"connection refused", context.Background(), "http://127.0.0.1:1/a.jpg", "fetch"},
	}
	for _, m := range Methods() {
		for _, tt := range tests {
			t.Run(m+"/"+tt.name, func(t *testing.T) {
				th, err := New(Options{Width: 64, Height: 64, Method: m}, srv.Client())
				if err != nil {
					t.Fatal(err)
				}
				_, err = th.Do(tt.ctx, tt.url)
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Do() error = %v, want one containing %q", err, tt.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "thumbnail: ") {
					t.Errorf("error %q lacks the package prefix", err)
				}
			})
		}
	}
}

func TestProcessBadInput(t *testing.T) {
	jpg := testimg.Image(t, 640, 480, "jpg")
	pngData := testimg.Image(t, 320, 240, "png")
	bigHeader := bytes.Clone(jpg)
	// SOF0 height/width bytes of Go's encoder output: make it 65535x65535.
	if i := bytes.Index(bigHeader, []byte{0xff, 0xc0}); i >= 0 {
		copy(bigHeader[i+5:], []byte{0xff, 0xff, 0xff, 0xff})
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"garbage", []byte("not an image at all")},
		{"truncated JPEG", jpg[:len(jpg)/2]},
		{"JPEG header only", jpg[:200]},
		{"truncated PNG", pngData[:len(pngData)/2]},
		{"too many pixels", bigHeader},
	}
	for _, m := range Methods() {
		for _, tt := range tests {
			t.Run(m+"/"+tt.name, func(t *testing.T) {
				th, err := New(Options{Width: 64, Height: 64, Method: m}, nil)
				if err != nil {
					t.Fatal(err)
				}
				_, err = th.Process(tt.data, "http://h/x/y.jpg")
				if err == nil {
					t.Fatal("Process() = nil error for bad input")
				}
				if !strings.Contains(err.Error(), "thumbnail: decode http://h/x/y.jpg") {
					t.Errorf("error %q does not name the operation and source", err)
				}
			})
		}
	}
}

// TestReuse checks that a Thumbnailer's reused buffers do not leak between
// jobs: alternating images gives the same output as fresh Thumbnailers.
func TestReuse(t *testing.T) {
	large := testimg.Image(t, 960, 540, "jpg") // still a 1/4-scale decode
	if testimg.SizeOK(1920, 1080) {
		large = testimg.Image(t, 1920, 1080, "jpg")
	}
	inputs := [][]byte{
		testimg.Image(t, 640, 480, "jpg"),
		testimg.Image(t, 320, 240, "png"),
		large,
		testimg.EncodeJPEG(t, testimg.Photo(333, 111, 4), 70),
		testimg.Image(t, 640, 480, "jpg"),
	}
	for _, m := range Methods() {
		t.Run(m, func(t *testing.T) {
			dir := t.TempDir()
			reused, err := New(Options{Width: 64, Height: 64, Method: m, OutDir: dir}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i, data := range inputs {
				freshDir := t.TempDir()
				fresh, err := New(Options{Width: 64, Height: 64, Method: m, OutDir: freshDir}, nil)
				if err != nil {
					t.Fatal(err)
				}
				name := "http://h/reuse/img.jpg"
				if _, err := reused.Process(data, name); err != nil {
					t.Fatal(err)
				}
				if _, err := fresh.Process(data, name); err != nil {
					t.Fatal(err)
				}
				a, _ := os.ReadFile(filepath.Join(dir, OutputName(name)))
				b, _ := os.ReadFile(filepath.Join(freshDir, OutputName(name)))
				if len(a) == 0 || !bytes.Equal(a, b) {
					t.Errorf("input %d: reused Thumbnailer output differs from a fresh one", i)
				}
			}
		})
	}
}

func TestJPEGOutput(t *testing.T) {
	dir := t.TempDir()
	th, err := New(Options{Width: 64, Height: 64, Format: FormatJPEG, OutDir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := th.Process(testimg.Image(t, 640, 480, "jpg"), "http://h/640x480/ccc/aaa.jpg"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "ccc_aaa_thumb.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds().Size(); got != image.Pt(64, 48) {
		t.Errorf("size %v, want 64x48", got)
	}
}

func TestFilters(t *testing.T) {
	data := testimg.Image(t, 640, 480, "jpg")
	for _, f := range Filters() {
		for _, m := range Methods() {
			t.Run(f+"/"+m, func(t *testing.T) {
				th, err := New(Options{Width: 64, Height: 64, Filter: f, Method: m}, nil)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := th.Process(data, "x"); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

func TestNewCreatesOutDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	if _, err := New(Options{Width: 1, Height: 1, OutDir: dir}, nil); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("OutDir not created: %v", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	if _, err := New(Options{Width: 1, Height: 1, OutDir: file}, nil); err == nil {
		t.Error("New accepted a file as OutDir")
	}
}

func TestNewClient(t *testing.T) {
	c := NewClient(64)
	tr, ok := c.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport %T", c.Transport)
	}
	if tr.MaxIdleConnsPerHost != 64 || tr.MaxIdleConns < 64 {
		t.Errorf("MaxIdleConnsPerHost %d MaxIdleConns %d", tr.MaxIdleConnsPerHost, tr.MaxIdleConns)
	}
	if NewClient(0).Transport.(*http.Transport).MaxIdleConnsPerHost < 1 {
		t.Error("NewClient(0) keeps no connection alive")
	}
	if a, b := sharedClient(), sharedClient(); a != b {
		t.Error("shared client not shared")
	}
}
