package jpeg

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/disintegration/imaging"
	"github.com/scalebench/scalebench/internal/thumbnail/internal/testimg"
	"github.com/scalebench/scalebench/internal/thumbnail/resample"
)

func fixedScale(s int) func(Frame) (int, error) {
	return func(Frame) (int, error) { return s, nil }
}

// TestJPEGScale1MatchesStdlib checks that, at scale 1, the decoder's output
// is identical to image/jpeg's, pixel for pixel.
func TestJPEGScale1MatchesStdlib(t *testing.T) {
	files := testimg.StdJPEGs(t)
	files["generated-640x480.jpg"] = testimg.Image(t, 640, 480, "jpg")
	files["generated-gray.jpg"] = testimg.EncodeJPEG(t, imaging.Grayscale(testimg.Photo(101, 67, 3)), 90)
	var d Decoder
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			want, werr := jpeg.Decode(bytes.NewReader(data))
			got, w, h, gerr := d.Decode(data, fixedScale(1))
			if errors.Is(gerr, ErrFallback) {
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
	files := testimg.StdJPEGs(t)
	if testimg.SizeOK(1920, 1080) {
		files["generated-1920x1080.jpg"] = testimg.Image(t, 1920, 1080, "jpg")
	}
	files["generated-odd-333x111.jpg"] = testimg.EncodeJPEG(t, testimg.Photo(333, 111, 9), 85)
	var d Decoder
	var red resample.Reducer
	for name, data := range files {
		full, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			continue // e.g. the truncated file; see TestJPEGCorrupt
		}
		for _, s := range []int{2, 4, 8} {
			t.Run(fmt.Sprintf("%s/scale=%d", name, s), func(t *testing.T) {
				got, _, _, err := d.Decode(data, fixedScale(s))
				if errors.Is(err, ErrFallback) {
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
					ref, _ := red.Reduce(f, s, s)
					r := ref.(*image.Gray)
					planes = append(planes, plane{"gray", g.Pix, r.Pix, g.Stride, r.Stride, fb.Dx(), fb.Dy()})
				case *image.YCbCr:
					f := full.(*image.YCbCr)
					ref, _ := red.Reduce(f, s, s)
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
		testimg.Image(t, 640, 480, "jpg"),
		testimg.EncodeJPEG(t, imaging.Grayscale(testimg.Photo(50, 30, 1)), 50),
	}
	for name, data := range testimg.StdJPEGsOptional() {
		if strings.Contains(name, "progressive") || strings.Contains(name, "restart") {
			seeds = append(seeds, data)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var d Decoder
	check := func(data []byte) {
		t.Helper()
		for _, s := range []int{1, 2, 8} {
			_, _, _, err := d.Decode(data, fixedScale(s))
			if err != nil && strings.Contains(err.Error(), "internal decoder error") {
				t.Fatalf("decoder panicked: %v", err)
			}
		}
	}
	n := 40
	if testing.Short() || testimg.RaceEnabled {
		n = 8
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

// FuzzJPEGDecode checks that arbitrary input never panics the decoder.
func FuzzJPEGDecode(f *testing.F) {
	f.Add(testimg.EncodeJPEG(f, testimg.Photo(40, 24, 5), 75))
	f.Add([]byte("\xff\xd8\xff\xd9"))
	var d Decoder
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, s := range []int{1, 4} {
			_, _, _, err := d.Decode(data, func(f Frame) (int, error) {
				if int64(f.Width)*int64(f.Height) > 1<<24 {
					return 0, errors.New("too large")
				}
				return s, nil
			})
			if err != nil && strings.Contains(err.Error(), "internal decoder error") {
				t.Fatalf("decoder panicked: %v", err)
			}
		}
	})
}

// chromaSize returns the size of the chroma planes of a w x h image.
func chromaSize(ratio image.YCbCrSubsampleRatio, w, h int) (cw, ch int, ok bool) {
	switch ratio {
	case image.YCbCrSubsampleRatio444:
		return w, h, true
	case image.YCbCrSubsampleRatio422:
		return ceilDiv(w, 2), h, true
	case image.YCbCrSubsampleRatio420:
		return ceilDiv(w, 2), ceilDiv(h, 2), true
	case image.YCbCrSubsampleRatio440:
		return w, ceilDiv(h, 2), true
	case image.YCbCrSubsampleRatio411:
		return ceilDiv(w, 4), h, true
	case image.YCbCrSubsampleRatio410:
		return ceilDiv(w, 4), ceilDiv(h, 2), true
	}
	return 0, 0, false
}

// TestDecodeRows checks that the rows DecodeRows tells of are final: at
// every call, the rows it names already hold what the whole image has; the
// calls grow to the full height, and a sequential image is told of in more
// than one band.
func TestDecodeRows(t *testing.T) {
	files := testimg.StdJPEGs(t)
	files["generated-640x480.jpg"] = testimg.Image(t, 640, 480, "jpg")
	files["generated-gray.jpg"] = testimg.EncodeJPEG(t, imaging.Grayscale(testimg.Photo(101, 67, 3)), 90)
	for name, data := range files {
		for _, scale := range []int{1, 4} {
			if testing.Short() && scale != 1 && !strings.HasPrefix(name, "generated") {
				continue
			}
			t.Run(fmt.Sprintf("%s/scale=%d", name, scale), func(t *testing.T) {
				var d Decoder
				type band struct {
					n    int
					rows []uint8 // the image's rows 0..n when told
				}
				var bands []band
				img, _, _, err := d.DecodeRows(data, fixedScale(scale), func(img image.Image, n int) {
					bands = append(bands, band{n, firstRows(img, n)})
				})
				if err != nil {
					if len(bands) > 0 && bands[len(bands)-1].n == img.Bounds().Dy() {
						t.Fatal("told the image whole, then failed")
					}
					return
				}
				h := img.Bounds().Dy()
				if len(bands) == 0 || bands[len(bands)-1].n != h {
					t.Fatalf("bands %d, last not the full height %d", len(bands), h)
				}
				prev := 0
				for _, b := range bands {
					if b.n < prev || b.n > h {
						t.Fatalf("rows told %d after %d (height %d)", b.n, prev, h)
					}
					prev = b.n
					if !bytes.Equal(b.rows, firstRows(img, b.n)) {
						t.Fatalf("rows 0..%d told before they were final", b.n)
					}
				}
				if strings.HasPrefix(name, "generated") && len(bands) < 3 {
					t.Errorf("a sequential image told of in %d bands", len(bands))
				}
			})
		}
	}
}

// firstRows copies the samples of rows 0..n of img: its planes' bytes for
// the types the decoder fills, its NRGBA conversion for others.
func firstRows(img image.Image, n int) []uint8 {
	switch m := img.(type) {
	case *image.Gray:
		return bytes.Clone(m.Pix[:n*m.Stride])
	case *image.YCbCr:
		c := n
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio410:
			c = (n + 1) / 2
		}
		out := bytes.Clone(m.Y[:n*m.YStride])
		out = append(out, m.Cb[:c*m.CStride]...)
		return append(out, m.Cr[:c*m.CStride]...)
	}
	c := imaging.Clone(img)
	return c.Pix[:n*c.Stride]
}
