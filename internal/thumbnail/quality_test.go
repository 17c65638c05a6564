package thumbnail

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/scalebench/scalebench/internal/thumbnail/internal/testimg"
)

// thumb runs one method on data and returns the decoded PNG output.
func thumb(t *testing.T, method string, data []byte) image.Image {
	t.Helper()
	dir := t.TempDir()
	th, err := New(Options{Width: 64, Height: 64, Method: method, OutDir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const name = "http://h/q/img.bin"
	if _, err := th.Process(data, name); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	out, err := readFile(dir, OutputName(name))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("%s output: %v", method, err)
	}
	return img
}

// TestFastMatchesNaive is the quality guard: on the lesson's five image
// sizes and photo-like portrait, landscape, tiny and huge images, as JPEG
// and PNG, the fast method's thumbnail has the naive one's size and a PSNR
// of at least 35 dB against it. Under -short or the race detector it keeps
// to JPEGs of up to a million pixels (every DCT scale) and small PNGs.
func TestFastMatchesNaive(t *testing.T) {
	sizes := []struct{ w, h int }{
		{256, 256}, {320, 240}, {640, 480}, {128, 128}, {720, 720}, // lesson
		{480, 640}, {1920, 1080}, {10, 5}, {4000, 3000},
		{333, 111}, {1000, 10}, {2000, 500}, // 2000x500: a 1/8-scale decode under 1e6 pixels
	}
	for _, sz := range sizes {
		for _, format := range []string{"jpg", "png"} {
			name := fmt.Sprintf("%dx%d.%s", sz.w, sz.h, format)
			t.Run(name, func(t *testing.T) {
				if !testimg.SizeOK(sz.w, sz.h) || testimg.Quick() && (format == "png" && sz.w*sz.h > 100_000 || sz.w*sz.h > 310_000 && sz != (struct{ w, h int }{2000, 500})) {
					t.Skip("large image skipped in -short mode and under the race detector")
				}
				data := testimg.Image(t, sz.w, sz.h, format)
				naive := thumb(t, MethodNaive, data)
				fast := thumb(t, MethodFast, data)
				w, h := FitSize(sz.w, sz.h, 64, 64)
				if got := naive.Bounds().Size(); got != image.Pt(w, h) {
					t.Fatalf("naive size %v, want %dx%d", got, w, h)
				}
				if got := fast.Bounds().Size(); got != image.Pt(w, h) {
					t.Fatalf("fast size %v, want %dx%d", got, w, h)
				}
				p := testimg.PSNR(fast, naive)
				t.Logf("PSNR %.1f dB", p)
				if p < 35 {
					t.Errorf("PSNR fast vs naive %.1f dB, want >= 35", p)
				}
			})
		}
	}
}

func readFile(dir, name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(dir, name))
}

// TestStdlibJPEGs runs both methods on image/jpeg's test files (progressive,
// restart intervals, all subsampling ratios, grayscale, RGB and CMYK).
func TestStdlibJPEGs(t *testing.T) {
	for name, data := range testimg.StdJPEGs(t) {
		t.Run(name, func(t *testing.T) {
			if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
				t.Skipf("image/jpeg cannot decode it either: %v", err)
			}
			naive := thumb(t, MethodNaive, data)
			fast := thumb(t, MethodFast, data)
			if naive.Bounds() != fast.Bounds() {
				t.Fatalf("fast %v, naive %v", fast.Bounds(), naive.Bounds())
			}
			if p := testimg.PSNR(fast, naive); p < 35 {
				t.Errorf("PSNR %.1f dB, want >= 35", p)
			}
		})
	}
}
