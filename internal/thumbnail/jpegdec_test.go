package thumbnail

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/disintegration/imaging"
)

// stdTestJPEGs returns image/jpeg's own test files (progressive, restart
// intervals, every subsampling ratio, grayscale, RGB, CMYK), skipping the
// test when GOROOT's sources are not available.
func stdTestJPEGs(t *testing.T) map[string][]byte {
	t.Helper()
	files := stdTestJPEGsOptional()
	if len(files) == 0 {
		t.Skip("no JPEG test files in GOROOT/src/image/testdata")
	}
	return files
}

func fixedScale(s int) func(w, h int) (int, error) {
	return func(int, int) (int, error) { return s, nil }
}

// TestJPEGScale1MatchesStdlib checks that, at scale 1, the decoder's output
// is identical to image/jpeg's, pixel for pixel.
func TestJPEGScale1MatchesStdlib(t *testing.T) {
	files := stdTestJPEGs(t)
	files["generated-640x480.jpg"] = testImage(t, 640, 480, "jpg")
	files["generated-gray.jpg"] = encodeJPEG(t, imaging.Grayscale(photo(101, 67, 3)), 90)
	var d jpegDecoder
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			want, werr := jpeg.Decode(bytes.NewReader(data))
			got, w, h, gerr := d.decode(data, fixedScale(1))
			if errors.Is(gerr, errJPEGFallback) {
				if _, ok := want.(*image.CMYK); !ok {
					t.Fatalf("fallback for a %T image", want)
				}
				return
			}
			if (werr != nil) != (gerr != nil) {
				t.Fatalf("image/jpeg error %v, decoder error %v", werr, gerr)
			}
			if werr != nil {
				return
			}
			if wb := want.Bounds(); w != wb.Dx() || h != wb.Dy() || got.Bounds() != wb {
				t.Fatalf("size %dx%d bounds %v, want %v", w, h, got.Bounds(), wb)
			}
			if !samePixels(got, want) {
				t.Errorf("pixels differ from image/jpeg (%T vs %T)", got, want)
			}
		})
	}
}

func samePixels(a, b image.Image) bool {
	switch a := a.(type) {
	case *image.YCbCr:
		b, ok := b.(*image.YCbCr)
		if !ok || a.SubsampleRatio != b.SubsampleRatio {
			return false
		}
		r := a.Rect
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if a.YCbCrAt(x, y) != b.YCbCrAt(x, y) {
					return false
				}
			}
		}
		return true
	case *image.Gray:
		b, ok := b.(*image.Gray)
		if !ok {
			return false
		}
		r := a.Rect
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if a.GrayAt(x, y) != b.GrayAt(x, y) {
					return false
				}
			}
		}
		return true
	case *image.RGBA:
		b, ok := b.(*image.RGBA)
		if !ok {
			return false
		}
		r := a.Rect
		for y := r.Min.Y; y < r.Max.Y; y++ {
			if !bytes.Equal(a.Pix[a.PixOffset(r.Min.X, y):a.PixOffset(r.Max.X, y)], b.Pix[b.PixOffset(r.Min.X, y):b.PixOffset(r.Max.X, y)]) {
				return false
			}
		}
		return true
	}
	return false
}

