package thumbnail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/testbin"
	"github.com/scalebench/scalebench/internal/thumbnail/internal/testimg"
	"github.com/scalebench/scalebench/internal/thumbnail/jpeg"
)

// craftJPEG returns a small JPEG whose frame header (marker sof, 0xc0 or
// 0xc2) claims a w x h image of comps components, followed by one DC scan
// of pad zero bytes (two bits a block): every block decodes to a flat
// grey, so image/jpeg accepts it and allocates for the full claimed size.
func craftJPEG(sof byte, w, h, comps, pad int) []byte {
	var b bytes.Buffer
	seg := func(marker byte, payload ...byte) {
		b.Write([]byte{0xff, marker, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)})
		b.Write(payload)
	}
	b.Write([]byte{0xff, 0xd8})
	seg(0xdb, append([]byte{0x00}, bytes.Repeat([]byte{1}, 64)...)...) // DQT 0: all ones
	frame := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), byte(comps)}
	for i := range comps {
		frame = append(frame, byte(i+1), 0x11, 0)
	}
	seg(sof, frame...)
	seg(0xc4, append([]byte{0x00, 1}, append(make([]byte, 15), 0)...)...) // DC table 0: code "0" for category 0
	seg(0xc4, append([]byte{0x10, 1}, append(make([]byte, 15), 0)...)...) // AC table 0: code "0" for end of block
	scan := []byte{byte(comps)}
	for i := range comps {
		scan = append(scan, byte(i+1), 0x00)
	}
	seg(0xda, append(scan, 0, 0, 0)...) // DC scan (progressive: first DC scan)
	b.Write(make([]byte, pad))
	b.Write([]byte{0xff, 0xd9})
	return b.Bytes()
}

// hostileJPEG is the attack of a hostile image server: under 4 KB, a
// progressive JPEG that claims 8192x8192 (about 1 GB to decode).
func hostileJPEG() []byte { return craftJPEG(0xc2, 8192, 8192, 3, 3800) }

// limitedEnv marks a child test process run under an address-space limit.
const limitedEnv = "THUMBNAIL_TEST_UNDER_LIMIT"

// TestHostileJPEGUnderLimit runs TestHostileJPEG in a child process (see
// childBinary) whose data segment (RLIMIT_DATA: the memory it maps
// writable, the Go heap included) is limited to 512 MiB: plenty for the
// test, not for decoding the claimed 8192x8192 image (about 1 GB), so a
// regression fails the test (the child dies out of memory) instead of
// taking the machine's memory.
func TestHostileJPEGUnderLimit(t *testing.T) {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("prlimit not found")
	}
	cmd := exec.Command(prlimit, fmt.Sprintf("--data=%d", 512<<20), "--",
		childBinary(t), "-test.run=^TestHostileJPEG$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), limitedEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: TestHostileJPEG ")) {
		t.Fatalf("TestHostileJPEG under a 512 MiB limit: %v\n%s", err, out)
	}
}

// childBinary returns a test binary of this package to run as a memory-
// limited child process (see testbin.WithoutRace).
func childBinary(t *testing.T) string { return testbin.WithoutRace(t, testimg.RaceEnabled) }

// TestHostileJPEG checks that both methods refuse the hostile JPEG from its
// header, as a job error, allocating next to nothing. It runs only under
// TestHostileJPEGUnderLimit.
func TestHostileJPEG(t *testing.T) {
	if os.Getenv(limitedEnv) == "" {
		t.Skip("run by TestHostileJPEGUnderLimit in a memory-limited child")
	}
	data := hostileJPEG()
	if len(data) > 4096 {
		t.Fatalf("crafted JPEG is %d bytes, want under 4 KB", len(data))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write(data)
	}))
	defer srv.Close()
	for _, m := range Methods() {
		t.Run(m, func(t *testing.T) {
			th, err := New(Options{Width: 64, Height: 64, Method: m}, srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err = th.Do(context.Background(), srv.URL+"/8192x8192.jpg")
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Do() error = %v, want ErrTooLarge", err)
			}
			for _, s := range []string{"thumbnail: decode " + srv.URL, "8192x8192", "limit"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 16<<20 {
				t.Errorf("refusing the image allocated %d MiB", n>>20)
			}
		})
	}
}

// TestCraftedJPEGDecodes checks that the crafted JPEG is one image/jpeg
// really decodes, at a size small enough to try, so that the hostile one
// would cost what its header claims.
func TestCraftedJPEGDecodes(t *testing.T) {
	for _, sof := range []byte{0xc0, 0xc2} {
		data := craftJPEG(sof, 64, 48, 3, 3*48)
		img, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("SOF %#x: %v", sof, err)
		}
		if got := img.Bounds().Size(); got != image.Pt(64, 48) {
			t.Errorf("SOF %#x: size %v, want 64x48", sof, got)
		}
		for _, m := range Methods() {
			th, err := New(Options{Width: 16, Height: 16, Method: m}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := th.Process(data, "http://h/a/b.jpg"); err != nil {
				t.Errorf("SOF %#x, %s: %v", sof, m, err)
			}
		}
	}
}

