// Package testimg makes the deterministic photo-like test images shared by
// the thumbnail packages' tests and benchmarks.
package testimg

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Photo returns a deterministic photo-like w x h image: smooth gradients,
// a low-frequency texture, overlapping filled shapes with hard edges and
// per-pixel noise.
func Photo(w, h int, seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 0x5ca1eb))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	fw, fh := float64(w), float64(h)
	for y := range h {
		fy := float64(y) / fh
		for x := range w {
			fx := float64(x) / fw
			r := 70 + 120*fy + 30*math.Sin(6*fx+1)
			g := 110 + 80*(1-fy) + 25*math.Cos(5*fy+3*fx)
			b := 200 - 120*fy + 20*math.Sin(9*fx*fy)
			i := img.PixOffset(x, y)
			img.Pix[i+0] = clamp8(r)
			img.Pix[i+1] = clamp8(g)
			img.Pix[i+2] = clamp8(b)
			img.Pix[i+3] = 255
		}
	}
	// Shapes: sizes relative to the image so that every size looks alike.
	for range 14 {
		c := color.NRGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
		cx, cy := rng.Float64()*fw, rng.Float64()*fh
		rad := (0.04 + 0.18*rng.Float64()) * min(fw, fh)
		if rng.IntN(2) == 0 {
			fillDisc(img, cx, cy, rad, c)
		} else {
			fillRect(img, cx-rad, cy-rad*0.6, cx+rad, cy+rad*0.6, c)
		}
	}
	for i := 0; i < len(img.Pix); i += 4 {
		for c := range 3 {
			img.Pix[i+c] = clamp8(float64(img.Pix[i+c]) + float64(rng.IntN(25)-12))
		}
	}
	return img
}

func clamp8(v float64) uint8 {
	switch {
	case v < 0:
		return 0
	case v > 255:
		return 255
	}
	return uint8(v + 0.5)
}

func fillDisc(img *image.NRGBA, cx, cy, r float64, c color.NRGBA) {
	b := img.Bounds()
	for y := max(int(cy-r), 0); y < min(int(cy+r)+1, b.Dy()); y++ {
		for x := max(int(cx-r), 0); x < min(int(cx+r)+1, b.Dx()); x++ {
			if dx, dy := float64(x)-cx, float64(y)-cy; dx*dx+dy*dy <= r*r {
				img.SetNRGBA(x, y, c)
			}
		}
	}
}

func fillRect(img *image.NRGBA, x0, y0, x1, y1 float64, c color.NRGBA) {
	r := image.Rect(int(x0), int(y0), int(x1), int(y1)).Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetNRGBA(x, y, c)
		}
	}
}

// EncodeJPEG encodes img as a JPEG of the given quality.
func EncodeJPEG(tb testing.TB, img image.Image, quality int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// EncodePNG encodes img as a PNG.
func EncodePNG(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// Image returns the encoded photo-like image of the given size and
// format ("jpg" at quality 85, or "png"), cached across tests.
func Image(tb testing.TB, w, h int, format string) []byte {
	tb.Helper()
	key := fmt.Sprintf("%dx%d.%s", w, h, format)
	imageCache.Lock()
	defer imageCache.Unlock()
	if data, ok := imageCache.m[key]; ok {
		return data
	}
	img := Photo(w, h, uint64(w)*7919+uint64(h))
	var data []byte
	switch format {
	case "jpg":
		data = EncodeJPEG(tb, img, 85)
	case "png":
		data = EncodePNG(tb, img)
	default:
		tb.Fatalf("unknown test image format %q", format)
	}
	imageCache.m[key] = data
	return data
}

var imageCache = struct {
	sync.Mutex
	m map[string][]byte
}{m: map[string][]byte{}}

// PSNR returns the peak signal-to-noise ratio in dB between the RGB
// channels of two images of the same size.
func PSNR(a, b image.Image) float64 {
	ba, bb := a.Bounds(), b.Bounds()
	var sum float64
	n := 0
	for y := range ba.Dy() {
		for x := range ba.Dx() {
			ca := color.NRGBAModel.Convert(a.At(ba.Min.X+x, ba.Min.Y+y)).(color.NRGBA)
			cb := color.NRGBAModel.Convert(b.At(bb.Min.X+x, bb.Min.Y+y)).(color.NRGBA)
			for _, d := range []float64{
				float64(ca.R) - float64(cb.R),
				float64(ca.G) - float64(cb.G),
				float64(ca.B) - float64(cb.B),
			} {
				sum += d * d
				n++
			}
		}
	}
	if sum == 0 {
		return math.Inf(1)
	}
	mse := sum / float64(n)
	return 10 * math.Log10(255*255/mse)
}

// StdJPEGs returns image/jpeg's own test files (progressive, restart
// intervals, every subsampling ratio, grayscale, RGB, CMYK), skipping the
// test when GOROOT's sources are not available.
func StdJPEGs(t testing.TB) map[string][]byte {
	t.Helper()
	files := StdJPEGsOptional()
	if len(files) == 0 {
		t.Skip("no JPEG test files in GOROOT/src/image/testdata")
	}
	return files
}

// StdJPEGsOptional returns image/jpeg's test files, if any.
func StdJPEGsOptional() map[string][]byte {
	dir := filepath.Join(goroot(), "src", "image", "testdata")
	matches, _ := filepath.Glob(filepath.Join(dir, "*.jpeg"))
	files := map[string][]byte{}
	for _, m := range matches {
		if data, err := os.ReadFile(m); err == nil {
			files[filepath.Base(m)] = data
		}
	}
	return files
}

// Quick reports whether tests should keep to small images: under -short
// or the race detector.
func Quick() bool { return testing.Short() || RaceEnabled }

// SizeOK reports whether tests may use a w x h image now: any size in a
// full run, at most a million pixels when Quick.
func SizeOK(w, h int) bool { return w*h <= 1_000_000 || !Quick() }

// goroot is the Go installation's root as the go tool reports it, or "" if
// the tool cannot be run.
func goroot() string {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
