package resample

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/disintegration/imaging"
)

// testImages are images of every type a decoder gives, w x h.
func testImages(rng *rand.Rand, w, h int) map[string]image.Image {
	r := image.Rect(0, 0, w, h)
	out := map[string]image.Image{
		"nrgba":  randomNRGBA(rng, w, h, false),
		"opaque": randomNRGBA(rng, w, h, true),
	}
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422} {
		m := image.NewYCbCr(r, ratio)
		for _, p := range [][]uint8{m.Y, m.Cb, m.Cr} {
			for i := range p {
				p[i] = uint8(rng.IntN(256))
			}
		}
		out[fmt.Sprintf("ycbcr-%v", ratio)] = m
	}
	g := image.NewGray(r)
	rgba := image.NewRGBA(r)
	pal := image.NewPaletted(r, color.Palette{color.Black, color.White, color.NRGBA{200, 10, 10, 128}})
	for i := range g.Pix {
		g.Pix[i] = uint8(rng.IntN(256))
		pal.Pix[i] = uint8(rng.IntN(3))
	}
	for i := 0; i < len(rgba.Pix); i += 4 {
		a := uint8(rng.IntN(256))
		rgba.Pix[i+3] = a
		for c := range 3 {
			rgba.Pix[i+c] = uint8(rng.IntN(int(a) + 1))
		}
	}
	out["gray"], out["rgba"], out["paletted"] = g, rgba, pal
	return out
}

// TestImagingJobMatchesImaging resizes images of every type with every
// filter, on one goroutine and split across three with the rows arriving
// band by band as from a decoder: the result is imaging.Resize's, byte
// for byte, whatever the split.
func TestImagingJobMatchesImaging(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	sizes := []struct{ sw, sh, dw, dh int }{
		{120, 90, 64, 48}, {64, 100, 64, 41}, {100, 40, 37, 40}, {50, 20, 7, 1}, {97, 131, 64, 87}, {33, 33, 33, 33},
	}
	if testing.Short() {
		sizes = sizes[:4] // both passes, each alone, a single output row
	}
	for _, sz := range sizes {
		imgs := testImages(rng, sz.sw, sz.sh)
		for name, img := range imgs {
			for _, f := range filters {
				want := imaging.Resize(img, sz.dw, sz.dh, f.filter)
				for _, split := range []int{1, 3} {
					// One goroutine with the image whole; three with its
					// rows arriving as from a decoder, told its size
					// before it exists.
					for _, stream := range []bool{split > 1} {
						t.Run(fmt.Sprintf("%dx%d-%dx%d/%s/%s/split=%d/stream=%v", sz.sw, sz.sh, sz.dw, sz.dh, name, f.name, split, stream), func(t *testing.T) {
							got, err := runJob(img, sz.dw, sz.dh, &f.filter, split, stream)
							if err != nil {
								t.Fatal(err)
							}
							if got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
								t.Fatalf("differs from imaging.Resize (rect %v, want %v)", got.Rect, want.Rect)
							}
						})
					}
				}
			}
		}
	}
}

// runJob resizes img with split goroutines; with stream, the job is told
// the sizes first, then the rows are made final a few at a time by a
// goroutine of their own, as a decoder's.
func runJob(img image.Image, w, h int, f *imaging.ResampleFilter, split int, stream bool) (*image.NRGBA, error) {
	j := NewImagingJob(f)
	if stream {
		b := img.Bounds()
		j.Size(b.Dx(), b.Dy(), w, h)
	}
	var wg sync.WaitGroup
	for range split - 1 {
		wg.Go(j.Work)
	}
	j.Start(img, w, h)
	if stream {
		for y := 0; y < img.Bounds().Dy(); y += 7 {
			j.Rows(y)
		}
	}
	j.Finish()
	j.Work()
	wg.Wait()
	return j.Result()
}

// TestImagingJobSizeMismatch fails a job started with an image other
// than the size it was told, rather than resizing it with wrong weights.
func TestImagingJobSizeMismatch(t *testing.T) {
	for _, tt := range []struct {
		name         string
		sw, sh, w, h int
	}{
		{"source width", 101, 80, 10, 8},
		{"source height", 100, 81, 10, 8},
		{"output size", 100, 80, 10, 9},
	} {
		t.Run(tt.name, func(t *testing.T) {
			j := NewImagingJob(&imaging.Lanczos)
			j.Size(tt.sw, tt.sh, tt.w, tt.h)
			var wg sync.WaitGroup
			wg.Go(j.Work)
			j.Start(image.NewGray(image.Rect(0, 0, 100, 80)), 10, 8)
			j.Finish()
			j.Work()
			wg.Wait()
			img, err := j.Result()
			if err == nil || img != nil {
				t.Fatalf("Result() = %v, %v; want an error naming both sizes", img, err)
			}
			if !strings.Contains(err.Error(), "100x80") || !strings.Contains(err.Error(), fmt.Sprintf("%dx%d", tt.sw, tt.sh)) {
				t.Errorf("error %q does not name both sizes", err)
			}
		})
	}
}

// TestImagingJobFail ends every goroutine's work when the decoder fails,
// whether it had told the job nothing, only the sizes, or the image and
// some rows.
func TestImagingJobFail(t *testing.T) {
	for _, told := range []string{"nothing", "size", "rows"} {
		j := NewImagingJob(&imaging.Lanczos)
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(j.Work)
		}
		switch told {
		case "size":
			j.Size(100, 100, 10, 10)
		case "rows":
			j.Start(image.NewGray(image.Rect(0, 0, 100, 100)), 10, 10)
			j.Rows(20)
		}
		corrupt := errors.New("corrupt")
		j.Fail(corrupt)
		wg.Wait()
		if img, err := j.Result(); img != nil || !errors.Is(err, corrupt) {
			t.Errorf("told %s: Result() = %v, %v after a failed decode; want the decoder's error", told, img, err)
		}
	}
}

// TestSplitReducerResampler checks that a Reducer and a Resampler whose
// work is split across goroutines give what they give alone, byte for
// byte.
func TestSplitReducerResampler(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for name, img := range testImages(rng, 157, 101) {
		for _, k := range [][2]int{{2, 2}, {3, 5}} {
			var one, three Reducer
			three.Split = 3
			want, ok := one.Reduce(img, k[0], k[1])
			got, _ := three.Reduce(img, k[0], k[1])
			if !ok {
				continue // a type without a direct reduction
			}
			if !bytes.Equal(imaging.Clone(got).Pix, imaging.Clone(want).Pix) || got.Bounds() != want.Bounds() {
				t.Errorf("%s reduced %dx%d: split 3 differs from one goroutine", name, k[0], k[1])
			}
		}
		for _, f := range filters {
			var one, three Resampler
			three.Split = 3
			want := imaging.Clone(one.Resize(img, 37, 23, 150.5, 101, &f.filter))
			got := three.Resize(img, 37, 23, 150.5, 101, &f.filter)
			if !bytes.Equal(got.Pix, want.Pix) {
				t.Errorf("%s resampled with %s: split 3 differs from one goroutine", name, f.name)
			}
		}
	}
}