// TestBudget checks which declared images each method accepts: those the
// mock image server serves, up to 8000x8000, and nothing that would need
// more than MaxDecodeBytes.
func TestBudget(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		ok   bool
	}{
		{"baseline 8000x8000", craftJPEG(0xc0, 8000, 8000, 3, 0), true},
		{"baseline gray 8192x8192", craftJPEG(0xc0, 8192, 8192, 1, 0), true},
		{"baseline over MaxPixels", craftJPEG(0xc0, 8193, 8192, 3, 0), false},
		{"progressive 4096x4096", craftJPEG(0xc2, 4096, 4096, 3, 0), true},
		{"progressive 8192x8192", hostileJPEG(), false},
		{"progressive 8000x8000", craftJPEG(0xc2, 8000, 8000, 3, 0), false},
		{"progressive gray 8000x8000", craftJPEG(0xc2, 8000, 8000, 1, 0), false},
		{"baseline CMYK 8000x8000", craftJPEG(0xc0, 8000, 8000, 4, 0), false},
		{"baseline CMYK 5000x5000", craftJPEG(0xc0, 5000, 5000, 4, 0), true},
		{"png 64x48", testimg.EncodePNG(t, testimg.Photo(64, 48, 1)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := checkBudget(tt.data)
			if tt.ok && err != nil {
				t.Fatalf("checkBudget() = %v, want nil", err)
			}
			if !tt.ok && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("checkBudget() = %v, want ErrTooLarge", err)
			}
			if tt.ok {
				return
			}
			// The fast method's decoder must refuse it from the same
			// header, before allocating.
			th, err := New(Options{Width: 64, Height: 64, Method: MethodFast}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := th.Process(tt.data, "http://h/a/b.jpg"); !errors.Is(err, ErrTooLarge) {
				t.Errorf("fast Process() = %v, want ErrTooLarge", err)
			}
		})
	}
}

func TestDecodeBytesPerPixel(t *testing.T) {
	interlaced := make([]byte, 33)
	interlaced[28] = 1
	tests := []struct {
		name   string
		data   []byte
		format string
		model  color.Model
		want   int64
	}{
		{"jpeg YCbCr baseline", craftJPEG(0xc0, 8, 8, 3, 0), "jpeg", color.YCbCrModel, 3},
		{"jpeg YCbCr progressive", craftJPEG(0xc2, 8, 8, 3, 0), "jpeg", color.YCbCrModel, 15},
		{"jpeg gray progressive", craftJPEG(0xc2, 8, 8, 1, 0), "jpeg", color.GrayModel, 5},
		{"jpeg RGB baseline", craftJPEG(0xc0, 8, 8, 3, 0), "jpeg", color.RGBAModel, 7},
		{"jpeg CMYK baseline", craftJPEG(0xc0, 8, 8, 4, 0), "jpeg", color.CMYKModel, 8},
		{"jpeg without frame", []byte{0xff, 0xd8, 0xff, 0xd9}, "jpeg", color.YCbCrModel, 15},
		{"png NRGBA", make([]byte, 33), "png", color.NRGBAModel, 4},
		{"png NRGBA64 interlaced", interlaced, "png", color.NRGBA64Model, 16},
		{"png gray", make([]byte, 33), "png", color.GrayModel, 1},
		{"gif", nil, "gif", color.Palette{color.Black}, 1},
	}
	for _, tt := range tests {
		if got := decodeBytesPerPixel(tt.data, tt.format, tt.model); got != tt.want {
			t.Errorf("%s: decodeBytesPerPixel() = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestJPEGProgressive(t *testing.T) {
	real := testimg.Image(t, 64, 48, "jpg")
	withStray := append([]byte{0xff, 0xd8, 0x12, 0x34, 0xff, 0xff}, craftJPEG(0xc2, 8, 8, 1, 0)[3:]...)
	tests := []struct {
		name              string
		data              []byte
		progressive, isOK bool
	}{
		{"image/jpeg output", real, false, true},
		{"progressive", craftJPEG(0xc2, 8, 8, 3, 0), true, true},
		{"stray and fill bytes", withStray, true, true},
		{"truncated", real[:10], false, false},
		{"scan before frame", []byte{0xff, 0xd8, 0xff, 0xda, 0, 2}, false, false},
		{"empty", nil, false, false},
	}
	for _, tt := range tests {
		p, ok := jpegProgressive(tt.data)
		if p != tt.progressive || ok != tt.isOK {
			t.Errorf("%s: jpegProgressive() = %v, %v, want %v, %v", tt.name, p, ok, tt.progressive, tt.isOK)
		}
	}
}

func TestJPEGBytesPerPixel(t *testing.T) {
	tests := []struct {
		f    jpeg.Frame
		want int64
	}{
		{jpeg.Frame{Components: 1}, 1},
		{jpeg.Frame{Components: 3}, 3},
		{jpeg.Frame{Components: 3, RGB: true}, 7},
		{jpeg.Frame{Components: 3, Progressive: true}, 15},
		{jpeg.Frame{Components: 4, Progressive: true}, 24},
	}
	for _, tt := range tests {
		if got := jpegBytesPerPixel(tt.f); got != tt.want {
			t.Errorf("jpegBytesPerPixel(%+v) = %d, want %d", tt.f, got, tt.want)
		}
	}
}