// TestJPEGScaledDecode checks every reduced scale against a box reduction of
// the full decode, plane by plane: the scaled DCT must closely approximate
// the mean of each cell. Blocks cut by the image edge hold encoder padding
// that the scaled DCT averages in, so only whole cells are compared.
func TestJPEGScaledDecode(t *testing.T) {
	files := stdTestJPEGs(t)
	files["generated-1920x1080.jpg"] = testImage(t, 1920, 1080, "jpg")
	files["generated-odd-333x111.jpg"] = encodeJPEG(t, photo(333, 111, 9), 85)
	var d jpegDecoder
	var red reducer
	for name, data := range files {
		full, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			continue // e.g. the truncated file; see TestJPEGCorrupt
		}
		for _, s := range []int{2, 4, 8} {
			t.Run(fmt.Sprintf("%s/scale=%d", name, s), func(t *testing.T) {
				got, _, _, err := d.decode(data, fixedScale(s))
				if errors.Is(err, errJPEGFallback) {
					t.Skip("CMYK: decoded by image/jpeg")
				}
				if err != nil {
					t.Fatal(err)
				}
				fb := full.Bounds()
				wantSize := image.Pt(ceilDiv(fb.Dx(), s), ceilDiv(fb.Dy(), s))
				if got.Bounds().Size() != wantSize {
					t.Fatalf("size %v, want %v", got.Bounds().Size(), wantSize)
				}
				type plane struct {
					name         string
					a, b         []uint8
					sa, sb       int
					fullW, fullH int
				}
				var planes []plane
				switch g := got.(type) {
				case *image.Gray:
					f := full.(*image.Gray)
					ref, _ := red.reduce(f, s, s)
					r := ref.(*image.Gray)
					planes = append(planes, plane{"gray", g.Pix, r.Pix, g.Stride, r.Stride, fb.Dx(), fb.Dy()})
				case *image.YCbCr:
					f := full.(*image.YCbCr)
					ref, _ := red.reduce(f, s, s)
					r := ref.(*image.YCbCr)
					cw, ch, _ := chromaSize(f.SubsampleRatio, fb.Dx(), fb.Dy())
					planes = append(planes,
						plane{"Y", g.Y, r.Y, g.YStride, r.YStride, fb.Dx(), fb.Dy()},
						plane{"Cb", g.Cb, r.Cb, g.CStride, r.CStride, cw, ch},
						plane{"Cr", g.Cr, r.Cr, g.CStride, r.CStride, cw, ch})
				default:
					t.Skipf("%T output (RGB JPEG) is checked at scale 1 only", got)
				}
				for _, p := range planes {
					v := planePSNR(p.a, p.sa, p.b, p.sb, p.fullW/s, p.fullH/s)
					t.Logf("%s PSNR %.1f dB", p.name, v)
					if v < 30 {
						t.Errorf("%s plane: PSNR %.1f dB vs box-reduced full decode, want >= 30", p.name, v)
					}
				}
			})
		}
	}
}

// planePSNR is the PSNR between the top-left w x h samples of two planes.
func planePSNR(a []uint8, sa int, b []uint8, sb int, w, h int) float64 {
	var sum float64
	for y := range h {
		for x := range w {
			d := float64(a[y*sa+x]) - float64(b[y*sb+x])
			sum += d * d
		}
	}
	if sum == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*float64(w*h)/sum)
}

// TestJPEGCorrupt feeds truncated and mutated JPEGs to the decoder: it must
// return an error or an image, never panic (its recover safety net must not
// fire either).
func TestJPEGCorrupt(t *testing.T) {
	seeds := [][]byte{
		testImage(t, 640, 480, "jpg"),
		encodeJPEG(t, imaging.Grayscale(photo(50, 30, 1)), 50),
	}
	for name, data := range stdTestJPEGsOptional() {
		if strings.Contains(name, "progressive") || strings.Contains(name, "restart") {
			seeds = append(seeds, data)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var d jpegDecoder
	check := func(data []byte) {
		t.Helper()
		for _, s := range []int{1, 2, 8} {
			_, _, _, err := d.decode(data, fixedScale(s))
			if err != nil && strings.Contains(err.Error(), "internal decoder error") {
				t.Fatalf("decoder panicked: %v", err)
			}
		}
	}
	n := 40
	if testing.Short() {
		n = 10
	}
	for _, seed := range seeds {
		for _, cut := range []int{0, 1, 2, 3, 20, 200, len(seed) / 3, len(seed) / 2, len(seed) - 2} {
			check(seed[:cut])
		}
		for range n {
			data := bytes.Clone(seed)
			for range 1 + rng.IntN(8) {
				data[rng.IntN(len(data))] = byte(rng.IntN(256))
			}
			check(data)
		}
	}
}

// stdTestJPEGsOptional returns image/jpeg's test files, if any.
func stdTestJPEGsOptional() map[string][]byte {
	dir := filepath.Join(runtime.GOROOT(), "src", "image", "testdata")
	matches, _ := filepath.Glob(filepath.Join(dir, "*.jpeg"))
	files := map[string][]byte{}
	for _, m := range matches {
		if data, err := os.ReadFile(m); err == nil {
			files[filepath.Base(m)] = data
		}
	}
	return files
}

// FuzzJPEGDecode checks that arbitrary input never panics the decoder.
func FuzzJPEGDecode(f *testing.F) {
	f.Add(encodeJPEG(f, photo(40, 24, 5), 75))
	f.Add([]byte("\xff\xd8\xff\xd9"))
	var d jpegDecoder
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, s := range []int{1, 4} {
			_, _, _, err := d.decode(data, func(w, h int) (int, error) {
				if err := checkDims(w, h); err != nil {
					return 0, err
				}
				return s, nil
			})
			if err != nil && strings.Contains(err.Error(), "internal decoder error") {
				t.Fatalf("decoder panicked: %v", err)
			}
		}
	})
}
